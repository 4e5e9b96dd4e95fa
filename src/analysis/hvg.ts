// scanpy's highly_variable_genes for one batch: flavor 'seurat' (dispersion of the normalised
// counts, z-scored within 20 equal-width bins of mean expression, on log data) and 'seurat_v3'
// (variance of counts standardised by a loess fit of log variance on log mean, values clipped at
// sqrt(n) standard deviations, as Seurat's vst). Both take per-gene moments from streamed passes.
import type { GeneMoments } from './expression.ts';
import { loessFit } from './loess.ts';

export type HvgFlavor = 'seurat' | 'seurat_v3';

export interface HvgResult {
  flavor: HvgFlavor;
  means: Float64Array;
  /** seurat: log dispersions and their binned z-scores; seurat_v3: variances and standardised variances. */
  dispersions: Float64Array;
  dispersionsNorm: Float64Array;
  highlyVariable: Uint8Array;
  /** Selected genes, ascending var index. */
  genes: Int32Array;
}

/** flavor 'seurat': `moments` are of normalised counts (expm1 of the log data). */
export function hvgSeurat(moments: GeneMoments, nTopGenes = 2000, nBins = 20): HvgResult {
  const p = moments.mean.length;
  const means = new Float64Array(p);
  const disp = new Float64Array(p);
  for (let g = 0; g < p; g++) {
    const m = moments.mean[g] === 0 ? 1e-12 : moments.mean[g];
    const d = moments.variance[g] / m;
    disp[g] = d === 0 ? NaN : Math.log(d);
    means[g] = Math.log1p(m);
  }
  // pandas.cut(bins=n): equal-width edges over [min, max], the lowest edge lowered by 0.1% of the range.
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of means) {
    lo = Math.min(lo, m);
    hi = Math.max(hi, m);
  }
  const width = (hi - lo) / nBins;
  const binOf = (m: number) => (width > 0 ? Math.min(nBins - 1, Math.max(0, Math.ceil((m - lo) / width) - 1)) : 0);
  const sum = new Float64Array(nBins);
  const sumSq = new Float64Array(nBins);
  const count = new Float64Array(nBins);
  for (let g = 0; g < p; g++) {
    if (Number.isNaN(disp[g])) continue;
    const b = binOf(means[g]);
    sum[b] += disp[g];
    count[b]++;
  }
  const binMean = sum.map((s, b) => s / count[b]);
  for (let g = 0; g < p; g++) if (!Number.isNaN(disp[g])) sumSq[binOf(means[g])] += (disp[g] - binMean[binOf(means[g])]) ** 2;
  const binStd = sumSq.map((s, b) => (count[b] > 1 ? Math.sqrt(s / (count[b] - 1)) : NaN));
  const norm = new Float64Array(p);
  for (let g = 0; g < p; g++) {
    const b = binOf(means[g]);
    // A bin holding one gene has no spread: scanpy gives that gene a normalised dispersion of 1.
    const [mu, sd] = Number.isNaN(binStd[b]) ? [0, binMean[b]] : [binMean[b], binStd[b]];
    norm[g] = (disp[g] - mu) / sd;
  }
  const valid = Array.from(norm).filter((v) => !Number.isNaN(v)).sort((a, b) => b - a);
  const cut = valid[Math.min(nTopGenes, valid.length) - 1];
  // scanpy's _subset_genes: nan_to_num(dispersion_norm, nan=-inf) >= cut, so a gene without a
  // dispersion is never chosen, even when n_top_genes reaches below zero.
  const hv = Uint8Array.from(norm, (v) => (!Number.isNaN(v) && v >= cut ? 1 : 0));
  return { flavor: 'seurat', means, dispersions: disp, dispersionsNorm: norm, highlyVariable: hv, genes: selected(hv) };
}

/** Loess fit of log10 variance on log10 mean; the regularised standard deviation per gene. */
export function seuratV3RegStd(moments: GeneMoments, span = 0.3): Float64Array {
  const p = moments.mean.length;
  const idx = Array.from({ length: p }, (_, g) => g).filter((g) => moments.variance[g] > 0);
  const x = Float64Array.from(idx, (g) => Math.log10(moments.mean[g]));
  const y = Float64Array.from(idx, (g) => Math.log10(moments.variance[g]));
  const fit = loessFit(x, y, span);
  const est = new Float64Array(p);
  idx.forEach((g, i) => (est[g] = fit[i]));
  return est.map((e) => Math.sqrt(10 ** e));
}

/**
 * flavor 'seurat_v3' from count moments and, per gene, the sums of min(x, clip) and min(x, clip)^2
 * over cells with clip = regStd * sqrt(n) + mean (a second pass over the counts).
 */
export function hvgSeuratV3(moments: GeneMoments, regStd: Float64Array, clippedSum: Float64Array, clippedSumSq: Float64Array, nTopGenes = 2000): HvgResult {
  const p = moments.mean.length;
  const N = moments.n;
  const normVar = new Float64Array(p);
  for (let g = 0; g < p; g++) {
    const m = moments.mean[g];
    normVar[g] = (1 / ((N - 1) * regStd[g] ** 2)) * (N * m * m + clippedSumSq[g] - 2 * clippedSum[g] * m);
    if (!Number.isFinite(normVar[g])) normVar[g] = 0;
  }
  // Stable descending order (ties keep var order, as numpy's argsort on the negated ranks).
  const order = Array.from({ length: p }, (_, g) => g).sort((a, b) => normVar[b] - normVar[a] || a - b);
  const hv = new Uint8Array(p);
  for (let i = 0; i < Math.min(nTopGenes, p); i++) hv[order[i]] = 1;
  return { flavor: 'seurat_v3', means: moments.mean, dispersions: moments.variance, dispersionsNorm: normVar, highlyVariable: hv, genes: selected(hv) };
}

export function seuratV3Clip(moments: GeneMoments, regStd: Float64Array): Float64Array {
  return regStd.map((s, g) => s * Math.sqrt(moments.n) + moments.mean[g]);
}

function selected(hv: Uint8Array): Int32Array {
  const out: number[] = [];
  hv.forEach((v, g) => v && out.push(g));
  return Int32Array.from(out);
}
