// normalize_total + log1p, highly_variable_genes, scale and sparse PCA on pbmc68k's counts against
// numpy/pandas/sklearn restatements of scanpy (test/reference/make_pipeline_reference.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { geneMoments, logNormMatrix } from '../src/analysis/expression.ts';
import { hvgSeurat, hvgSeuratV3, seuratV3Clip, seuratV3RegStd } from '../src/analysis/hvg.ts';
import { loessFit } from '../src/analysis/loess.ts';
import { pca, pcaCsr } from '../src/analysis/pca.ts';
import { totalCountsPerCell } from '../src/io/iterate.ts';
import { openPaths } from '../src/io/node.ts';
import { shared } from './helpers.ts';
import { scaleCsrInPlace } from '../src/analysis/scale.ts';
import { parseNpy } from '../src/io/npy.ts';

const ref = JSON.parse(readFileSync(new URL('./reference/pbmc68k_pipeline.json', import.meta.url), 'utf8'));
const maxDiff = (a: ArrayLike<number>, b: (number | null)[]) => {
  let w = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === null) expect(Number.isNaN(a[i]), `index ${i} should be NaN`).toBe(true);
    else w = Math.max(w, Math.abs(a[i] - b[i]!));
  }
  return w;
};

async function pbmcCounts() {
  const ds = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
  const totals = await totalCountsPerCell(ds, 'layers/counts');
  return { ds, totals };
}

describe('preprocessing', () => {
  it('normalize_total + log1p and flavor seurat HVGs match scanpy\'s formulas', async () => {
    const { ds, totals } = await pbmcCounts();
    expect(Array.from(totals.subarray(0, 3))).toEqual(ref.totals_first3);
    const all = Int32Array.from({ length: ds.nVars }, (_, g) => g);
    const X = await logNormMatrix(ds, 'layers/counts', null, totals, all);
    let s = 0;
    for (let k = X.indptr[0]; k < X.indptr[1]; k++) s += X.data[k];
    expect(s).toBeCloseTo(ref.logn_row0_sum, 3);
    const hvg = hvgSeurat(await geneMoments(ds, 'layers/counts', null, totals), 200);
    expect(maxDiff(hvg.means, ref.hvg_means)).toBeLessThan(1e-9);
    expect(maxDiff(hvg.dispersions, ref.hvg_dispersions)).toBeLessThan(1e-9);
    expect(maxDiff(hvg.dispersionsNorm, ref.hvg_dispersions_norm)).toBeLessThan(1e-8);
    expect(Array.from(hvg.genes)).toEqual(ref.hvg_genes);
    ds.close();
  });

  it('scale(max_value=10) + sparse PCA of the HVGs match sklearn on the dense scaled matrix', async () => {
    const { ds, totals } = await pbmcCounts();
    const genes = Int32Array.from(ref.hvg_genes as number[]);
    const H = await logNormMatrix(ds, 'layers/counts', null, totals, genes);
    const { mean, std } = scaleCsrInPlace(H, 10);
    expect(maxDiff(mean, ref.scale_mean)).toBeLessThan(1e-6);
    expect(maxDiff(std, ref.scale_std)).toBeLessThan(1e-6);
    const res = await pcaCsr(H, 50);
    expect(maxDiff(res.varianceRatio, ref.pca_variance_ratio)).toBeLessThan(1e-5);
    // Scores up to each component's sign.
    for (let c = 0; c < 10; c++) {
      const sign = Math.sign(res.scores[c]) === Math.sign(ref.pca_scores_first2[0][c]) ? 1 : -1;
      for (let i = 0; i < 2; i++) expect(sign * res.scores[i * 50 + c]).toBeCloseTo(ref.pca_scores_first2[i][c], 3);
    }
    ds.close();
  });

  it('sparse PCA equals the dense PCA on pbmc68k X (sklearn reference)', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const chunk = ds.readRows('X', 0, ds.nObs);
    ds.close();
    const res = await pcaCsr({ nRows: 700, nCols: 765, indptr: chunk.indptr, indices: chunk.indices, data: chunk.data }, 50);
    const ratio = parseNpy(readFileSync(shared('fixtures/scanpy-reference/pbmc68k_reduced/pca_variance_ratio.npy'))).data;
    expect(maxDiff(res.varianceRatio, Array.from(ratio))).toBeLessThan(1e-4);
    const dense = new Float32Array(700 * 765);
    for (let r = 0; r < 700; r++) for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) dense[r * 765 + chunk.indices[k]] = chunk.data[k];
    const d = await pca(dense, 700, 765, 20);
    for (let i = 0; i < 700 * 20; i += 97) if (i % 20 < 10) expect(Math.abs(res.scores[Math.floor(i / 20) * 50 + (i % 20)] - d.scores[i])).toBeLessThan(1e-2);
  });

  it('loess (degree 2) reproduces a quadratic exactly and smooths noise', () => {
    const x = Float64Array.from({ length: 200 }, (_, i) => i / 20);
    const y = x.map((v) => 2 - 0.5 * v + 0.3 * v * v);
    const fit = loessFit(x, y, 0.3);
    for (let i = 0; i < 200; i++) expect(fit[i]).toBeCloseTo(y[i], 8);
    let seed = 1;
    const noisy = x.map((v) => Math.sin(v) + ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2);
    const smooth = loessFit(x, noisy, 0.3);
    let err = 0;
    for (let i = 0; i < 200; i++) err = Math.max(err, Math.abs(smooth[i] - Math.sin(x[i])));
    expect(err).toBeLessThan(0.12);
  });

  it('seurat_v3 standardised variance equals the clipped-count formula computed cell by cell', async () => {
    const { ds } = await pbmcCounts();
    const m = await geneMoments(ds, 'layers/counts', null, null);
    const reg = seuratV3RegStd(m);
    const clip = seuratV3Clip(m, reg);
    const C = ds.readRows('layers/counts', 0, ds.nObs);
    const dense = new Float64Array(ds.nObs * ds.nVars);
    for (let r = 0; r < ds.nObs; r++) for (let k = C.indptr[r]; k < C.indptr[r + 1]; k++) dense[r * ds.nVars + C.indices[k]] = C.data[k];
    const s1 = new Float64Array(ds.nVars);
    const s2 = new Float64Array(ds.nVars);
    for (let g = 0; g < ds.nVars; g++) for (let r = 0; r < ds.nObs; r++) {
      const v = Math.min(dense[r * ds.nVars + g], clip[g]);
      s1[g] += v;
      s2[g] += v * v;
    }
    const hv = hvgSeuratV3(m, reg, s1, s2, 100);
    expect(hv.genes.length).toBe(100);
    for (let g = 0; g < ds.nVars; g += 7) {
      if (m.variance[g] === 0) continue;
      // Direct: variance of the clipped values standardised by the fitted mean/std.
      let acc = 0;
      for (let r = 0; r < ds.nObs; r++) acc += ((Math.min(dense[r * ds.nVars + g], clip[g]) - m.mean[g]) / reg[g]) ** 2;
      expect(hv.dispersionsNorm[g]).toBeCloseTo(acc / (ds.nObs - 1), 6);
    }
    ds.close();
  });
});
