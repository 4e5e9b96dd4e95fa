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
export async function forEachLine(stream: ReadableStream<string>, onLine: (line: string) => void): Promise<void> {
  const reader = stream.getReader();
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const text = rest + value;
    let from = 0;
    for (let nl = text.indexOf('\n', from); nl >= 0; nl = text.indexOf('\n', from)) {
      onLine(text.charCodeAt(nl - 1) === 13 ? text.slice(from, nl - 1) : text.slice(from, nl));
      from = nl + 1;
    }
    rest = text.slice(from);
  }
  if (rest.length > 0) onLine(rest);
}
