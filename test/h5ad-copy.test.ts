// writeWithResults on an .h5ad: the input is copied object by object into a fresh file, a big
// compressed layer in slices of rows (and still compressed), and results replace same-named keys.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset as H5Dataset } from 'h5wasm';
import { describe, expect, it } from 'vitest';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { writeWithResults } from '../src/io/h5ad/results.ts';
import { writeH5ad } from '../src/io/h5ad/write.ts';
import { openPaths } from '../src/io/node.ts';
import { hasPythonAnndata, readWithAnndata } from './python-anndata.ts';

describe('writeWithResults', () => {
  it('streams a large gzip layer, keeps it compressed, and replaces an existing obs column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-copy-'));
    const { lib } = await nodeH5Runtime();
    const input = join(dir, 'in.h5ad');
    const [n, g] = [3000, 1500]; // 4.5M values: more than one slice
    await writeH5ad(lib, input, {
      obs: { index: Array.from({ length: n }, (_, i) => `c${i}`), columns: [{ kind: 'numeric', name: 'leiden', values: new Float64Array(n), dtype: 'float32' }] },
      var: { index: Array.from({ length: g }, (_, i) => `g${i}`), columns: [] },
      X: { kind: 'csr', shape: [n, g], indptr: new Int32Array(n + 1), indices: new Int32Array(0), data: new Float32Array(0) },
    });
    const big = Float32Array.from({ length: n * g }, (_, i) => (i % 7 === 0 ? i % 13 : 0));
    const f = new lib.File(input, 'a');
    const layer = (f.get('layers') as import('h5wasm').Group).create_dataset({ name: 'counts', data: big, shape: [n, g], chunks: [200, g], compression: 'gzip' });
    layer.create_attribute('encoding-type', 'array');
    layer.create_attribute('encoding-version', '0.2.0');
    f.close();
    const ds = await openPaths([input]);
    const out = join(dir, 'out.h5ad');
    const leiden = { kind: 'categorical' as const, name: 'leiden', codes: Int32Array.from({ length: n }, (_, i) => i % 4), categories: ['0', '1', '2', '3'], ordered: false, dtype: 'category' };
    expect(await writeWithResults(lib, input, ds, out, { obs: [leiden] })).toEqual([]);
    ds.close();
    const o = new lib.File(out, 'r');
    const copied = o.get('layers/counts') as H5Dataset;
    expect(copied.filters.map((x) => x.id)).toContain(1);
    expect(copied.shape).toEqual([n, g]);
    expect((copied.value as Float32Array).every((v, i) => v === big[i])).toBe(true);
    o.close();
    const back = await openPaths([out]);
    expect(back.obs.columns.find((c) => c.name === 'leiden')?.kind).toBe('categorical');
    back.close();
    if (hasPythonAnndata()) expect(readWithAnndata(out).obs.leiden).toBe('category');
  }, 120_000);
});
