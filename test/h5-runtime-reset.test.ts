// After a WebAssembly trap the HDF5 module may be unusable: the runtime getter must hand out a
// fresh module next time, so the next file still opens (the worker's and the CLI's path alike).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../src/io/errors.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { libFromIife, resettable } from '../src/io/h5/recreate.ts';
import type { H5Runtime } from '../src/io/h5/runtime.ts';
import { openDataset } from '../src/io/open.ts';
import { nodeSources, openPaths } from '../src/io/node.ts';

const demo = join(__dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad');

describe('HDF5 runtime recreation after a trap', () => {
  it('reset() makes the getter build a new runtime; a stale reset does nothing', async () => {
    const made: number[] = [];
    const base = (await nodeH5Runtime()) as H5Runtime;
    const get = resettable(async (generation) => {
      made.push(generation);
      return { ...base };
    });
    const a = await get();
    expect(await get()).toBe(a);
    a.reset!();
    const b = await get();
    expect(b).not.toBe(a);
    a.reset!(); // already replaced: must not drop b
    expect(await get()).toBe(b);
    expect(made).toEqual([0, 1]);
  });

  it('openDataset resets the runtime when opening traps, names the file, and the next file opens', async () => {
    const real = await nodeH5Runtime();
    let trapNext = true;
    let generations = 0;
    const get = resettable(async () => {
      generations++;
      return {
        ...real,
        open(file) {
          if (trapNext) {
            trapNext = false;
            throw new WebAssembly.RuntimeError('memory access out of bounds');
          }
          return real.open(file);
        },
      } satisfies H5Runtime;
    });
    const err = await openDataset(await nodeSources([demo]), get).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('damaged');
    expect((err as DatasetError).message).toMatch(/^pbmc68k_reduced_with_counts\.h5ad: is damaged: reading it crashed the HDF5 library/);
    const ds = await openDataset(await nodeSources([demo]), get);
    expect(ds.nObs).toBe(700);
    ds.close();
    expect(generations).toBe(2);
  });

  it('the Node runtime comes back on a fresh h5wasm instance that reads files', async () => {
    const first = await nodeH5Runtime();
    first.reset!();
    const second = await nodeH5Runtime();
    expect(second.lib).not.toBe(first.lib);
    const ds = await openPaths([demo]);
    expect(ds.readRows('layers/counts', 0, 5).data.length).toBeGreaterThan(0);
    ds.close();
  });

  it('the browser worker\'s way to a second module (evaluating the IIFE bundle again) gives a working, separate instance', async () => {
    const require = createRequire(import.meta.url);
    const iife = join(dirname(require.resolve('h5wasm-plugins/package.json')), '../h5wasm/dist/iife/h5wasm.js');
    const source = readFileSync(iife, 'utf8');
    const a = libFromIife(source);
    const b = libFromIife(source);
    expect(a).not.toBe(b);
    const [ma, mb] = [(await a.ready) as unknown as { FS: { writeFile(p: string, d: Uint8Array): void } }, (await b.ready) as unknown];
    expect(ma).not.toBe(mb);
    ma.FS.writeFile('/demo.h5ad', readFileSync(demo));
    const f = new a.File('/demo.h5ad', 'r');
    expect(f.keys()).toContain('obs');
    f.close();
  });
});
