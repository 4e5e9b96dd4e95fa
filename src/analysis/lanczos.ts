// Leading eigenpairs of a symmetric operator (PCA's covariance, UMAP's spectral start's sparse
// Laplacian) by Lanczos with full reorthogonalisation, its steps on the worker pool.
import { CancelledError } from '../io/errors.ts';
import { openJob, poolFor, ranges, type PoolJob, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';
import { BARRIER_INTS, barrier, failBarrier } from '../parallel/barrier.ts';

/** A symmetric operator for lanczosEigen: dense C [p, p] (its upper triangle is read), or sparse rows (CSR, both triangles stored) with C empty. */
export interface SymmetricOperator {
  p: number;
  C?: Float64Array;
  indptr?: Int32Array;
  indices?: Int32Array;
  data?: Float64Array;
}

export interface LanczosEigenOptions {
  /** Steps in blocks on this pool's workers when it shares memory (same bits as inline). */
  pool?: WorkerPool | null;
  /** Smallest side p whose steps go to the pool (default LANCZOS_POOL_MIN). */
  poolMinDims?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  /** Most basis vectors before giving up with LanczosNotConverged (default p). */
  maxVectors?: number;
  /** Wanted Ritz residuals relative to the top eigenvalue (default 1e-6). */
  tol?: number;
  /** Basis vectors added between convergence checks (default 50). */
  checkEvery?: number;
  /** Name in progress messages and errors (default 'pca'). */
  label?: string;
}

/** lanczosEigen ran out of basis vectors (maxVectors) before the wanted pairs converged. */
export class LanczosNotConverged extends Error {}

/** Rows per block of the Lanczos kernels. */
const LANCZOS_BLOCK = 256;
/**
 * Smallest matrix whose Lanczos steps go to the pool (1,000 cells, warm pool of 2, when each step
 * was three round trips to this thread: 0.70x at p 512, 0.96x at 1,024, 1.21x at 2,000).
 */
export const LANCZOS_POOL_MIN = 1500;
/** Wall time aimed at per dispatch of steps: progress and cancellation between dispatches. */
const RUN_SECONDS = 0.2;
/**
 * The second projection's |d2|^2 relative to |w|^2 above which |w - Q d2| is computed rather than
 * taken by Pythagoras (|w|^2 - |d2|^2): the subtraction loses ~eps |w|^2 / |w - Q d2|^2 of relative
 * accuracy, nothing while d2 is the usual rounding-level correction, too much near a breakdown.
 */
const PYTHAGORAS_MAX = 1e-3;

/**
 * Algebraically largest k eigenpairs of a symmetric operator, dense or sparse, by Lanczos with full
 * reorthogonalisation: the Krylov basis grows in steps of checkEvery until every wanted Ritz pair has
 * a residual below tol of the top eigenvalue. One matrix-vector product per basis vector, where block
 * subspace iteration needs a whole block per step: ~100x fewer flops on flat single-cell spectra.
 *
 * A step on fixed blocks of LANCZOS_BLOCK rows: (A) w = C q_j (dense: from C's upper triangle,
 * symmetricRows, then gatherRows after a barrier) and per block the dots of w with the basis;
 * (B) w -= Q d1, per block the dots again and |w|^2; (C) w -= Q d2 and q_{j+1} = w / b. That is
 * classical Gram-Schmidt twice (CGS2, as ARPACK's DGKS correction: "twice is enough"), with
 * b^2 = |w|^2 - |d2|^2 (Pythagoras, exact for orthonormal Q) unless d2 is large (PYTHAGORAS_MAX: then
 * |w - Q d2| is summed). A dot is the sum of per-block partials in block order, every entry of w and
 * of the basis is computed inside one block, and every sum inside a block has a fixed order (four
 * add chains interleaved for speed): the bits depend on the block size only, never on the threads.
 *
 * On a pool sharing memory, one worker per contiguous run of blocks runs whole steps (RUN_SECONDS'
 * worth) per dispatch, the workers meeting at a barrier (Atomics on a shared Int32Array) after each phase
 * and each folding the block partials itself (the same bits in every worker); this thread only
 * checks convergence, reports progress and cancels between dispatches. (When each phase was a round
 * trip to this thread, ~0.3 ms of each went idle: 20% of the steps' time at 2,000 genes.) Without a
 * pool, or with one that copies memory (every step would carry the basis), the same task runs all
 * blocks here, the barrier a no-op.
 */
export async function lanczosEigen(op: SymmetricOperator, k: number, opts: LanczosEigenOptions = {}): Promise<{ values: Float64Array; vectors: Float64Array }> {
  const p = op.p;
  const found = poolFor(opts.pool, p, opts.poolMinDims ?? LANCZOS_POOL_MIN);
  const pool = found?.shared ? found : null;
  const blocks = ranges(p, LANCZOS_BLOCK).map((r, index) => ({ ...r, index }));
  // Contiguous runs of blocks, one per worker: one message per worker per dispatch.
  const workers = pool ? Math.min(pool.size, blocks.length) : 1;
  const groups = Array.from({ length: workers }, (_, g) => blocks.slice(Math.floor((g * blocks.length) / workers), Math.floor(((g + 1) * blocks.length) / workers)));
  // The dense mat-vec's blocks cost ~(p - row) each (upper triangle): dealt out in snake order
  // (0, 1, 1, 0, 0, 1, ... for two workers) so each worker gets its share of the triangle.
  const triangle = Array.from({ length: workers }, (_, g) => blocks.filter((r) => (r.index % (2 * workers) === g || r.index % (2 * workers) === 2 * workers - 1 - g)));
  const alloc = <T extends Float64Array | Int32Array>(Ctor: { new (n: number): T; new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T => (pool ? pool.alloc(Ctor, n) : new Ctor(n));
  const share = <T extends Float64Array | Int32Array>(x: T): T => (pool ? pool.share(x) : x);
  const ctx: LanczosContext = {
    C: op.indptr ? new Float64Array(0) : share(op.C!),
    p,
    Q: alloc(Float64Array, 0),
    w: alloc(Float64Array, p),
    parts: alloc(Float64Array, 0),
    alpha: alloc(Float64Array, 0),
    beta: alloc(Float64Array, 0),
    sync: alloc(Int32Array, BARRIER_INTS),
    nBlocks: blocks.length,
    Y: alloc(Float64Array, op.indptr ? 0 : blocks.length * p),
    ...(op.indptr ? { indptr: share(op.indptr), indices: share(op.indices!), data: share(op.data!) } : {}),
  };
  let job: Pick<PoolJob, 'run' | 'close'> | null = null;
  const run = async (args: Omit<LanczosArgs, 'blocks' | 'triangle' | 'workers'>): Promise<unknown[]> => {
    if (!job) job = openJob(pool, 'lanczos', ctx as unknown as Record<string, unknown>);
    ctx.sync.fill(0);
    return job.run(
      groups.map((g, i) => ({ ...args, blocks: g, triangle: triangle[i], workers })),
      { signal: opts.signal },
    );
  };
  const ops: LanczosOps = {
    capacity: () => ctx.alpha.length,
    grow(rows) {
      const Q = alloc(Float64Array, (rows + 1) * p);
      Q.set(ctx.Q);
      ctx.Q = Q;
      // The next dispatch first finishes the last step from its partials: they move to the new rows.
      const parts = alloc(Float64Array, 2 * blocks.length * (rows + 2));
      const old = ctx.parts.length / (2 * blocks.length);
      for (let row = 0; row < 2 * blocks.length; row++) parts.set(ctx.parts.subarray(row * old, (row + 1) * old), row * (rows + 2));
      ctx.parts = parts;
      for (const key of ['alpha', 'beta'] as const) {
        const x = alloc(Float64Array, rows);
        x.set(ctx[key]);
        ctx[key] = x;
      }
      // The workers hold the old arrays: a new job sends them the new ones.
      job?.close();
      job = null;
    },
    Q: () => ctx.Q,
    alpha: () => ctx.alpha,
    beta: () => ctx.beta,
    async steps(from, to) {
      const done = (await run({ op: 'steps', from, to })) as number[];
      return Math.max(...done);
    },
    ritz: async (S, m, kk) => (await run({ op: 'ritz', from: 0, to: 0, S, m, kk })).flat() as Float64Array[],
  };
  try {
    return await lanczos(p, k, opts, ops, blocks);
  } finally {
    (job as Pick<PoolJob, 'run' | 'close'> | null)?.close();
  }
}

/** What the Lanczos kernels share (row t of Q is basis vector t). */
export interface LanczosContext {
  C: Float64Array;
  p: number;
  Q: Float64Array;
  /** The vector being orthogonalised. */
  w: Float64Array;
  /** Per block, its partial dots with the basis, then |w|^2 twice: [2, nBlocks, capacity + 2], (A)'s then (B)'s. */
  parts: Float64Array;
  /** The tridiagonal matrix's diagonal and off-diagonal (beta[j] = |w| after step j). */
  alpha: Float64Array;
  beta: Float64Array;
  /** Dense: per block, the lower triangle's terms of the mat-vec it scattered ([nBlocks, p]). */
  Y: Float64Array;
  /** The workers' barrier: arrivals, generation, failed. */
  sync: Int32Array;
  nBlocks: number;
  /** A sparse operator's rows instead of C. */
  indptr?: Int32Array;
  indices?: Int32Array;
  data?: Float64Array;
}

type Block = { from: number; to: number; index: number };

/** One worker's part of a dispatch. */
export interface LanczosArgs {
  op: 'steps' | 'ritz';
  blocks: Block[];
  /** This worker's blocks of the dense mat-vec. */
  triangle: Block[];
  /** Workers meeting at the barrier. */
  workers: number;
  /** steps: basis vectors from..to-1 (from > 0: first finish step from - 1). */
  from: number;
  to: number;
  /** ritz: Ritz coefficients [m, m] (column c is pair c), basis size m, pairs kk. */
  S?: Float64Array;
  m?: number;
  kk?: number;
}

interface LanczosOps {
  capacity(): number;
  grow(rows: number): void;
  Q(): Float64Array;
  alpha(): Float64Array;
  beta(): Float64Array;
  /** Steps from..to-1; returns the basis size reached (less than `to` at a breakdown or a non-finite value). */
  steps(from: number, to: number): Promise<number>;
  /** Per block, the rows of the kk Ritz vectors ([kk, rows] each). */
  ritz(S: Float64Array, m: number, kk: number): Promise<Float64Array[]>;
}

/** The pool task: a worker's blocks of some whole steps, or of the Ritz vectors. */
export function lanczosRun(ctx: LanczosContext, a: LanczosArgs): number | Float64Array[] {
  if (a.op === 'ritz') return a.blocks.map((r) => ritzBlock(ctx, r, a.S!, a.m!, a.kk!));
  try {
    return lanczosSteps(ctx, a);
  } catch (err) {
    failBarrier(ctx.sync);
    throw err;
  }
}

/**
 * Block partials summed in block order (slots from..to-1 of each block's row in half `half` of
 * parts): the same bits in every worker.
 */
function fold(ctx: LanczosContext, half: number, from: number, to: number): Float64Array {
  const stride = ctx.parts.length / (2 * ctx.nBlocks);
  const out = new Float64Array(to - from);
  for (let b = 0; b < ctx.nBlocks; b++) {
    const row = (half * ctx.nBlocks + b) * stride;
    for (let t = from; t < to; t++) out[t - from] += ctx.parts[row + t];
  }
  return out;
}

/**
 * Steps a.from..a.to-1 over this worker's blocks; returns the basis size reached. Stops after a
 * step's b (before forming the next vector: the caller may check convergence there) at a.to, at a
 * breakdown (b <= 1e-12 |alpha_0|, or the whole space) or at a non-finite alpha or b.
 */
function lanczosSteps(ctx: LanczosContext, a: LanczosArgs): number {
  const { p, Q, w, parts, alpha, beta } = ctx;
  // (A) writes its dots to the first half of parts, (B) to the second: a worker starting (B) must
  // not overwrite what another is still folding.
  const stride = parts.length / (2 * ctx.nBlocks);
  const atA = (r: Block) => r.index * stride;
  const atB = (r: Block) => (ctx.nBlocks + r.index) * stride;
  const sync = barrier(ctx.sync, a.workers);
  // (C) of step j: w -= Q d2 (unless already done for an explicit norm), q_{j+1} = w / b.
  const finish = (j: number, b: number): boolean => {
    const d2 = fold(ctx, 1, 0, j + 2);
    const ww = d2[j + 1];
    const dd = sumSquares(d2, j + 1);
    for (const r of a.blocks) {
      if (dd <= PYTHAGORAS_MAX * ww) project(ctx, r, j, d2);
      const next = (j + 1) * p;
      for (let i = r.from; i < r.to; i++) Q[next + i] = w[i] / b;
    }
    return sync();
  };
  if (a.from > 0 && !finish(a.from - 1, beta[a.from - 1])) return -1;
  for (let j = a.from; j < a.to; j++) {
    // (A) w = C q_j, the dots with q_0..q_j.
    const v = Q.subarray(j * p, (j + 1) * p);
    if (ctx.indptr) for (const r of a.blocks) matvecRows(ctx, r, v, w);
    else {
      for (const r of a.triangle) symmetricRows(ctx, r, v);
      if (!sync()) return -1;
      for (const r of a.blocks) gatherRows(ctx, r);
    }
    for (const r of a.blocks) blockDots(ctx, r, j, parts, atA(r));
    if (!sync()) return -1;
    const d1 = fold(ctx, 0, 0, j + 1);
    // (B) w -= Q d1, the dots again and |w|^2.
    for (const r of a.blocks) {
      project(ctx, r, j, d1);
      blockDots(ctx, r, j, parts, atB(r));
      parts[atB(r) + j + 1] = blockSquares(w, r);
    }
    if (!sync()) return -1;
    const d2 = fold(ctx, 1, 0, j + 2);
    const ww = d2[j + 1];
    const dd = sumSquares(d2, j + 1);
    let b: number;
    if (dd <= PYTHAGORAS_MAX * ww) b = Math.sqrt(Math.max(0, ww - dd));
    else {
      for (const r of a.blocks) {
        project(ctx, r, j, d2);
        parts[atB(r) + j + 2] = blockSquares(w, r);
      }
      if (!sync()) return -1;
      b = Math.sqrt(fold(ctx, 1, j + 2, j + 3)[0]);
    }
    // Every worker holds the same alpha and b; the first writes them.
    if (a.blocks[0].index === 0) {
      alpha[j] = d1[j];
      beta[j] = b;
    }
    const m = j + 1;
    if (m === a.to || !Number.isFinite(d1[j]) || !Number.isFinite(b) || stopped(m, p, b, j === 0 ? d1[0] : alpha[0])) return m;
    if (!finish(j, b)) return -1;
  }
  return a.to;
}

/** Whether the Krylov space is exhausted after m vectors (the whole space, or an invariant subspace). */
function stopped(m: number, p: number, b: number, alpha0: number): boolean {
  return m === p || b <= 1e-12 * Math.abs(alpha0 || 1);
}

function sumSquares(x: Float64Array, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) s += x[t] * x[t];
  return s;
}

/** |w|^2 over rows [from, to), four interleaved accumulators. */
function blockSquares(w: Float64Array, r: { from: number; to: number }): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = r.from;
  for (; i + 3 < r.to; i += 4) {
    s0 += w[i] * w[i];
    s1 += w[i + 1] * w[i + 1];
    s2 += w[i + 2] * w[i + 2];
    s3 += w[i + 3] * w[i + 3];
  }
  for (; i < r.to; i++) s0 += w[i] * w[i];
  return s0 + s1 + (s2 + s3);
}

/**
 * Dots of w with basis vectors 0..j over rows [from, to), into out[at..at+j]: each a plain sum in
 * row order, four basis vectors at a time (four independent add chains sharing the loads of w).
 */
export function blockDots(ctx: { Q: Float64Array; w: Float64Array; p: number }, r: { from: number; to: number }, j: number, out: Float64Array, at: number): void {
  const { Q, w, p } = ctx;
  const { from, to } = r;
  let t = 0;
  for (; t + 3 <= j; t += 4) {
    const q0 = t * p;
    const q1 = q0 + p;
    const q2 = q1 + p;
    const q3 = q2 + p;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = from; i < to; i++) {
      const x = w[i];
      s0 += Q[q0 + i] * x;
      s1 += Q[q1 + i] * x;
      s2 += Q[q2 + i] * x;
      s3 += Q[q3 + i] * x;
    }
    out[at + t] = s0;
    out[at + t + 1] = s1;
    out[at + t + 2] = s2;
    out[at + t + 3] = s3;
  }
  for (; t <= j; t++) {
    const q0 = t * p;
    let s0 = 0;
    for (let i = from; i < to; i++) s0 += Q[q0 + i] * w[i];
    out[at + t] = s0;
  }
}

/**
 * w -= Q d over rows [from, to): each entry's correction summed over the basis four vectors at a
 * time ((d_t q_t + d_t+1 q_t+1) + (d_t+2 q_t+2 + d_t+3 q_t+3), quads in basis order), then
 * subtracted once.
 */
export function project(ctx: { Q: Float64Array; w: Float64Array; p: number }, r: { from: number; to: number }, j: number, d: Float64Array): void {
  const { Q, w, p } = ctx;
  const len = r.to - r.from;
  const acc = new Float64Array(len);
  let t = 0;
  for (; t + 3 <= j; t += 4) {
    const d0 = d[t];
    const d1 = d[t + 1];
    const d2 = d[t + 2];
    const d3 = d[t + 3];
    const q0 = t * p + r.from;
    const q1 = q0 + p;
    const q2 = q1 + p;
    const q3 = q2 + p;
    for (let i = 0; i < len; i++) acc[i] += d0 * Q[q0 + i] + d1 * Q[q1 + i] + (d2 * Q[q2 + i] + d3 * Q[q3 + i]);
  }
  for (; t <= j; t++) {
    const d0 = d[t];
    const q0 = t * p + r.from;
    for (let i = 0; i < len; i++) acc[i] += d0 * Q[q0 + i];
  }
  for (let i = 0; i < len; i++) w[r.from + i] -= acc[i];
}

/** Rows [from, to) of the kk Ritz vectors: sum over basis vectors t of S[t, c] q_t, [kk, rows]. */
export function ritzBlock(ctx: { Q: Float64Array; p: number }, r: { from: number; to: number }, S: Float64Array, m: number, kk: number): Float64Array {
  const { Q, p } = ctx;
  const len = r.to - r.from;
  const out = new Float64Array(kk * len);
  for (let c = 0; c < kk; c++) {
    for (let t = 0; t < m; t++) {
      const s = S[t * m + c];
      if (s === 0) continue;
      const q = t * p + r.from;
      for (let i = 0; i < len; i++) out[c * len + i] += s * Q[q + i];
    }
  }
  return out;
}

/**
 * The dense mat-vec from the upper triangle of C only (half the memory traffic of whole rows: the
 * mat-vec streams C from memory). Rows go four at a time, each with its own sum (four independent
 * add chains): row i's terms t >= i, in column order, go to w[i]; the lower triangle's terms of
 * column t (C[i, t] v[i] for the four rows i < t) go to the block's own row of Y as
 * (r0 + r1) + (r2 + r3), one quad of rows after another. gatherRows adds Y up.
 */
export function symmetricRows(ctx: { C: Float64Array; p: number; w: Float64Array; Y: Float64Array }, r: Block, v: Float64Array): void {
  const { C, p, w } = ctx;
  const y = ctx.Y.subarray(r.index * p, (r.index + 1) * p);
  y.fill(0, r.from);
  let i = r.from;
  for (; i + 3 < r.to; i += 4) {
    const r0 = i * p;
    const r1 = r0 + p;
    const r2 = r1 + p;
    const r3 = r2 + p;
    const u0 = v[i];
    const u1 = v[i + 1];
    const u2 = v[i + 2];
    const u3 = v[i + 3];
    // The 4 x 4 block on the diagonal: row k's terms from column i + k on.
    let a0 = C[r0 + i] * u0 + C[r0 + i + 1] * u1 + C[r0 + i + 2] * u2 + C[r0 + i + 3] * u3;
    let a1 = C[r1 + i + 1] * u1 + C[r1 + i + 2] * u2 + C[r1 + i + 3] * u3;
    let a2 = C[r2 + i + 2] * u2 + C[r2 + i + 3] * u3;
    let a3 = C[r3 + i + 3] * u3;
    y[i + 1] += C[r0 + i + 1] * u0;
    y[i + 2] += C[r0 + i + 2] * u0 + C[r1 + i + 2] * u1;
    y[i + 3] += C[r0 + i + 3] * u0 + C[r1 + i + 3] * u1 + C[r2 + i + 3] * u2;
    for (let t = i + 4; t < p; t++) {
      const x0 = C[r0 + t];
      const x1 = C[r1 + t];
      const x2 = C[r2 + t];
      const x3 = C[r3 + t];
      const vt = v[t];
      a0 += x0 * vt;
      a1 += x1 * vt;
      a2 += x2 * vt;
      a3 += x3 * vt;
      y[t] += x0 * u0 + x1 * u1 + (x2 * u2 + x3 * u3);
    }
    w[i] = a0;
    w[i + 1] = a1;
    w[i + 2] = a2;
    w[i + 3] = a3;
  }
  for (; i < r.to; i++) {
    const row = i * p;
    const vi = v[i];
    let s = C[row + i] * vi;
    for (let t = i + 1; t < p; t++) {
      s += C[row + t] * v[t];
      y[t] += C[row + t] * vi;
    }
    w[i] = s;
  }
}

/** w[i] += the blocks' scattered terms of row i, in block order (blocks up to row i's own). */
export function gatherRows(ctx: { p: number; w: Float64Array; Y: Float64Array }, r: Block): void {
  const { p, w, Y } = ctx;
  for (let b = 0; b <= r.index; b++) {
    const y = b * p;
    for (let i = r.from; i < r.to; i++) w[i] += Y[y + i];
  }
}

/**
 * Rows [from, to) of C v into out[from..to) (sparse rows: each row's terms in stored order; dense:
 * four interleaved accumulators over the columns, summed (s0 + s1) + (s2 + s3), so the adds are
 * four independent chains instead of one).
 */
export function matvecRows(ctx: { C: Float64Array; p: number; indptr?: Int32Array; indices?: Int32Array; data?: Float64Array }, r: { from: number; to: number }, v: Float64Array, out: Float64Array): void {
  const { C, p } = ctx;
  if (ctx.indptr) {
    const { indptr, indices, data } = ctx as Required<typeof ctx>;
    for (let i = r.from; i < r.to; i++) {
      let s = 0;
      for (let t = indptr[i]; t < indptr[i + 1]; t++) s += data[t] * v[indices[t]];
      out[i] = s;
    }
    return;
  }
  const end = p - (p & 3);
  for (let i = r.from; i < r.to; i++) {
    const row = i * p;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let t = 0;
    for (; t < end; t += 4) {
      s0 += C[row + t] * v[t];
      s1 += C[row + t + 1] * v[t + 1];
      s2 += C[row + t + 2] * v[t + 2];
      s3 += C[row + t + 3] * v[t + 3];
    }
    for (; t < p; t++) s0 += C[row + t] * v[t];
    out[i] = s0 + s1 + (s2 + s3);
  }
}

async function lanczos(p: number, k: number, opts: LanczosEigenOptions, ops: LanczosOps, blocks: { from: number; to: number }[]): Promise<{ values: Float64Array; vectors: Float64Array }> {
  const label = opts.label ?? 'pca';
  const maxVectors = Math.min(p, opts.maxVectors ?? p);
  const tol = opts.tol ?? 1e-6;
  let seed = 12345;
  const v0 = Float64Array.from({ length: p }, () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
  normalize(v0);
  let target = Math.min(maxVectors, Math.max(2 * k + 20, k + 50));
  ops.grow(Math.min(p, target));
  ops.Q().set(v0);
  // Steps per dispatch, adjusted to take ~RUN_SECONDS (where a dispatch ends never changes the bits).
  let stride = 1;
  for (let j = 0; ; ) {
    await new Promise((r) => setTimeout(r, 0));
    if (opts.signal?.aborted) throw new CancelledError(label);
    opts.onProgress?.(Math.min(0.99, j / target), `${label}: Lanczos vector ${j + 1} / ${target}`);
    const t0 = performance.now();
    const m = await ops.steps(j, Math.min(target, j + stride));
    const seconds = (performance.now() - t0) / 1000;
    if (m - j === stride) stride = Math.max(1, Math.min(64, Math.round((stride * RUN_SECONDS) / Math.max(seconds, 1e-3))));
    j = m;
    const alpha = ops.alpha();
    const beta = ops.beta();
    const a = alpha[m - 1];
    const b = beta[m - 1];
    // A NaN or Inf in C would otherwise run the basis to its full size p (minutes) and return NaN.
    if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`${label}: the matrix holds non-finite values (NaN or Inf); check the input for them`);
    const exhausted = stopped(m, p, b, alpha[0]);
    if (m < target && !exhausted) continue;
    // The check needs only the last row of the Ritz coefficients (each row's rotations are its
    // own: the same bits as the full matrix's last row); the full one only once converged.
    const last = tridiagonalEigen(alpha, beta, m, m - 1);
    let worst = 0;
    for (let c = 0; c < Math.min(k, m); c++) worst = Math.max(worst, Math.abs(b * last.vectors[c]));
    if (exhausted || worst <= tol * Math.abs(last.values[0])) {
      const { values, vectors } = tridiagonalEigen(alpha, beta, m);
      const kk = Math.min(k, m);
      const parts = await ops.ritz(vectors, m, kk);
      const out = new Float64Array(kk * p); // row c = eigenvector c
      parts.forEach((part, bl) => {
        const { from, to } = blocks[bl];
        for (let c = 0; c < kk; c++) out.set(part.subarray(c * (to - from), (c + 1) * (to - from)), c * p + from);
      });
      return { values: values.slice(0, kk), vectors: out };
    }
    if (m >= maxVectors) throw new LanczosNotConverged(`${label}: Lanczos did not converge within ${maxVectors} vectors (worst residual ${worst.toPrecision(2)})`);
    target = Math.min(maxVectors, target + (opts.checkEvery ?? 50));
    if (target > ops.capacity()) ops.grow(target);
  }
}

function normalize(v: Float64Array): void {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= n;
}

/**
 * Eigenpairs of the symmetric tridiagonal matrix (diagonal d, off-diagonal e) by the implicit QL
 * method (Numerical Recipes' tqli); eigenvalues descending, column c of `vectors` is pair c.
 * `firstRow`: only rows firstRow..m-1 of the eigenvector matrix are accumulated ([m - firstRow, m]):
 * a rotation updates each row from that row alone, so they are the full matrix's rows, bit for bit,
 * at O(m) a rotation instead of O(m^2).
 */
export function tridiagonalEigen(diag: Float64Array, off: Float64Array, m: number, firstRow = 0): { values: Float64Array; vectors: Float64Array } {
  const d = Float64Array.from(diag.subarray(0, m));
  const e = new Float64Array(m);
  for (let i = 0; i < m - 1; i++) e[i] = off[i];
  const rows = m - firstRow;
  // Column-major (zt[i * rows + k] is row k, column i): a rotation of columns i and i + 1 then
  // walks two contiguous runs rather than two strided ones (the same arithmetic, the same bits).
  const zt = new Float64Array(rows * m);
  for (let i = firstRow; i < m; i++) zt[i * rows + i - firstRow] = 1;
  for (let l = 0; l < m; l++) {
    let iter = 0;
    let mm: number;
    do {
      for (mm = l; mm < m - 1; mm++) {
        const dd = Math.abs(d[mm]) + Math.abs(d[mm + 1]);
        if (Math.abs(e[mm]) <= Number.EPSILON * dd) break;
      }
      if (mm !== l) {
        // Converges in a few sweeps per eigenvalue; running out means NaN or a broken input.
        if (iter++ === 60) throw new Error(`pca: the tridiagonal eigensolver did not converge (eigenvalue ${l} of ${m})`);
        let g = (d[l + 1] - d[l]) / (2 * e[l]);
        let r = Math.hypot(g, 1);
        g = d[mm] - d[l] + e[l] / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1;
        let c = 1;
        let pp = 0;
        let i: number;
        for (i = mm - 1; i >= l; i--) {
          let f = s * e[i];
          const b = c * e[i];
          r = Math.hypot(f, g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1] -= pp;
            e[mm] = 0;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1] - pp;
          r = (d[i] - g) * s + 2 * c * b;
          pp = s * r;
          d[i + 1] = g + pp;
          g = c * r - b;
          const left = i * rows;
          const right = left + rows;
          for (let k = 0; k < rows; k++) {
            f = zt[right + k];
            zt[right + k] = s * zt[left + k] + c * f;
            zt[left + k] = c * zt[left + k] - s * f;
          }
        }
        if (r === 0 && i >= l) continue;
        d[l] -= pp;
        e[l] = g;
        e[mm] = 0;
      }
    } while (mm !== l);
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => d[b] - d[a]);
  const values = Float64Array.from(order, (i) => d[i]);
  const vectors = new Float64Array(rows * m);
  order.forEach((src, c) => {
    for (let k = 0; k < rows; k++) vectors[k * m + c] = zt[src * rows + k];
  });
  return { values, vectors };
}

definePoolTask('lanczos', (c: LanczosContext, a: LanczosArgs) => {
  const result = lanczosRun(c, a);
  return { result, transfer: Array.isArray(result) ? result.map((x) => x.buffer as ArrayBuffer) : [] };
});
