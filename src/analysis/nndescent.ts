// Approximate k nearest neighbours on the CPU by NN-descent (Dong, Moses & Li 2011; the method
// behind pynndescent, which scanpy uses): start from seeded random neighbours, then repeatedly let
// each point's neighbours (and reverse neighbours) introduce each other, keeping the k best.
// Converges in a handful of passes at about O(n k^2 d) per pass instead of O(n^2 d).
import { CancelledError } from '../io/errors.ts';
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

/**
 * Points per join block and blocks per group (between refreshes of the worst distances): fixed.
 * Neither changes the bits (a block only drops pairs that would be refused); smaller groups drop
 * more: 1,024 x 8 sends 10.5M pushes at 30k points where 2,048 x 8 sent 16.6M.
 */
const JOIN_BLOCK = 1024;
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
  /** Memory is shared: blocks return their pairs in SharedArrayBuffers, which the owners then read in place. */
  shared?: boolean;
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

/** mulberry32's step: its state after m more draws is state + m * STEP (mod 2^32), so any draw can be had directly. */
const STEP = 0x6d2b79f5;

/** mulberry32's output for a given state (random.ts's generator, one draw). */
function mulberryAt(a: number): number {
  let t = a >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/**
 * The graph's heaps and candidate lists. Each point's list is written only by the block that owns
 * the point (destination ownership), taking its additions in the global order: the same bits as
 * one thread replaying every addition, for any cut of the points into owners.
 */
export interface GraphContext {
  n: number;
  K: number;
  maxCand: number;
  idx: Int32Array;
  dist: Float64Array;
  isNew: Uint8Array;
  newC: Int32Array;
  oldC: Int32Array;
  newN: Int32Array;
  oldN: Int32Array;
  worst: Float64Array;
  /** Per addition of the candidate pass (2 per heap entry: forward, reverse): 1 where it draws a random number. */
  draws: Uint8Array;
  data: Float32Array;
  d: number;
  /** Each point's random initial neighbours, in draw order (-1 past the last). */
  initJ: Int32Array;
}

/** The initial lists of [from, to): the drawn neighbours with their distances, pushed in draw order. */
export function initLists(g: GraphContext, r: { from: number; to: number }): number {
  const { K, d, data, initJ } = g;
  for (let i = r.from; i < r.to; i++) {
    for (let t = 0; t < K && initJ[i * K + t] >= 0; t++) {
      const j = initJ[i * K + t];
      let s = 0;
      for (let c = 0; c < d; c++) {
        const x = data[i * d + c] - data[j * d + c];
        s += x * x;
      }
      push(g, i, j, s);
    }
    g.worst[i] = g.dist[i * K + K - 1];
  }
  return 0;
}

/** Insert j into i's list (sorted ascending, worst last) unless present or not better than the worst. */
function push(g: GraphContext, i: number, j: number, dd: number): boolean {
  const { idx, dist, isNew, K } = g;
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
}

/**
 * Candidate lists of the points [from, to), first half: the serial pass adds, for each heap entry
 * (i, j) in order, j to i's list and i to j's (new or old by the entry's flag); a full list takes
 * the newcomer at a random slot. Here the additions that fill a list are made, and those that would
 * draw a random number are marked in `draws`, so that the second half knows each draw's global rank.
 */
export function candidatesFill(g: GraphContext, r: { from: number; to: number }): number {
  const { n, K, maxCand, idx, isNew, newC, oldC, newN, oldN, draws } = g;
  const { from, to } = r;
  newN.fill(0, from, to);
  oldN.fill(0, from, to);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const own = i >= from && i < to;
    for (let t = 0; t < K; t++) {
      const e = i * K + t;
      const j = idx[e];
      if (j < 0) continue;
      const list = isNew[e] ? newC : oldC;
      const num = isNew[e] ? newN : oldN;
      if (own) {
        const c = num[i];
        if (c < maxCand) {
          list[i * maxCand + c] = j;
          num[i] = c + 1;
          draws[2 * e] = 0;
        } else {
          draws[2 * e] = 1;
          count++;
        }
      }
      if (j >= from && j < to) {
        const c = num[j];
        if (c < maxCand) {
          list[j * maxCand + c] = i;
          num[j] = c + 1;
          draws[2 * e + 1] = 0;
        } else {
          draws[2 * e + 1] = 1;
          count++;
        }
      }
    }
  }
  return count;
}

/** Second half: the additions to full lists of [from, to), each with its draw from the stream at `state`. */
export function candidatesDraw(g: GraphContext, r: { from: number; to: number; state: number }): number {
  const { n, K, maxCand, idx, isNew, newC, oldC, draws } = g;
  const { from, to, state } = r;
  let m = 0;
  for (let e = 0; e < n * K; e++) {
    if (draws[2 * e] | draws[2 * e + 1]) {
      const i = (e / K) | 0;
      const j = idx[e];
      const list = isNew[e] ? newC : oldC;
      if (draws[2 * e]) {
        m++;
        if (i >= from && i < to) {
          const s = Math.floor(mulberryAt(state + Math.imul(m, STEP)) * (maxCand + 1));
          if (s < maxCand) list[i * maxCand + s] = j;
        }
      }
      if (draws[2 * e + 1]) {
        m++;
        if (j >= from && j < to) {
          const s = Math.floor(mulberryAt(state + Math.imul(m, STEP)) * (maxCand + 1));
          if (s < maxCand) list[j * maxCand + s] = i;
        }
      }
    }
  }
  return m;
}

/**
 * A join block's insertions as directed pushes (list `dest` may take `src`), in the join's order,
 * grouped by the owner of the receiving list: owner w's are [start[w], start[w + 1]).
 */
export interface RoutedPairs {
  dest: Int32Array;
  src: Int32Array;
  dd: Float64Array;
  start: Int32Array;
}

/** Which owners there are: points [w * size, (w + 1) * size) belong to owner w. */
export interface Owners {
  count: number;
  size: number;
}

/** The pairs of a block as pushes by owner (a pair both of whose ends may take the other is two pushes, u's first). */
export function routePairs(p: JoinPairs, o: Owners, shared: boolean): RoutedPairs {
  const { u, v, mask } = p;
  const start = new Int32Array(o.count + 1);
  for (let t = 0; t < u.length; t++) {
    if (mask[t] & 1) start[((u[t] / o.size) | 0) + 1]++;
    if (mask[t] & 2) start[((v[t] / o.size) | 0) + 1]++;
  }
  for (let w = 0; w < o.count; w++) start[w + 1] += start[w];
  const m = start[o.count];
  const mem = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const dest = new Int32Array(mem(4 * m));
  const src = new Int32Array(mem(4 * m));
  const dd = new Float64Array(mem(8 * m));
  const at = start.slice(0, o.count);
  for (let t = 0; t < u.length; t++) {
    if (mask[t] & 1) {
      const k = at[(u[t] / o.size) | 0]++;
      dest[k] = u[t];
      src[k] = v[t];
      dd[k] = p.dd[t];
    }
    if (mask[t] & 2) {
      const k = at[(v[t] / o.size) | 0]++;
      dest[k] = v[t];
      src[k] = u[t];
      dd[k] = p.dd[t];
    }
  }
  return { dest, src, dd, start };
}

/** Owner w's insertions from the group's blocks, in block order; then its lists' worst distances. Updates made. */
export function insertPairs(g: GraphContext, r: { from: number; to: number; owner: number; parts: (RoutedPairs | JoinPairs)[] }): number {
  let updates = 0;
  for (const part of r.parts) {
    if ('mask' in part) {
      // One owner: the block's pairs as the join gave them.
      const { u, v, dd, mask } = part;
      for (let t = 0; t < u.length; t++) {
        if (mask[t] & 1) updates += +push(g, u[t], v[t], dd[t]);
        if (mask[t] & 2) updates += +push(g, v[t], u[t], dd[t]);
      }
      continue;
    }
    const { dest, src, dd, start } = part;
    for (let t = start[r.owner]; t < start[r.owner + 1]; t++) updates += +push(g, dest[t], src[t], dd[t]);
  }
  for (let i = r.from; i < r.to; i++) g.worst[i] = g.dist[i * g.K + g.K - 1];
  return updates;
}

definePoolTask('nndescent-init', (g: GraphContext, r: { from: number; to: number }) => ({ result: initLists(g, r), transfer: [] }));
definePoolTask('nndescent-candidates', (g: GraphContext, r: { from: number; to: number; state?: number }) => ({ result: r.state === undefined ? candidatesFill(g, r) : candidatesDraw(g, r as { from: number; to: number; state: number }), transfer: [] }));
definePoolTask('nndescent-insert', (g: GraphContext, r: { from: number; to: number; owner: number; parts: (RoutedPairs | JoinPairs)[] }) => ({ result: insertPairs(g, r), transfer: [] }));

export async function nnDescent(data: Float32Array, n: number, d: number, k: number, opts: NnDescentOptions = {}): Promise<KnnResult> {
  let state = (opts.seed ?? 0) >>> 0;
  const rng = () => mulberryAt((state = (state + STEP) >>> 0));
  const K = k - 1; // the cell itself is added as neighbour 0 at the end, as scanpy stores it
  const maxIt = opts.maxIterations ?? 12;
  const delta = opts.delta ?? 0.001;
  const maxCand = Math.max(K, 30);
  const pool = poolFor(opts.pool, n, opts.poolMinPoints ?? NNDESCENT_POOL_MIN);
  const shared = pool?.shared ?? false;
  // The lists' own work (candidates, insertions) goes to the workers only where they can write the
  // graph in place; else it runs here, the same code over one owner.
  const owners = shared ? pool : null;
  const sh = <T extends Float32Array | Float64Array | Int32Array>(x: T): T => (pool ? pool.share(x) : x);
  const alloc = <T extends Float64Array | Int32Array>(C: { new (n: number): T; new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, len: number): T => (pool ? pool.alloc(C, len) : new C(len));
  const bytes = (len: number) => (shared ? new Uint8Array(new SharedArrayBuffer(len)) : new Uint8Array(len));
  const g: GraphContext = {
    n,
    K,
    maxCand,
    idx: alloc(Int32Array, n * K).fill(-1),
    dist: alloc(Float64Array, n * K).fill(Infinity),
    isNew: bytes(n * K),
    // Candidate lists, maxCand slots per point; counts say how many slots are used.
    newC: alloc(Int32Array, n * maxCand),
    oldC: alloc(Int32Array, n * maxCand),
    newN: alloc(Int32Array, n),
    oldN: alloc(Int32Array, n),
    worst: alloc(Float64Array, n),
    draws: bytes(2 * n * K),
    data: sh(data),
    d,
    initJ: alloc(Int32Array, n * K).fill(-1),
  };
  // Two owners per worker, taken as workers come free (one slowed by a busy machine takes fewer);
  // ownership does not change the bits, only how the work is shared. Each owner's candidate pass
  // scans all n k heap entries (~5 ms at 100k points), so not many more.
  const ownSize = Math.ceil(n / (owners ? 2 * owners.size : 1));
  const own = ranges(n, ownSize);
  const cut: Owners = { count: own.length, size: ownSize };
  const graphJob = (task: 'nndescent-init' | 'nndescent-candidates' | 'nndescent-insert') => openJob(owners, task, g as unknown as Record<string, unknown>);
  const initJob = graphJob('nndescent-init');
  const candJob = graphJob('nndescent-candidates');
  const insertJob = graphJob('nndescent-insert');
  // Random initial lists: the draws here, in the one stream (a draw is kept unless it is the point
  // itself or already drawn: no list is full before K are kept), the distances by owner. The one
  // departure from drawing until K are in: an infinite distance (an infinite coordinate) is
  // refused by the list but still counts as kept.
  for (let i = 0; i < n; i++) {
    const base = i * K;
    let kept = 0;
    for (let t = 0; t < Math.min(K, n - 1) * 2 && kept < K; t++) {
      const j = Math.floor(rng() * n);
      if (j === i) continue;
      let dup = false;
      for (let s = 0; s < kept; s++) if (g.initJ[base + s] === j) dup = true;
      if (!dup) g.initJ[base + kept++] = j;
    }
  }
  const ctx: JoinContext = { data: g.data, d, maxCand, newC: g.newC, oldC: g.oldC, newN: g.newN, oldN: g.oldN, worst: g.worst, shared };
  const blocks = ranges(n, JOIN_BLOCK);
  const openJoin = () => openJob(pool, knnEngine(opts, n, d) === 'wasm' ? 'nndescent-join-wasm' : 'nndescent-join', ctx as unknown as Record<string, unknown>);
  // In shared memory the workers see each pass's candidate lists in place: one join job for all
  // passes (its threads keep their kernels and copy of the data); else a job per pass carries them.
  const sharedJoin = shared ? openJoin() : null;
  try {
    await initJob.run<number>(own, { signal: opts.signal });
    for (let it = 0; it < maxIt; it++) {
      await new Promise((r) => setTimeout(r, 0));
      if (opts.signal?.aborted) throw new CancelledError('neighbors');
      opts.onProgress?.(it / maxIt, `neighbors (NN-descent): pass ${it + 1}`);
      // Candidate lists: each point's new and old neighbours plus the reverse ones (capped, seeded).
      const drawn = (await candJob.run<number>(own, { signal: opts.signal })).reduce((a, b) => a + b, 0);
      await candJob.run<number>(own.map((r) => ({ ...r, state })), { signal: opts.signal });
      state = (state + Math.imul(drawn, STEP)) >>> 0;
      g.isNew.fill(0);
      // Local join: the distances (most of the work) in blocks on the pool, then the insertions by
      // owner of the receiving list. A block drops the pairs that cannot enter a list: lists' worst
      // distances only fall, so a pair no better than the worst at the start of its group of
      // blocks would be refused at its turn too.
      const job = sharedJoin ?? openJoin();
      let updates = 0;
      try {
        // The first pass starts from random lists whose worst distances filter almost nothing: its
        // first groups are small (one block per worker, then doubling), so each group's insertions
        // tighten the filter for the next before many pairs are routed and inserted for nothing.
        for (let b = 0, size = it === 0 ? Math.max(1, pool?.size ?? 1) : JOIN_GROUP; b < blocks.length; b += size, size = Math.min(JOIN_GROUP, 2 * size)) {
          const group = blocks.slice(b, b + size).map((r) => ({ ...r, worst: shared || !pool ? undefined : g.worst, owners: cut }));
          const parts = await job.run<RoutedPairs | JoinPairs>(group, { signal: opts.signal });
          for (const u of await insertJob.run<number>(own.map((r, owner) => ({ ...r, owner, parts })), { signal: opts.signal })) updates += u;
          // A pass is seconds at 100k points (tens at 1M): progress after every group, not only per pass.
          const at = Math.min(blocks.length, b + size);
          if (at < blocks.length) opts.onProgress?.((it + at / blocks.length) / maxIt, `neighbors (NN-descent): pass ${it + 1}, ${Math.round((at / blocks.length) * 100)}%`);
        }
      } finally {
        if (job !== sharedJoin) job.close();
      }
      if (updates < delta * n * K) break;
    }
  } finally {
    sharedJoin?.close();
    initJob.close();
    candJob.close();
    insertJob.close();
  }
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    indices[i * k] = i;
    for (let t = 0; t < K; t++) {
      indices[i * k + 1 + t] = g.idx[i * K + t];
      distances[i * k + 1 + t] = Math.sqrt(g.dist[i * K + t]);
    }
  }
  return { k, indices, distances };
}

/** The pool task's answer: a block's pairs routed to their owners, in shared memory (no copy to reach them) or transferred. */
function pairsOut(c: JoinContext, p: JoinPairs, owners: Owners): { result: RoutedPairs | JoinPairs; transfer: ArrayBuffer[] } {
  if (owners.count === 1) {
    // One owner takes every push: a copy of the pairs (the WASM join's are views of its memory), not routed.
    const r = { u: p.u.slice(), v: p.v.slice(), dd: p.dd.slice(), mask: p.mask.slice() };
    return { result: r, transfer: [r.u.buffer as ArrayBuffer, r.v.buffer as ArrayBuffer, r.dd.buffer as ArrayBuffer, r.mask.buffer as ArrayBuffer] };
  }
  const result = routePairs(p, owners, !!c.shared);
  return { result, transfer: c.shared ? [] : [result.dest.buffer as ArrayBuffer, result.src.buffer as ArrayBuffer, result.dd.buffer as ArrayBuffer, result.start.buffer as ArrayBuffer] };
}

type JoinArgs = { from: number; to: number; worst?: Float64Array; owners: Owners };

definePoolTask('nndescent-join', (c: JoinContext, r: JoinArgs) => pairsOut(c, joinBlock(c, r), r.owners));

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

/** joinBlock with the distances in the SIMD kernel: the same pairs in the same order, as views of the thread's memory (valid until its next block). */
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
  return { u: new Int32Array(buf, uAt, m), v: new Int32Array(buf, vAt, m), dd: new Float64Array(buf, dAt, m), mask: new Uint8Array(buf, mAt, m) };
}

definePoolTask('nndescent-join-wasm', async (c: JoinContext, r: JoinArgs) => pairsOut(c, await joinBlockWasm(c, r), r.owners));
