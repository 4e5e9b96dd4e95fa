// UMAP's fuzzy simplicial set from a kNN graph, as scanpy's `neighbors` (method 'umap') stores it in
// obsp['connectivities']: per-cell rho (distance to the nearest neighbour) and sigma (binary search
// so that the memberships sum to log2(k)), memberships exp(-(d - rho) / sigma), then the fuzzy union
// A + A^T - A o A^T. Mirrors umap-learn's smooth_knn_dist and compute_membership_strengths.
import type { KnnResult } from './knn.ts';

export interface SparseGraph {
  n: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
}

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

export function smoothKnnDist(knn: KnnResult, n: number, nIter = 64, localConnectivity = 1, bandwidth = 1): { sigmas: Float32Array; rhos: Float32Array } {
  const { k, distances } = knn;
  const target = Math.log2(k) * bandwidth;
  const sigmas = new Float32Array(n);
  const rhos = new Float32Array(n);
  let meanAll = 0;
  for (const v of distances) meanAll += v;
  meanAll /= distances.length;
  for (let i = 0; i < n; i++) {
    const row = distances.subarray(i * k, (i + 1) * k);
    const nonZero = Array.from(row).filter((v) => v > 0);
    if (nonZero.length >= localConnectivity) {
      const index = Math.floor(localConnectivity);
      const interpolation = localConnectivity - index;
      if (index > 0) {
        rhos[i] = nonZero[index - 1];
        if (interpolation > SMOOTH_K_TOLERANCE) rhos[i] += interpolation * (nonZero[index] - nonZero[index - 1]);
      } else rhos[i] = interpolation * nonZero[0];
    } else if (nonZero.length > 0) rhos[i] = Math.max(...nonZero);
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < nIter; it++) {
      let psum = 0;
      for (let j = 1; j < k; j++) {
        const dd = Math.fround(row[j] - rhos[i]);
        psum += dd > 0 ? Math.exp(-(dd / mid)) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    sigmas[i] = mid;
    if (rhos[i] > 0) {
      let meanRow = 0;
      for (const v of row) meanRow += v;
      meanRow /= k;
      if (sigmas[i] < MIN_K_DIST_SCALE * meanRow) sigmas[i] = MIN_K_DIST_SCALE * meanRow;
    } else if (sigmas[i] < MIN_K_DIST_SCALE * meanAll) sigmas[i] = MIN_K_DIST_SCALE * meanAll;
  }
  return { sigmas, rhos };
}

export function fuzzyConnectivities(knn: KnnResult, n: number): SparseGraph {
  const { k, indices, distances } = knn;
  const { sigmas, rhos } = smoothKnnDist(knn, n);
  // Directed memberships as a map per row, then the fuzzy union with the transpose.
  const rows: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const c = indices[i * k + j];
      if (c < 0 || c === i) continue;
      const dd = distances[i * k + j] - rhos[i];
      const v = dd <= 0 || sigmas[i] === 0 ? 1 : Math.exp(-(dd / sigmas[i]));
      rows[i].set(c, Math.fround(v));
    }
  }
  const union: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    for (const [c, a] of rows[i]) {
      const b = rows[c].get(i) ?? 0;
      const v = a + b - a * b;
      union[i].set(c, v);
      union[c].set(i, v);
    }
  }
  const indptr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) indptr[i + 1] = indptr[i] + union[i].size;
  const outIdx = new Int32Array(indptr[n]);
  const outData = new Float32Array(indptr[n]);
  for (let i = 0; i < n; i++) {
    const entries = [...union[i]].sort((x, y) => x[0] - y[0]);
    entries.forEach(([c, v], t) => {
      outIdx[indptr[i] + t] = c;
      outData[indptr[i] + t] = v;
    });
  }
  return { n, indptr, indices: outIdx, data: outData };
}
