// Data-driven QC thresholds as scater's isOutlier and Kana propose them: a cell is an outlier when
// its log total counts or log detected genes lie more than n MADs below the median, or its
// mitochondrial percentage more than n MADs above it (MAD scaled by 1.4826, as R's mad()). The
// app shows them on the QC plots and applies them only when the user confirms. A metric whose MAD
// is 0 (most cells share one value, e.g. pct_counts_mt = 0 in data without mitochondrial reads)
// gets no bound: n MADs would put it on the median and cut away every cell on one side of it,
// which is isOutlier's degenerate case, not an outlier call.
import type { QcMetrics } from './qc.ts';

export interface QcProposal {
  nmads: number;
  /** Lower bound on total_counts (back on the counts scale); null: see `notes`. */
  minCounts: number | null;
  /** Lower bound on n_genes_by_counts; null: see `notes`. */
  minGenes: number | null;
  /** Upper bound on pct_counts_mt; null: see `notes`. */
  maxPctMt: number | null;
  /** Why a metric has no bound, one line each ("no pct_counts_mt bound: MAD is 0"). */
  notes: string[];
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

type Bound = { value: number } | { reason: string };

function lowerBound(values: ArrayLike<number>, nmads: number): Bound {
  const logs = logPositive(values);
  if (logs.length === 0) return { reason: 'no cell has a positive value' };
  const m = median(logs);
  const d = mad(logs, m);
  return d > 0 ? { value: Math.exp(m - nmads * d) } : { reason: 'MAD is 0' };
}

function upperBound(values: ArrayLike<number>, nmads: number): Bound {
  const m = median(values);
  const d = mad(values, m);
  return d > 0 ? { value: m + nmads * d } : { reason: 'MAD is 0' };
}

export function proposeQcThresholds(qc: QcMetrics, nmads = 3): QcProposal {
  const notes: string[] = [];
  const take = (metric: string, b: Bound): number | null => {
    if ('value' in b) return b.value;
    notes.push(`no ${metric} bound: ${b.reason}`);
    return null;
  };
  const minCounts = take('total_counts', lowerBound(qc.total_counts, nmads));
  const minGenes = take('n_genes_by_counts', lowerBound(qc.n_genes_by_counts, nmads));
  const maxPctMt = take('pct_counts_mt', qc.pct_counts_mt ? upperBound(qc.pct_counts_mt, nmads) : { reason: `no mitochondrial genes (MT- or mt-) in ${qc.geneSource ?? 'var_names'}` });
  const removed = { counts: 0, genes: 0, mt: 0, any: 0 };
  for (let i = 0; i < qc.total_counts.length; i++) {
    const c = minCounts !== null && qc.total_counts[i] < minCounts;
    const g = minGenes !== null && qc.n_genes_by_counts[i] < minGenes;
    const t = maxPctMt !== null && qc.pct_counts_mt![i] > maxPctMt;
    removed.counts += +c;
    removed.genes += +g;
    removed.mt += +t;
    removed.any += +(c || g || t);
  }
  return { nmads, minCounts, minGenes, maxPctMt, notes, removed };
}
