// Exact k nearest neighbours (Euclidean), self included first, as scanpy's `neighbors` returns
// them. Brute force in row blocks: O(n^2 d), fine up to tens of thousands of cells on the CPU;
// larger data needs the GPU or an approximate index (not built yet).
import { CancelledError } from '../io/errors.ts';
import { poolFor, ranges, runBlocks, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';
import { growTo, SimdLayout, simdFits, simdKernels, simdMemory, simdSupported, type SimdKernels } from './simd.ts';

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
  /** Fewest points for which the pool is used (default: the step's own, KNN_POOL_MIN or NNDESCENT_POOL_MIN). */
  poolMinPoints?: number;
  /**
   * 'wasm' (the default where WebAssembly SIMD runs): the distance loops in the SIMD kernels;
   * 'js': the loops below. Identical results.
   */
  engine?: 'wasm' | 'js';
}

/** The distance loops this engine runs by default, for n x d float32 points (each thread copies them into its kernels' memory). */
export function knnEngine(opts: { engine?: 'wasm' | 'js' }, n = 0, d = 0): 'wasm' | 'js' {
  return opts.engine ?? (simdSupported() && simdFits(n * d * 4 + 64 * 2 ** 20) ? 'wasm' : 'js');
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

/**
 * Fewest points for which the exact search goes to the pool: below it (about 0.1 s of SIMD
 * distances at 50 dimensions) the search is over before the workers would have started.
 */
export const KNN_POOL_MIN = 4096;

/** As exactKnn, in blocks of query rows on the pool (or inline, yielding so a worker can cancel it). */
export async function exactKnnAsync(data: Float32Array, n: number, d: number, k: number, opts: KnnOptions = {}): Promise<KnnResult> {
  opts = { ...opts, pool: poolFor(opts.pool, n, opts.poolMinPoints ?? KNN_POOL_MIN) };
  const out = { k, indices: new Int32Array(n * k), distances: new Float32Array(n * k) };
  // Block size from the shape only (never the worker count): ~2e7 distance terms per block.
  const blocks = ranges(n, Math.max(16, Math.floor(2e7 / Math.max(1, n * d))));
  const ctx = { data: opts.pool ? opts.pool.share(data) : data, n, d, k, rows: blocks[0]?.to ?? 0 };
  const parts = await runBlocks<KnnResult>(opts.pool, knnEngine(opts, n, d) === 'wasm' ? 'knn-wasm' : 'knn', ctx, blocks, {
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

interface KnnContext {
  data: Float32Array;
  n: number;
  d: number;
  k: number;
  /** Most query rows in a block. */
  rows: number;
}

definePoolTask('knn', (c: KnnContext, r: { from: number; to: number }) => {
  const result = knnBlock(c.data, c.n, c.d, c.k, r.from, r.to);
  return { result, transfer: [result.indices.buffer as ArrayBuffer, result.distances.buffer as ArrayBuffer] };
});

/** A thread's kernels over a memory of its own holding the data (copied in once per job). */
const knnThreads = new WeakMap<KnnContext, Promise<{ kernels: SimdKernels; memory: WebAssembly.Memory; data: number; idx: number; dist: number; scratch: number }>>();

function knnThread(c: KnnContext) {
  let t = knnThreads.get(c);
  if (!t) {
    t = (async () => {
      const memory = simdMemory(0, false);
      const kernels = await simdKernels(memory);
      const l = new SimdLayout();
      const data = l.take(c.n * c.d, 4);
      const idx = l.take(c.rows * c.k, 4);
      const dist = l.take(c.rows * c.k, 4);
      const scratch = l.take(kernels.knnScratchBytes(c.d, c.k), 1);
      growTo(memory, l.bytes);
      new Float32Array(memory.buffer, data, c.n * c.d).set(c.data.subarray(0, c.n * c.d));
      return { kernels, memory, data, idx, dist, scratch };
    })();
    knnThreads.set(c, t);
  }
  return t;
}

/** knnBlock in the SIMD kernel: the same neighbours and distances. */
export async function knnBlockWasm(c: KnnContext, from: number, to: number): Promise<KnnResult> {
  const { kernels, memory, data, idx, dist, scratch } = await knnThread(c);
  kernels.knnRows(data, c.n, c.d, c.k, from, to, idx, dist, scratch);
  const m = (to - from) * c.k;
  return { k: c.k, indices: new Int32Array(memory.buffer, idx, m).slice(), distances: new Float32Array(memory.buffer, dist, m).slice() };
}

definePoolTask('knn-wasm', async (c: KnnContext, r: { from: number; to: number }) => {
  const result = await knnBlockWasm(c, r.from, r.to);
  return { result, transfer: [result.indices.buffer as ArrayBuffer, result.distances.buffer as ArrayBuffer] };
});
