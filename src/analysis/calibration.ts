// Confidence that means what it says: temperature scaling (Guo et al. 2017) fitted on reference
// cells held back from training, and the expected calibration error in 15 equal-width bins of
// confidence, as that paper and torchmetrics compute it.
import type { LinearAnnotator } from './linear-annotator.ts';
import { bestOf, probabilities } from './linear-predict.ts';

/** Temperatures searched (1/T in [1/MAX_T, 1/MIN_T]). */
const MIN_T = 0.05;
const MAX_T = 20;

/**
 * The temperature minimising the held-back cells' negative log-likelihood: softmax cross-entropy
 * for a multinomial model, the one-vs-rest binary losses summed over classes for OvR. Both are
 * convex in 1/T, so bisection on the derivative finds it.
 */
export function fitTemperature(decision: Float64Array, y: Int32Array, K: number, multiClass: LinearAnnotator['multiClass']): number {
  const n = y.length;
  // d NLL / d tau at tau = 1/T.
  const slope = (tau: number) => {
    let d = 0;
    for (let i = 0; i < n; i++) {
      const o = i * K;
      if (multiClass === 'multinomial') {
        let max = -Infinity;
        for (let c = 0; c < K; c++) max = Math.max(max, tau * decision[o + c]);
        let sum = 0;
        let wsum = 0;
        for (let c = 0; c < K; c++) {
          const e = Math.exp(tau * decision[o + c] - max);
          sum += e;
          wsum += e * decision[o + c];
        }
        d += wsum / sum - decision[o + y[i]];
      } else {
        for (let c = 0; c < K; c++) {
          const z = decision[o + c];
          const s = tau * z >= 0 ? 1 / (1 + Math.exp(-tau * z)) : Math.exp(tau * z) / (1 + Math.exp(tau * z));
          d += (s - (c === y[i] ? 1 : 0)) * z;
        }
      }
    }
    return d;
  };
  let lo = 1 / MAX_T;
  let hi = 1 / MIN_T;
  if (n === 0) return 1;
  if (slope(lo) >= 0) return MAX_T;
  if (slope(hi) <= 0) return MIN_T;
  for (let it = 0; it < 100 && hi - lo > 1e-12 * hi; it++) {
    const mid = (lo + hi) / 2;
    if (slope(mid) > 0) hi = mid;
    else lo = mid;
  }
  return 1 / ((lo + hi) / 2);
}

/** Mean negative log-likelihood of the true classes under the probabilities (the loss T minimises, per cell). */
export function meanNll(prob: Float64Array, y: Int32Array, K: number, multiClass: LinearAnnotator['multiClass']): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    if (multiClass === 'multinomial') s -= Math.log(Math.max(prob[i * K + y[i]], 1e-300));
    else for (let c = 0; c < K; c++) s -= Math.log(Math.max(c === y[i] ? prob[i * K + c] : 1 - prob[i * K + c], 1e-300));
  }
  return y.length ? s / y.length : NaN;
}

/**
 * Expected calibration error: cells binned by confidence into (b/B, (b+1)/B], then the
 * cell-weighted mean of |accuracy - mean confidence| over the bins.
 */
export function expectedCalibrationError(confidence: ArrayLike<number>, correct: ArrayLike<boolean | number>, bins = 15): number {
  const n = confidence.length;
  if (n === 0) return NaN;
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const acc = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(confidence[i] * bins) - 1));
    count[b]++;
    conf[b] += confidence[i];
    acc[b] += correct[i] ? 1 : 0;
  }
  let e = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) e += Math.abs(acc[b] - conf[b]);
  return e / n;
}

/** Per-bin counts, accuracy and mean confidence (a reliability diagram's data). */
export function reliability(confidence: ArrayLike<number>, correct: ArrayLike<boolean | number>, bins = 15): { count: number[]; accuracy: number[]; confidence: number[] } {
  const count = new Array<number>(bins).fill(0);
  const accuracy = new Array<number>(bins).fill(0);
  const meanConf = new Array<number>(bins).fill(0);
  for (let i = 0; i < confidence.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(confidence[i] * bins) - 1));
    count[b]++;
    meanConf[b] += confidence[i];
    accuracy[b] += correct[i] ? 1 : 0;
  }
  return { count, accuracy: accuracy.map((a, b) => (count[b] ? a / count[b] : NaN)), confidence: meanConf.map((c, b) => (count[b] ? c / count[b] : NaN)) };
}

export interface CalibrationReport {
  /** Reference cells held back from training (stratified). */
  nHeldOut: number;
  accuracy: number;
  macroF1: number;
  temperature: number;
  /** ECE (15 bins) of the held-back cells' confidence before and after temperature scaling. */
  eceBefore: number;
  eceAfter: number;
  nllBefore: number;
  nllAfter: number;
  /** Why the temperature was not fitted, when it was not. */
  note?: string;
}

/** Fewer held-back cells than this leave the temperature at 1 (a fit on a handful of cells means little). */
export const MIN_CALIBRATION_CELLS = 10;

/** Fits the temperature on the held-back cells (their decision values and true classes) and measures before and after. */
export function calibrate(decision: Float64Array, y: Int32Array, model: Pick<LinearAnnotator, 'classes' | 'multiClass'>, f1: (truth: Int32Array, pred: Int32Array) => number): CalibrationReport {
  const K = model.classes.length;
  const before = probabilities(decision, K, model.multiClass, 1);
  const b0 = bestOf(before, K);
  const correct = Uint8Array.from(y, (t, i) => (b0.best[i] === t ? 1 : 0));
  const fitted = y.length >= MIN_CALIBRATION_CELLS;
  const T = fitted ? fitTemperature(decision, y, K, model.multiClass) : 1;
  const after = T === 1 ? before : probabilities(decision, K, model.multiClass, T);
  const b1 = T === 1 ? b0 : bestOf(after, K);
  return {
    nHeldOut: y.length,
    accuracy: y.length ? correct.reduce((s, v) => s + v, 0) / y.length : NaN,
    macroF1: f1(y, b0.best),
    temperature: T,
    eceBefore: expectedCalibrationError(b0.confidence, correct),
    eceAfter: expectedCalibrationError(b1.confidence, correct),
    nllBefore: meanNll(before, y, K, model.multiClass),
    nllAfter: meanNll(after, y, K, model.multiClass),
    ...(y.length === 0
      ? { note: 'no reference cell held back (every label has fewer than 5 cells): temperature left at 1, nothing measured' }
      : !fitted
      ? { note: `only ${y.length} reference cells held back: temperature left at 1 (needs ${MIN_CALIBRATION_CELLS})` }
      : T === MIN_T || T === MAX_T
        ? { note: `the temperature stopped at its ${T === MIN_T ? 'lower' : 'upper'} bound ${T}${T === MIN_T ? ': the held-back cells are all confidently right, so sharper is always likelier' : ''}` }
        : {}),
  };
}
