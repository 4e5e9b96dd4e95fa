// Cell-type annotation with scGPT's fine-tuned classifier head (its annotation tutorial's recipe):
// the head is trained on a labelled reference's cells, a stratified 10% held back to report
// accuracy after every epoch and accuracy and macro-F1 at the end, then applied to query cells:
// softmax probabilities, the most probable label, its probability as the confidence, and
// 'unassigned' below a threshold. Within one dataset (labelled cells annotate the unlabelled, or
// a stratified half the other half, for evaluation) or from a reference dataset to a query, with
// the same output columns as the kNN mapping (mapping.ts), majority voting after it as theirs.
// The trained head comes back as a SavedHead (model/head-file.ts) to be written to a file, and
// `headFromFile` annotates a dataset with one read back, without training.
import { CancelledError } from '../io/errors.ts';
import type { CategoricalColumn, Column, Dataset } from '../io/types.ts';
import type { LoadedModel } from '../model/bundle.ts';
import type { SavedHead } from '../model/head-file.ts';
import { checkHeadEncoder, encoderIdentity } from '../model/head-file.ts';
import type { HeadEpoch, HeadFeatures, HeadTrainParams } from '../model/cls-train.ts';
import { ClsHead, SCGPT_HEAD_DEFAULTS, predictHead, prepareHeadBackend, trainHead } from '../model/cls-train.ts';
import type { CellEncoder, DatasetTokenizeOptions } from '../model/embed.ts';
import { embedDataset, packBatch, tokenizeDataset } from '../model/embed.ts';
import type { CellTokens } from '../model/tokenize.ts';
import type { MappingResult } from './annotate.ts';
import { accuracyF1, stratifiedHalf, stratifiedHoldout, summarizeMapping } from './annotate.ts';
import { evaluatePredictions } from './evaluation.ts';
import type { MapReport } from './mapping.ts';
import { labelColumn, predictedColumns, queryTruth, UNASSIGNED, voteAfter } from './mapping.ts';
import type { SparseGraph } from './connectivities.ts';
import { checkVoting, DEFAULT_VOTING, type VotingParams } from './vote-predictions.ts';
import type { WorkerPool } from '../parallel/pool.ts';

export interface HeadParams {
  labelColumn: string;
  /** Within one dataset: 'missing' (labelled cells annotate the unlabelled) or 'half' (a stratified half the other, for evaluation). */
  reference: 'missing' | 'half';
  epochs: number;
  lr: number;
  batchSize: number;
  /** Train the encoder's last layer with the head (slower: every cell's tokens go through the encoder again each epoch unless they fit in memory). */
  unfreezeLast: boolean;
  /** A most probable label with a lower probability becomes 'unassigned'. */
  minConfidence: number;
  seed: number;
  /** Share of each label's reference cells held back from training to report accuracy. */
  holdout: number;
  /** Majority voting over an over-clustering of the query, after the per-cell prediction. */
  voting: VotingParams;
}

/** scGPT's annotation tutorial: 10 epochs, lr 1e-4, batches of 32. */
export const DEFAULT_HEAD_PARAMS: HeadParams = { labelColumn: '', reference: 'missing', epochs: 10, lr: 1e-4, batchSize: 32, unfreezeLast: false, minConfidence: 0.5, seed: 0, holdout: 0.1, voting: DEFAULT_VOTING };

export interface HeadReport extends Omit<MapReport, 'method'> {
  method: 'scgpt-head';
  encoder: string;
  /** tfjs backend the head trained on. */
  backend: string;
  unfreezeLast: boolean;
  history: HeadEpoch[];
  /** The held-back reference cells after training (most probable label, no threshold). */
  heldOut: { n: number; accuracy: number; macroF1: number } | null;
  /** Cells left out because none of their expressed genes is in the model's vocabulary. */
  noGenes: { reference: number; query: number };
  seconds: number;
  /** Set when a saved head annotated the cells (no training here): the file and what it was trained on. */
  savedHead?: { file: string; reference: string; labelColumn: string; classes: number; encoder: string; note?: string };
}

export interface HeadResult {
  columns: Column[];
  report: HeadReport;
  categories: string[];
  /** Rows of the query dataset that got a prediction. */
  queryCells: Int32Array;
  /** Their probabilities, [queryCells.length, categories.length]. */
  probabilities: Float32Array;
  /** The trained head with what it needs to be reused (absent when a saved head was applied). */
  trained?: SavedHead;
}

export interface HeadOptions extends DatasetTokenizeOptions {
  signal?: AbortSignal;
  /** At least once a second; after each epoch with its numbers. */
  onProgress?: (fraction: number, message: string, epoch?: HeadEpoch) => void;
  /** Bytes of last-layer inputs kept in memory when the last layer is trained (default 512 MiB); past that they are recomputed each epoch. */
  cacheBytes?: number;
  /** For majority voting's over-clustering: the query dataset's neighbourhood graph over all its cells, and workers. */
  graph?: SparseGraph | null;
  pool?: WorkerPool | null;
  /** The model's name as the user knows it (the --model argument, the app's choice), recorded in a saved head. */
  modelName?: string;
  /** Who wrote a saved head (e.g. "scWeb 0.4.0"). */
  createdBy?: string;
}

type Progress = (fraction: number, message: string) => void;

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Features of a subset (`idx` into `f`'s cells). */
function subset(f: HeadFeatures, idx: Int32Array, d: number): HeadFeatures {
  if (f.kind === 'cls') {
    const x = new Float32Array(idx.length * d);
    idx.forEach((c, k) => x.set(f.x.subarray(c * d, (c + 1) * d), k * d));
    return { kind: 'cls', n: idx.length, x };
  }
  return { kind: 'layer-input', n: idx.length, get: (cells) => f.get(cells.map((c) => idx[c])) };
}

/**
 * Each cell's input of the last layer, by the encoder's own path (float64 CPU, WASM or WebGPU),
 * in length-sorted batches; kept when they fit in `cacheBytes`, else recomputed when asked for.
 */
async function layerInputFeatures(model: LoadedModel, encoder: CellEncoder, cells: CellTokens[], cacheBytes: number, signal: AbortSignal | undefined, progress: Progress): Promise<HeadFeatures> {
  const layerInputs = encoder.layerInputs?.bind(encoder);
  if (!layerInputs) throw new Error(`the ${encoder.name} encoder cannot stop before its last layer; train the head alone or choose another device`);
  const { padId, padValue, dModel: d } = model.weights.config;
  const budget = encoder.tokenBudget ?? 16_384;
  const compute = async (idx: number[]): Promise<Float32Array[]> => {
    const out = new Array<Float32Array>(idx.length);
    const len = (k: number) => cells[idx[k]].ids.length;
    const order = idx.map((_, k) => k).sort((a, b) => len(a) - len(b));
    for (let i = 0; i < order.length; ) {
      let j = i + 1;
      while (j < order.length && j - i < 64 && (j - i + 1) * len(order[j]) <= budget) j++;
      const group = order.slice(i, j);
      // Padded to a multiple of 32 tokens, as embedDataset does: few distinct GPU shapes.
      const xs = await layerInputs(packBatch(group.map((k) => cells[idx[k]]), Math.ceil(len(order[j - 1]) / 32) * 32, padId, padValue), -1, signal);
      group.forEach((k, g) => (out[k] = xs[g]));
      i = j;
    }
    return out;
  };
  const tokens = cells.reduce((s, c) => s + c.ids.length, 0);
  if (tokens * d * 4 > cacheBytes) return { kind: 'layer-input', n: cells.length, get: compute };
  const all: Float32Array[] = [];
  for (let i = 0; i < cells.length; i += 64) {
    if (signal?.aborted) throw new CancelledError('classifier head');
    all.push(...(await compute(Array.from({ length: Math.min(64, cells.length - i) }, (_, k) => i + k))));
    progress(all.length / cells.length, `encoder up to its last layer: ${all.length.toLocaleString('en-US')} / ${cells.length.toLocaleString('en-US')} cells`);
    await tick();
  }
  return { kind: 'layer-input', n: cells.length, get: async (idx) => idx.map((c) => all[c]) };
}

interface CellSide {
  features: HeadFeatures;
  rows: Int32Array;
  empty: number;
  /** The matrix read and where the gene symbols came from. */
  matrix: string;
  genes: string;
}

/** The head's input for the cells of `ds` where `keep` is set, in dataset order; `rows` says which got one. */
async function cellFeatures(ds: Dataset, keep: Uint8Array, model: LoadedModel, encoder: CellEncoder, unfreeze: boolean, opts: HeadOptions, progress: Progress): Promise<CellSide> {
  const tokenOpts: DatasetTokenizeOptions = { matrixKey: opts.matrixKey, geneColumn: opts.geneColumn, ensemblToSymbol: opts.ensemblToSymbol, maxLength: opts.maxLength, seed: opts.seed, uniformFor: opts.uniformFor };
  if (!unfreeze) {
    const r = await embedDataset(ds, model, encoder, {
      ...tokenOpts,
      normalize: false,
      signal: opts.signal,
      onProgress: (p) => progress(p.done / p.total, `embedding ${ds.fileName}: ${p.done.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} cells, ${p.cellsPerSecond.toFixed(1)} cells/s`),
    });
    const d = r.dim;
    const rows: number[] = [];
    let empty = 0;
    for (let i = 0; i < ds.nObs; i++) {
      if (!keep[i]) continue;
      if (Number.isFinite(r.embeddings[i * d])) rows.push(i);
      else empty++;
    }
    const idx = Int32Array.from(rows);
    return { features: subset({ kind: 'cls', n: ds.nObs, x: r.embeddings }, idx, d), rows: idx, empty, matrix: r.input.key, genes: r.mapping.source };
  }
  progress(0, `reading ${ds.fileName}`);
  const { tokens, tokenizer } = await tokenizeDataset(ds, model, keep, { ...tokenOpts, signal: opts.signal });
  const rows: number[] = [];
  let empty = 0;
  for (let i = 0; i < ds.nObs; i++) {
    if (!keep[i]) continue;
    if (tokens[i]) rows.push(i);
    else empty++;
  }
  const features = await layerInputFeatures(model, encoder, rows.map((i) => tokens[i]!), opts.cacheBytes ?? 512 * 1024 * 1024, opts.signal, progress);
  return { features, rows: Int32Array.from(rows), empty, matrix: tokenizer.input.key, genes: tokenizer.mapping.source };
}

/** The prediction and confidence columns over the query's `nObs` cells from the head's probabilities for `rows`. */
function headColumns(nObs: number, rows: ArrayLike<number>, probabilities: Float32Array, C: number, minConfidence: number, labelColumn: string, categories: string[], refMask: Uint8Array | null, refCodes: Int32Array | null) {
  const m = mostProbable(probabilities, rows.length, C, minConfidence);
  const predictedMask = new Uint8Array(nObs);
  for (let k = 0; k < rows.length; k++) predictedMask[rows[k]] = 1;
  return { m, predictedMask, columns: predictedColumns(labelColumn, nObs, categories, predictedMask, refMask, refCodes, m) };
}

function mostProbable(p: Float32Array, n: number, C: number, minConfidence: number): MappingResult {
  const predicted = new Int32Array(n);
  const confidence = new Float32Array(n);
  const best = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let c = 1; c < C; c++) if (p[i * C + c] > p[i * C + b]) b = c;
    best[i] = b;
    confidence[i] = p[i * C + b];
    predicted[i] = confidence[i] >= minConfidence ? b : -1;
  }
  return { predicted, confidence, best };
}

function checkParams(p: HeadParams): void {
  if (!(Number.isInteger(p.epochs) && p.epochs >= 1)) throw new RangeError(`epochs must be a whole number of at least 1 (got ${p.epochs})`);
  if (!(p.lr > 0 && p.lr < 1)) throw new RangeError(`the learning rate must be between 0 and 1 (got ${p.lr}; scGPT uses 1e-4)`);
  if (!(Number.isInteger(p.batchSize) && p.batchSize >= 1)) throw new RangeError(`the batch size must be a whole number of at least 1 (got ${p.batchSize})`);
  if (!(p.minConfidence >= 0 && p.minConfidence <= 1)) throw new RangeError(`the minimum confidence must be between 0 and 1 (got ${p.minConfidence})`);
}

interface Sides {
  ref: Dataset;
  /** Reference cells the head learns from (labelled). */
  refMask: Uint8Array;
  codes: Int32Array;
  categories: string[];
  query: Dataset;
  qMask: Uint8Array;
  /** Within one dataset: the reference cells keep their labels in the output column. */
  within: boolean;
}

async function run(s: Sides, model: LoadedModel, encoder: CellEncoder, p: HeadParams, opts: HeadOptions): Promise<HeadResult> {
  checkParams(p);
  const voting = p.voting ?? DEFAULT_VOTING;
  const given = checkVoting(s.query, voting, s.within ? s.qMask : null);
  const started = performance.now();
  const backend = await prepareHeadBackend();
  // With majority voting the head's part of the progress ends at 80%.
  const scale = voting.majorityVoting ? 0.8 : 1;
  const report = (f: number, m: string, e?: HeadEpoch) => opts.onProgress?.(Math.min(1, f) * scale, m, e);
  const C = s.categories.length;
  const d = model.weights.config.dModel;
  const params: HeadTrainParams = { ...SCGPT_HEAD_DEFAULTS, epochs: p.epochs, lr: p.lr, batchSize: p.batchSize, unfreezeLast: p.unfreezeLast, seed: p.seed };
  // Within one dataset its cells are encoded once for both sides.
  const union = s.within ? Uint8Array.from(s.refMask, (v, i) => v | s.qMask[i]) : s.refMask;
  const refSide = await cellFeatures(s.ref, union, model, encoder, p.unfreezeLast, opts, (f, m) => report(0.3 * f, m));
  const inRef = (rows: Int32Array, mask: Uint8Array) => Int32Array.from(rows.keys()).filter((k) => mask[rows[k]] === 1);
  const train = inRef(refSide.rows, s.refMask);
  const trainCodes = Int32Array.from(train, (k) => s.codes[refSide.rows[k]]);
  const nLabels = new Set(trainCodes).size;
  if (nLabels < 2) throw new Error(`the classifier needs reference cells of at least two "${p.labelColumn}" labels to learn from (found ${nLabels} among ${train.length} cells with expressed genes in the model's vocabulary)`);
  const held = stratifiedHoldout(trainCodes, p.holdout, p.seed);
  const fit = train.filter((_, k) => !held[k]);
  const hold = train.filter((_, k) => held[k] === 1);
  const codesOf = (idx: Int32Array) => Int32Array.from(idx, (k) => s.codes[refSide.rows[k]]);
  const heldOut = hold.length ? { features: subset(refSide.features, hold, d), labels: codesOf(hold) } : null;
  report(0.3, `training the classifier head on ${fit.length.toLocaleString('en-US')} cells (${hold.length.toLocaleString('en-US')} held out), ${C} labels, on tfjs ${backend}`);
  const head = ClsHead.create(model.weights, C, params);
  try {
    const history = await trainHead(head, subset(refSide.features, fit, d), codesOf(fit), heldOut, { signal: opts.signal, onProgress: (f, m, e) => report(0.3 + 0.6 * f, m, e) });
    let heldOutScores: HeadReport['heldOut'] = null;
    if (heldOut) {
      const probs = await predictHead(head, heldOut.features, { signal: opts.signal });
      heldOutScores = { n: hold.length, ...accuracyF1(heldOut.labels, mostProbable(probs, hold.length, C, 0).best, C) };
    }
    const weights = await head.weights();
    const cfg = model.weights.config;
    const trained: SavedHead = {
      head: weights.head,
      lastLayer: weights.lastLayer ? { index: cfg.nLayers - 1, weights: weights.lastLayer } : null,
      classes: s.categories,
      labelColumn: p.labelColumn,
      encoder: await encoderIdentity(model.weights, opts.modelName ?? model.description),
      tokenization: { maxLength: opts.maxLength ?? 1200, nBins: SCGPT_N_BINS, padValue: cfg.padValue, seed: opts.seed ?? 0, matrix: refSide.matrix, geneSource: refSide.genes },
      training: { reference: s.ref.fileName, nTrain: fit.length, epochs: p.epochs, lr: p.lr, batchSize: p.batchSize, seed: p.seed, holdout: p.holdout, heldOut: heldOutScores, backend, createdBy: opts.createdBy ?? 'scWeb' },
    };
    const count = (mask: Uint8Array) => mask.reduce((n, v) => n + v, 0);
    let qSide: Pick<CellSide, 'features' | 'rows' | 'empty'>;
    if (s.within) {
      const idx = inRef(refSide.rows, s.qMask);
      qSide = { features: subset(refSide.features, idx, d), rows: Int32Array.from(idx, (k) => refSide.rows[k]), empty: count(s.qMask) - idx.length };
    } else qSide = await cellFeatures(s.query, s.qMask, model, encoder, p.unfreezeLast, opts, (f, m) => report(0.9 + 0.05 * f, m));
    const probabilities = await predictHead(head, qSide.features, { signal: opts.signal, label: 'annotating the query', onProgress: (f, m) => report(0.95 + 0.05 * f, m) });
    const { m, columns, predictedMask } = headColumns(s.query.nObs, qSide.rows, probabilities, C, p.minConfidence, p.labelColumn, s.categories, s.within ? s.refMask : null, s.within ? s.codes : null);
    const out: HeadReport = {
      method: 'scgpt-head',
      labelColumn: p.labelColumn,
      predictedColumn: columns[0].name,
      confidenceColumn: columns[1].name,
      embedding: p.unfreezeLast ? 'scGPT <cls>, last layer fine-tuned' : 'scGPT <cls>',
      nRef: train.length,
      nQuery: qSide.rows.length,
      summary: summarizeMapping(m, s.categories),
      encoder: encoder.name,
      backend,
      unfreezeLast: p.unfreezeLast,
      history,
      heldOut: heldOutScores,
      noGenes: { reference: count(s.refMask) - train.length, query: qSide.empty },
      seconds: (performance.now() - started) / 1000,
    };
    // Against known labels (the held-out half, or the query's own column): the cells the head annotated.
    const truth = s.within ? (p.reference === 'half' ? { kind: 'categorical' as const, name: p.labelColumn, codes: s.codes, categories: s.categories, ordered: false, dtype: 'category' as const } : null) : queryTruth(s.query, p.labelColumn);
    if (truth) {
      out.evaluation = evaluatePredictions(truth, columns[0] as CategoricalColumn, predictedMask, UNASSIGNED);
      out.accuracy = out.evaluation.accuracy;
      out.macroF1 = out.evaluation.macroF1;
    }
    // Cells the head skipped (no gene in the vocabulary) do not vote but take their cluster's label.
    await voteAfter(s.query, columns, out, voting, given, { cells: s.within ? s.qMask : null, truth, evaluateCells: predictedMask }, { signal: opts.signal, pool: opts.pool, graph: opts.graph, onProgress: (f, msg) => opts.onProgress?.(f, msg) });
    return { columns, report: out, categories: s.categories, queryCells: qSide.rows, probabilities, trained };
  } finally {
    head.dispose();
  }
}

/** scGPT's binning: bins 1..50 over each cell's expressed genes (tokenize.ts's default). */
const SCGPT_N_BINS = 51;

/**
 * Annotates every cell of `query` with a saved head (no training): refuses a head trained on
 * another encoder checkpoint (`mismatchFix` says what to do), tokenizes the cells as the head's
 * reference was (its max length, binning and seed), and runs its encoder layer when it has one.
 * Evaluated against the query's own column of the head's label name when it has one; majority
 * voting after it as after a trained head.
 */
export async function headFromFile(
  query: Dataset,
  model: LoadedModel,
  encoder: CellEncoder,
  saved: SavedHead,
  fileName: string,
  p: { minConfidence: number; voting?: VotingParams },
  opts: HeadOptions & { mismatchFix: string },
): Promise<HeadResult> {
  const { minConfidence } = p;
  if (!(minConfidence >= 0 && minConfidence <= 1)) throw new RangeError(`the minimum confidence must be between 0 and 1 (got ${minConfidence})`);
  const voting = p.voting ?? DEFAULT_VOTING;
  const given = checkVoting(query, voting, null);
  const started = performance.now();
  const scale = voting.majorityVoting ? 0.8 : 1;
  const report = (f: number, m: string) => opts.onProgress?.(Math.min(1, f) * scale, m);
  report(0, `checking ${fileName} against the model`);
  const cfg = model.weights.config;
  const precision = checkHeadEncoder(saved, await encoderIdentity(model.weights, opts.modelName ?? model.description), fileName, opts.mismatchFix);
  const t = saved.tokenization;
  if (t.nBins !== SCGPT_N_BINS || t.padValue !== cfg.padValue) {
    throw new Error(`${fileName}: the head was trained on inputs with ${t.nBins} bins and pad value ${t.padValue}, but scWeb feeds scGPT ${SCGPT_N_BINS} bins and this model's pad value ${cfg.padValue}; train a new head here`);
  }
  const backend = await prepareHeadBackend();
  const C = saved.classes.length;
  const all = new Uint8Array(query.nObs).fill(1);
  const side = await cellFeatures(query, all, model, encoder, saved.lastLayer !== null, { ...opts, maxLength: t.maxLength, seed: t.seed }, (f, m) => report(0.9 * f, m));
  const params: HeadTrainParams = { ...SCGPT_HEAD_DEFAULTS, nLayersCls: saved.head.blocks.length + 1, unfreezeLast: saved.lastLayer !== null };
  const head = new ClsHead(cfg, C, params, saved.head, saved.lastLayer?.weights ?? null);
  let probabilities: Float32Array;
  try {
    probabilities = await predictHead(head, side.features, { signal: opts.signal, label: `annotating with ${fileName}`, onProgress: (f, m) => report(0.9 + 0.1 * f, m) });
  } finally {
    head.dispose();
  }
  const { m, columns, predictedMask } = headColumns(query.nObs, side.rows, probabilities, C, minConfidence, saved.labelColumn, saved.classes, null, null);
  const tr = saved.training;
  const out: HeadReport = {
    method: 'scgpt-head',
    labelColumn: saved.labelColumn,
    predictedColumn: columns[0].name,
    confidenceColumn: columns[1].name,
    embedding: saved.lastLayer ? 'scGPT <cls>, last layer fine-tuned' : 'scGPT <cls>',
    nRef: tr.nTrain,
    nQuery: side.rows.length,
    summary: summarizeMapping(m, saved.classes),
    encoder: encoder.name,
    backend,
    unfreezeLast: saved.lastLayer !== null,
    history: [],
    heldOut: tr.heldOut,
    noGenes: { reference: 0, query: side.empty },
    seconds: (performance.now() - started) / 1000,
    savedHead: { file: fileName, reference: tr.reference, labelColumn: saved.labelColumn, classes: C, encoder: saved.encoder.name, ...(precision ? { note: precision } : {}) },
  };
  const truth = queryTruth(query, saved.labelColumn);
  if (truth) {
    out.evaluation = evaluatePredictions(truth, columns[0] as CategoricalColumn, predictedMask, UNASSIGNED);
    out.accuracy = out.evaluation.accuracy;
    out.macroF1 = out.evaluation.macroF1;
  }
  await voteAfter(query, columns, out, voting, given, { cells: null, truth, evaluateCells: predictedMask }, { signal: opts.signal, pool: opts.pool, graph: opts.graph, onProgress: (f, msg) => opts.onProgress?.(f, msg) });
  return { columns, report: out, categories: saved.classes, queryCells: side.rows, probabilities };
}

/** Within one dataset: its labelled cells (or a stratified half of them) train the head, which annotates the others. */
export async function headWithin(ds: Dataset, model: LoadedModel, encoder: CellEncoder, p: HeadParams, opts: HeadOptions = {}): Promise<HeadResult> {
  const col = labelColumn(ds, p.labelColumn);
  const refMask = p.reference === 'half' ? stratifiedHalf(col.codes, p.seed) : Uint8Array.from(col.codes, (c) => (c >= 0 ? 1 : 0));
  const qMask = p.reference === 'half' ? Uint8Array.from(refMask, (v, i) => (v || col.codes[i] < 0 ? 0 : 1)) : Uint8Array.from(col.codes, (c) => (c < 0 ? 1 : 0));
  if (!qMask.some((v) => v)) throw new Error(`every cell has a "${p.labelColumn}" label: nothing to annotate (choose "a stratified half" to evaluate, or load a query)`);
  return run({ ref: ds, refMask, codes: col.codes, categories: col.categories, query: ds, qMask, within: true }, model, encoder, p, opts);
}

/** From a labelled reference dataset to every cell of a query dataset. */
export async function headAcross(ref: Dataset, query: Dataset, model: LoadedModel, encoder: CellEncoder, p: HeadParams, opts: HeadOptions = {}): Promise<HeadResult> {
  const col = labelColumn(ref, p.labelColumn);
  const refMask = Uint8Array.from(col.codes, (c) => (c >= 0 ? 1 : 0));
  return run({ ref, refMask, codes: col.codes, categories: col.categories, query, qMask: new Uint8Array(query.nObs).fill(1), within: false }, model, encoder, p, opts);
}
