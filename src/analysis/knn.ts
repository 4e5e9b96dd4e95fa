// Exact k nearest neighbours (Euclidean), self included first, as scanpy's `neighbors` returns
// them. Brute force in row blocks: O(n^2 d), fine up to tens of thousands of cells on the CPU;
// larger data needs the GPU or an approximate index (not built yet).
import { CancelledError } from '../io/errors.ts';
import { ranges, runBlocks, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';

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
  /** Query blocks run on this pool's workers (same results as inline). */
  pool?: WorkerPool | null;
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

/** As exactKnn, in blocks of query rows on the pool (or inline, yielding so a worker can cancel it). */
export async function exactKnnAsync(data: Float32Array, n: number, d: number, k: number, opts: KnnOptions = {}): Promise<KnnResult> {
  const out = { k, indices: new Int32Array(n * k), distances: new Float32Array(n * k) };
  // Block size from the shape only (never the worker count): ~2e7 distance terms per block.
  const blocks = ranges(n, Math.max(16, Math.floor(2e7 / Math.max(1, n * d))));
  const ctx = { data: opts.pool ? opts.pool.share(data) : data, n, d, k };
  const parts = await runBlocks<KnnResult>(opts.pool, 'knn', ctx, blocks, {
    signal: opts.signal,
    onBlock: (done, total) => opts.onProgress?.(done / total, `neighbors (exact, CPU): ${Math.round((done / total) * n).toLocaleString('en-US')} / ${n.toLocaleString('en-US')} cells`),
  });
  parts.forEach((p, b) => {
    out.indices.set(p.indices, blocks[b].from * k);
    out.distances.set(p.distances, blocks[b].from * k);
  });
  return out;
}

/** Neighbours of query rows [from, to) against all n rows: one pool block. */
export function knnBlock(data: Float32Array, n: number, d: number, k: number, from: number, to: number): KnnResult {
  const out = { k, indices: new Int32Array((to - from) * k), distances: new Float32Array((to - from) * k) };
  knnRows(data, n, d, k, from, to, out, from);
  return out;
}

/**
 * The exact neighbours of rows [from, to) into `out` (rows from `base`), self first. Distances are
 * summed in float64 whatever the input's width; `out.distances` may be float32 (the pipeline) or
 * float64 (the integration metrics).
 */
export function knnRows(data: Float32Array | Float64Array, n: number, d: number, k: number, from: number, to: number, out: { indices: Int32Array; distances: Float32Array | Float64Array }, base = 0): void {
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
      indices[(i - base) * k + t] = bestI[t];
      distances[(i - base) * k + t] = bestD[t] < 0 ? 0 : Math.sqrt(bestD[t]);
    }
  }
}

definePoolTask('knn', (c: { data: Float32Array; n: number; d: number; k: number }, r: { from: number; to: number }) => {
  const result = knnBlock(c.data, c.n, c.d, c.k, r.from, r.to);
  return { result, transfer: [result.indices.buffer as ArrayBuffer, result.distances.buffer as ArrayBuffer] };
});
