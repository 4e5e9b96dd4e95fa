// Leading principal components of a small-dimensional embedding (d up to a few hundred): the
// d x d covariance, then power iteration with deflation. Used to show X_scGPT in 2-D before UMAP.
// Signs are fixed (largest-magnitude loading positive) so the picture is deterministic.

export function topComponents(data: Float32Array, n: number, d: number, k: number, iterations = 300): { scores: Float32Array; variance: Float64Array } {
  const mean = new Float64Array(d);
  let rows = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(data[i * d])) continue; // cells without an embedding
    rows++;
    for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= Math.max(rows, 1);
  const cov = new Float64Array(d * d);
  const x = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(data[i * d])) continue;
    for (let j = 0; j < d; j++) x[j] = data[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const xa = x[a];
      for (let b = a; b < d; b++) cov[a * d + b] += xa * x[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= Math.max(rows - 1, 1);
  const vectors: Float64Array[] = [];
  const variance = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let v = new Float64Array(d).map((_, j) => 1 / Math.sqrt(d) + j * 1e-3);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += cov[a * d + b] * v[b];
        w[a] = s;
      }
      for (const u of vectors) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += w[j] * u[j];
        for (let j = 0; j < d; j++) w[j] -= dot * u[j];
      }
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      lambda = norm;
      v = w.map((t) => t / norm);
    }
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
    if (v[big] < 0) v = v.map((t) => -t);
    vectors.push(v);
    variance[c] = lambda;
  }
  const scores = new Float32Array(n * k).fill(NaN);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(data[i * d])) continue;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (data[i * d + j] - mean[j]) * vectors[c][j];
      scores[i * k + c] = s;
    }
  }
  return { scores, variance };
}
