// UMAP layout of a fuzzy neighbour graph with scanpy's defaults (min_dist 0.5, spread 1.0,
// negative_sample_rate 5, 500 epochs below 10,000 cells else 200, learning rate 1 decaying
// linearly, gradients clipped at 4), following umap-learn's optimize_layout_euclidean with one
// change: each epoch updates all points from the previous epoch's positions ("Jacobi" order)
// instead of in place. That makes the epoch a pure per-point function, so the CPU path here and
// the WebGPU kernel (umap-webgpu.ts) compute the same thing, in parallel, deterministically.
// Attraction for an edge moves both ends in umap-learn; here each end gathers it from its own
// row of the symmetric graph. Negative samples come from a counter-based hash of (seed, epoch,
// edge, sample), identical in JS and WGSL.
import { CancelledError } from '../io/errors.ts';
import type { SparseGraph } from './connectivities.ts';
import { pca } from './pca.ts';
import { openJob, ranges, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';

export interface UmapOptions {
  minDist?: number;
  spread?: number;
  nEpochs?: number;
  negativeSampleRate?: number;
  seed?: number;
  /** Epochs split their points across this pool's workers (same results as inline). */
  pool?: WorkerPool | null;
  /** Fewest points for which epochs go to the pool (default UMAP_POOL_MIN). */
  poolMinPoints?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface UmapPlan {
  n: number;
  a: number;
  b: number;
  nEpochs: number;
  negativeSampleRate: number;
  seed: number;
  /** The graph's rows with the weak edges removed, and each entry's epochs_per_sample. */
  indptr: Int32Array;
  indices: Int32Array;
  epochsPerSample: Float32Array;
  /** Starting coordinates [n, 2]. */
  init: Float32Array;
}

/** umap-learn's find_ab_params: least-squares fit of 1 / (1 + a d^2b) to the target curve. */
export function findAB(spread = 1, minDist = 0.5): { a: number; b: number } {
  const xs = Array.from({ length: 300 }, (_, i) => (i * spread * 3) / 299);
  const ys = xs.map((x) => (x < minDist ? 1 : Math.exp(-(x - minDist) / spread)));
  let a = 1;
  let b = 1;
  let lambda = 1e-3;
  const sse = (a: number, b: number) => xs.reduce((s, x, i) => s + (1 / (1 + a * x ** (2 * b)) - ys[i]) ** 2, 0);
  let err = sse(a, b);
  for (let it = 0; it < 500; it++) {
    // Levenberg-Marquardt on the two parameters (scipy's curve_fit does the same).
    let jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      if (x === 0) continue;
      const p = x ** (2 * b);
      const f = 1 / (1 + a * p);
      const r = f - ys[i];
      const da = -p * f * f;
      const db = -a * p * 2 * Math.log(x) * f * f;
      jaa += da * da; jab += da * db; jbb += db * db; ga += da * r; gb += db * r;
    }
    const m00 = jaa * (1 + lambda), m11 = jbb * (1 + lambda);
    const det = m00 * m11 - jab * jab;
    const stepA = -(m11 * ga - jab * gb) / det;
    const stepB = -(m00 * gb - jab * ga) / det;
    const e2 = sse(a + stepA, b + stepB);
    if (e2 < err) {
      a += stepA;
      b += stepB;
      lambda /= 3;
      if (err - e2 < 1e-15) break;
      err = e2;
    } else lambda *= 4;
  }
  return { a, b };
}

export function defaultEpochs(n: number): number {
  return n <= 10000 ? 500 : 200;
}

/**
 * Everything the optimisation needs: fitted a, b, the pruned graph with epochs per sample, and
 * the starting layout, from the first two principal components of `coords` (the representation
 * the graph was built on) scaled to [-10, 10] with tiny seeded noise, as umap-learn's init='pca'.
 */
export async function planUmap(graph: SparseGraph, coords: Float32Array, dim: number, opts: UmapOptions = {}): Promise<UmapPlan> {
  const n = graph.n;
  const nEpochs = opts.nEpochs ?? defaultEpochs(n);
  const { a, b } = findAB(opts.spread ?? 1, opts.minDist ?? 0.5);
  let wMax = 0;
  for (const w of graph.data) wMax = Math.max(wMax, w);
  const cut = wMax / nEpochs;
  const indptr = new Int32Array(n + 1);
  const idx: number[] = [];
  const eps: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let t = graph.indptr[i]; t < graph.indptr[i + 1]; t++) {
      const w = graph.data[t];
      if (w < cut || graph.indices[t] === i) continue;
      idx.push(graph.indices[t]);
      eps.push(nEpochs / ((nEpochs * w) / wMax));
    }
    indptr[i + 1] = idx.length;
  }
  const seed = opts.seed ?? 0;
  return { n, a, b, nEpochs, negativeSampleRate: opts.negativeSampleRate ?? 5, seed, indptr, indices: Int32Array.from(idx), epochsPerSample: Float32Array.from(eps), init: await pcaInit(coords, n, dim, seed) };
}

async function pcaInit(coords: Float32Array, n: number, dim: number, seed: number): Promise<Float32Array> {
  const out = new Float32Array(n * 2);
  if (dim <= 2) {
    for (let i = 0; i < n; i++) for (let c = 0; c < 2; c++) out[i * 2 + c] = c < dim ? coords[i * dim + c] : 0;
  } else {
    const p = await pca(coords, n, dim, 2);
    out.set(p.scores.subarray(0, n * 2));
  }
  let big = 0;
  for (const v of out) big = Math.max(big, Math.abs(v));
  for (let i = 0; i < out.length; i++) out[i] = (out[i] / (big || 1)) * 10 + (hashUniform(seed, 0xffffffff, i, 7) - 0.5) * 2e-4;
  return out;
}

/** Counter-based hash -> uniform in [0, 1); the WGSL kernel has the same function. */
export function hashUniform(seed: number, epoch: number, edge: number, sample: number): number {
  return hashU32(seed, epoch, edge, sample) / 4294967296;
}

export function hashU32(seed: number, epoch: number, edge: number, sample: number): number {
  let h = (seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (edge >>> 0), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(sample + 1, 0xc2b2ae35), 0x27d4eb2f) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x165667b1) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const clip = (v: number) => (v > 4 ? 4 : v < -4 ? -4 : v);

/** One epoch: new positions of every point from `cur`. Mirrors the WGSL kernel line by line. */
export function umapEpoch(plan: UmapPlan, cur: Float32Array, next: Float32Array, epoch: number, nextSample: Float32Array, nextNegative: Float32Array, from = 0, to = plan.n): void {
  const { n, a, b, nEpochs, seed, indptr, indices, epochsPerSample } = plan;
  const alpha = 1 - epoch / nEpochs;
  const rate = plan.negativeSampleRate;
  for (let i = from; i < to; i++) {
    let x = cur[2 * i];
    let y = cur[2 * i + 1];
    const x0 = x;
    const y0 = y;
    for (let e = indptr[i]; e < indptr[i + 1]; e++) {
      if (nextSample[e] > epoch) continue;
      const j = indices[e];
      let dx = x0 - cur[2 * j];
      let dy = y0 - cur[2 * j + 1];
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        // Both ends of an edge are attracted in umap-learn; this end's share arrives twice (from
        // its own row and, as move_other, from the neighbour's row).
        const c = (-2 * a * b * d2 ** (b - 1)) / (a * d2 ** b + 1);
        x += 2 * clip(c * dx) * alpha;
        y += 2 * clip(c * dy) * alpha;
      }
      nextSample[e] += epochsPerSample[e];
      // Schedule arithmetic in float32, as on the GPU, so both paths draw the same samples.
      const eNeg = Math.fround(epochsPerSample[e] / rate);
      const nNeg = Math.max(0, Math.floor(Math.fround(Math.fround(epoch - nextNegative[e]) / eNeg)));
      for (let s = 0; s < nNeg; s++) {
        const k = hashU32(seed, epoch, e, s) % n;
        if (k === i) continue;
        dx = x0 - cur[2 * k];
        dy = y0 - cur[2 * k + 1];
        d2 = dx * dx + dy * dy;
        if (d2 > 0) {
          const c = (2 * b) / ((0.001 + d2) * (a * d2 ** b + 1));
          x += clip(c * dx) * alpha;
          y += clip(c * dy) * alpha;
        } else {
          x += 4 * alpha;
          y += 4 * alpha;
        }
      }
      nextNegative[e] += Math.fround(nNeg * eNeg);
    }
    next[2 * i] = x;
    next[2 * i + 1] = y;
  }
}

/** Points per block of an epoch; fixed, so the partition never depends on the number of workers. */
const UMAP_BLOCK = 4096;
/** Below this many points the per-epoch round trip to the workers costs more than it saves. */
export const UMAP_POOL_MIN = 8192;

/** One worker's share of an epoch: its pinned blocks of points. `cur` travels only when memory is not shared. */
export interface UmapEpochArgs {
  epoch: number;
  flip: boolean;
  blocks: { from: number; to: number }[];
  cur?: Float32Array;
}

/** Context of the epoch task: the plan's arrays, both position buffers and the per-edge schedule. */
export interface UmapContext {
  plan: UmapPlan;
  a: Float32Array;
  b: Float32Array;
  nextSample: Float32Array;
  nextNegative: Float32Array;
}

/**
 * The pool task: positions of the given blocks for one epoch, written in place (shared memory or
 * inline), or returned per block when `cur` was copied in. The schedule arrays stay in the worker
 * between epochs, which is why blocks are pinned to workers.
 */
export function umapEpochBlocks(ctx: UmapContext, args: UmapEpochArgs): Float32Array[] | null {
  const cur = args.cur ?? (args.flip ? ctx.b : ctx.a);
  const next = args.flip ? ctx.a : ctx.b;
  for (const r of args.blocks) umapEpoch(ctx.plan, cur, next, args.epoch, ctx.nextSample, ctx.nextNegative, r.from, r.to);
  return args.cur ? args.blocks.map((r) => next.slice(2 * r.from, 2 * r.to)) : null;
}

/** The UMAP layout on the CPU: [n, 2] coordinates. */
export async function umapCpu(plan: UmapPlan, opts: UmapOptions = {}): Promise<Float32Array> {
  const pool = opts.pool && opts.pool.size > 1 && plan.n >= (opts.poolMinPoints ?? UMAP_POOL_MIN) ? opts.pool : null;
  const share = <T extends Float32Array>(x: T): T => (pool ? pool.share(x) : x);
  const ctx: UmapContext = {
    plan: { ...plan, indptr: pool ? pool.share(plan.indptr) : plan.indptr, indices: pool ? pool.share(plan.indices) : plan.indices, epochsPerSample: share(plan.epochsPerSample), init: new Float32Array(0) },
    a: share(Float32Array.from(plan.init)),
    b: share(new Float32Array(plan.init.length)),
    nextSample: share(Float32Array.from(plan.epochsPerSample)),
    nextNegative: share(plan.epochsPerSample.map((v) => Math.fround(v / plan.negativeSampleRate))),
  };
  const copy = !!pool && !pool.shared;
  const workers = pool ? pool.size : 1;
  const all = ranges(plan.n, UMAP_BLOCK);
  const perWorker = Array.from({ length: workers }, (_, w) => all.filter((_, i) => i % workers === w));
  const job = openJob(pool, 'umap-epoch', ctx as unknown as Record<string, unknown>);
  try {
    for (let epoch = 0; epoch < plan.nEpochs; epoch++) {
      const flip = epoch % 2 === 1;
      const [cur, next] = flip ? [ctx.b, ctx.a] : [ctx.a, ctx.b];
      if (epoch % 10 === 0) {
        await new Promise((r) => setTimeout(r, 0));
        if (opts.signal?.aborted) throw new CancelledError('umap');
        opts.onProgress?.(epoch / plan.nEpochs, `umap: epoch ${epoch} / ${plan.nEpochs}`);
      }
      const args = perWorker.map((blocks): UmapEpochArgs => ({ epoch, flip, blocks, cur: copy ? cur : undefined }));
      const out = await job.run<Float32Array[] | null>(args, { signal: opts.signal, pinned: true });
      out.forEach((parts, w) => parts?.forEach((p, t) => next.set(p, 2 * perWorker[w][t].from)));
    }
  } finally {
    job.close();
  }
  return Float32Array.from(plan.nEpochs % 2 === 1 ? ctx.b : ctx.a);
}

definePoolTask('umap-epoch', (c: UmapContext, a: UmapEpochArgs) => {
  const result = umapEpochBlocks(c, a);
  return { result, transfer: result ? result.map((x) => x.buffer as ArrayBuffer) : [] };
});
