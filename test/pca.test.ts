// PCA of pbmc68k_reduced's X against sklearn's full-SVD PCA (../shared/fixtures/scanpy-reference).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jacobiEigen, pca, pcaCsr, tridiagonalEigen } from '../src/analysis/pca.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { openPaths } from '../src/io/node.ts';
import { parseNpy } from '../src/io/npy.ts';
import { shared } from './helpers.ts';

const ref = (f: string) => parseNpy(readFileSync(shared('fixtures/scanpy-reference/pbmc68k_reduced', `${f}.npy`)));

describe('pca', () => {
  it('jacobiEigen diagonalises a symmetric matrix', () => {
    const a = Float64Array.from([4, 1, 2, 1, 3, 0, 2, 0, 5]);
    const { values, vectors } = jacobiEigen(a, 3);
    for (let j = 0; j < 3; j++) {
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let k = 0; k < 3; k++) av += a[i * 3 + k] * vectors[k * 3 + j];
        expect(av).toBeCloseTo(values[j] * vectors[i * 3 + j], 10);
      }
    }
    expect(values[0]).toBeGreaterThan(values[1]);
  });

  it('tridiagonalEigen: the bits of the row-major solver it replaced (main at 0fbffc2), m 150', () => {
    let seed = 5;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const m = 150;
    const d = Float64Array.from({ length: m }, () => rand() * 10);
    const e = Float64Array.from({ length: m }, () => rand() - 0.5);
    const r = tridiagonalEigen(d, e, m);
    expect(createHash('md5').update(Buffer.from(r.values.buffer)).update(Buffer.from(r.vectors.buffer)).digest('hex')).toBe('ec3bfa09fe9a7e8297e9a62ad976f890');
  });

  it('tridiagonalEigen: the eigenvectors\' last rows alone are the full matrix\'s, bit for bit', () => {
    let seed = 3;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const m of [1, 2, 7, 60]) {
      const d = Float64Array.from({ length: m }, () => rand() * 10);
      const e = Float64Array.from({ length: m }, () => rand() - 0.5);
      const full = tridiagonalEigen(d, e, m);
      for (const first of [m - 1, Math.floor(m / 2)]) {
        const part = tridiagonalEigen(d, e, m, first);
        expect(Array.from(part.values)).toEqual(Array.from(full.values));
        expect(Array.from(part.vectors)).toEqual(Array.from(full.vectors.subarray(first * m)));
      }
      // And they are eigenvectors: T z = lambda z for the top pair.
      for (let i = 0; i < m; i++) {
        const tz = d[i] * full.vectors[i * m] + (i > 0 ? e[i - 1] * full.vectors[(i - 1) * m] : 0) + (i < m - 1 ? e[i] * full.vectors[(i + 1) * m] : 0);
        expect(tz).toBeCloseTo(full.values[0] * full.vectors[i * m], 9);
      }
    }
  });

  it('matches sklearn on pbmc68k_reduced X: variance ratios within 1e-4, top 10 axes |cos| >= 0.99', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const chunk = ds.readRows('X', 0, ds.nObs);
    const X = new Float32Array(ds.nObs * ds.nVars);
    for (let r = 0; r < ds.nObs; r++) for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) X[r * ds.nVars + chunk.indices[k]] = chunk.data[k];
    ds.close();
    const res = await pca(X, 700, 765, 50);
    const ratio = ref('pca_variance_ratio').data;
    let worst = 0;
    for (let c = 0; c < 50; c++) worst = Math.max(worst, Math.abs(res.varianceRatio[c] - ratio[c]));
    expect(worst).toBeLessThan(1e-4);
    const comps = ref('pca_components').data;
    for (let c = 0; c < 10; c++) {
      let dot = 0;
      for (let j = 0; j < 765; j++) dot += res.components[c * 765 + j] * comps[c * 765 + j];
      expect(Math.abs(dot), `component ${c}`).toBeGreaterThanOrEqual(0.99);
    }
  }, 120_000);

  it('the Lanczos steps on 2 workers (blocked Gram-Schmidt) match sklearn on pbmc68k X: ratios within 1e-8, top 30 axes |cos| >= 1 - 1e-8, their scores within 1e-4', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const chunk = ds.readRows('X', 0, ds.nObs);
    ds.close();
    const pool = nodePool(2);
    try {
      const res = await pcaCsr({ nRows: 700, nCols: 765, indptr: chunk.indptr, indices: chunk.indices, data: chunk.data }, 50, { pool, poolMinValues: 0, poolMinDims: 0 });
      const ratio = ref('pca_variance_ratio').data;
      const comps = ref('pca_components').data;
      const scores = ref('pca_scores').data;
      for (let c = 0; c < 50; c++) expect(Math.abs(res.varianceRatio[c] - ratio[c]), `ratio ${c}`).toBeLessThan(1e-8);
      for (let c = 0; c < 30; c++) {
        let dot = 0;
        for (let j = 0; j < 765; j++) dot += res.components[c * 765 + j] * comps[c * 765 + j];
        expect(Math.abs(dot), `component ${c}`).toBeGreaterThanOrEqual(1 - 1e-8);
        let worst = 0;
        for (let i = 0; i < 700; i++) worst = Math.max(worst, Math.abs(Math.sign(dot) * res.scores[i * 50 + c] - scores[i * 50 + c]));
        expect(worst, `scores of component ${c}`).toBeLessThan(1e-4);
      }
    } finally {
      pool?.terminate();
    }
  }, 120_000);
});
