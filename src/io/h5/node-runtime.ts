// h5wasm in Node: the node build reads files straight from disk (NODERAWFS), and the compression
// plugins are loaded from h5wasm-plugins' folder on disk.
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { H5Runtime } from './runtime.ts';
import { undecodableFilters } from './runtime.ts';

let runtime: Promise<H5Runtime> | null = null;

export function nodeH5Runtime(): Promise<H5Runtime> {
  runtime ??= create();
  return runtime;
}

async function create(): Promise<H5Runtime> {
  const lib = (await import('h5wasm/node')).default;
  const module = await lib.ready;
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
