// Label transfer for the app and the CLI: within one dataset (labelled cells are the reference,
// unlabelled ones, or a held-out stratified half, the query) or from a reference dataset to a
// query dataset. Two methods: a kNN vote in an embedding both sides have (X_scGPT) or in the
// reference's PCA with the query projected into it; or logistic regression on the expression of
// the shared genes (CellTypist's recipe, calibrated on held-back reference cells). Results become
// obs columns: predicted_<label> and its confidence (and, for the half split, which half a cell was
// in); against known labels (the held-out half, or the query's own column of the same name) the
// report carries accuracy, macro-F1, per-label precision/recall and the confusion matrix. Majority
// voting (vote-predictions.ts) may follow: the query's cells over-clustered, each over-cluster
// taking its most frequent prediction ('unassigned' cells do not vote but take their cluster's
// label), evaluated as the per-cell labels are.
import { categoricalFromStrings } from '../io/columns.ts';
import { csvLines, csvNumber, csvText } from '../io/csv.ts';
import type { CategoricalColumn, Column, Dataset, NumericColumn } from '../io/types.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { knnVote, stratifiedHalf, summarizeMapping, type MappingResult, type MappingSummary } from './annotate.ts';
import type { CalibrationReport } from './calibration.ts';
import { evaluatePredictions, type MappingEvaluation } from './evaluation.ts';
import type { LinearAnnotator } from './linear-annotator.ts';
import { DEFAULT_LOGREG, type FitReport, type LogRegParams } from './logistic-regression.ts';
import type { LogRegDevice, LogRegGpu } from './logreg-engine.ts';
import { logRegTransfer } from './logreg-transfer.ts';
import { referencePcaSpace } from './reference-space.ts';
import { celltypistInput } from './celltypist.ts';
import type { SparseGraph } from './connectivities.ts';
import { checkVoting, DEFAULT_VOTING, votePredictions, type VoteReport, type VotingParams } from './vote-predictions.ts';

/** How labels are transferred: kNN vote in an embedding, or logistic regression on expression. */
export type MapMethod = 'knn' | 'logreg';

export interface MapParams {
  labelColumn: string;
  /** 'missing': labelled cells map the unlabelled; 'half': a stratified half maps the other (evaluation). */
  reference: 'missing' | 'half';
  method: MapMethod;
  /** kNN: 'pca' or an obsm key present on both sides (X_scGPT). */
  embedding: string;
  k: number;
  weighted: boolean;
  /** Logistic regression (the seed is `seed`); `device`: where its gradient may run (logreg-engine.ts; absent: 'auto'). */
  logreg: Omit<LogRegParams, 'seed'> & { device?: LogRegDevice };
  minConfidence: number;
  seed: number;
  /** Majority voting over an over-clustering of the query, after the per-cell prediction. */
  voting: VotingParams;
}

/** DEFAULT_LOGREG without its seed (MapParams has one seed for the split and the training). */
function logregDefaults(): MapParams['logreg'] {
  const d: Partial<LogRegParams> = { ...DEFAULT_LOGREG };
  delete d.seed;
  return { ...(d as Omit<LogRegParams, 'seed'>), device: 'auto' };
}

export const DEFAULT_MAP_PARAMS: MapParams = { labelColumn: '', reference: 'missing', method: 'logreg', embedding: 'pca', k: 10, weighted: false, logreg: logregDefaults(), minConfidence: 0.5, seed: 0, voting: DEFAULT_VOTING };

export interface MapReport {
  method: MapMethod;
  labelColumn: string;
  predictedColumn: string;
  confidenceColumn: string;
  /** The half split's column (reference / query per cell), 'half' mode only. */
  splitColumn?: string;
  embedding: string;
  nRef: number;
  nQuery: number;
  /** kNN on PCA: reference HVGs shared with the query; logistic regression: reference genes shared. */
  nShared?: number;
  nHvg?: number;
  /** Logistic regression: the reference's genes (distinct names). */
  nRefGenes?: number;
  summary: MappingSummary;
  /** Against known labels (the held-out half, or the query's own label column). */
  accuracy?: number;
  macroF1?: number;
  evaluation?: MappingEvaluation;
  /** Logistic regression: how it was trained, and its calibration on held-back reference cells. */
  training?: FitReport;
  calibration?: CalibrationReport;
  /** Majority voting, when asked for and done. */
  voting?: VoteReport;
  /** Why something asked for was not done (majority voting on 50 cells or fewer). */
  warnings?: string[];
}

export const UNASSIGNED = 'unassigned';

type Opts = {
  signal?: AbortSignal;
  onProgress?: (f: number, m: string) => void;
  pool?: WorkerPool | null;
  /** The query dataset's neighbourhood graph over all its cells (the pipeline's), for majority voting's over-clustering. */
  graph?: SparseGraph | null;
  /** The GPU the caller set up for logistic regression's gradient (logRegGpu), or null and why not. */
  gpu?: LogRegGpu | null;
  noGpu?: string;
};

/** Labels that mean "no label": what pandas, R and spreadsheets write for a missing value. */
const MISSING_LABELS = new Set(['', 'na', 'nan', 'n/a', 'none', 'null', '<na>']);

export function isMissingLabel(label: string): boolean {
  return MISSING_LABELS.has(label.trim().toLowerCase());
}

/** A label column as categories; missing-value spellings ("", NA, nan, ...) become missing (code -1). */
export function labelColumn(ds: Dataset, name: string): CategoricalColumn {
  const col = ds.obs.columns.find((c) => c.name === name);
  if (!col) {
    const labels = ds.obs.columns.filter((c) => c.kind !== 'numeric').map((c) => c.name);
    throw new Error(`${ds.fileName}: no obs column "${name}" (its label columns: ${labels.join(', ') || 'none'})`);
  }
  if (col.kind === 'numeric') throw new Error(`${ds.fileName}: "${name}" holds numbers, not labels; pick a categorical or text column`);
  const cat = col.kind === 'categorical' ? col : categoricalFromStrings(name, col.values);
  const kept = cat.categories.filter((c) => !isMissingLabel(c));
  if (kept.length === cat.categories.length) return cat;
  const recode = cat.categories.map((c) => kept.indexOf(c));
  return { ...cat, codes: cat.codes.map((c) => (c >= 0 ? recode[c] : -1)), categories: kept };
}

function rowsOf(e: { data: Float32Array; shape: [number, number] }, mask: Uint8Array): Float32Array {
  const d = e.shape[1];
  const n = mask.reduce((s, v) => s + v, 0);
  const out = new Float32Array(n * d);
  for (let i = 0, r = 0; i < e.shape[0]; i++) if (mask[i]) out.set(e.data.subarray(i * d, (i + 1) * d), d * r++);
  for (const v of out) if (!Number.isFinite(v)) throw new Error('the embedding has missing values (cells without expressed genes in the model vocabulary); use PCA or filter those cells');
  return out;
}

async function space(refDs: Dataset, refMask: Uint8Array, qDs: Dataset, qMask: Uint8Array, embedding: string, opts: Opts) {
  if (embedding === 'pca') {
    const side = (ds: Dataset, keep: Uint8Array) => {
      if (!ds.countsKey) throw new Error(`${ds.fileName} has no counts matrix; the PCA space needs counts (or use X_scGPT)`);
      return { ds, countsKey: ds.countsKey, keep, genes: ds.varNamesOf(ds.countsKey) };
    };
    return referencePcaSpace(side(refDs, refMask), side(qDs, qMask), 50, 2000, opts);
  }
  for (const ds of [refDs, qDs]) if (!ds.embeddings.some((e) => e.key === embedding)) throw new Error(`${ds.fileName} has no obsm "${embedding}" (embed it with scGPT first)`);
  const r = refDs.readEmbedding(embedding);
  const q = qDs.readEmbedding(embedding);
  if (r.shape[1] !== q.shape[1]) throw new Error(`"${embedding}" has ${r.shape[1]} dimensions in the reference but ${q.shape[1]} in the query (different models?)`);
  return { dim: r.shape[1], ref: rowsOf(r, refMask), query: rowsOf(q, qMask), nShared: undefined, nHvg: undefined };
}

/** predicted_<name> (query cells; reference cells keep theirs; 'unassigned' for -1) and its confidence, for a dataset of `n` cells. */
export function predictedColumns(name: string, n: number, categories: string[], qMask: Uint8Array, refMask: Uint8Array | null, refCodes: Int32Array | null, m: { predicted: Int32Array; confidence: Float32Array }): [CategoricalColumn, NumericColumn] {
  const U = categories.length;
  const codes = new Int32Array(n).fill(-1);
  const conf = new Float64Array(n).fill(NaN);
  for (let i = 0, q = 0; i < n; i++) {
    if (qMask[i]) {
      codes[i] = m.predicted[q] >= 0 ? m.predicted[q] : U;
      conf[i] = m.confidence[q++];
    } else if (refMask?.[i] && refCodes) codes[i] = refCodes[i]; // reference cells keep their label, confidence NaN
  }
  return [
    { kind: 'categorical', name: `predicted_${name}`, codes, categories: [...categories, UNASSIGNED], ordered: false, dtype: 'category' },
    // Vote shares and probabilities are given at float32's precision; saying so keeps exports there.
    { kind: 'numeric', name: `predicted_${name}_confidence`, values: conf, dtype: 'float32' },
  ];
}

/** Which half of the split each cell was in ('half' mode). */
function splitColumn(name: string, refMask: Uint8Array, qMask: Uint8Array): CategoricalColumn {
  const codes = Int32Array.from(refMask, (r, i) => (r ? 0 : qMask[i] ? 1 : -1));
  return { kind: 'categorical', name: `predicted_${name}_split`, codes, categories: ['reference', 'query'], ordered: false, dtype: 'category' };
}

/**
 * Refuses references that cannot be learnt from: fewer than 2 labels, or (logistic regression) a
 * label with a single cell. Names the file and the column.
 */
export function checkReference(fileName: string, column: string, categories: string[], refCodes: Int32Array, method: MapMethod, where = ''): void {
  const count = new Float64Array(categories.length);
  for (const c of refCodes) if (c >= 0) count[c]++;
  const present = categories.filter((_, c) => count[c] > 0);
  if (present.length < 2) {
    const what = present.length === 0 ? 'no labelled cells' : `only one label ("${present[0]}")`;
    throw new Error(`${fileName}: "${column}" has ${what}${where}; label transfer needs at least 2 labels to choose between. Pick another label column`);
  }
  const single = categories.filter((_, c) => count[c] === 1);
  if (method === 'logreg' && single.length > 0) {
    const names = single.slice(0, 5).map((l) => `"${l}"`).join(', ') + (single.length > 5 ? ` and ${single.length - 5} more` : '');
    throw new Error(`${fileName}: ${single.length === 1 ? 'label' : 'labels'} ${names} of "${column}" ${single.length === 1 ? 'has' : 'have'} a single cell${where}; logistic regression needs at least 2 cells per label. Merge or drop ${single.length === 1 ? 'it' : 'them'} (hand labels can), or use kNN`);
  }
}

function withoutDevice(l: MapParams['logreg']): Omit<LogRegParams, 'seed'> {
  const rest = { ...l };
  delete rest.device;
  return rest;
}

interface Transfer {
  m: MappingResult;
  report: Partial<MapReport>;
  model?: LinearAnnotator;
}

/**
 * The method dispatch. refCodes: per cell of `ref`, its code in `categories` or -1 outside the
 * reference; qMask: the query cells of `query`.
 */
async function transfer(ref: Dataset, refCodes: Int32Array, categories: string[], query: Dataset, qMask: Uint8Array, p: MapParams, opts: Opts): Promise<Transfer> {
  const refMask = Uint8Array.from(refCodes, (c) => (c >= 0 ? 1 : 0));
  switch (p.method) {
    case 'logreg': {
      // Only the labels the reference has cells of are classes to learn.
      const count = new Float64Array(categories.length);
      for (const c of refCodes) if (c >= 0) count[c]++;
      const used = categories.map((_, c) => c).filter((c) => count[c] > 0);
      const toClass = new Int32Array(categories.length).fill(-1);
      used.forEach((c, k) => (toClass[c] = k));
      const t = await logRegTransfer(ref, refCodes.map((c) => (c >= 0 ? toClass[c] : -1)), used.map((c) => categories[c]), query, qMask, { seed: p.seed, minConfidence: p.minConfidence, logreg: { ...DEFAULT_LOGREG, ...withoutDevice(p.logreg), seed: p.seed } }, opts);
      const back = (k: number) => (k >= 0 ? used[k] : -1);
      const m = { ...t.m, predicted: t.m.predicted.map(back), best: t.m.best.map(back) };
      return { m, model: t.model, report: { nShared: t.nShared, nRefGenes: t.nRefGenes, training: t.fit, calibration: t.calibration } };
    }
    case 'knn': {
      const nRef = refMask.reduce((s, v) => s + v, 0);
      if (nRef < p.k) throw new Error(`${ref.fileName}: only ${nRef} labelled cells: need at least k = ${p.k}`);
      const sp = await space(ref, refMask, query, qMask, p.embedding, opts);
      const codes = Int32Array.from(refCodes.filter((c) => c >= 0));
      const m = await knnVote(sp.ref, codes, categories.length, sp.query, sp.dim, { ...p, ...opts });
      return { m, report: { nShared: sp.nShared, nHvg: sp.nHvg } };
    }
    default:
      throw new Error(`unknown label-transfer method "${(p as { method: string }).method}"`);
  }
}

/** Within one dataset. Returns the new columns (not yet added), the report and the trained model (logistic regression). */
export async function mapWithin(ds: Dataset, p: MapParams, opts: Opts = {}): Promise<{ columns: Column[]; report: MapReport; model?: LinearAnnotator }> {
  const col = labelColumn(ds, p.labelColumn);
  const half = p.reference === 'half';
  const refMask = half ? stratifiedHalf(col.codes, p.seed) : Uint8Array.from(col.codes, (c) => (c >= 0 ? 1 : 0));
  const qMask = half ? Uint8Array.from(refMask, (v, i) => (v || col.codes[i] < 0 ? 0 : 1)) : Uint8Array.from(col.codes, (c) => (c < 0 ? 1 : 0));
  const nRef = refMask.reduce((s, v) => s + v, 0);
  const nQuery = qMask.reduce((s, v) => s + v, 0);
  const refCodes = Int32Array.from(col.codes, (c, i) => (refMask[i] ? c : -1));
  checkReference(ds.fileName, p.labelColumn, col.categories, refCodes, p.method, half ? ' in the reference half' : '');
  if (nQuery === 0) throw new Error(`every cell has a "${p.labelColumn}" label: nothing to map (choose "a stratified half" to evaluate, or load a query)`);
  const voting = p.voting ?? DEFAULT_VOTING;
  const given = checkVoting(ds, voting, qMask);
  const t = await transfer(ds, refCodes, col.categories, ds, qMask, p, votingStage(voting, opts).first);
  // In the half split the reference half keeps no prediction: the column holds held-out predictions only.
  const columns: Column[] = predictedColumns(p.labelColumn, ds.nObs, col.categories, qMask, half ? null : refMask, half ? null : col.codes, t.m);
  if (half) columns.push(splitColumn(p.labelColumn, refMask, qMask));
  const report: MapReport = {
    method: p.method,
    labelColumn: p.labelColumn,
    predictedColumn: columns[0].name,
    confidenceColumn: columns[1].name,
    embedding: p.embedding,
    nRef,
    nQuery,
    ...t.report,
    summary: summarizeMapping(t.m, col.categories),
  };
  if (half) {
    report.splitColumn = columns[2].name;
    report.evaluation = evaluatePredictions(col, columns[0] as CategoricalColumn, qMask, UNASSIGNED);
    report.accuracy = report.evaluation.accuracy;
    report.macroF1 = report.evaluation.macroF1;
  }
  // The query's cells vote: the unlabelled ones, or the held-out half (evaluated against their labels).
  await voteAfter(ds, columns, report, voting, given, { cells: qMask, truth: half ? col : null }, opts);
  return { columns, report, model: t.model };
}

/** Progress: the prediction first (up to 80% when voting follows), then the vote. */
function votingStage(v: VotingParams, opts: Opts): { first: Opts; then: Opts } {
  if (!v.majorityVoting) return { first: opts, then: opts };
  const at = (lo: number, hi: number): Opts => ({ ...opts, onProgress: (f, m) => opts.onProgress?.(lo + (hi - lo) * f, m) });
  return { first: at(0, 0.8), then: at(0.8, 1) };
}

/**
 * Majority voting of the prediction (columns[0]) when asked for: its columns join `columns`, its
 * report `report.voting`. Shared by the label-transfer methods (kNN, logistic regression, scGPT's
 * head): 'unassigned' does not vote, and an over-cluster where no cell voted stays 'unassigned'.
 */
export async function voteAfter(ds: Dataset, columns: Column[], report: Pick<MapReport, 'voting' | 'warnings'>, v: VotingParams, given: ReturnType<typeof checkVoting>, where: { cells: Uint8Array | null; truth: CategoricalColumn | null; evaluateCells?: Uint8Array | null }, opts: Opts): Promise<void> {
  if (!v.majorityVoting) return;
  const predicted = columns[0] as CategoricalColumn;
  const r = await votePredictions(ds, predicted, v, {
    cells: where.cells,
    stem: `${predicted.name}_`,
    abstain: [UNASSIGNED],
    noVotes: UNASSIGNED,
    given,
    input: () => celltypistInput(ds),
    graph: opts.graph,
    truth: where.truth,
    evaluateCells: where.evaluateCells,
    unassigned: UNASSIGNED,
    signal: opts.signal,
    pool: opts.pool,
    onProgress: votingStage(v, opts).then.onProgress,
  });
  if (r.warning !== null) report.warnings = [...(report.warnings ?? []), r.warning];
  else {
    columns.push(...r.columns);
    report.voting = r.report;
  }
}

/** A query's own column of the label's name, as truth to measure against (null when it has none usable). */
export function queryTruth(query: Dataset, name: string): CategoricalColumn | null {
  try {
    const c = labelColumn(query, name);
    return c.categories.length > 0 ? c : null;
  } catch {
    return null;
  }
}

/** From a labelled reference dataset to every cell of a query dataset. */
export async function mapAcross(ref: Dataset, query: Dataset, p: MapParams, opts: Opts = {}): Promise<{ columns: Column[]; report: MapReport; model?: LinearAnnotator }> {
  const col = labelColumn(ref, p.labelColumn);
  checkReference(ref.fileName, p.labelColumn, col.categories, col.codes, p.method);
  const voting = p.voting ?? DEFAULT_VOTING;
  const given = checkVoting(query, voting);
  const qMask = new Uint8Array(query.nObs).fill(1);
  const t = await transfer(ref, col.codes, col.categories, query, qMask, p, votingStage(voting, opts).first);
  const columns = predictedColumns(p.labelColumn, query.nObs, col.categories, qMask, null, null, t.m);
  const report: MapReport = {
    method: p.method,
    labelColumn: p.labelColumn,
    predictedColumn: columns[0].name,
    confidenceColumn: columns[1].name,
    embedding: p.embedding,
    nRef: col.codes.reduce((s, c) => s + (c >= 0 ? 1 : 0), 0),
    nQuery: query.nObs,
    ...t.report,
    summary: summarizeMapping(t.m, col.categories),
  };
  const truth = queryTruth(query, p.labelColumn);
  if (truth) {
    report.evaluation = evaluatePredictions(truth, columns[0], null, UNASSIGNED);
    report.accuracy = report.evaluation.accuracy;
    report.macroF1 = report.evaluation.macroF1;
  }
  await voteAfter(query, columns, report, voting, given, { cells: null, truth }, opts);
  return { columns, report, model: t.model };
}

/** CSV of per-cell annotations: cell id, then the named obs columns (categories as text). */
export function annotationCsv(ds: Dataset, names: string[]): string {
  const cols = names.map((n) => ds.obs.columns.find((c) => c.name === n)).filter((c): c is Column => !!c);
  function* rows() {
    for (let i = 0; i < ds.nObs; i++) {
      const cells = cols.map((c) => {
        if (c.kind === 'categorical') return c.codes[i] >= 0 ? csvText(c.categories[c.codes[i]]) : '';
        if (c.kind === 'numeric') return csvNumber(c.values[i], c.dtype);
        return csvText(c.values[i]);
      });
      yield [csvText(ds.obs.index[i]), ...cells];
    }
  }
  return csvLines(['cell_id', ...cols.map((c) => c.name)], rows());
}
