// Label transfer by logistic regression, from a dataset's labelled cells to query cells (of the
// same or another dataset): the reference's genes shared with the query (matched by name), read
// sparse as log1p(CP10k) (or as stored, for log-normalised files), a stratified 10% of the
// reference held back, the model trained on the rest (CellTypist's recipe), its temperature fitted
// on the held-back cells, the model trained again on all reference cells, then every query cell's
// label, calibrated confidence and "unassigned" below the threshold.
import { expressionInput, scaledRefusal } from '../io/expression-input.ts';
import { totalCountsPerCell } from '../io/iterate.ts';
import type { Dataset } from '../io/types.ts';
import { mulberry32 } from '../model/random.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { accuracyF1, type MappingResult } from './annotate.ts';
import { calibrate, type CalibrationReport } from './calibration.ts';
import { logNormMatrix } from './expression.ts';
import type { LinearAnnotator } from './linear-annotator.ts';
import { bestOf, decisionFunction, probabilities } from './linear-predict.ts';
import { fitLogisticRegression, selectColumns, type FitReport, type LogRegParams } from './logistic-regression.ts';
import type { LogRegGpu } from './logreg-engine.ts';

export interface TransferOptions {
  pool?: WorkerPool | null;
  /** A GPU for the training's gradient (logreg-engine.ts decides whether it pays), or why there is none. */
  gpu?: LogRegGpu | null;
  noGpu?: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface LogRegTransfer {
  m: MappingResult;
  model: LinearAnnotator;
  fit: FitReport;
  calibration: CalibrationReport;
  /** Reference genes also in the query (the candidates before dropping genes without counts). */
  nShared: number;
  nRefGenes: number;
}

/** Share of each class held back from training to fit the temperature and measure calibration. */
export const HELD_OUT = 0.1;

/** Seeded stratified hold-out: round(share x n) cells of each class (at most n - 1) get 1. */
export function stratifiedHoldOut(codes: Int32Array, share: number, seed: number): Uint8Array {
  const rand = mulberry32((seed ^ 0x4e1d) >>> 0);
  const byClass = new Map<number, number[]>();
  codes.forEach((c, i) => c >= 0 && (byClass.get(c) ?? byClass.set(c, []).get(c)!).push(i));
  const out = new Uint8Array(codes.length);
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const cells = byClass.get(c)!;
    for (let i = cells.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [cells[i], cells[j]] = [cells[j], cells[i]];
    }
    const k = Math.min(cells.length - 1, Math.round(share * cells.length));
    for (let i = 0; i < k; i++) out[cells[i]] = 1;
  }
  return out;
}

/** The matrix a side is read from, and each cell's total for CP10k (null: values are log already). */
async function expressionOf(ds: Dataset, what: string, opts: Pick<TransferOptions, 'signal' | 'onProgress'>) {
  const input = expressionInput(ds);
  if (!input) throw new Error(`${ds.fileName}: no expression matrix to read`);
  if (input.kind === 'scaled') throw new Error(`${ds.fileName}: ${scaledRefusal(input, what)}`);
  const totals = input.kind === 'counts' ? await totalCountsPerCell(ds, input.key, opts) : null;
  return { key: input.key, totals };
}

/**
 * refCodes: per cell of `ref`, its class (index into classes) or -1 (not in the reference).
 * qMask: the query cells of `query`. The classes must have been checked (at least 2, none with
 * a single cell) by the caller, which names the file and column.
 */
export async function logRegTransfer(ref: Dataset, refCodes: Int32Array, classes: string[], query: Dataset, qMask: Uint8Array, p: { seed: number; minConfidence: number; logreg: LogRegParams }, opts: TransferOptions = {}): Promise<LogRegTransfer> {
  const step = (a: number, b: number, label: string) => ({ pool: opts.pool, signal: opts.signal, onProgress: (f: number, m: string) => opts.onProgress?.(a + (b - a) * f, `${label}: ${m}`) });
  const what = 'Logistic-regression models';
  const r = await expressionOf(ref, what, step(0, 0.01, 'reference totals'));
  const q = query === ref ? r : await expressionOf(query, what, step(0.01, 0.02, 'query totals'));
  // Genes by name, the first of any repeated name (CellTypist makes names unique the same way).
  const refGenes = ref.varNamesOf(r.key);
  const qIndex = new Map<string, number>();
  query.varNamesOf(q.key).forEach((g, i) => qIndex.has(g) || qIndex.set(g, i));
  const seen = new Set<string>();
  const refCols: number[] = [];
  const qCols: number[] = [];
  refGenes.forEach((g, j) => {
    if (seen.has(g)) return;
    seen.add(g);
    const k = qIndex.get(g);
    if (k === undefined) return;
    refCols.push(j);
    qCols.push(k);
  });
  if (refCols.length === 0) {
    throw new Error(`${query.fileName}: none of its ${qIndex.size.toLocaleString('en-US')} genes (${q.key}) is among the ${seen.size.toLocaleString('en-US')} genes of the reference ${ref.fileName} (${r.key}), matched by name; use the same gene naming (symbols or Ensembl ids) and species on both sides`);
  }
  const held = stratifiedHoldOut(refCodes, HELD_OUT, p.seed);
  const train = Uint8Array.from(refCodes, (c, i) => (c >= 0 && !held[i] ? 1 : 0));
  const yOf = (mask: Uint8Array) => Int32Array.from(refCodes.filter((_, i) => mask[i]));
  const genes = Int32Array.from(refCols);
  const xTrain = await logNormMatrix(ref, r.key, train, r.totals, genes, step(0.02, 0.15, 'reference'));
  const xHeld = await logNormMatrix(ref, r.key, held, r.totals, genes, step(0.15, 0.2, 'held-back reference cells'));
  const xQuery = await logNormMatrix(query, q.key, qMask, q.totals, Int32Array.from(qCols), step(0.2, 0.3, 'query'));
  const device = { gpu: opts.gpu, noGpu: opts.noGpu };
  const { model, report } = await fitLogisticRegression(xTrain, yOf(train), classes, refCols.map((j) => refGenes[j]), { ...p.logreg, seed: p.seed }, { ...step(0.3, 0.8, 'training'), ...device });
  // The model's features are a subset of the shared genes (genes with counts, feature selection).
  const pos = new Map(refCols.map((j, i) => [refGenes[j], i]));
  const keep = new Int32Array(refCols.length).fill(-1);
  model.features.forEach((g, i) => (keep[pos.get(g)!] = i));
  const K = classes.length;
  const heldDecision = await decisionFunction(model, selectColumns(xHeld, keep, model.features.length), { signal: opts.signal });
  const calibration = calibrate(heldDecision, yOf(held), model, (t, pr) => accuracyF1(t, pr, K).macroF1);
  // Then trained again on every reference cell, from the first solution, keeping the temperature
  // (as sklearn's CalibratedClassifierCV with ensemble=False refits its estimator on all the data):
  // the classifier is the one sklearn or CellTypist would train on the same reference.
  let final = { model, report };
  if (held.some((v) => v)) {
    const all = Uint8Array.from(refCodes, (c) => (c >= 0 ? 1 : 0));
    const xAll = await logNormMatrix(ref, r.key, all, r.totals, genes, step(0.8, 0.82, 'all reference cells'));
    final = await fitLogisticRegression(xAll, yOf(all), classes, refCols.map((j) => refGenes[j]), { ...p.logreg, seed: p.seed }, { ...step(0.82, 0.92, 'training on all reference cells'), init: model, ...device });
    final.report.message += `; then on all ${xAll.nRows.toLocaleString('en-US')} reference cells from the ${xTrain.nRows.toLocaleString('en-US')}-cell fit (${report.iterations} ${report.solver === 'lbfgs' ? 'iterations' : 'epochs'}, ${report.seconds.toFixed(1)} s)`;
  }
  const trained = final.model;
  trained.temperature = calibration.temperature;
  trained.description.calibration = `temperature ${calibration.temperature.toPrecision(4)} fitted on ${calibration.nHeldOut} held-back reference cells (the model trained without them)`;
  const keep2 = new Int32Array(refCols.length).fill(-1);
  trained.features.forEach((g, i) => (keep2[pos.get(g)!] = i));
  const decision = await decisionFunction(trained, selectColumns(xQuery, keep2, trained.features.length), step(0.92, 1, 'query'));
  const { best, confidence } = bestOf(probabilities(decision, K, trained.multiClass, trained.temperature), K);
  const predicted = Int32Array.from(best, (b, i) => (confidence[i] >= p.minConfidence ? b : -1));
  opts.onProgress?.(1, 'done');
  return { m: { predicted, confidence: Float32Array.from(confidence), best }, model: trained, fit: final.report, calibration, nShared: refCols.length, nRefGenes: seen.size };
}
