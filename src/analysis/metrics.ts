// Agreement and quality measures used by tests and benchmarks: adjusted Rand index (as sklearn's
// adjusted_rand_score) and trustworthiness of a low-dimensional embedding (sklearn.manifold's).
import { exactKnn } from './knn.ts';

export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const table = new Map<string, number>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  const c2 = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  for (const v of rows.values()) sa += c2(v);
  let sb = 0;
  for (const v of cols.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const maxIndex = (sa + sb) / 2;
  return maxIndex === expected ? 1 : (index - expected) / (maxIndex - expected);
}

/**
 * Trustworthiness: 1 - 2 / (n k (2n - 3k - 1)) * sum over each point's k nearest neighbours in the
 * embedding that are not among its k nearest in the original space of (original rank - k).
 */
export function trustworthiness(high: Float32Array, dHigh: number, low: Float32Array, dLow: number, n: number, k = 15): number {
  const rankOf = new Int32Array(n);
  const lowKnn = exactKnn(low, n, dLow, k + 1);
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    // Full ranking of all points by original distance (rank 1 = nearest other point).
    const dist = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < dHigh; t++) s += (high[i * dHigh + t] - high[j * dHigh + t]) ** 2;
      dist[j] = s;
    }
    dist[i] = -1;
    const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => dist[x] - dist[y] || x - y);
    order.forEach((j, r) => (rankOf[j] = r));
    for (let t = 1; t <= k; t++) {
      const j = lowKnn.indices[i * (k + 1) + t];
      penalty += Math.max(0, rankOf[j] - k);
    }
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}

/**
 * Trustworthiness estimated from `nSamples` query points (ranks still over all n points), for
 * benchmarks where the exact O(n^2) form is too slow. Same normalisation as the exact one.
 */
export function trustworthinessSampled(high: Float32Array, dHigh: number, low: Float32Array, dLow: number, n: number, k = 15, nSamples = 1000, seed = 0): number {
  let s = seed >>> 0 || 1;
  const queries = Array.from({ length: Math.min(n, nSamples) }, () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
  let penalty = 0;
  const dist = new Float64Array(n);
  for (const i of queries) {
    for (let j = 0; j < n; j++) {
      let a = 0;
      for (let t = 0; t < dHigh; t++) a += (high[i * dHigh + t] - high[j * dHigh + t]) ** 2;
      dist[j] = a;
    }
    dist[i] = -1;
    // Rank of each of the embedding's k nearest in the original space.
    const lowD = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let a = 0;
      for (let t = 0; t < dLow; t++) a += (low[i * dLow + t] - low[j * dLow + t]) ** 2;
      lowD[j] = a;
    }
    lowD[i] = -1;
    const nearLow = Array.from({ length: n }, (_, j) => j).sort((x, y) => lowD[x] - lowD[y] || x - y).slice(1, k + 1);
    for (const j of nearLow) {
      let rank = 0;
      for (let m = 0; m < n; m++) if (m !== i && (dist[m] < dist[j] || (dist[m] === dist[j] && m < j))) rank++;
      penalty += Math.max(0, rank + 1 - k);
    }
  }
  const m = queries.length;
  return 1 - (2 / (m * k * (2 * n - 3 * k - 1))) * penalty;
}
