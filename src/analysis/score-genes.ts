// scanpy's `tl.score_genes` (scanpy 1.10-1.11, src/scanpy/tools/_score_genes.py, ctrl_as_ref=True):
// the mean expression of a gene set minus the mean of control genes drawn, per expression bin,
// from a gene pool. Restated step by step:
//   1. np.random.seed(random_state) (the global legacy generator).
//   2. obs_avg = mean over all cells of every pool gene (zeros count); non-finite means dropped.
//   3. n_items = round(len(obs_avg) / (n_bins - 1)) (numpy rounds half to even);
//      bin of a gene = rank(obs_avg, method='min') // n_items (ranks from 1, ties share the lowest).
//   4. For each bin holding a gene of the set, in ascending order: the pool genes of that bin (set
//      genes included), and if there are more than ctrl_size of them, ctrl_size drawn by pandas'
//      Series.sample(ctrl_size), i.e. np.random.choice(len, ctrl_size, replace=False), i.e. the
//      first ctrl_size of np.random.permutation(len); then the set's genes are removed.
//   5. Controls = union over bins; score = mean over set genes - mean over control genes, per cell.
// LegacyRandomState reproduces numpy's draws, so the control genes are scanpy's own, not merely
// distributed like them (test/score-genes.test.ts checks both against numpy and pandas).
import type { CsrArrays } from '../io/csr.ts';
import { LegacyRandomState } from './numpy-random.ts';

export interface ScoreGenesOptions {
  ctrlSize?: number;
  nBins?: number;
  /** scanpy's random_state: the global numpy seed set before sampling. */
  seed?: number;
  /** Columns the control genes are drawn from; default every column (scanpy: all var_names). */
  pool?: ArrayLike<number>;
}

export interface ScoreGenesResult {
  /** Per cell (row of the matrix), float64 as scanpy stores it. */
  scores: Float64Array;
  /** Control columns, ascending (a pandas Index union is sorted). */
  control: Int32Array;
}

/** Mean of each column over all rows (zeros included), summed in row order as scanpy's sparse nanmean. */
export function columnMeans(m: CsrArrays): Float64Array {
  const sum = new Float64Array(m.nCols);
  for (let k = 0; k < m.indptr[m.nRows]; k++) sum[m.indices[k]] += m.data[k];
  return sum.map((s) => s / m.nRows);
}

/** numpy's round: half to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Steps 1-5's control-gene choice, given the pool's column means (`means[c]` for column c). */
export function controlGenes(means: ArrayLike<number>, geneSet: ArrayLike<number>, pool: ArrayLike<number>, opts: { ctrlSize?: number; nBins?: number; seed?: number } = {}): Int32Array {
  const ctrlSize = opts.ctrlSize ?? 50;
  const nBins = opts.nBins ?? 25;
  const rng = new LegacyRandomState(opts.seed ?? 0);
  const genes = Array.from(pool).filter((c) => Number.isFinite(means[c]));
  // rank(method='min'): 1 + the number of strictly smaller values.
  const sorted = genes.map((c) => means[c]).sort((a, b) => a - b);
  const rankMin = (v: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const nItems = roundHalfEven(genes.length / (nBins - 1));
  // n_items 0 (a pool under half of n_bins - 1): pandas divides by zero, every rank lands in bin +inf.
  const binOf = new Map<number, number>(genes.map((c) => [c, nItems > 0 ? Math.floor(rankMin(means[c]) / nItems) : Infinity]));
  const inSet = new Set(Array.from(geneSet));
  // obs_cut.loc[gene_list]: every set gene must be in the pool with a finite mean (else pandas raises).
  const cuts = new Set<number>();
  for (const g of inSet) {
    const b = binOf.get(g);
    if (b === undefined) throw new Error(`score_genes: gene column ${g} is not in the gene pool (or its mean is not finite)`);
    cuts.add(b);
  }
  const control = new Set<number>();
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    let r = genes.filter((c) => binOf.get(c) === cut);
    if (ctrlSize < r.length) {
      const pick = rng.choiceWithoutReplacement(r.length, ctrlSize);
      r = Array.from(pick, (i) => r[i]);
    }
    for (const c of r) if (!inSet.has(c)) control.add(c);
  }
  return Int32Array.from([...control].sort((a, b) => a - b));
}

/** Per row: mean over `set` columns minus mean over `control` columns (zeros included). */
export function setMinusControl(m: CsrArrays, set: ArrayLike<number>, control: ArrayLike<number>): Float64Array {
  const inSet = new Uint8Array(m.nCols);
  const inCtrl = new Uint8Array(m.nCols);
  for (const c of Array.from(set)) inSet[c] = 1;
  for (const c of Array.from(control)) inCtrl[c] = 1;
  let nSet = 0;
  let nCtrl = 0;
  for (let c = 0; c < m.nCols; c++) {
    nSet += inSet[c];
    nCtrl += inCtrl[c];
  }
  const out = new Float64Array(m.nRows);
  for (let r = 0; r < m.nRows; r++) {
    let a = 0;
    let b = 0;
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      const c = m.indices[k];
      if (inSet[c]) a += m.data[k];
      if (inCtrl[c]) b += m.data[k];
    }
    out[r] = a / nSet - b / nCtrl;
  }
  return out;
}

/** The de-duplicated gene set and its control genes, refusing what scanpy refuses. */
export function setAndControls(means: ArrayLike<number>, geneSet: ArrayLike<number>, nCols: number, opts: ScoreGenesOptions = {}): { set: Int32Array; control: Int32Array } {
  const set = Int32Array.from(new Set(Array.from(geneSet)));
  if (set.length === 0) throw new Error('score_genes: no valid genes were passed for scoring');
  const pool = opts.pool ?? Int32Array.from({ length: nCols }, (_, i) => i);
  if (pool.length === 0) throw new Error('score_genes: no valid genes were passed for the reference set');
  const control = controlGenes(means, set, pool, opts);
  if (control.length === 0) throw new Error('score_genes: no control genes found in any bin (the gene pool holds little besides the set)');
  return { set, control };
}

/**
 * scanpy's score_genes on `m` (cells x genes, the values scanpy would read: log-normalised), for
 * the gene set given as column indices. Throws as scanpy does when no control gene is found.
 */
export function scoreGenes(m: CsrArrays, geneSet: ArrayLike<number>, opts: ScoreGenesOptions = {}, means = columnMeans(m)): ScoreGenesResult {
  const { set, control } = setAndControls(means, geneSet, m.nCols, opts);
  return { scores: setMinusControl(m, set, control), control };
}

/** sklearn's MinMaxScaler on one column, as scGPT's score_metagenes applies it: a constant column becomes 0. */
export function minMaxScale(x: Float64Array): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  // sklearn: scale_ = 1 / range (a zero range counts as 1), min_ = -data_min * scale_, X * scale_ + min_.
  const range = hi - lo;
  const scale = 1 / (range > 0 ? range : 1);
  const shift = -lo * scale;
  return x.map((v) => v * scale + shift);
}
