// h5wasm in Node: the node build reads files straight from disk (NODERAWFS), and the compression
// plugins are loaded from h5wasm-plugins' folder on disk.
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { resettable } from './recreate.ts';
import type { H5Lib, H5Runtime, ThrowingErrors } from './runtime.ts';
import { undecodableFilters } from './runtime.ts';
import { watchFromEnvironment } from './node-watch.ts';
import { watchH5Module } from './watch.ts';

/** The shared runtime; after a trap, `reset()` makes the next call load a fresh module instance. */
export const nodeH5Runtime: () => Promise<H5Runtime> = resettable(create);

async function load(generation: number): Promise<H5Lib> {
  if (generation === 0) return (await import('h5wasm/node')).default;
  // ES modules are cached by URL: a query string gives a second, independent instance (new heap).
  const url = `${resolveH5wasmNode()}?instance=${generation}`;
  return ((await import(/* @vite-ignore */ url)) as { default: H5Lib }).default;
}

function resolveH5wasmNode(): string {
  if (typeof import.meta.resolve === 'function') return import.meta.resolve('h5wasm/node');
  // Test runners that transform modules may lack import.meta.resolve: h5wasm sits beside its plugins.
  const plugins = dirname(createRequire(import.meta.url).resolve('h5wasm-plugins/package.json'));
  return pathToFileURL(join(plugins, '../h5wasm/dist/node/hdf5_hl.js')).href;
}

async function create(generation: number): Promise<H5Runtime> {
  const lib = await load(generation);
  const module = await lib.ready;
  // HDF5 errors become exceptions carrying the error stack, instead of HDF5-DIAG dumps on stderr.
  (module as unknown as ThrowingErrors).activate_throwing_error_handler();
  // Under `scweb`'s supervisor, a read that never returns is noticed and named (src/cli/supervise.ts).
  watchFromEnvironment();
  watchH5Module(module);
  const require = createRequire(import.meta.url);
  const pluginDir = join(dirname(require.resolve('h5wasm-plugins/package.json')), 'plugins');
  (module as unknown as { insert_plugin_search_path(p: string, i: number): void }).insert_plugin_search_path(pluginDir, 0);
  return {
    lib,
    open(file) {
      if (!file.path) throw new Error(`${file.name}: the Node HDF5 runtime needs a filesystem path`);
      return new lib.File(resolve(file.path), 'r');
    },
    release() {},
    async ensureFilters(ids) {
      return undecodableFilters(ids);
    },
  };
}
