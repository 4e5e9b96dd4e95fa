// Exact k nearest neighbours (Euclidean), self included first, as scanpy's `neighbors` returns
// them. Brute force in row blocks: O(n^2 d), fine up to tens of thousands of cells on the CPU;
// larger data needs the GPU or an approximate index (not built yet).
import { CancelledError } from '../io/errors.ts';

export interface KnnResult {
  k: number;
  /** [n, k] neighbour indices, nearest first; column 0 is the cell itself. */
  indices: Int32Array;
  /** [n, k] Euclidean distances, matching `indices`. */
  distances: Float32Array;
}

export interface KnnOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export function exactKnn(data: Float32Array, n: number, d: number, k: number, opts: KnnOptions = {}): KnnResult {
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    if ((i & 1023) === 0) {
      if (opts.signal?.aborted) throw new CancelledError('neighbors');
      opts.onProgress?.(i / n, `neighbors: ${i} / ${n} cells`);
    }
    bestD.fill(Infinity);
    bestI.fill(-1);
    for (let j = 0; j < n; j++) {
      // Exact squared distance (the expansion |a|^2 + |b|^2 - 2ab loses digits for near points).
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = data[i * d + t] - data[j * d + t];
        s += diff * diff;
      }
      if (j === i) s = -1; // self first, whatever duplicates exist
      if (s >= bestD[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && bestD[p - 1] > s) {
        bestD[p] = bestD[p - 1];
        bestI[p] = bestI[p - 1];
        p--;
      }
      bestD[p] = s;
      bestI[p] = j;
    }
    for (let t = 0; t < k; t++) {
      indices[i * k + t] = bestI[t];
      distances[i * k + t] = bestD[t] < 0 ? 0 : Math.sqrt(bestD[t]);
    }
  }
  return { k, indices, distances };
}
