// CellTypist's classifier (celltypist.annotate, classifier.py) on a dataset with a linear
// annotator: the query's log1p(CP10k) expression over the genes it shares with the model, scaled
// with the model's StandardScaler (those genes only), values above 10 set to 10, decision =
// x · coefᵀ + intercept, probability = sigmoid(decision) per class; 'best match' takes the largest
// decision, 'prob match' every class above p_thres ('Unassigned' when none, several joined by
// '|'); then optional majority voting over an over-clustering. Columns as CellTypist's to_adata
// writes them: predicted_labels, over_clustering, majority_voting, conf_score.
import { geneLabels } from '../io/gene-symbols.ts';
import { forEachChunkAsync } from '../io/iterate.ts';
import { looksLikeEnsembl } from '../io/names.ts';
import type { CategoricalColumn, Column, Dataset, NumericColumn } from '../io/types.ts';
import type { SparseGraph } from './connectivities.ts';
import type { LinearAnnotator } from './linear-annotator.ts';
import { LinearScorer, probabilities, type PredictOptions as LinearPredictOptions } from './linear-predict.ts';
import { sortedCategorical } from './majority-voting.ts';
import { checkVoting, votePredictions, type VoteReport, type VotingParams } from './vote-predictions.ts';
import type { WorkerPool } from '../parallel/pool.ts';

export type CelltypistMode = 'best match' | 'prob match';

/** Majority voting (vote-predictions.ts) as CellTypist's: over an obs column, or its Leiden over-clustering. */
export interface CelltypistParams extends VotingParams {
  mode: CelltypistMode;
  /** 'prob match': classes whose probability exceeds this are assigned. */
  pThres: number;
  /** Put before each column name (CellTypist's to_adata prefix). */
  prefix: string;
}

export const DEFAULT_CELLTYPIST_PARAMS: CelltypistParams = { mode: 'best match', pThres: 0.5, majorityVoting: false, overClustering: null, minProp: 0, prefix: '' };

export const UNASSIGNED_CELLTYPIST = 'Unassigned';

/** CellTypist's test for log1p(CP10k) input: values in [0, 9.22] (log1p(1e4) = 9.21). */
const LOG1P_MAX = 9.22;
const SAMPLE_ROWS = 1000;

export interface CelltypistInput {
  key: string;
  /** counts: normalised to 1e4 and log1p'd here; cp10k: log1p'd here; log1p: used as stored. */
  kind: 'counts' | 'cp10k' | 'log1p';
  reason: string;
  /** CellTypist's own warning when the first cell does not sum to 1e4 over its genes. */
  warnings: string[];
}

function sample(ds: Dataset, key: string): { min: number; max: number; integer: boolean; rowSums: number[] } {
  const end = Math.min(ds.nObs, SAMPLE_ROWS);
  const c = ds.readRows(key, 0, end);
  const m = ds.matrices.find((x) => x.key === key)!;
  let min = Infinity;
  let max = -Infinity;
  let integer = true;
  const rowSums: number[] = [];
  for (let r = 0; r < end; r++) {
    let s = 0;
    const stored = c.indptr[r + 1] - c.indptr[r];
    if (stored < m.nCols) min = Math.min(min, 0);
    for (let k = c.indptr[r]; k < c.indptr[r + 1]; k++) {
      const v = c.data[k];
      if (v < min) min = v;
      if (v > max) max = v;
      if (integer && !Number.isInteger(v)) integer = false;
      s += v;
    }
    rowSums.push(s);
  }
  return { min, max: max === -Infinity ? 0 : max, integer, rowSums };
}

/**
 * The matrix CellTypist's input is made from. Counts when the dataset has them (normalised and
 * log1p'd here, as CellTypist does for count files); otherwise X, then raw/X, when it holds
 * log1p(CP10k) by CellTypist's own test (min >= 0, max <= 9.22 in the first 1,000 cells); and,
 * where CellTypist would stop, a non-negative X / raw/X of CP10k values (no cell above 1e4) is
 * log1p'd.
 */
export function celltypistInput(ds: Dataset): CelltypistInput {
  if (ds.countsKey) return { key: ds.countsKey, kind: 'counts', reason: `${ds.countsKey} holds counts: normalised to 10,000 per cell and log1p-transformed, as CellTypist does`, warnings: [] };
  const keys = ['X', 'raw/X'].filter((k) => ds.matrices.some((m) => m.key === k));
  const seen = keys.map((key) => ({ key, s: sample(ds, key) }));
  for (const { key, s } of seen) {
    if (s.min >= 0 && s.max <= LOG1P_MAX) {
      const warnings: string[] = [];
      // classifier.py: np.abs(np.expm1(self.indata[0]).sum()-10000) > 1
      const c = ds.readRows(key, 0, Math.min(1, ds.nObs));
      let e = 0;
      for (let k = c.indptr[0]; k < c.indptr[1]; k++) e += Math.expm1(c.data[k]);
      if (ds.nObs > 0 && Math.abs(e - 1e4) > 1) warnings.push(`the first cell of ${key} sums to ${e.toFixed(1)} after expm1, not 10,000: CellTypist expects ALL genes, log1p-normalised to 10,000 counts per cell; the prediction may be less accurate`);
      return { key, kind: 'log1p', reason: `${key} holds log1p(CP10k) values (between 0 and ${LOG1P_MAX} in the first ${Math.min(ds.nObs, SAMPLE_ROWS).toLocaleString('en-US')} cells, CellTypist's test): used as they are`, warnings };
    }
  }
  for (const { key, s } of seen) {
    if (s.min < 0) continue;
    const top = Math.max(0, ...s.rowSums);
    if (!s.integer && top <= 1e4 * (1 + 1e-4) && top >= 5e3) {
      const warnings = Math.abs(s.rowSums[0] - 1e4) > 1 ? [`the first cell of ${key} sums to ${s.rowSums[0].toFixed(1)}, not 10,000: CellTypist expects ALL genes normalised to 10,000 counts per cell; the prediction may be less accurate`] : [];
      return { key, kind: 'cp10k', reason: `${key} holds values normalised to 10,000 per cell but not log-transformed (no cell sums above 10,000; max value ${s.max.toFixed(1)} > ${LOG1P_MAX}): log1p-transformed here`, warnings };
    }
  }
  const what = seen.map(({ key, s }) => `${key}: values ${s.min.toPrecision(3)} to ${s.max.toPrecision(3)}${s.integer ? ', integers' : ''}`).join('; ');
  throw new Error(`${ds.fileName}: no matrix CellTypist can use (${what || 'no X or raw/X'}). CellTypist needs raw counts, or expression log1p-normalised to 10,000 counts per cell (X or raw/X with values between 0 and ${LOG1P_MAX}); scaled or otherwise transformed values cannot be classified`);
}

export interface GeneMatch {
  /** Per gene of the query matrix: index into the model's features, -1 when not shared. */
  feature: Int32Array;
  nShared: number;
  /** Matched by exact name (CellTypist's rule) and through the Ensembl <-> symbol map. */
  byName: number;
  byMapping: number;
}

const stripVersion = (id: string) => id.replace(/^(ENS[A-Z]*G\d{6,})\.\d+$/, '$1');

/**
 * The model's genes in the query: by exact name first (CellTypist's np.isin on var_names), then
 * through symbols (a query indexed by Ensembl ids with symbols in var, or a model of Ensembl ids
 * with a symbol query, through the bundled GENCODE map). Each model gene is used once, by the first
 * query gene that names it (CellTypist makes the query's names unique, so later copies miss).
 */
export function matchGenes(ids: string[], symbols: string[], features: string[], ensemblToSymbol?: Map<string, string>): GeneMatch {
  const byName = new Map<string, number>();
  features.forEach((f, i) => byName.has(f) || byName.set(f, i));
  const alt = new Map<string, number>();
  const modelEnsembl = looksLikeEnsembl(features);
  features.forEach((f, i) => {
    const keys = [stripVersion(f)];
    if (modelEnsembl) {
      const s = ensemblToSymbol?.get(stripVersion(f));
      if (s) keys.push(s);
    }
    for (const k of keys) if (!alt.has(k)) alt.set(k, i);
  });
  const feature = new Int32Array(ids.length).fill(-1);
  const taken = new Uint8Array(features.length);
  let nName = 0;
  let nMap = 0;
  ids.forEach((id, j) => {
    const f = byName.get(id);
    if (f !== undefined && !taken[f]) {
      feature[j] = f;
      taken[f] = 1;
      nName++;
    }
  });
  ids.forEach((id, j) => {
    if (feature[j] >= 0) return;
    for (const key of [stripVersion(id), symbols[j]]) {
      const f = byName.get(key) ?? alt.get(key);
      if (f !== undefined && !taken[f]) {
        feature[j] = f;
        taken[f] = 1;
        nMap++;
        return;
      }
    }
  });
  return { feature, nShared: nName + nMap, byName: nName, byMapping: nMap };
}

export interface CelltypistPrediction {
  nCells: number;
  classes: string[];
  /** Row-major [cells, classes]. */
  decision: Float64Array;
  /** sigmoid(decision), [cells, classes]. */
  probability: Float64Array;
  /** predicted_labels per cell. */
  labels: string[];
  /** Largest probability per cell (to_adata's conf_score by predicted_labels). */
  confScore: Float64Array;
  input: CelltypistInput;
  genes: GeneMatch;
  nFeatures: number;
}

export interface PredictOptions extends LinearPredictOptions {
  /** The model file's name, for messages. */
  modelName?: string;
  ensemblToSymbol?: Map<string, string>;
}

export async function celltypistPredict(ds: Dataset, model: LinearAnnotator, params: Pick<CelltypistParams, 'mode' | 'pThres'>, opts: PredictOptions = {}): Promise<CelltypistPrediction> {
  const modelName = opts.modelName ?? 'the model';
  const input = celltypistInput(ds);
  const labelsOf = geneLabels(ds, input.key, opts.ensemblToSymbol);
  const genes = matchGenes(labelsOf.ids, labelsOf.symbols, model.features, opts.ensemblToSymbol);
  if (genes.nShared === 0) {
    const ex = (a: string[]) => a.slice(0, 3).join(', ');
    throw new Error(`${modelName}: none of the model's ${model.features.length.toLocaleString('en-US')} genes (${ex(model.features)}, ...) is among the ${labelsOf.ids.length.toLocaleString('en-US')} genes of ${ds.fileName} (${ex(labelsOf.symbols)}, ...); nothing was computed. CellTypist matches genes by name: use a model for this species whose genes are named as the query's (symbols or Ensembl ids)`);
  }
  const C = model.classes.length;
  const F = model.features.length;
  const n = ds.nObs;
  // The model's genes the query lacks are left out, as CellTypist subsets the model to the query.
  const used = new Uint8Array(F);
  for (const f of genes.feature) if (f >= 0) used[f] = 1;
  const scorer = new LinearScorer(model, used);
  const decision = new Float64Array(n * C);
  const fmap = genes.feature;
  await forEachChunkAsync(
    ds,
    input.key,
    (chunk) => {
      for (let r = 0; r < chunk.end - chunk.start; r++) {
        const cell = chunk.start + r;
        const d = decision.subarray(cell * C, (cell + 1) * C);
        d.set(scorer.base);
        // scanpy's normalize_total divides by total / target_sum.
        let total = 0;
        if (input.kind === 'counts') for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) total += chunk.data[k];
        for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) {
          const f = fmap[chunk.indices[k]];
          if (f < 0) continue;
          const v = chunk.data[k];
          const x = input.kind === 'log1p' ? v : input.kind === 'cp10k' ? Math.log1p(v) : total > 0 ? Math.log1p(v / (total / 1e4)) : 0;
          if (x !== 0) scorer.add(d, f, x);
        }
      }
    },
    { signal: opts.signal, valuesPerChunk: Math.max(20_000, Math.floor(2_000_000 / Math.max(1, C))), onProgress: (f) => opts.onProgress?.(f, `CellTypist: ${Math.round(f * n).toLocaleString('en-US')} / ${n.toLocaleString('en-US')} cells`) },
  );
  const probability = probabilities(decision, C, 'ovr');
  const labels = new Array<string>(n);
  const confScore = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let pmax = -Infinity;
    const hits: string[] = [];
    for (let c = 0; c < C; c++) {
      // numpy's argmax: the first of equal maxima.
      if (decision[i * C + c] > decision[i * C + best]) best = c;
      const p = probability[i * C + c];
      if (p > pmax) pmax = p;
      if (p > params.pThres) hits.push(model.classes[c]);
    }
    confScore[i] = pmax;
    labels[i] = params.mode === 'best match' ? model.classes[best] : hits.length ? hits.join('|') : UNASSIGNED_CELLTYPIST;
  }
  return { nCells: n, classes: model.classes, decision, probability, labels, confScore, input, genes, nFeatures: F };
}

export interface CelltypistReport {
  model: string;
  nCells: number;
  nFeatures: number;
  nShared: number;
  /** Genes matched through the Ensembl <-> symbol map rather than by name. */
  nMapped: number;
  input: string;
  mode: CelltypistMode;
  pThres: number;
  predictedColumn: string;
  confidenceColumn: string;
  majorityColumn: string | null;
  overClusteringColumn: string | null;
  /** Where the over-clustering came from (a column, or Leiden at a resolution on a graph). */
  overClustering: string | null;
  nClusters: number | null;
  /** The vote in full (null without majority voting). */
  voting: VoteReport | null;
  perLabel: { label: string; count: number; meanConfidence: number }[];
  unassigned: number;
  warnings: string[];
}

export interface AnnotateOptions extends PredictOptions {
  /** The query's neighbourhood graph over all cells (the pipeline's), for the over-clustering. */
  graph?: SparseGraph | null;
  pool?: WorkerPool | null;
}

/** Predicts, votes when asked, and returns the obs columns (not yet added: nothing changes on failure). */
export async function celltypistAnnotate(ds: Dataset, model: LinearAnnotator, params: CelltypistParams, opts: AnnotateOptions = {}): Promise<{ columns: Column[]; report: CelltypistReport; prediction: CelltypistPrediction }> {
  const p = params.prefix;
  const progress = (lo: number, hi: number) => (f: number, m: string) => opts.onProgress?.(lo + (hi - lo) * f, m);
  // Checked before any work: a missing column is a mistake to report at once.
  const given = checkVoting(ds, params);
  const pred = await celltypistPredict(ds, model, params, { ...opts, onProgress: progress(0, params.majorityVoting ? 0.5 : 1) });
  const warnings = [...pred.input.warnings];
  const labels = sortedCategorical(pred.labels);
  const predicted: CategoricalColumn = { kind: 'categorical', name: `${p}predicted_labels`, ...labels, ordered: false, dtype: 'category' };
  const conf: NumericColumn = { kind: 'numeric', name: `${p}conf_score`, values: pred.confScore, dtype: 'float64' };
  const columns: Column[] = [predicted];
  let voting: VoteReport | null = null;
  if (params.majorityVoting) {
    // Every label votes, 'Unassigned' and 'A|B' included, as in CellTypist.
    const v = await votePredictions(ds, predicted, params, { stem: p, categories: 'sorted', given, input: () => pred.input, graph: opts.graph, signal: opts.signal, pool: opts.pool, onProgress: progress(0.5, 0.95) });
    if (v.warning !== null) warnings.push(v.warning);
    columns.push(...v.columns);
    voting = v.report;
  }
  columns.push(conf);
  const count = new Float64Array(labels.categories.length);
  const sum = new Float64Array(labels.categories.length);
  labels.codes.forEach((c, i) => {
    count[c]++;
    sum[c] += pred.confScore[i];
  });
  const perLabel = labels.categories.map((label, c) => ({ label, count: count[c], meanConfidence: count[c] ? sum[c] / count[c] : 0 })).sort((a, b) => b.count - a.count);
  const report: CelltypistReport = {
    model: opts.modelName ?? 'model',
    nCells: pred.nCells,
    nFeatures: pred.nFeatures,
    nShared: pred.genes.nShared,
    nMapped: pred.genes.byMapping,
    input: pred.input.reason,
    mode: params.mode,
    pThres: params.pThres,
    predictedColumn: predicted.name,
    confidenceColumn: conf.name,
    majorityColumn: voting?.votedColumn ?? null,
    overClusteringColumn: voting?.overClusteringColumn ?? null,
    overClustering: voting?.overClustering ?? null,
    nClusters: voting?.nClusters ?? null,
    voting,
    perLabel,
    unassigned: perLabel.find((l) => l.label === UNASSIGNED_CELLTYPIST)?.count ?? 0,
    warnings,
  };
  return { columns, report, prediction: pred };
}
