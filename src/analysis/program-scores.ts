// Program activity per cell as scGPT's GeneEmbedding.score_metagenes computes it: scanpy's
// score_genes for each program's genes (its own call, so numpy is re-seeded for every program),
// then sklearn's MinMaxScaler to [0, 1]; a program scanpy cannot score (no control genes) gets 0
// everywhere, as scGPT's except-branch does. And the programs x groups table behind its
// plot_metagenes_scores heatmap: mean scaled score per category of a categorical obs column.
import type { CsrArrays } from '../io/csr.ts';
import { CancelledError } from '../io/errors.ts';
import type { CategoricalColumn, NumericColumn } from '../io/types.ts';
import { columnMeans, minMaxScale, setAndControls } from './score-genes.ts';

export interface ExpressionColumns {
  /** Cells x genes, log-normalised (what scanpy's score_genes should read). */
  matrix: CsrArrays;
  /** Name of each column of the matrix. */
  genes: string[];
}

export interface ProgramScoreOptions {
  /** Per bin; default 50. */
  ctrlSize?: number;
  /** Default 25. */
  nBins?: number;
  /** numpy seed set before each program's sampling (scanpy's random_state); default 0. */
  seed?: number;
  /** Genes the controls are drawn from; default every column of the matrix. */
  pool?: string[];
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface ProgramScore {
  id: number;
  /** `program_<id>_score`. */
  name: string;
  /** score_genes before scaling, per cell. */
  raw: Float64Array;
  /** The control genes scanpy's sampling picks. */
  control: string[];
  /** Why the program could not be scored (its column is then all 0). */
  error?: string;
}

export function programScoreName(id: number): string {
  return `program_${id}_score`;
}

export async function programScores(x: ExpressionColumns, programs: { id: number; genes: string[] }[], opts: ProgramScoreOptions = {}): Promise<{ columns: NumericColumn[]; details: ProgramScore[] }> {
  const { matrix, genes } = x;
  if (genes.length !== matrix.nCols) throw new Error(`program scores: ${genes.length} gene names for a matrix of ${matrix.nCols} columns`);
  const column = new Map<string, number>();
  genes.forEach((g, j) => {
    if (!column.has(g)) column.set(g, j);
  });
  const colOf = (g: string, what: string) => {
    const j = column.get(g);
    if (j === undefined) throw new Error(`program scores: ${what} gene "${g}" is not a column of the expression matrix`);
    return j;
  };
  const pool = opts.pool ? Int32Array.from(opts.pool, (g) => colOf(g, 'pool')) : undefined;
  const means = columnMeans(matrix);
  const P = programs.length;
  const details: ProgramScore[] = programs.map((prog) => ({ id: prog.id, name: programScoreName(prog.id), raw: new Float64Array(matrix.nRows), control: [] }));
  // Per gene, the programs whose set or controls hold it: one pass over the cells scores
  // every program, each sum accumulated in the same order as score_genes' own, so the bits agree.
  const terms: { p: number; set: boolean }[][] = Array.from({ length: matrix.nCols }, () => []);
  const nSet = new Float64Array(P);
  const nCtrl = new Float64Array(P);
  programs.forEach((prog, p) => {
    const set = prog.genes.map((g) => colOf(g, `program ${prog.id}'s`));
    try {
      const sc = setAndControls(means, set, matrix.nCols, { ctrlSize: opts.ctrlSize, nBins: opts.nBins, seed: opts.seed ?? 0, pool });
      for (const c of sc.set) terms[c].push({ p, set: true });
      for (const c of sc.control) terms[c].push({ p, set: false });
      nSet[p] = sc.set.length;
      nCtrl[p] = sc.control.length;
      details[p].control = Array.from(sc.control, (j) => genes[j]);
    } catch (err) {
      details[p].error = (err as Error).message;
    }
  });
  // Flattened: slot 2p accumulates program p's set genes, 2p + 1 its controls.
  const ptr = new Int32Array(matrix.nCols + 1);
  terms.forEach((t, g) => (ptr[g + 1] = ptr[g] + t.length));
  const slot = new Int32Array(ptr[matrix.nCols]);
  terms.forEach((t, g) => t.forEach((x, i) => (slot[ptr[g] + i] = 2 * x.p + (x.set ? 0 : 1))));
  const acc = new Float64Array(2 * P);
  let last = performance.now();
  for (let r = 0; r < matrix.nRows; r++) {
    if (performance.now() - last > 200) {
      await new Promise((res) => setTimeout(res, 0));
      if (opts.signal?.aborted) throw new CancelledError('program scores');
      opts.onProgress?.(r / matrix.nRows, `program scores: ${r.toLocaleString('en-US')} / ${matrix.nRows.toLocaleString('en-US')} cells`);
      last = performance.now();
    }
    acc.fill(0);
    for (let k = matrix.indptr[r]; k < matrix.indptr[r + 1]; k++) {
      const v = matrix.data[k];
      const g = matrix.indices[k];
      for (let t = ptr[g]; t < ptr[g + 1]; t++) acc[slot[t]] += v;
    }
    for (let p = 0; p < P; p++) if (!details[p].error) details[p].raw[r] = acc[2 * p] / nSet[p] - acc[2 * p + 1] / nCtrl[p];
  }
  if (opts.signal?.aborted) throw new CancelledError('program scores');
  const columns: NumericColumn[] = details.map((dt) => ({ kind: 'numeric', name: dt.name, values: dt.error ? new Float64Array(matrix.nRows) : minMaxScale(dt.raw), dtype: 'float64' }));
  opts.onProgress?.(1, `program scores: ${P} programs`);
  return { columns, details };
}

export interface ProgramGroupTable {
  /** Row names: the score columns. */
  programs: string[];
  /** Column names: the categories, in the column's order. */
  groups: string[];
  /** Cells per group (cells with a missing category are left out). */
  counts: Int32Array;
  /** [programs, groups] row-major mean score; NaN for an empty group. */
  means: Float64Array;
}

/** Mean of each score column per category: the heatmap scGPT draws (before its row scaling). */
export function programGroupMeans(scores: NumericColumn[], group: CategoricalColumn): ProgramGroupTable {
  const g = group.categories.length;
  const counts = new Int32Array(g);
  for (const c of group.codes) if (c >= 0) counts[c]++;
  const means = new Float64Array(scores.length * g);
  scores.forEach((s, p) => {
    if (s.values.length !== group.codes.length) throw new Error(`${s.name} has ${s.values.length} cells, ${group.name} ${group.codes.length}`);
    const sum = new Float64Array(g);
    group.codes.forEach((c, i) => {
      if (c >= 0) sum[c] += s.values[i];
    });
    for (let c = 0; c < g; c++) means[p * g + c] = counts[c] > 0 ? sum[c] / counts[c] : NaN;
  });
  return { programs: scores.map((s) => s.name), groups: [...group.categories], counts, means };
}
