// UMAP layout of a fuzzy neighbour graph with scanpy's defaults (min_dist 0.5, spread 1.0,
// negative_sample_rate 5, 500 epochs below 10,000 cells else 200, learning rate 1 decaying
// linearly, gradients clipped at 4), following umap-learn's optimize_layout_euclidean with one
// change: each epoch updates all points from the previous epoch's positions ("Jacobi" order)
// instead of in place. That makes the epoch a pure per-point function, so the CPU path here and
// the WebGPU kernel (umap-webgpu.ts) compute the same thing, in parallel, deterministically.
// Attraction for an edge moves both ends in umap-learn; here each end gathers it from its own
// row of the symmetric graph. Negative samples come from a counter-based hash of (seed, epoch,
// edge, sample), identical in JS and WGSL. d2^b is umapPow (umap-pow.ts): plain arithmetic, so the
// JS epoch and the WebAssembly one (wasm/) give the same bits on every engine.
import { CancelledError } from '../io/errors.ts';
import type { SparseGraph } from './connectivities.ts';
import { pca } from './pca.ts';
import { hashU32, hashUniform } from './umap-hash.ts';
import { spectralLayout, spectralStart } from './umap-spectral.ts';
import { BARRIER_INTS, barrier, failBarrier } from '../parallel/barrier.ts';
import { openJob, poolFor, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';
import { SimdLayout, simdFits, simdKernels, simdMemory, type SimdKernels } from './simd.ts';
import { POW_MAX_Y, POW_SLOTS, umapExp, umapLn, umapPow, umapPowTable } from './umap-pow.ts';

export interface UmapOptions {
  minDist?: number;
  spread?: number;
  nEpochs?: number;
  negativeSampleRate?: number;
  seed?: number;
  /**
   * Starting layout: 'spectral' (scanpy's default init_pos, umap-learn's spectral_layout of the
   * graph) or 'pca' (umap-learn's init='pca'). Default 'pca' here; the pipeline's default is spectral.
   */
  init?: 'spectral' | 'pca';
  /** Lanczos basis cap of the spectral start (default SPECTRAL_MAX_VECTORS). */
  spectralMaxVectors?: number;
  /** Epochs split their points across this pool's workers (same results as inline). */
  pool?: WorkerPool | null;
  /** Fewest points for which epochs go to the pool (default UMAP_POOL_MIN). */
  poolMinPoints?: number;
  /**
   * 'wasm' (the default where WebAssembly SIMD runs): the epoch in the SIMD kernel; 'js': the
   * JavaScript epoch below, the reference. Same arithmetic, identical bits on every engine.
   */
  engine?: 'wasm' | 'js';
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
  /** How they were made: 'spectral', 'pca', or 'pca' with why spectral was not used. */
  initMethod: string;
}

/**
 * umap-learn's find_ab_params: least-squares fit of 1 / (1 + a d^2b) to the target curve. Powers,
 * logarithms and exponentials from umap-pow.ts, so a and b have the same bits on every engine.
 */
export function findAB(spread = 1, minDist = 0.5): { a: number; b: number } {
  const xs = Array.from({ length: 300 }, (_, i) => (i * spread * 3) / 299);
  const ys = xs.map((x) => (x < minDist ? 1 : umapExp(-(x - minDist) / spread)));
  const lnx = xs.map((x) => umapLn(x));
  // The fit raises all xs to one exponent at a time, b's or the step's: the last two tables.
  const tables: [number, Float64Array][] = [];
  const pow = (x: number, y: number) => {
    let t = tables.find((e) => e[0] === y);
    if (!t) {
      t = [y, umapPowTable(y)];
      tables.unshift(t);
      tables.length = Math.min(tables.length, 2);
    }
    return umapPow(x, t[1]);
  };
  let a = 1;
  let b = 1;
  let lambda = 1e-3;
  // A step to an exponent past umapPow's range is a step that fits worse.
  const sse = (a: number, b: number) => (Math.abs(2 * b) > POW_MAX_Y ? Infinity : xs.reduce((s, x, i) => s + (1 / (1 + a * pow(x, 2 * b)) - ys[i]) ** 2, 0));
  let err = sse(a, b);
  for (let it = 0; it < 500; it++) {
    // Levenberg-Marquardt on the two parameters (scipy's curve_fit does the same).
    let jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      if (x === 0) continue;
      const p = pow(x, 2 * b);
      const f = 1 / (1 + a * p);
      const r = f - ys[i];
      const da = -p * f * f;
      const db = -a * p * 2 * lnx[i] * f * f;
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
 * the starting layout: init 'spectral', umap-spectral.ts (falling back to PCA when its eigensolver
 * does not converge); 'pca', the first two principal components of `coords` (the representation
 * the graph was built on) scaled to [-10, 10] with tiny seeded noise, as umap-learn's init='pca'.
 * One thread: at 30,000 cells the plan takes ~0.16 s (0.12 s of it the PCA start) of UMAP's 7-9 s,
 * too little to pay for the pool (bench/serial-parts.ts).
 */
/**
 * The edges of `g` of weight at least `cut` (and, where given, those `keepEdge` keeps): the graph
 * umap-learn's simplicial_set_embedding lays out after zeroing weights under max / n_epochs.
 */
export function cutGraph(g: SparseGraph, cut: number, keepEdge: (i: number, j: number) => boolean = () => true): SparseGraph {
  const indptr = new Int32Array(g.n + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < g.n; i++) {
    for (let t = g.indptr[i]; t < g.indptr[i + 1]; t++) {
      if (!(g.data[t] >= cut) || !keepEdge(i, g.indices[t])) continue;
      indices.push(g.indices[t]);
      data.push(g.data[t]);
    }
    indptr[i + 1] = indices.length;
  }
  return { n: g.n, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

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
  let init: Float32Array | null = null;
  let initMethod = 'pca';
  if (opts.init === 'spectral') {
    // umap-learn lays out the graph after the cut (zeroed weights), self-loops included.
    const layout = await spectralLayout(cutGraph(graph, cut), coords, dim, { seed, pool: opts.pool, maxVectors: opts.spectralMaxVectors, signal: opts.signal, onProgress: opts.onProgress });
    if (layout) {
      init = spectralStart(layout, n, seed);
      initMethod = 'spectral';
    } else {
      initMethod = 'pca (the spectral initialisation did not converge)';
      opts.onProgress?.(0, 'umap: the spectral initialisation did not converge (too small an eigengap); starting from PCA instead');
    }
  }
  init ??= await pcaInit(coords, n, dim, seed);
  return { n, a, b, nEpochs, negativeSampleRate: opts.negativeSampleRate ?? 5, seed, indptr, indices: Int32Array.from(idx), epochsPerSample: Float32Array.from(eps), init, initMethod };
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

export { hashU32, hashUniform } from './umap-hash.ts';

const clip = (v: number) => (v > 4 ? 4 : v < -4 ? -4 : v);

/**
 * One epoch: new positions of every point from `cur`. Mirrors the WGSL kernel line by line (which
 * raises d2 to b - 1 where this divides d2^b by d2). `pow` is umapPowTable(plan.b).
 */
export function umapEpoch(plan: UmapPlan, cur: Float32Array, next: Float32Array, epoch: number, nextSample: Float32Array, nextNegative: Float32Array, pow: Float64Array, from = 0, to = plan.n): void {
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
        // its own row and, as move_other, from the neighbour's row). umap-learn's
        // -2ab d2^(b-1) / (a d2^b + 1), with one pow.
        const p = umapPow(d2, pow);
        const c = (-2 * a * b * p) / (d2 * (a * p + 1));
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
          const c = (2 * b) / ((0.001 + d2) * (a * umapPow(d2, pow) + 1));
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

/**
 * One contiguous range of points per worker, cut where the epoch's expected work (each edge's
 * samples per epoch, 1 / epochs_per_sample, with its negative samples, plus a point's own cost) is
 * even. Any cut gives the same bits: a point's update reads only the previous epoch's positions and
 * its own edges' schedules. (Fixed blocks of 4,096 points dealt round robin left one of two
 * workers 17% short at 30k cells, idle at every epoch's end.)
 */
export function umapRanges(plan: Pick<UmapPlan, 'n' | 'indptr' | 'epochsPerSample' | 'negativeSampleRate'>, parts: number): { from: number; to: number }[] {
  const { n, indptr, epochsPerSample, negativeSampleRate } = plan;
  const cost = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    let c = 1;
    for (let e = indptr[i]; e < indptr[i + 1]; e++) c += (1 + negativeSampleRate) / epochsPerSample[e];
    cost[i + 1] = cost[i] + c;
  }
  const out: { from: number; to: number }[] = [];
  let from = 0;
  for (let w = 1; w <= parts; w++) {
    let to = w === parts ? n : from;
    while (to < n && cost[to] < (cost[n] * w) / parts) to++;
    out.push({ from, to });
    from = to;
  }
  return out;
}
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
  /** umapPowTable(plan.b). */
  pow: Float64Array;
}

/**
 * The pool task: positions of the given blocks for one epoch, written in place (shared memory or
 * inline), or returned per block when `cur` was copied in. The schedule arrays stay in the worker
 * between epochs, which is why blocks are pinned to workers.
 */
export function umapEpochBlocks(ctx: UmapContext, args: UmapEpochArgs): Float32Array[] | null {
  const cur = args.cur ?? (args.flip ? ctx.b : ctx.a);
  const next = args.flip ? ctx.a : ctx.b;
  for (const r of args.blocks) umapEpoch(ctx.plan, cur, next, args.epoch, ctx.nextSample, ctx.nextNegative, ctx.pow, r.from, r.to);
  return args.cur ? args.blocks.map((r) => next.slice(2 * r.from, 2 * r.to)) : null;
}

/** The UMAP layout on the CPU: [n, 2] coordinates. */
export async function umapCpu(plan: UmapPlan, opts: UmapOptions = {}): Promise<Float32Array> {
  return (opts.engine ?? umapCpuEngine(plan)) === 'wasm' ? umapWasm(plan, opts) : umapJs(plan, opts);
}

/**
 * The CPU epoch run by default: the SIMD kernel wherever WebAssembly SIMD runs and the graph's
 * five per-edge arrays and two layouts fit its memory; else the JS epoch.
 */
export function umapCpuEngine(plan: UmapPlan): 'wasm' | 'js' {
  return simdFits(plan.indices.length * 20 + plan.n * 20 + 4 * 2 ** 20) ? 'wasm' : 'js';
}

/** Most epochs in one dispatch (ten: the workers' barrier between them replaces a round trip each). */
const EPOCHS_PER_REPORT = 10;
/** A dispatch's target length: progress and a cancel check at least this often, whatever the size. */
const DISPATCH_SECONDS = 0.25;

/**
 * Epochs in order, `step` running epochs epoch..to-1: up to maxChunk at a time, as many as take
 * about DISPATCH_SECONDS (timed on the previous dispatch), so progress and cancel come at least
 * every second at any size (at 1M cells one epoch is ~0.6 s). Where a dispatch ends never changes
 * the bits.
 */
async function runEpochs(plan: UmapPlan, opts: UmapOptions, step: (epoch: number, to: number) => Promise<void>, maxChunk = 1): Promise<void> {
  let chunk = 1;
  let yielded = performance.now();
  let reported = -Infinity;
  let reportedEpoch = -EPOCHS_PER_REPORT;
  for (let epoch = 0; epoch < plan.nEpochs; ) {
    if (performance.now() - yielded > 50) {
      await new Promise((r) => setTimeout(r, 0));
      yielded = performance.now();
    }
    if (opts.signal?.aborted) throw new CancelledError('umap');
    // Every ten epochs (the first dispatch past each tenth), or sooner when epochs are slow.
    if (Math.floor(epoch / EPOCHS_PER_REPORT) > Math.floor(reportedEpoch / EPOCHS_PER_REPORT) || performance.now() - reported > 250) {
      opts.onProgress?.(epoch / plan.nEpochs, `umap: epoch ${epoch} / ${plan.nEpochs}`);
      reported = performance.now();
      reportedEpoch = epoch;
    }
    const to = Math.min(plan.nEpochs, epoch + chunk);
    const t0 = performance.now();
    await step(epoch, to);
    const perEpoch = (performance.now() - t0) / 1000 / (to - epoch);
    chunk = Math.max(1, Math.min(maxChunk, Math.floor(DISPATCH_SECONDS / Math.max(perEpoch, 1e-6))));
    epoch = to;
  }
}

async function umapJs(plan: UmapPlan, opts: UmapOptions): Promise<Float32Array> {
  const pool = poolFor(opts.pool, plan.n, opts.poolMinPoints ?? UMAP_POOL_MIN);
  const share = <T extends Float32Array>(x: T): T => (pool ? pool.share(x) : x);
  const ctx: UmapContext = {
    plan: { ...plan, indptr: pool ? pool.share(plan.indptr) : plan.indptr, indices: pool ? pool.share(plan.indices) : plan.indices, epochsPerSample: share(plan.epochsPerSample), init: new Float32Array(0) },
    a: share(Float32Array.from(plan.init)),
    b: share(new Float32Array(plan.init.length)),
    nextSample: share(Float32Array.from(plan.epochsPerSample)),
    nextNegative: share(plan.epochsPerSample.map((v) => Math.fround(v / plan.negativeSampleRate))),
    pow: umapPowTable(plan.b),
  };
  const copy = !!pool && !pool.shared;
  const workers = pool ? pool.size : 1;
  const perWorker = umapRanges(plan, workers).map((r) => [r]);
  const job = openJob(pool, 'umap-epoch', ctx as unknown as Record<string, unknown>);
  try {
    await runEpochs(plan, opts, async (epoch) => {
      const flip = epoch % 2 === 1;
      const [cur, next] = flip ? [ctx.b, ctx.a] : [ctx.a, ctx.b];
      const args = perWorker.map((blocks): UmapEpochArgs => ({ epoch, flip, blocks, cur: copy ? cur : undefined }));
      const out = await job.run<Float32Array[] | null>(args, { signal: opts.signal, pinned: true });
      out.forEach((parts, w) => parts?.forEach((p, t) => next.set(p, 2 * perWorker[w][t].from)));
    });
  } finally {
    job.close();
  }
  return Float32Array.from(plan.nEpochs % 2 === 1 ? ctx.b : ctx.a);
}

definePoolTask('umap-epoch', (c: UmapContext, a: UmapEpochArgs) => {
  const result = umapEpochBlocks(c, a);
  return { result, transfer: result ? result.map((x) => x.buffer as ArrayBuffer) : [] };
});


/** Terms per batch in the SIMD epoch (its scratch is about 120 bytes a term, per thread). */
const WASM_TERMS = 1024;

/** Where the SIMD epoch's arrays live in its memory. */
interface UmapWasmLayout {
  bytes: number;
  indptr: number;
  indices: number;
  epochsPerSample: number;
  nextSample: number;
  nextNegative: number;
  /** Positions [n, 2]: epoch e reads a and writes b when e is even, the other way round when odd. */
  a: number;
  b: number;
  /** umapPowTable(b), read by every thread. */
  pow: number;
  /** `slots` scratch areas of scratchBytes each, one per thread. */
  scratch: number;
  scratchBytes: number;
}

function umapWasmLayout(n: number, nnz: number, slots: number, scratchBytes: number): UmapWasmLayout {
  const l = new SimdLayout();
  const indptr = l.take(n + 1, 4);
  const indices = l.take(nnz, 4);
  const epochsPerSample = l.take(nnz, 4);
  const nextSample = l.take(nnz, 4);
  const nextNegative = l.take(nnz, 4);
  const a = l.take(2 * n, 4);
  const b = l.take(2 * n, 4);
  const pow = l.take(POW_SLOTS, 8);
  const scratch = l.take(slots * scratchBytes, 1);
  return { bytes: l.bytes, indptr, indices, epochsPerSample, nextSample, nextNegative, a, b, pow, scratch, scratchBytes };
}

/** The graph's arrays and the starting schedule, as the JS epoch starts from them. */
function umapWasmArrays(plan: UmapPlan) {
  return {
    indptr: plan.indptr,
    indices: plan.indices,
    epochsPerSample: plan.epochsPerSample,
    nextSample: Float32Array.from(plan.epochsPerSample),
    nextNegative: plan.epochsPerSample.map((v) => Math.fround(v / plan.negativeSampleRate)),
    pow: umapPowTable(plan.b),
  };
}

function writeArrays(memory: WebAssembly.Memory, layout: UmapWasmLayout, arrays: ReturnType<typeof umapWasmArrays>): void {
  const buf = memory.buffer;
  new Int32Array(buf, layout.indptr, arrays.indptr.length).set(arrays.indptr);
  new Int32Array(buf, layout.indices, arrays.indices.length).set(arrays.indices);
  new Float32Array(buf, layout.epochsPerSample, arrays.epochsPerSample.length).set(arrays.epochsPerSample);
  new Float32Array(buf, layout.nextSample, arrays.nextSample.length).set(arrays.nextSample);
  new Float32Array(buf, layout.nextNegative, arrays.nextNegative.length).set(arrays.nextNegative);
  new Float64Array(buf, layout.pow, arrays.pow.length).set(arrays.pow);
}

/**
 * Context of the SIMD epoch task. Shared: `memory` holds everything and every worker runs on it.
 * Copied: `arrays` go to each worker, which lays them out in a memory of its own (its blocks' edge
 * schedules stay there between epochs, as in the JS task) and gets the positions each epoch.
 */
export interface UmapWasmContext {
  n: number;
  nnz: number;
  a: number;
  b: number;
  rate: number;
  seed: number;
  nEpochs: number;
  memory?: WebAssembly.Memory;
  layout?: UmapWasmLayout;
  arrays?: ReturnType<typeof umapWasmArrays>;
  /** Shared memory: the barrier between the epochs of one dispatch (BARRIER_INTS). */
  sync?: Int32Array;
}

export interface UmapWasmArgs {
  epoch: number;
  /** Shared memory: run epochs epoch..to-1, the workers meeting at ctx.sync between them (default epoch + 1). */
  to?: number;
  /** Workers meeting at the barrier (one dispatch's blocks). */
  workers?: number;
  blocks: { from: number; to: number }[];
  /** This thread's scratch area in the shared memory (0 in a memory of its own). */
  slot: number;
  /** The previous positions, when memory is not shared. */
  cur?: Float32Array;
}

interface UmapWasmThread {
  kernels: SimdKernels;
  memory: WebAssembly.Memory;
  layout: UmapWasmLayout;
}

/** Each thread's instance per context (a job's context is one object for all its runs). */
const threads = new WeakMap<UmapWasmContext, Promise<UmapWasmThread>>();

function threadFor(ctx: UmapWasmContext): Promise<UmapWasmThread> {
  let t = threads.get(ctx);
  if (!t) {
    t = (async () => {
      if (ctx.memory && ctx.layout) return { kernels: await simdKernels(ctx.memory), memory: ctx.memory, layout: ctx.layout };
      const memory0 = simdMemory(0, false);
      const kernels = await simdKernels(memory0);
      const layout = umapWasmLayout(ctx.n, ctx.nnz, 1, kernels.umapScratchBytes(WASM_TERMS));
      memory0.grow(Math.ceil((layout.bytes - memory0.buffer.byteLength) / 65536));
      writeArrays(memory0, layout, ctx.arrays!);
      return { kernels, memory: memory0, layout };
    })();
    threads.set(ctx, t);
  }
  return t;
}

/**
 * One thread's blocks of an epoch (or, in shared memory, of epochs epoch..to-1 with a barrier
 * between them: one message per worker per ten epochs instead of per epoch); with copied memory,
 * the positions come in and the blocks go back.
 */
export async function umapWasmBlocks(ctx: UmapWasmContext, args: UmapWasmArgs): Promise<Float32Array[] | null> {
  const last = args.cur ? args.epoch + 1 : (args.to ?? args.epoch + 1);
  const sync = ctx.sync ? barrier(ctx.sync, args.workers ?? 1) : null;
  let next = 0;
  try {
    // Inside the try: a worker that cannot set up must release the others from the barrier.
    const { kernels, memory, layout } = await threadFor(ctx);
    if (args.cur) new Float32Array(memory.buffer, layout.a, 2 * ctx.n).set(args.cur);
    const scratch = layout.scratch + args.slot * layout.scratchBytes;
    for (let epoch = args.epoch; epoch < last; epoch++) {
      // Every worker's positions of the last epoch are written before any reads them. A failed
      // barrier: another worker failed and reports why; this one only stops.
      if (epoch > args.epoch && sync && !sync()) return null;
      const flip = !args.cur && epoch % 2 === 1;
      const cur = flip ? layout.b : layout.a;
      next = flip ? layout.a : layout.b;
      const alpha = 1 - epoch / ctx.nEpochs;
      for (const r of args.blocks) {
        kernels.umapEpoch(ctx.n, ctx.a, ctx.b, ctx.rate, ctx.seed, epoch, alpha, layout.indptr, layout.indices, layout.epochsPerSample, layout.nextSample, layout.nextNegative, cur, next, r.from, r.to, scratch, WASM_TERMS, layout.pow);
      }
    }
    return args.cur ? args.blocks.map((r) => new Float32Array(memory.buffer, next + 8 * r.from, 2 * (r.to - r.from)).slice()) : null;
  } catch (err) {
    if (ctx.sync) failBarrier(ctx.sync);
    throw err;
  }
}

/** The layout with the SIMD epoch: same blocks, same pinning and the same bits as umapJs. */
async function umapWasm(plan: UmapPlan, opts: UmapOptions): Promise<Float32Array> {
  const pool = poolFor(opts.pool, plan.n, opts.poolMinPoints ?? UMAP_POOL_MIN);
  const copy = !!pool && !pool.shared;
  const workers = pool ? pool.size : 1;
  const n = plan.n;
  const ctx: UmapWasmContext = { n, nnz: plan.indices.length, a: plan.a, b: plan.b, rate: plan.negativeSampleRate, seed: plan.seed, nEpochs: plan.nEpochs };
  const arrays = umapWasmArrays(plan);
  // Positions on this side when they travel (copied memory): epoch e reads pos[e % 2].
  let pos: Float32Array[] = [];
  if (copy) {
    ctx.arrays = arrays;
    pos = [Float32Array.from(plan.init), new Float32Array(2 * n)];
  } else {
    const memory0 = simdMemory(0, !!pool);
    const kernels = await simdKernels(memory0);
    const layout = umapWasmLayout(n, ctx.nnz, workers, kernels.umapScratchBytes(WASM_TERMS));
    const memory = simdMemory(layout.bytes, !!pool);
    writeArrays(memory, layout, arrays);
    new Float32Array(memory.buffer, layout.a, 2 * n).set(plan.init);
    ctx.memory = memory;
    ctx.layout = layout;
    ctx.sync = pool ? pool.alloc(Int32Array, BARRIER_INTS) : undefined;
  }
  const perWorker = umapRanges(plan, workers).map((r) => [r]);
  const job = openJob(pool, 'umap-epoch-wasm', ctx as unknown as Record<string, unknown>);
  try {
    // Shared memory: ten epochs per dispatch, the workers meeting at a barrier between them. Copied
    // memory: an epoch per dispatch, the positions travelling both ways.
    await runEpochs(
      plan,
      opts,
      async (epoch, to) => {
        const cur = copy ? pos[epoch % 2] : undefined;
        const args = perWorker.map((blocks, w): UmapWasmArgs => ({ epoch, to, workers, blocks, slot: copy ? 0 : w, cur }));
        const out = await job.run<Float32Array[] | null>(args, { signal: opts.signal, pinned: true });
        if (copy) out.forEach((parts, w) => parts?.forEach((p, t) => pos[(epoch + 1) % 2].set(p, 2 * perWorker[w][t].from)));
      },
      copy ? 1 : EPOCHS_PER_REPORT,
    );
  } finally {
    job.close();
  }
  if (copy) return Float32Array.from(pos[plan.nEpochs % 2]);
  const last = plan.nEpochs % 2 === 1 ? ctx.layout!.b : ctx.layout!.a;
  return new Float32Array(ctx.memory!.buffer, last, 2 * n).slice();
}

definePoolTask('umap-epoch-wasm', async (c: UmapWasmContext, a: UmapWasmArgs) => {
  const result = await umapWasmBlocks(c, a);
  return { result, transfer: result ? result.map((x) => x.buffer as ArrayBuffer) : [] };
});
