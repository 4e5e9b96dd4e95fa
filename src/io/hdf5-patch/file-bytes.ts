// Random access to a file that h5wasm has written and closed, through the emscripten FS that wrote
// it (NODERAWFS in Node, MEMFS in the worker), so patches touch a few bytes, never the whole file.

export interface FileBytes {
  read(pos: number, len: number): Uint8Array;
  write(pos: number, bytes: Uint8Array): void;
  close(): void;
}

/** The part of emscripten's FS the patcher uses. */
export interface EmscriptenFS {
  open(path: string, flags: string): unknown;
  read(stream: unknown, buffer: Uint8Array, offset: number, length: number, position: number): number;
  write(stream: unknown, buffer: Uint8Array, offset: number, length: number, position: number): number;
  close(stream: unknown): void;
}

export function openFileBytes(fs: EmscriptenFS, path: string): FileBytes {
  const stream = fs.open(path, 'r+');
  return {
    read(pos, len) {
      const out = new Uint8Array(len);
      let got = 0;
      while (got < len) {
        const n = fs.read(stream, out, got, len - got, pos + got);
        if (n <= 0) throw new Error(`${path}: read past the end of the file at ${pos + got}`);
        got += n;
      }
      return out;
    },
    write(pos, bytes) {
      let done = 0;
      while (done < bytes.length) done += fs.write(stream, bytes, done, bytes.length - done, pos + done);
    },
    close() {
      fs.close(stream);
    },
  };
}

/** The FS of the h5wasm module behind `lib` (the File class is all the high-level API exposes). */
export async function h5FileSystem(lib: { ready: Promise<unknown> }): Promise<EmscriptenFS> {
  const module = (await lib.ready) as { FS: EmscriptenFS };
  return module.FS;
}
