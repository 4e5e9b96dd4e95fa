// Multinomial logistic regression with L2 penalty on sparse rows, trained by full-batch Adam: the
// CellTypist-style baseline the annotation benchmark compares kNN mapping with. Deterministic
// (zero initialisation, fixed schedule).
import type { CsrArrays } from '../io/csr.ts';

export interface LogRegModel {
  nClasses: number;
  nFeatures: number;
  /** [nClasses, nFeatures] */
  weights: Float64Array;
  bias: Float64Array;
}

export async function fitLogReg(x: CsrArrays, y: Int32Array, nClasses: number, opts: { l2?: number; epochs?: number; lr?: number } = {}): Promise<LogRegModel> {
  const p = x.nCols;
  const n = x.nRows;
  const l2 = opts.l2 ?? 1e-3;
  const lr = opts.lr ?? 0.05;
  const W = new Float64Array(nClasses * p);
  const b = new Float64Array(nClasses);
  const mW = new Float64Array(W.length), vW = new Float64Array(W.length), mB = new Float64Array(nClasses), vB = new Float64Array(nClasses);
  const gW = new Float64Array(W.length);
  const gB = new Float64Array(nClasses);
  const z = new Float64Array(nClasses);
  let count = 0;
  for (const v of y) if (v >= 0) count++;
  for (let epoch = 1; epoch <= (opts.epochs ?? 300); epoch++) {
    if (epoch % 20 === 0) await new Promise((r) => setTimeout(r, 0));
    gW.fill(0);
    gB.fill(0);
    for (let i = 0; i < n; i++) {
      if (y[i] < 0) continue;
      softmaxRow(x, i, W, b, p, z);
      z[y[i]] -= 1; // gradient of cross-entropy wrt the logits
      for (let c = 0; c < nClasses; c++) {
        const g = z[c] / count;
        if (g === 0) continue;
        gB[c] += g;
        for (let t = x.indptr[i]; t < x.indptr[i + 1]; t++) gW[c * p + x.indices[t]] += g * x.data[t];
      }
    }
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const c1 = 1 - b1 ** epoch, c2 = 1 - b2 ** epoch;
    for (let k = 0; k < W.length; k++) {
      const g = gW[k] + l2 * W[k];
      mW[k] = b1 * mW[k] + (1 - b1) * g;
      vW[k] = b2 * vW[k] + (1 - b2) * g * g;
      W[k] -= (lr * (mW[k] / c1)) / (Math.sqrt(vW[k] / c2) + eps);
    }
    for (let c = 0; c < nClasses; c++) {
      mB[c] = b1 * mB[c] + (1 - b1) * gB[c];
      vB[c] = b2 * vB[c] + (1 - b2) * gB[c] * gB[c];
      b[c] -= (lr * (mB[c] / c1)) / (Math.sqrt(vB[c] / c2) + eps);
    }
  }
  return { nClasses, nFeatures: p, weights: W, bias: b };
}

function softmaxRow(x: CsrArrays, i: number, W: Float64Array, b: Float64Array, p: number, out: Float64Array): void {
  let max = -Infinity;
  for (let c = 0; c < out.length; c++) {
    let s = b[c];
    for (let t = x.indptr[i]; t < x.indptr[i + 1]; t++) s += W[c * p + x.indices[t]] * x.data[t];
    out[c] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let c = 0; c < out.length; c++) sum += out[c] = Math.exp(out[c] - max);
  for (let c = 0; c < out.length; c++) out[c] /= sum;
}

/** Most probable class per row, and its probability. */
export function predictLogReg(m: LogRegModel, x: CsrArrays): { predicted: Int32Array; probability: Float32Array } {
  const predicted = new Int32Array(x.nRows);
  const probability = new Float32Array(x.nRows);
  const z = new Float64Array(m.nClasses);
  for (let i = 0; i < x.nRows; i++) {
    softmaxRow(x, i, m.weights, m.bias, m.nFeatures, z);
    let best = 0;
    for (let c = 1; c < m.nClasses; c++) if (z[c] > z[best]) best = c;
    predicted[i] = best;
    probability[i] = z[best];
  }
  return { predicted, probability };
}
