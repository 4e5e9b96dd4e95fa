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
  const out = { k, indices: new Int32Array(n * k), distances: new Float32Array(n * k) };
  for (let start = 0; start < n; start += 1024) {
    if (opts.signal?.aborted) throw new CancelledError('neighbors');
    opts.onProgress?.(start / n, `neighbors: ${start} / ${n} cells`);
    knnRows(data, n, d, k, start, Math.min(n, start + 1024), out);
  }
  return out;
}

/** As exactKnn, yielding to the event loop between blocks of rows so a worker can cancel it. */
export async function exactKnnAsync(data: Float32Array, n: number, d: number, k: number, opts: KnnOptions = {}): Promise<KnnResult> {
  const out = { k, indices: new Int32Array(n * k), distances: new Float32Array(n * k) };
  const block = Math.max(16, Math.floor(2e7 / Math.max(1, n * d)));
  for (let start = 0; start < n; start += block) {
    await new Promise((r) => setTimeout(r, 0));
    if (opts.signal?.aborted) throw new CancelledError('neighbors');
    opts.onProgress?.(start / n, `neighbors (exact, CPU): ${start.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} cells`);
    knnRows(data, n, d, k, start, Math.min(n, start + block), out);
  }
  return out;
}

function knnRows(data: Float32Array, n: number, d: number, k: number, from: number, to: number, out: KnnResult): void {
  const { indices, distances } = out;
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  for (let i = from; i < to; i++) {
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
}
