// A file the user gave us. In the browser it is the dropped `File`; in Node a lazily read Blob
// over a path (fs.openAsBlob). Readers only touch the bytes they need.

export interface SourceFile {
  name: string;
  size: number;
  blob: Blob;
  /** Filesystem path, present in Node; the HDF5 runtime then reads the file directly. */
  path?: string;
}

export function fromBlob(name: string, blob: Blob): SourceFile {
  return { name, size: blob.size, blob };
}

export async function readBytes(file: SourceFile, start: number, end: number): Promise<Uint8Array> {
  const stop = Math.min(end, file.size);
  if (start >= stop) return new Uint8Array(0);
  return new Uint8Array(await file.blob.slice(start, stop).arrayBuffer());
}

/** Streams the file's text, gunzipping when it starts with the gzip magic bytes. */
export async function textStream(file: SourceFile): Promise<ReadableStream<string>> {
  const head = await readBytes(file, 0, 2);
  let bytes: ReadableStream<Uint8Array> = file.blob.stream() as ReadableStream<Uint8Array>;
  if (head[0] === 0x1f && head[1] === 0x8b) {
    bytes = bytes.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  }
  return bytes.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>);
}

/** Calls `onLine` for every line of a text stream without holding the whole text. */
/** A text line longer than any a gene, barcode or matrix entry needs: a file made to exhaust memory. */
export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`a line is longer than ${limit.toLocaleString('en-US')} characters`);
  }
}

/**
 * Calls onLine for every line. Only new text is searched for line ends (a line spread over many
 * chunks costs its length, not its length squared), and no line may exceed `maxLine`.
 */
export async function forEachLine(stream: ReadableStream<string>, onLine: (line: string) => void, maxLine = 1 << 20): Promise<void> {
  const reader = stream.getReader();
  let pending: string[] = [];
  let pendingLength = 0;
  const take = (tail: string) => {
    const line = pending.length ? pending.join('') + tail : tail;
    pending = [];
    pendingLength = 0;
    return line;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    let from = 0;
    for (let nl = value.indexOf('\n'); nl >= 0; nl = value.indexOf('\n', from)) {
      const line = take(value.slice(from, nl));
      onLine(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);
      from = nl + 1;
    }
    if (from < value.length) {
      pending.push(value.slice(from));
      pendingLength += value.length - from;
      if (pendingLength > maxLine) {
        await reader.cancel();
        throw new LineTooLongError(maxLine);
      }
    }
  }
  const last = take('');
  if (last.length > 0) onLine(last);
}
