// Data-driven QC thresholds as scater's isOutlier and Kana propose them: a cell is an outlier when
// its log total counts or log detected genes lie more than n MADs below the median, or its
// mitochondrial percentage more than n MADs above it (MAD scaled by 1.4826, as R's mad()). The
// app shows them on the QC plots and applies them only when the user confirms.
import type { QcMetrics } from './qc.ts';

export interface QcProposal {
  nmads: number;
  /** Lower bound on total_counts (back on the counts scale). */
  minCounts: number;
  /** Lower bound on n_genes_by_counts. */
  minGenes: number;
  /** Upper bound on pct_counts_mt, or null when the dataset has no mitochondrial genes. */
  maxPctMt: number | null;
  /** Cells each bound would remove, and all of them together. */
  removed: { counts: number; genes: number; mt: number; any: number };
}

export function median(values: ArrayLike<number>): number {
  const v = Float64Array.from(values).sort();
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** R's mad(): median absolute deviation times 1.4826 (consistent with the SD for normal data). */
export function mad(values: ArrayLike<number>, centre = median(values)): number {
  return 1.4826 * median(Array.from(values, (x) => Math.abs(x - centre)));
}

/** Cells with no counts are left out of the statistics (their log is -Infinity), as scater does. */
function logPositive(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] > 0) out.push(Math.log(values[i]));
  return out;
}

function lowerBound(values: ArrayLike<number>, nmads: number): number {
  const logs = logPositive(values);
  const m = median(logs);
  return Math.exp(m - nmads * mad(logs, m));
}

export function proposeQcThresholds(qc: QcMetrics, nmads = 3): QcProposal {
  const minCounts = lowerBound(qc.total_counts, nmads);
  const minGenes = lowerBound(qc.n_genes_by_counts, nmads);
  let maxPctMt: number | null = null;
  if (qc.pct_counts_mt) {
    const m = median(qc.pct_counts_mt);
    maxPctMt = m + nmads * mad(qc.pct_counts_mt, m);
  }
  const removed = { counts: 0, genes: 0, mt: 0, any: 0 };
  for (let i = 0; i < qc.total_counts.length; i++) {
    const c = qc.total_counts[i] < minCounts;
    const g = qc.n_genes_by_counts[i] < minGenes;
    const t = maxPctMt !== null && qc.pct_counts_mt![i] > maxPctMt;
    removed.counts += +c;
    removed.genes += +g;
    removed.mt += +t;
    removed.any += +(c || g || t);
  }
  return { nmads, minCounts, minGenes, maxPctMt, removed };
}
