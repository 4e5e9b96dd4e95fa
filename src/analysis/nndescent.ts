// Approximate k nearest neighbours on the CPU by NN-descent (Dong, Moses & Li 2011; the method
// behind pynndescent, which scanpy uses): start from seeded random neighbours, then repeatedly let
// each point's neighbours (and reverse neighbours) introduce each other, keeping the k best.
// Converges in a handful of passes at about O(n k^2 d) per pass instead of O(n^2 d).
import { CancelledError } from '../io/errors.ts';
import { mulberry32 } from '../model/random.ts';
import { knnEngine, type KnnOptions, type KnnResult } from './knn.ts';
import { openJob, poolFor, ranges } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';
import { growTo, SimdLayout, simdKernels, simdMemory, type SimdKernels } from './simd.ts';

/**
 * Fewest points for which the join goes to the pool. Its serial parts (candidate lists, the
 * replayed insertions) are about half the work once the distances run in SIMD, so two workers
 * gain little below this size (bench/pool-small.ts).
 */
export const NNDESCENT_POOL_MIN = 20000;

/** Points per join block and blocks per group (between refreshes of the worst distances): fixed. */
const JOIN_BLOCK = 2048;
const JOIN_GROUP = 8;

/** What every join block reads: the data, the candidate lists and each list's worst distance. */
export interface JoinContext {
  data: Float32Array;
  d: number;
  maxCand: number;
  newC: Int32Array;
  oldC: Int32Array;
  newN: Int32Array;
  oldN: Int32Array;
  worst: Float64Array;
}

/** Candidate pairs in the join's order: bit 0 of mask, u may take v; bit 1, v may take u. */
export interface JoinPairs {
  u: Int32Array;
  v: Int32Array;
  dd: Float64Array;
  mask: Uint8Array;
}

/** Distinct entries of a candidate list into `out`, in first-seen order (as [...new Set(list)]); their count. */
function distinct(list: Int32Array, from: number, count: number, out: Int32Array): number {
  let m = 0;
  for (let t = from; t < from + count; t++) {
    const x = list[t];
    let seen = false;
    for (let s = 0; s < m; s++) if (out[s] === x) seen = true;
    if (!seen) out[m++] = x;
  }
  return m;
}

/** The pool task: the local join's pairs of points [from, to) with their distances, those that may enter a list. */
export function joinBlock(ctx: JoinContext, r: { from: number; to: number; worst?: Float64Array }): JoinPairs {
  const { data, d, maxCand } = ctx;
  const worst = r.worst ?? ctx.worst;
  const nw = new Int32Array(maxCand);
  const od = new Int32Array(maxCand);
  // Upper bound on the pairs, to size the output once.
  let bound = 0;
  for (let i = r.from; i < r.to; i++) bound += (ctx.newN[i] * (ctx.newN[i] - 1)) / 2 + ctx.newN[i] * ctx.oldN[i];
  const u = new Int32Array(bound);
  const v = new Int32Array(bound);
  const dd = new Float64Array(bound);
  const mask = new Uint8Array(bound);
  let m = 0;
  for (let i = r.from; i < r.to; i++) {
    const nn = distinct(ctx.newC, i * maxCand, ctx.newN[i], nw);
    const no = distinct(ctx.oldC, i * maxCand, ctx.oldN[i], od);
    for (let a = 0; a < nn; a++) {
      const p = nw[a];
      const op = p * d;
      const wp = worst[p];
      for (let b = a + 1; b < nn + no; b++) {
        // New-new pairs first, then new-old, as the serial join takes them.
        const q = b < nn ? nw[b] : od[b - nn];
        if (q === p) continue;
        const oq = q * d;
        let x = 0;
        for (let t = 0; t < d; t++) {
          const z = data[op + t] - data[oq + t];
          x += z * z;
        }
        // push's own test, negated (NaN included).
        const bits = (x >= wp ? 0 : 1) | (x >= worst[q] ? 0 : 2);
        if (bits) {
          u[m] = p;
          v[m] = q;
          dd[m] = x;
          mask[m++] = bits;
        }
      }
    }
  }
  return { u: u.slice(0, m), v: v.slice(0, m), dd: dd.slice(0, m), mask: mask.slice(0, m) };
}

export interface NnDescentOptions extends KnnOptions {
  seed?: number;
  maxIterations?: number;
  /** Stop when fewer than delta * n * k neighbour updates happen in a pass. */
  delta?: number;
}

export async function nnDescent(data: Float32Array, n: number, d: number, k: number, opts: NnDescentOptions = {}): Promise<KnnResult> {
  const rng = mulberry32(opts.seed ?? 0);
  const K = k - 1; // the cell itself is added as neighbour 0 at the end, as scanpy stores it
  const idx = new Int32Array(n * K).fill(-1);
  const dist = new Float64Array(n * K).fill(Infinity);
  const isNew = new Uint8Array(n * K);
  const sq = (a: number, b: number) => {
    let s = 0;
    const oa = a * d;
    const ob = b * d;
    for (let t = 0; t < d; t++) {
      const x = data[oa + t] - data[ob + t];
      s += x * x;
    }
    return s;
  };
  // Insert j into i's list (sorted ascending, worst last) unless present or not better than the worst.
  const push = (i: number, j: number, dd: number): boolean => {
    const base = i * K;
    if (dd >= dist[base + K - 1]) return false;
    for (let t = 0; t < K; t++) if (idx[base + t] === j) return false;
    let p = K - 1;
    while (p > 0 && dist[base + p - 1] > dd) {
      dist[base + p] = dist[base + p - 1];
      idx[base + p] = idx[base + p - 1];
      isNew[base + p] = isNew[base + p - 1];
      p--;
    }
    dist[base + p] = dd;
    idx[base + p] = j;
    isNew[base + p] = 1;
    return true;
  };
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < Math.min(K, n - 1) * 2 && idx[i * K + K - 1] < 0; t++) {
      const j = Math.floor(rng() * n);
      if (j !== i) push(i, j, sq(i, j));
    }
  }
  const maxIt = opts.maxIterations ?? 12;
  const delta = opts.delta ?? 0.001;
  const maxCand = Math.max(K, 30);
  const pool = poolFor(opts.pool, n, opts.poolMinPoints ?? NNDESCENT_POOL_MIN);
  const shared = pool?.shared ?? false;
  const sh = <T extends Float32Array | Float64Array | Int32Array>(x: T): T => (pool ? pool.share(x) : x);
  const alloc = <T extends Float64Array | Int32Array>(C: { new (n: number): T; new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, len: number): T => (pool ? pool.alloc(C, len) : new C(len));
  // Candidate lists, maxCand slots per point; counts say how many slots are used.
  const newC = alloc(Int32Array, n * maxCand);
  const oldC = alloc(Int32Array, n * maxCand);
  const newN = alloc(Int32Array, n);
  const oldN = alloc(Int32Array, n);
  const worst = alloc(Float64Array, n);
  const ctx: JoinContext = { data: sh(data), d, maxCand, newC, oldC, newN, oldN, worst };
  const blocks = ranges(n, JOIN_BLOCK);
  for (let it = 0; it < maxIt; it++) {
    await new Promise((r) => setTimeout(r, 0));
    if (opts.signal?.aborted) throw new CancelledError('neighbors');
    opts.onProgress?.(it / maxIt, `neighbors (NN-descent): pass ${it + 1}`);
    // Candidate lists: each point's new and old neighbours plus the reverse ones (capped, seeded).
    newN.fill(0);
    oldN.fill(0);
    const add = (list: Int32Array, count: Int32Array, i: number, j: number) => {
      const c = count[i];
      if (c < maxCand) {
        list[i * maxCand + c] = j;
        count[i] = c + 1;
      } else {
        const r = Math.floor(rng() * (c + 1));
        if (r < maxCand) list[i * maxCand + r] = j;
      }
    };
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < K; t++) {
        const j = idx[i * K + t];
        if (j < 0) continue;
        if (isNew[i * K + t]) {
          add(newC, newN, i, j);
          add(newC, newN, j, i);
          isNew[i * K + t] = 0;
        } else {
          add(oldC, oldN, i, j);
          add(oldC, oldN, j, i);
        }
      }
    }
    // Local join: the distances (most of the work) in blocks on the pool; the insertions replayed
    // here in the serial order, so the lists evolve exactly as in one thread. A block drops the
    // pairs that cannot enter a list: lists' worst distances only fall, so a pair no better than
    // the worst at the start of its group of blocks would be refused at its turn too.
    const job = openJob(pool, knnEngine(opts, n, d) === 'wasm' ? 'nndescent-join-wasm' : 'nndescent-join', ctx as unknown as Record<string, unknown>);
    let updates = 0;
    try {
      for (let g = 0; g < blocks.length; g += JOIN_GROUP) {
        for (let i = 0; i < n; i++) worst[i] = dist[i * K + K - 1];
        const group = blocks.slice(g, g + JOIN_GROUP).map((r) => ({ ...r, worst: shared || !pool ? undefined : worst }));
        const parts = await job.run<JoinPairs>(group, { signal: opts.signal });
        for (const { u, v, dd, mask } of parts) {
          for (let t = 0; t < u.length; t++) {
            if (mask[t] & 1) updates += +push(u[t], v[t], dd[t]);
            if (mask[t] & 2) updates += +push(v[t], u[t], dd[t]);
          }
        }
      }
    } finally {
      job.close();
    }
    if (updates < delta * n * K) break;
  }
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    indices[i * k] = i;
    for (let t = 0; t < K; t++) {
      indices[i * k + 1 + t] = idx[i * K + t];
      distances[i * k + 1 + t] = Math.sqrt(dist[i * K + t]);
    }
  }
  return { k, indices, distances };
}

definePoolTask('nndescent-join', (c: JoinContext, r: { from: number; to: number; worst?: Float64Array }) => {
  const result = joinBlock(c, r);
  return { result, transfer: [result.u.buffer as ArrayBuffer, result.v.buffer as ArrayBuffer, result.dd.buffer as ArrayBuffer, result.mask.buffer as ArrayBuffer] };
});

/** A thread's kernels for the join: the data (copied in once per job), one point's candidates, the pairs out. */
interface JoinThread {
  kernels: SimdKernels;
  memory: WebAssembly.Memory;
  data: number;
  cand: number;
  worst: number;
  prow: number;
  /** Offset and capacity (pairs) of the output area, laid out from here on demand. */
  out: number;
  capacity: number;
}

const joinThreads = new WeakMap<JoinContext, Promise<JoinThread>>();

function joinThread(ctx: JoinContext): Promise<JoinThread> {
  let t = joinThreads.get(ctx);
  if (!t) {
    t = (async () => {
      const memory = simdMemory(0, false);
      const kernels = await simdKernels(memory);
      const n = ctx.newN.length;
      const l = new SimdLayout();
      const data = l.take(n * ctx.d, 4);
      const cand = l.take(2 * ctx.maxCand, 4);
      const worst = l.take(2 * ctx.maxCand, 8);
      const prow = l.take(ctx.d, 8);
      growTo(memory, l.bytes);
      new Float32Array(memory.buffer, data, n * ctx.d).set(ctx.data.subarray(0, n * ctx.d));
      return { kernels, memory, data, cand, worst, prow, out: l.bytes, capacity: 0 };
    })();
    joinThreads.set(ctx, t);
  }
  return t;
}

/** joinBlock with the distances in the SIMD kernel: the same pairs in the same order. */
export async function joinBlockWasm(ctx: JoinContext, r: { from: number; to: number; worst?: Float64Array }): Promise<JoinPairs> {
  const th = await joinThread(ctx);
  const { maxCand } = ctx;
  const worst = r.worst ?? ctx.worst;
  let bound = 0;
  for (let i = r.from; i < r.to; i++) bound += (ctx.newN[i] * (ctx.newN[i] - 1)) / 2 + ctx.newN[i] * ctx.oldN[i];
  // Output arrays u, v (i32), dd (f64), mask (u8) for `bound` pairs.
  const size = (c: number) => Math.ceil((c * 4) / 16) * 16 * 2 + Math.ceil((c * 8) / 16) * 16 + Math.ceil(c / 16) * 16;
  if (bound > th.capacity) {
    th.capacity = Math.max(bound, 2 * th.capacity);
    growTo(th.memory, th.out + size(th.capacity));
  }
  const uAt = th.out;
  const vAt = uAt + Math.ceil((th.capacity * 4) / 16) * 16;
  const dAt = vAt + Math.ceil((th.capacity * 4) / 16) * 16;
  const mAt = dAt + Math.ceil((th.capacity * 8) / 16) * 16;
  const cand = new Int32Array(th.memory.buffer, th.cand, 2 * maxCand);
  const candWorst = new Float64Array(th.memory.buffer, th.worst, 2 * maxCand);
  let m = 0;
  for (let i = r.from; i < r.to; i++) {
    const nn = distinct(ctx.newC, i * maxCand, ctx.newN[i], cand);
    const no = distinct(ctx.oldC, i * maxCand, ctx.oldN[i], cand.subarray(nn));
    if (nn === 0) continue;
    for (let b = 0; b < nn + no; b++) candWorst[b] = worst[cand[b]];
    m = th.kernels.joinPoint(th.data, ctx.d, th.cand, th.worst, nn, no, th.prow, uAt, vAt, dAt, mAt, m);
  }
  const buf = th.memory.buffer;
  return { u: new Int32Array(buf, uAt, m).slice(), v: new Int32Array(buf, vAt, m).slice(), dd: new Float64Array(buf, dAt, m).slice(), mask: new Uint8Array(buf, mAt, m).slice() };
}

definePoolTask('nndescent-join-wasm', async (c: JoinContext, r: { from: number; to: number; worst?: Float64Array }) => {
  const result = await joinBlockWasm(c, r);
  return { result, transfer: [result.u.buffer as ArrayBuffer, result.v.buffer as ArrayBuffer, result.dd.buffer as ArrayBuffer, result.mask.buffer as ArrayBuffer] };
});
