// Tiny and degenerate inputs end in defined results or clear errors: a 12-cell 10x file whose data
// have rank 2 (PCA asked for 50 axes), p-values of genes that do not differ, a missing input.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_PARAMS, Pipeline } from '../src/analysis/pipeline.ts';
import { pcaCsr } from '../src/analysis/pca.ts';
import { main } from '../src/cli/main.ts';
import { openPaths } from '../src/io/node.ts';
import { shared } from './helpers.ts';

describe('degenerate inputs', () => {
  it('PCA of rank-2 data asked for 5 axes: two with variance, three zero axes, no NaN', async () => {
    // 6 cells x 4 genes, rows from two directions only.
    const rows = [[1, 0, 0, 0], [2, 0, 0, 0], [0, 1, 1, 0], [0, 2, 2, 0], [1, 1, 1, 0], [3, 0, 0, 0]];
    const indptr = new Float64Array(rows.length + 1);
    const indices: number[] = [];
    const data: number[] = [];
    rows.forEach((r, i) => {
      r.forEach((v, j) => v && (indices.push(j), data.push(v)));
      indptr[i + 1] = indices.length;
    });
    const r = await pcaCsr({ nRows: 6, nCols: 4, indptr, indices: Uint32Array.from(indices), data: Float32Array.from(data) }, 5);
    expect(r.nComps).toBe(4); // min(n - 1, p)
    expect(Array.from(r.scores).every(Number.isFinite)).toBe(true);
    expect(r.variance[0]).toBeGreaterThan(0);
    expect(r.variance[2]).toBeCloseTo(0, 10);
  });

  it('the 12-cell 10x v2 file (one count per cell) runs end to end with finite coordinates and p-values in [0, 1]', async () => {
    const ds = await openPaths([shared('data/10x/v2_filtered_gene_bc_matrices_h5.h5')]);
    const r = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, device: 'cpu', filter: { ...DEFAULT_PARAMS.filter, minCells: 0 } });
    expect(r.pca.nComps).toBeLessThanOrEqual(11);
    expect(Array.from(r.umap).every(Number.isFinite)).toBe(true);
    for (const m of r.markers) for (const p of m.pvals) expect(p).toBeLessThanOrEqual(1);
    ds.close();
  });

  it('a missing input is named, before any GPU probing', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const out = join(mkdtempSync(join(tmpdir(), 'scweb-missing-')), 'x.h5ad');
    expect(await main(['analyze', '/nonexistent/cells.h5ad', '--out', out])).toBe(1);
    expect(err.mock.calls.flat().join('\n')).toMatch(/cells\.h5ad: no such file or folder/);
    err.mockRestore();
  });
});
