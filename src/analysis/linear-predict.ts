// Applying a LinearAnnotator to cells: CellTypist's decision function on sparse log1p(CP10k)
// rows whose columns are the model's features (scaled, clipped above at `clip`, never made dense),
// and probabilities from it: softmax for a multinomial model, one sigmoid per class for
// one-vs-rest (CellTypist's confidence), both at the model's temperature.
import type { CsrArrays } from '../io/csr.ts';
import { CancelledError } from '../io/errors.ts';
import type { LinearAnnotator } from './linear-annotator.ts';

export interface PredictOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** Decision values [rows, classes], row-major, of `x` (columns in the model's feature order). */
export async function decisionFunction(model: LinearAnnotator, x: CsrArrays, opts: PredictOptions = {}): Promise<Float64Array> {
  const K = model.classes.length;
  const p = model.features.length;
  if (x.nCols !== p) throw new Error(`the matrix has ${x.nCols} columns but the model ${p} features`);
  const inv = model.scalerScale.map((s) => 1 / s);
  // A zero scales to c = -mean / scale (never above the clip); stored values are added as z - c.
  const cap = model.scalerMean.map((m, j) => model.clip + m * inv[j]);
  const coefT = new Float64Array(p * K);
  for (let c = 0; c < K; c++) for (let j = 0; j < p; j++) coefT[j * K + c] = model.coef[c * p + j];
  const base = Float64Array.from(model.intercept);
  for (let j = 0; j < p; j++) {
    const cj = -model.scalerMean[j] * inv[j];
    for (let c = 0; c < K; c++) base[c] += cj * coefT[j * K + c];
  }
  const out = new Float64Array(x.nRows * K);
  let last = performance.now();
  for (let i = 0; i < x.nRows; i++) {
    if ((i & 1023) === 0 && performance.now() - last > 100) {
      await new Promise((r) => setTimeout(r, 0));
      last = performance.now();
      if (opts.signal?.aborted) throw new CancelledError('prediction');
      opts.onProgress?.(i / x.nRows, `predicting: ${i.toLocaleString('en-US')} / ${x.nRows.toLocaleString('en-US')} cells`);
    }
    const o = i * K;
    for (let c = 0; c < K; c++) out[o + c] = base[c];
    for (let a = x.indptr[i]; a < x.indptr[i + 1]; a++) {
      const j = x.indices[a];
      let v = x.data[a] * inv[j];
      if (v > cap[j]) v = cap[j];
      const w = j * K;
      for (let c = 0; c < K; c++) out[o + c] += v * coefT[w + c];
    }
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
