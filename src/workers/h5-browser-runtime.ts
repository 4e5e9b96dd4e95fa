// h5wasm inside the worker: the dropped File is mounted with WORKERFS, so HDF5 reads the bytes it
// needs through synchronous FileReaderSync calls and nothing is copied up front. Compression
// plugins are fetched only when a file uses them.
import h5wasm from 'h5wasm';
import { libFromIife, resettable } from '../io/h5/recreate.ts';
import type { H5Lib, H5Runtime, ThrowingErrors } from '../io/h5/runtime.ts';
import { PLUGIN_FILTERS, undecodableFilters } from '../io/h5/runtime.ts';
import type { SourceFile } from '../io/source.ts';
import { watchH5Module } from '../io/h5/watch.ts';
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

/** The module the current runtime runs on (scratch writes use its file system). */
let currentModule: H5Module | null = null;

/** The worker's runtime; after a trap, `reset()` makes the next call start a fresh HDF5 module. */
export const browserH5Runtime: () => Promise<H5Runtime> = resettable(create);

/**
 * A second h5wasm instance with its own heap. The ES build keeps its module in a private binding,
 * so a fresh one comes from evaluating the self-contained IIFE bundle again (fetched once).
 */
let iifeSource: Promise<string> | null = null;
async function freshLib(): Promise<H5Lib> {
  iifeSource ??= fetch(new URL('../../node_modules/h5wasm/dist/iife/h5wasm.js', import.meta.url)).then((r) => r.text());
  return libFromIife(await iifeSource);
}

async function create(generation: number): Promise<H5Runtime> {
  const lib = generation === 0 ? h5wasm : await freshLib();
  const module = (await lib.ready) as unknown as H5Module & ThrowingErrors;
  // HDF5 errors become exceptions carrying the error stack, instead of dumps on the console.
  module.activate_throwing_error_handler();
  currentModule = module;
  const { FS } = module;
  const installed = new Set<number>();
  const mounts = new Map<SourceFile, string>();
  // HDF5 sees a mount point; the page's watchdog names a stuck read by the user's file name.
  const names = new Map<string, string>();
  watchH5Module(module, (path) => names.get(path) ?? path);
  let next = 0;
  return {
    lib,
    open(file) {
      const dir = `/mnt${next++}`;
      FS.mkdir(dir);
      FS.mount(FS.filesystems.WORKERFS, { blobs: [{ name: 'data.h5', data: file.blob }] }, dir);
      mounts.set(file, dir);
      names.set(`${dir}/data.h5`, file.name);
      return new lib.File(`${dir}/data.h5`, 'r');
    },
    release(file) {
      const dir = mounts.get(file);
      if (!dir) return;
      FS.unmount(dir);
      FS.rmdir(dir);
      mounts.delete(file);
      names.delete(`${dir}/data.h5`);
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
  const module = currentModule!;
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
