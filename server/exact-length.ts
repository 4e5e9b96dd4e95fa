// What the snapshot route sends is exactly the Content-Length it announced, whatever the store's
// stream does: an S3-compatible server that ignores part of a Range (s3rver answers
// `bytes=0-0` with the whole object) must not turn into more bytes on the wire than the
// response promised, and a store that sends fewer fails the response instead of stalling it.
import { Transform, type Readable, type TransformCallback } from 'node:stream';

export function exactLength(source: Readable, length: number): Readable {
  let left = length;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (left <= 0) return done();
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= part.length;
      this.push(part);
      if (left === 0) {
        // The rest is not needed: stop reading it from the store.
        this.push(null);
        source.unpipe(this);
        source.destroy();
      }
      done();
    },
    flush(done: TransformCallback) {
      done(left > 0 ? new Error(`the store sent ${length - left} of ${length} bytes`) : null);
    },
  });
  source.once('error', (err) => out.destroy(err));
  source.pipe(out);
  return out;
}
