// Applying a LinearAnnotator to cells: CellTypist's decision function on sparse log1p(CP10k)
// rows (scaled, clipped above at `clip`, never made dense; celltypist.ts streams a file through the
// same LinearScorer),
// and probabilities from it: softmax for a multinomial model, one sigmoid per class for
// one-vs-rest (CellTypist's confidence), both at the model's temperature.
import type { CsrArrays } from '../io/csr.ts';
import { CancelledError } from '../io/errors.ts';
import type { LinearAnnotator } from './linear-annotator.ts';

export interface PredictOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/**
 * CellTypist's decision arithmetic for one model, shared by every linear prediction (a model
 * trained here, or a CellTypist .pkl streaming a file): a feature's value scales to
 * z = min((x - mean) / scale, clip) exactly as sklearn's StandardScaler and CellTypist's clip, so
 * CellTypist's own numbers are reproduced. A feature not stored for a cell is 0, which scales to
 * -mean/scale: its share of every decision is summed once into `base`, and each stored value adds
 * the difference, so cells are never made dense.
 */
export class LinearScorer {
  readonly K: number;
  /** intercept plus every used feature's zero, [classes]. */
  readonly base: Float64Array;
  private readonly coefT: Float64Array;
  private readonly zeroZ: Float64Array;
  private readonly mean: Float64Array;
  private readonly scale: Float64Array;
  private readonly clip: number;

  /** `used[f]` 0 leaves feature f out (CellTypist drops the model's genes the query lacks); default all. */
  constructor(model: LinearAnnotator, used?: Uint8Array) {
    const K = (this.K = model.classes.length);
    const F = model.features.length;
    this.mean = model.scalerMean;
    this.scale = model.scalerScale;
    this.clip = model.clip;
    // Coefficients gathered per feature (all classes together) for the per-value update.
    this.coefT = new Float64Array(F * K);
    for (let c = 0; c < K; c++) for (let f = 0; f < F; f++) this.coefT[f * K + c] = model.coef[c * F + f];
    this.zeroZ = new Float64Array(F);
    this.base = Float64Array.from(model.intercept);
    for (let f = 0; f < F; f++) {
      if (used && !used[f]) continue;
      this.zeroZ[f] = this.scaled(0, f);
      for (let c = 0; c < K; c++) this.base[c] += this.coefT[f * K + c] * this.zeroZ[f];
    }
  }

  scaled(x: number, f: number): number {
    const z = (x - this.mean[f]) / this.scale[f];
    return z > this.clip ? this.clip : z;
  }

  /** Adds feature f's stored value x to the decisions `d` (started from `base`). */
  add(d: Float64Array, f: number, x: number): void {
    const delta = this.scaled(x, f) - this.zeroZ[f];
    const w = f * this.K;
    for (let c = 0; c < this.K; c++) d[c] += this.coefT[w + c] * delta;
  }
}

/** Decision values [rows, classes], row-major, of `x` (columns in the model's feature order). */
export async function decisionFunction(model: LinearAnnotator, x: CsrArrays, opts: PredictOptions = {}): Promise<Float64Array> {
  const K = model.classes.length;
  const p = model.features.length;
  if (x.nCols !== p) throw new Error(`the matrix has ${x.nCols} columns but the model ${p} features`);
  const scorer = new LinearScorer(model);
  const out = new Float64Array(x.nRows * K);
  let last = performance.now();
  for (let i = 0; i < x.nRows; i++) {
    if ((i & 1023) === 0 && performance.now() - last > 100) {
      await new Promise((r) => setTimeout(r, 0));
      last = performance.now();
      if (opts.signal?.aborted) throw new CancelledError('prediction');
      opts.onProgress?.(i / x.nRows, `predicting: ${i.toLocaleString('en-US')} / ${x.nRows.toLocaleString('en-US')} cells`);
    }
    const d = out.subarray(i * K, (i + 1) * K);
    d.set(scorer.base);
    for (let a = x.indptr[i]; a < x.indptr[i + 1]; a++) scorer.add(d, x.indices[a], x.data[a]);
  }
  return out;
}

/** Probabilities [rows, classes] from decision values at temperature T. */
export function probabilities(decision: Float64Array, K: number, multiClass: LinearAnnotator['multiClass'], T = 1): Float64Array {
  const out = new Float64Array(decision.length);
  const n = decision.length / K;
  for (let i = 0; i < n; i++) {
    const o = i * K;
    if (multiClass === 'multinomial') {
      let max = -Infinity;
      for (let c = 0; c < K; c++) max = Math.max(max, decision[o + c] / T);
      let sum = 0;
      for (let c = 0; c < K; c++) sum += out[o + c] = Math.exp(decision[o + c] / T - max);
      for (let c = 0; c < K; c++) out[o + c] /= sum;
    } else {
      for (let c = 0; c < K; c++) out[o + c] = sigmoid(decision[o + c] / T);
    }
  }
  return out;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Per row: the class of largest decision (first on ties) and its probability. */
export function bestOf(prob: Float64Array, K: number): { best: Int32Array; confidence: Float64Array } {
  const n = prob.length / K;
  const best = new Int32Array(n);
  const confidence = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let c = 1; c < K; c++) if (prob[i * K + c] > prob[i * K + b]) b = c;
    best[i] = b;
    confidence[i] = prob[i * K + b];
  }
  return { best, confidence };
}
