// h5wasm inside the worker: the dropped File is mounted with WORKERFS, so HDF5 reads the bytes it
// needs through synchronous FileReaderSync calls and nothing is copied up front. Compression
// plugins are fetched only when a file uses them.
import h5wasm from 'h5wasm';
import type { H5Runtime } from '../io/h5/runtime.ts';
import { PLUGIN_FILTERS, undecodableFilters } from '../io/h5/runtime.ts';
import type { SourceFile } from '../io/source.ts';
import blosc from 'h5wasm-plugins/plugins/libH5Zblosc.so?url';
import blosc2 from 'h5wasm-plugins/plugins/libH5Zblosc2.so?url';
import bshuf from 'h5wasm-plugins/plugins/libH5Zbshuf.so?url';
import bz2 from 'h5wasm-plugins/plugins/libH5Zbz2.so?url';
import lz4 from 'h5wasm-plugins/plugins/libH5Zlz4.so?url';
import lzf from 'h5wasm-plugins/plugins/libH5Zlzf.so?url';
import zstd from 'h5wasm-plugins/plugins/libH5Zzstd.so?url';

const PLUGIN_URLS: Record<string, string> = { blosc, blosc2, bshuf, bz2, lz4, lzf, zstd };

interface EmscriptenFS {
  mkdir(path: string): void;
  mkdirTree(path: string): void;
  rmdir(path: string): void;
  mount(type: unknown, opts: unknown, mountpoint: string): void;
  unmount(mountpoint: string): void;
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
  filesystems: { WORKERFS: unknown };
}

interface H5Module {
  FS: EmscriptenFS;
  get_plugin_search_paths(): string[];
}

let runtime: Promise<H5Runtime> | null = null;

export function browserH5Runtime(): Promise<H5Runtime> {
  runtime ??= create();
  return runtime;
}

async function create(): Promise<H5Runtime> {
  const module = (await h5wasm.ready) as unknown as H5Module;
  const { FS } = module;
  const installed = new Set<number>();
  const mounts = new Map<SourceFile, string>();
  let next = 0;
  return {
    lib: h5wasm,
    open(file) {
      const dir = `/mnt${next++}`;
      FS.mkdir(dir);
      FS.mount(FS.filesystems.WORKERFS, { blobs: [{ name: 'data.h5', data: file.blob }] }, dir);
      mounts.set(file, dir);
      return new h5wasm.File(`${dir}/data.h5`, 'r');
    },
    release(file) {
      const dir = mounts.get(file);
      if (!dir) return;
      FS.unmount(dir);
      FS.rmdir(dir);
      mounts.delete(file);
    },
    async ensureFilters(ids) {
      const wanted = [...ids].filter((id) => PLUGIN_FILTERS.has(id) && !installed.has(id));
      if (wanted.length > 0) {
        const dir = module.get_plugin_search_paths()[0];
        FS.mkdirTree(dir);
        for (const id of wanted) {
          const name = PLUGIN_FILTERS.get(id)!;
          const bytes = new Uint8Array(await (await fetch(PLUGIN_URLS[name])).arrayBuffer());
          FS.writeFile(`${dir}/libH5Z${name}.so`, bytes);
          installed.add(id);
        }
      }
      return undecodableFilters(ids);
    },
  };
}

/** Writes an HDF5 file in h5wasm's in-memory file system and returns its bytes (for downloads). */
export async function writeScratchFile(write: (lib: H5Runtime['lib'], path: string) => Promise<void>): Promise<Uint8Array> {
  const rt = await browserH5Runtime();
  const module = (await h5wasm.ready) as unknown as H5Module;
  const path = `/scratch-${Date.now()}.h5ad`;
  try {
    await write(rt.lib, path);
    return module.FS.readFile(path);
  } finally {
    try {
      module.FS.unlink(path);
    } catch {
      // nothing was written
    }
  }
}
