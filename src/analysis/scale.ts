// scanpy's scale(zero_center=True, max_value=10) on a sparse log-normalised matrix without making
// it dense. A scaled gene is z = clip((x - mean) / std); every zero of gene g becomes the same
// constant c_g = clip(-mean / std). We store z - c_g on the non-zeros only: a per-column constant
// shift changes neither the covariance nor the centred PCA scores, so PCA of the stored matrix is
// PCA of the dense scaled one, at sparse cost.
import type { CsrArrays } from '../io/csr.ts';

export interface ScaleResult {
  mean: Float64Array;
  std: Float64Array;
}

export function scaleCsrInPlace(m: CsrArrays, maxValue: number | null = 10): ScaleResult {
  const p = m.nCols;
  const n = m.nRows;
  const sum = new Float64Array(p);
  const sumSq = new Float64Array(p);
  for (let k = 0; k < m.data.length; k++) {
    sum[m.indices[k]] += m.data[k];
    sumSq[m.indices[k]] += m.data[k] * m.data[k];
  }
  const mean = sum.map((s) => s / n);
  // ddof 1, and genes without variance divided by 1, as scanpy.
  const std = sumSq.map((s, g) => {
    const v = n > 1 ? ((s / n - mean[g] * mean[g]) * n) / (n - 1) : 0;
    return v > 0 ? Math.sqrt(v) : 1;
  });
  applyScale(m, { mean, std }, maxValue);
  return { mean, std };
}

/** Scales with given means and standard deviations (a reference's), in the stored form above. */
export function applyScale(m: CsrArrays, s: ScaleResult, maxValue: number | null = 10): void {
  const { mean, std } = s;
  const clip = (z: number) => (maxValue === null ? z : Math.max(-maxValue, Math.min(maxValue, z)));
  const zeroValue = mean.map((mu, g) => clip(-mu / std[g]));
  for (let k = 0; k < m.data.length; k++) {
    const g = m.indices[k];
    m.data[k] = clip((m.data[k] - mean[g]) / std[g]) - zeroValue[g];
  }
}
