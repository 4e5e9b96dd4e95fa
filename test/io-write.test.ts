import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { CsrStreamWriter, writeH5ad } from '../src/io/h5ad/write.ts';
import { totalCountsPerCell } from '../src/io/iterate.ts';
import { openPaths } from '../src/io/node.ts';
import { summarize } from '../src/io/summary.ts';

const dir = mkdtempSync(join(tmpdir(), 'scweb-write-'));

describe('h5ad writer', () => {
  it('round-trips obs/var columns, X, layers and obsm through our reader', async () => {
    const { lib } = await nodeH5Runtime();
    const p = join(dir, 'rt.h5ad');
    await writeH5ad(lib, p, {
      obs: {
        index: ['a', 'b', 'c'],
        columns: [
          { kind: 'categorical', name: 'cell_type', codes: new Int32Array([1, 0, -1]), categories: ['B', 'T'], ordered: false, dtype: 'category' },
          { kind: 'numeric', name: 'n_genes', values: new Float64Array([3, 1, 2]), dtype: 'int64' },
          { kind: 'numeric', name: 'score', values: new Float64Array([0.5, NaN, 1.5]), dtype: 'float64' },
          { kind: 'numeric', name: 'batch_n', values: new Float64Array([1, NaN, 7]), dtype: 'Int64' },
          { kind: 'string', name: 'note', values: ['x', 'y', 'z'], dtype: 'string' },
        ],
      },
      var: { index: ['CD3E', 'MS4A1'], columns: [] },
      X: { kind: 'csr', shape: [3, 2], indptr: [0, 2, 2, 3], indices: new Int32Array([0, 1, 1]), data: new Float32Array([4, 5, 6]) },
      layers: { counts: { kind: 'dense', shape: [3, 2], data: new Float32Array([4, 5, 0, 0, 0, 6]) } },
      obsm: { X_umap: { shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) } },
    });
    const ds = await openPaths([p]);
    const s = summarize(ds);
    expect(s.obs.cell_type).toEqual({ type: 'category', n_missing: 1, categories: { B: 1, T: 1 } });
    expect(s.obs.batch_n).toMatchObject({ type: 'Int64', n_missing: 1, min: 1, max: 7 }); // nullable-integer with its bool mask
    expect(s.obs.score).toMatchObject({ n_missing: 1, min: 0.5, max: 1.5 });
    expect(s.obs.note).toEqual({ type: 'string', n_missing: 0, n_unique: 3 });
    expect(s.counts_source).toBe('layers/counts');
    expect(Array.from(ds.readRows('layers/counts', 2, 3).data)).toEqual([6]);
    expect(Array.from(ds.readEmbedding('X_umap').data)).toEqual([1, 2, 3, 4, 5, 6]);
    ds.close();
  });

  it('streams a CSR matrix block by block and reads it back lazily', async () => {
    const { lib } = await nodeH5Runtime();
    const p = join(dir, 'stream.h5ad');
    const nCells = 1000;
    await writeH5ad(lib, p, { obs: { index: Array.from({ length: nCells }, (_, i) => `c${i}`), columns: [] }, var: { index: ['g0', 'g1', 'g2'], columns: [] } });
    const f = new lib.File(p, 'a');
    const w = new CsrStreamWriter(f, 'X', [nCells, 3], 256);
    for (let start = 0; start < nCells; start += 300) {
      const n = Math.min(300, nCells - start);
      // Cell i holds (i % 3) + 1 counts in gene i % 3.
      const indptr = Array.from({ length: n + 1 }, (_, i) => i);
      w.append(indptr, Int32Array.from({ length: n }, (_, i) => (start + i) % 3), Float32Array.from({ length: n }, (_, i) => ((start + i) % 3) + 1));
    }
    w.finish();
    f.close();
    const ds = await openPaths([p]);
    const totals = await totalCountsPerCell(ds, 'X', { valuesPerChunk: 100 });
    expect(Array.from(totals.slice(0, 4))).toEqual([1, 2, 3, 1]);
    expect(totals.reduce((a, b) => a + b, 0)).toBe(334 * 1 + 333 * 2 + 333 * 3);
    ds.close();
  });
});
