// UMAP's fuzzy simplicial set from a kNN graph, as scanpy's `neighbors` (method 'umap') stores it in
// obsp['connectivities']: per-cell rho (distance to the nearest neighbour) and sigma (binary search
// so that the memberships sum to log2(k)), memberships exp(-(d - rho) / sigma), then the fuzzy union
// A + A^T - A o A^T. Mirrors umap-learn's smooth_knn_dist and compute_membership_strengths.
import type { KnnResult } from './knn.ts';
import { CancelledError } from '../io/errors.ts';
import { openJob, poolFor, ranges, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';

export interface SparseGraph {
  n: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
}

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

/**
 * Fewest cells for which the fuzzy set goes to the pool (rows in blocks; the same bits inline).
 * About 8 us a cell on one thread: below this the workers' start-up and hand-offs eat the gain.
 */
export const FUZZY_POOL_MIN = 20000;

/** Rows per block: fixed, so blocks never depend on the thread count (they would not change the bits anyway: rows are independent). */
const FUZZY_BLOCK = 4096;

/** Mean of all kNN distances, in order: the floor of sigma where a cell's rho is 0. */
function meanDistance(distances: Float32Array): number {
  let meanAll = 0;
  for (const v of distances) meanAll += v;
  return meanAll / distances.length;
}

/** rho and sigma of rows [from, to) (umap-learn's smooth_knn_dist, per row). */
function smoothRows(knn: KnnResult, meanAll: number, sigmas: Float32Array, rhos: Float32Array, from: number, to: number, nIter: number, localConnectivity: number, bandwidth: number): void {
  const { k, distances } = knn;
  const target = Math.log2(k) * bandwidth;
  const nonZero = new Float32Array(k);
  for (let i = from; i < to; i++) {
    const row = distances.subarray(i * k, (i + 1) * k);
    let nz = 0;
    for (let j = 0; j < k; j++) if (row[j] > 0) nonZero[nz++] = row[j];
    if (nz >= localConnectivity) {
      const index = Math.floor(localConnectivity);
      const interpolation = localConnectivity - index;
      if (index > 0) {
        rhos[i] = nonZero[index - 1];
        if (interpolation > SMOOTH_K_TOLERANCE) rhos[i] += interpolation * (nonZero[index] - nonZero[index - 1]);
      } else rhos[i] = interpolation * nonZero[0];
    } else if (nz > 0) {
      let max = -Infinity;
      for (let j = 0; j < nz; j++) max = Math.max(max, nonZero[j]);
      rhos[i] = max;
    }
    const rho = rhos[i];
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < nIter; it++) {
      let psum = 0;
      for (let j = 1; j < k; j++) {
        const dd = Math.fround(row[j] - rho);
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
    if (rho > 0) {
      let meanRow = 0;
      for (const v of row) meanRow += v;
      meanRow /= k;
      if (sigmas[i] < MIN_K_DIST_SCALE * meanRow) sigmas[i] = MIN_K_DIST_SCALE * meanRow;
    } else if (sigmas[i] < MIN_K_DIST_SCALE * meanAll) sigmas[i] = MIN_K_DIST_SCALE * meanAll;
  }
}

export function smoothKnnDist(knn: KnnResult, n: number, nIter = 64, localConnectivity = 1, bandwidth = 1): { sigmas: Float32Array; rhos: Float32Array } {
  const sigmas = new Float32Array(n);
  const rhos = new Float32Array(n);
  smoothRows(knn, meanDistance(knn.distances), sigmas, rhos, 0, n, nIter, localConnectivity, bandwidth);
  return { sigmas, rhos };
}

/**
 * What the fuzzy set's row blocks share. Directed memberships sit k slots a row (outLen used): a
 * neighbour listed twice keeps its last strength. inPtr/inIdx: who lists each cell (the transpose).
 */
interface FuzzyContext {
  n: number;
  k: number;
  indices: Int32Array;
  distances: Float32Array;
  meanAll: number;
  sigmas: Float32Array;
  rhos: Float32Array;
  outLen: Int32Array;
  outIdx: Int32Array;
  outVal: Float32Array;
  inPtr: Int32Array;
  inIdx: Int32Array;
  /** Row sizes of the union, then (once summed) its indptr. */
  indptr: Int32Array;
}

/** The union's columns and values, allocated at their exact size once the row sizes are summed. */
interface UnionOut {
  cols: Int32Array;
  data: Float32Array;
}

type FuzzyBlock = { from: number; to: number; phase: 'rows' | 'count' | 'fill'; out?: UnionOut };

/** rho, sigma and the directed memberships of rows [from, to). */
function membershipRows(c: FuzzyContext, from: number, to: number): void {
  const { k, indices, distances, sigmas, rhos, outLen, outIdx, outVal } = c;
  smoothRows({ k, indices, distances }, c.meanAll, sigmas, rhos, from, to, 64, 1, 1);
  for (let i = from; i < to; i++) {
    const start = i * k;
    let end = start;
    for (let j = 0; j < k; j++) {
      const col = indices[i * k + j];
      if (col < 0 || col === i) continue;
      const dd = distances[i * k + j] - rhos[i];
      const v = Math.fround(dd <= 0 || sigmas[i] === 0 ? 1 : Math.exp(-(dd / sigmas[i])));
      let t = start;
      while (t < end && outIdx[t] !== col) t++;
      outIdx[t] = col;
      outVal[t] = v;
      if (t === end) end++;
    }
    outLen[i] = end - start;
  }
}

/** Strength of from -> to, -1 where from does not list to. */
function strength(c: FuzzyContext, from: number, to: number): number {
  const start = from * c.k;
  for (let t = start; t < start + c.outLen[from]; t++) if (c.outIdx[t] === to) return c.outVal[t];
  return -1;
}

/** Sizes of the union's rows [from, to) into indptr[i + 1]. */
function unionCounts(c: FuzzyContext, from: number, to: number): void {
  const { inPtr, inIdx } = c;
  for (let i = from; i < to; i++) {
    let size = c.outLen[i];
    for (let t = inPtr[i]; t < inPtr[i + 1]; t++) if (strength(c, i, inIdx[t]) < 0) size++;
    c.indptr[i + 1] = size;
  }
}

/** The fuzzy union a + b - a b of rows [from, to) (a, b the two directions, 0 where absent), each row sorted by column. */
function unionRows(c: FuzzyContext, from: number, to: number, out: UnionOut): void {
  const { k, inPtr, inIdx, outIdx, outVal, indptr } = c;
  const { cols, data } = out;
  for (let i = from; i < to; i++) {
    const at = indptr[i];
    let m = 0;
    // Insertion by column (a row's columns are distinct: the direct ones, then those that only list i).
    const put = (col: number, val: number) => {
      let p = at + m++;
      while (p > at && cols[p - 1] > col) {
        cols[p] = cols[p - 1];
        data[p] = data[p - 1];
        p--;
      }
      cols[p] = col;
      data[p] = val;
    };
    for (let t = i * k; t < i * k + c.outLen[i]; t++) {
      const a = outVal[t];
      const b = Math.max(0, strength(c, outIdx[t], i));
      put(outIdx[t], a + b - a * b);
    }
    for (let t = inPtr[i]; t < inPtr[i + 1]; t++) {
      const col = inIdx[t];
      if (strength(c, i, col) >= 0) continue;
      // Only col lists i: b = 0, so a + b - a b is a itself.
      put(col, strength(c, col, i));
    }
  }
}

function fuzzyBlock(c: FuzzyContext, r: FuzzyBlock): void {
  if (r.phase === 'rows') membershipRows(c, r.from, r.to);
  else if (r.phase === 'count') unionCounts(c, r.from, r.to);
  else unionRows(c, r.from, r.to, r.out!);
}

definePoolTask('fuzzy-connectivities', (c: FuzzyContext, r: FuzzyBlock) => {
  fuzzyBlock(c, r);
  return { result: 0, transfer: [] };
});

export interface FuzzyOptions {
  /** Row blocks on this pool's workers where memory is shared (the same bits inline). */
  pool?: WorkerPool | null;
  poolMinPoints?: number;
  signal?: AbortSignal;
}

/** The transpose of the directed memberships: who lists each cell, in row order. */
function transpose(c: FuzzyContext): void {
  const { n, k, outLen, outIdx, inPtr, inIdx } = c;
  for (let i = 0; i < n; i++) for (let t = i * k; t < i * k + outLen[i]; t++) inPtr[outIdx[t] + 1]++;
  for (let i = 0; i < n; i++) inPtr[i + 1] += inPtr[i];
  const fill = inPtr.slice(0, n);
  for (let i = 0; i < n; i++) for (let t = i * k; t < i * k + outLen[i]; t++) inIdx[fill[outIdx[t]]++] = i;
}

/** A context over `knn`; arrays from `pool` (shared) where given. */
function newContext(knn: KnnResult, n: number, pool: WorkerPool | null): FuzzyContext {
  const { k } = knn;
  const f32 = (len: number) => (pool ? pool.alloc(Float32Array, len) : new Float32Array(len));
  const i32 = (len: number) => (pool ? pool.alloc(Int32Array, len) : new Int32Array(len));
  return {
    n,
    k,
    indices: pool ? pool.share(knn.indices) : knn.indices,
    distances: pool ? pool.share(knn.distances) : knn.distances,
    meanAll: meanDistance(knn.distances),
    sigmas: f32(n),
    rhos: f32(n),
    outLen: i32(n),
    outIdx: i32(n * k),
    outVal: f32(n * k),
    inPtr: i32(n + 1),
    inIdx: i32(n * k),
    indptr: i32(n + 1),
  };
}

function prefix(c: FuzzyContext): void {
  for (let i = 0; i < c.n; i++) c.indptr[i + 1] += c.indptr[i];
}

/** The union's arrays at their exact size (shared where `pool` is given). */
function unionOut(c: FuzzyContext, pool: WorkerPool | null): UnionOut {
  const nnz = c.indptr[c.n];
  return { cols: pool ? pool.alloc(Int32Array, nnz) : new Int32Array(nnz), data: pool ? pool.alloc(Float32Array, nnz) : new Float32Array(nnz) };
}

/** The graph in plain (unshared) arrays: copies only of shared ones. */
function finish(c: FuzzyContext, out: UnionOut, shared: boolean): SparseGraph {
  return shared ? { n: c.n, indptr: c.indptr.slice(), indices: out.cols.slice(), data: out.data.slice() } : { n: c.n, indptr: c.indptr, indices: out.cols, data: out.data };
}

export function fuzzyConnectivities(knn: KnnResult, n: number): SparseGraph {
  const c = newContext(knn, n, null);
  membershipRows(c, 0, n);
  transpose(c);
  unionCounts(c, 0, n);
  prefix(c);
  const out = unionOut(c, null);
  unionRows(c, 0, n, out);
  return finish(c, out, false);
}

/**
 * fuzzyConnectivities with its rows in blocks on the pool (memberships, union sizes, union rows;
 * the transpose and the prefix sums between them here), or inline in the same blocks: identical bits.
 */
export async function fuzzyConnectivitiesAsync(knn: KnnResult, n: number, opts: FuzzyOptions = {}): Promise<SparseGraph> {
  const found = poolFor(opts.pool, n, opts.poolMinPoints ?? FUZZY_POOL_MIN);
  if (opts.signal?.aborted) throw new CancelledError('neighbors');
  // Without a pool that shares memory the blocks run here, one after the other (same bits): still in
  // blocks, so that the thread yields and a cancel is seen (~8 s of rows at 1M cells).
  const p = found?.shared ? found : null;
  const c = newContext(knn, n, p);
  const blocks = ranges(n, FUZZY_BLOCK);
  const job = openJob(p, 'fuzzy-connectivities', c as unknown as Record<string, unknown>);
  const run = (phase: FuzzyBlock['phase'], out?: UnionOut) => job.run(blocks.map((r) => ({ ...r, phase, out })), { signal: opts.signal });
  let out: UnionOut;
  try {
    await run('rows');
    transpose(c);
    await run('count');
    prefix(c);
    out = unionOut(c, p);
    await run('fill', out);
  } finally {
    job.close();
  }
  return finish(c, out, !!p);
}
