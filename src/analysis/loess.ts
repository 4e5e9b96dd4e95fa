// Local quadratic regression (loess, degree 2, tricube weights, span = fraction of points per fit),
// the smoother seurat_v3's variance model uses (scikit-misc's loess). We evaluate the fit exactly
// at every point (loess' surface='direct'); scikit-misc interpolates on a k-d tree by default, so
// values can differ from scanpy's in the last digits, not in which genes rank highest.
export function loessFit(x: Float64Array, y: Float64Array, span = 0.3): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const xs = Float64Array.from(order, (i) => x[i]);
  const ys = Float64Array.from(order, (i) => y[i]);
  const q = Math.max(3, Math.min(n, Math.floor(n * span)));
  const fitted = new Float64Array(n);
  let lo = 0; // window [lo, lo + q) of the q points nearest to xs[i]; slides right as i grows
  for (let i = 0; i < n; i++) {
    const x0 = xs[i];
    while (lo + q < n && x0 - xs[lo] > xs[lo + q] - x0) lo++;
    const h = Math.max(x0 - xs[lo], xs[lo + q - 1] - x0) * 1.000001 || 1;
    // Weighted least squares for y ~ b0 + b1 (x - x0) + b2 (x - x0)^2 via the 3x3 normal equations.
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, t0 = 0, t1 = 0, t2 = 0;
    for (let j = lo; j < lo + q; j++) {
      const d = xs[j] - x0;
      const u = Math.abs(d) / h;
      const w = (1 - u * u * u) ** 3;
      const wd = w * d;
      const wd2 = wd * d;
      s0 += w; s1 += wd; s2 += wd2; s3 += wd2 * d; s4 += wd2 * d * d;
      t0 += w * ys[j]; t1 += wd * ys[j]; t2 += wd2 * ys[j];
    }
    fitted[order[i]] = solve3(s0, s1, s2, s3, s4, t0, t1, t2);
  }
  return fitted;
}

/** b0 of [[s0 s1 s2] [s1 s2 s3] [s2 s3 s4]] b = t; falls back to the local linear/constant fit when singular. */
function solve3(s0: number, s1: number, s2: number, s3: number, s4: number, t0: number, t1: number, t2: number): number {
  const det = s0 * (s2 * s4 - s3 * s3) - s1 * (s1 * s4 - s3 * s2) + s2 * (s1 * s3 - s2 * s2);
  const scale = Math.abs(s0 * s2 * s4) + 1e-300;
  if (Math.abs(det) > 1e-12 * scale) return (t0 * (s2 * s4 - s3 * s3) - s1 * (t1 * s4 - s3 * t2) + s2 * (t1 * s3 - s2 * t2)) / det;
  const det2 = s0 * s2 - s1 * s1;
  if (Math.abs(det2) > 1e-12 * Math.abs(s0 * s2)) return (t0 * s2 - s1 * t1) / det2;
  return t0 / s0;
}
