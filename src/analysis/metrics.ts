// Agreement and quality measures used by tests and benchmarks: adjusted Rand index (as sklearn's
// adjusted_rand_score) and trustworthiness of a low-dimensional embedding (sklearn.manifold's).

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
 * Trustworthiness: 1 - 2 / (m k (2n - 3k - 1)) * sum, over m query points and each one's k nearest
 * neighbours in the embedding, of max(0, rank in the original space - k). All n points as queries
 * give sklearn's trustworthiness exactly.
 */
export function trustworthiness(high: Float32Array, dHigh: number, low: Float32Array, dLow: number, n: number, k = 15): number {
  return trustworthinessOver(Array.from({ length: n }, (_, i) => i), high, dHigh, low, dLow, n, k);
}

/**
 * Trustworthiness estimated from `nSamples` query points (ranks still over all n points), for
 * benchmarks where the exact O(n^2) form is too slow. Same normalisation as the exact one.
 */
export function trustworthinessSampled(high: Float32Array, dHigh: number, low: Float32Array, dLow: number, n: number, k = 15, nSamples = 1000, seed = 0): number {
  let s = seed >>> 0 || 1;
  const queries = Array.from({ length: Math.min(n, nSamples) }, () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
  return trustworthinessOver(queries, high, dHigh, low, dLow, n, k);
}

/** Squared distances from point i to every point, with the point itself at -1 so it sorts first. */
function distancesFrom(x: Float32Array, d: number, n: number, i: number): Float64Array {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let a = 0;
    for (let t = 0; t < d; t++) a += (x[i * d + t] - x[j * d + t]) ** 2;
    out[j] = a;
  }
  out[i] = -1;
  return out;
}

function trustworthinessOver(queries: number[], high: Float32Array, dHigh: number, low: Float32Array, dLow: number, n: number, k: number): number {
  let penalty = 0;
  for (const i of queries) {
    const dist = distancesFrom(high, dHigh, n, i);
    const lowD = distancesFrom(low, dLow, n, i);
    // The embedding's k nearest (ties by index, as a stable sort), each ranked in the original space.
    const nearLow = Array.from({ length: n }, (_, j) => j).sort((x, y) => lowD[x] - lowD[y] || x - y).slice(1, k + 1);
    for (const j of nearLow) {
      let rank = 0;
      for (let m = 0; m < n; m++) if (m !== i && (dist[m] < dist[j] || (dist[m] === dist[j] && m < j))) rank++;
      penalty += Math.max(0, rank + 1 - k);
    }
  }
  return 1 - (2 / (queries.length * k * (2 * n - 3 * k - 1))) * penalty;
}
