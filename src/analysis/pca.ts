// PCA of a dense, centred matrix (scanpy's `pca` with zero_center, sklearn's PCA semantics:
// explained_variance = eigenvalues of the covariance, ratio over its trace). The covariance (genes
// x genes, or cells x cells when there are fewer cells) is formed once; its leading eigenpairs come
// from Lanczos with full reorthogonalisation (tridiagonal QL for the Ritz pairs). Signs follow sklearn's
// svd_flip (largest |loading| of each component positive), so results are deterministic.
// `pcaCsr` does the same for sparse rows with implicit centring (the pipeline's HVG matrix).
import type { CsrArrays } from '../io/csr.ts';
import { CancelledError } from '../io/errors.ts';
import { openJob, poolFor, ranges, runBlocks, type PoolJob, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';

export interface PcaResult {
  nComps: number;
  /** [nComps, p] principal axes (sklearn's components_). */
  components: Float64Array;
  /** [n, nComps] scores of the centred data. */
  scores: Float32Array;
  varianceRatio: Float64Array;
  variance: Float64Array;
  /** Column means the data were centred with (for projecting new rows). */
  center: Float64Array;
}

export interface PcaOptions {
  /** Covariance rows in blocks on this pool's workers (same results as inline). */
  pool?: WorkerPool | null;
  /** Fewest stored values for which the covariance goes to the pool (default COV_POOL_MIN). */
  poolMinValues?: number;
  /** Smallest matrix side (genes, or cells for a Gram matrix) whose Lanczos steps go to the pool (default LANCZOS_POOL_MIN). */
  poolMinDims?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** Eigen-decomposition of a small symmetric matrix [m, m] by cyclic Jacobi; eigenvalues descending. */
export function jacobiEigen(a: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(a);
  const V = new Float64Array(m * m);
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += A[p * m + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * m + q] - A[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = A[k * m + p];
          const akq = A[k * m + q];
          A[k * m + p] = c * akp - s * akq;
          A[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p * m + k];
          const aqk = A[q * m + k];
          A[p * m + k] = c * apk - s * aqk;
          A[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = V[k * m + p];
          const vkq = V[k * m + q];
          V[k * m + p] = c * vkp - s * vkq;
          V[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => A[y * m + y] - A[x * m + x]);
  const values = Float64Array.from(order, (i) => A[i * m + i]);
  const vectors = new Float64Array(m * m); // column j = eigenvector j
  order.forEach((src, j) => {
    for (let k = 0; k < m; k++) vectors[k * m + j] = V[k * m + src];
  });
  return { values, vectors };
}

/**
 * Leading eigenpairs of a symmetric positive semi-definite matrix C [p, p] by Lanczos with full
 * reorthogonalisation: the Krylov basis grows in steps of 50 until every wanted Ritz pair has a
 * residual below 1e-6 of the top eigenvalue (eigenvalues then exact to ~1e-12 relative). One
 * matrix-vector product per basis vector, where block subspace iteration needs a whole block per
 * step: ~100x fewer flops on flat single-cell spectra.
 *
 * Each step works on fixed blocks of LANCZOS_BLOCK rows: w = C v, then classical Gram-Schmidt
 * against the whole basis, twice (CGS2, as ARPACK's DGKS correction: "twice is enough"). A
 * projection w . q is the sum of per-block partial dots taken in block order, and every entry of
 * w, of the basis and of the Ritz vectors is computed inside one block, so the bits depend on the
 * block size only, never on which thread ran a block. (Modified Gram-Schmidt, which this replaced,
 * projects on one basis vector at a time: each dot needs the whole of w after the previous one, a
 * chain that cannot be split across threads.) On a pool sharing memory, a step is three round
 * trips (mat-vec and first dots; first update and second dots; second update and the norm). With
 * copied memory every step would carry the basis: the steps run here (the mat-vecs alone on the
 * pool gained nothing at 30k cells: they stream C from memory, and two threads share the bandwidth).
 */
async function topEigen(C: Float64Array, p: number, k: number, opts: PcaOptions): Promise<{ values: Float64Array; vectors: Float64Array }> {
  return lanczosEigen({ C, p }, k, { ...opts, poolMinDims: opts.poolMinDims ?? LANCZOS_POOL_MIN });
}

/** A symmetric operator for lanczosEigen: dense C [p, p], or sparse rows (CSR, both triangles stored) with C empty. */
export interface SymmetricOperator {
  p: number;
  C?: Float64Array;
  indptr?: Int32Array;
  indices?: Int32Array;
  data?: Float64Array;
}

export interface LanczosEigenOptions extends PcaOptions {
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

/**
 * Algebraically largest k eigenpairs of a symmetric operator, dense or sparse, by the Lanczos
 * steps described below (same blocks, same bits whatever the pool). Sparse rows go to the pool
 * from opts.poolMinDims rows on (default LANCZOS_POOL_MIN).
 */
export async function lanczosEigen(op: SymmetricOperator, k: number, opts: LanczosEigenOptions = {}): Promise<{ values: Float64Array; vectors: Float64Array }> {
  const p = op.p;
  const found = poolFor(opts.pool, p, opts.poolMinDims ?? LANCZOS_POOL_MIN);
  const pool = found?.shared ? found : null;
  const blocks = ranges(p, LANCZOS_BLOCK);
  // Contiguous runs of blocks, one per worker: one message per worker per round trip.
  const workers = pool ? Math.min(pool.size, blocks.length) : 1;
  const groups = Array.from({ length: workers }, (_, g) => blocks.slice(Math.floor((g * blocks.length) / workers), Math.floor(((g + 1) * blocks.length) / workers)));
  const alloc = (n: number) => (pool ? pool.alloc(Float64Array, n) : new Float64Array(n));
  const share = <T extends Float64Array | Int32Array>(x: T): T => (pool ? pool.share(x) : x);
  const ctx: LanczosContext = op.indptr
    ? { C: new Float64Array(0), p, Q: alloc(0), w: alloc(p), indptr: share(op.indptr), indices: share(op.indices!), data: share(op.data!) }
    : { C: share(op.C!), p, Q: alloc(0), w: alloc(p) };
  let job: Pick<PoolJob, 'run' | 'close'> | null = null;
  const run = async (args: Omit<LanczosArgs, 'blocks'>): Promise<Float64Array[]> => {
    if (!job) job = openJob(pool, 'lanczos', ctx as unknown as Record<string, unknown>);
    const parts = await job.run<Float64Array[]>(
      groups.map((g) => ({ ...args, blocks: g })),
      { signal: opts.signal },
    );
    return parts.flat();
  };
  const ops: LanczosOps = {
    capacity: () => ctx.Q.length / p,
    grow(rows) {
      const Q = alloc(rows * p);
      Q.set(ctx.Q);
      ctx.Q = Q;
      // The workers hold the old basis array: a new job sends them the new one.
      job?.close();
      job = null;
    },
    Q: () => ctx.Q,
    w: () => ctx.w,
    matvecDots: (j) => run({ op: 'matvec', j }),
    project: (j, d, norm) => run({ op: 'project', j, d, norm }),
    ritz: (S, m, kk) => run({ op: 'ritz', j: 0, S, m, kk }),
  };
  try {
    return await lanczos(p, k, opts, ops, blocks);
  } finally {
    (job as Pick<PoolJob, 'run' | 'close'> | null)?.close();
  }
}

/** Rows per block of the Lanczos kernels. */
const LANCZOS_BLOCK = 256;
/**
 * Smallest matrix whose Lanczos steps go to the pool: three round trips a step against ~p^2 work
 * (1,000 cells, warm pool of 2: 0.70x at p 512, 0.96x at 1,024, 1.21x at 2,000; 1.3x at 30k cells).
 */
export const LANCZOS_POOL_MIN = 1500;

/** What the Lanczos kernels share: C, the basis (row t of Q is vector t) and the vector w being orthogonalised. */
export interface LanczosContext {
  C: Float64Array;
  p: number;
  Q: Float64Array;
  w: Float64Array;
  /** A sparse operator's rows instead of C. */
  indptr?: Int32Array;
  indices?: Int32Array;
  data?: Float64Array;
}

/** One worker's blocks of a Lanczos round trip. */
export interface LanczosArgs {
  op: 'matvec' | 'project' | 'ritz';
  blocks: { from: number; to: number }[];
  /** The newest basis vector's index (projections are on vectors 0..j). */
  j: number;
  /** project: the coefficients to subtract; norm: return |w|^2 of the block instead of its dots. */
  d?: Float64Array;
  norm?: boolean;
  /** ritz: Ritz coefficients [m, m] (column c is pair c), basis size m, pairs kk. */
  S?: Float64Array;
  m?: number;
  kk?: number;
}

interface LanczosOps {
  capacity(): number;
  grow(rows: number): void;
  Q(): Float64Array;
  w(): Float64Array;
  /** w = C q_j, then per block the dots of w with q_0..q_j. */
  matvecDots(j: number): Promise<Float64Array[]>;
  /** w -= Q d, then per block the new dots (or |w|^2). */
  project(j: number, d: Float64Array, norm: boolean): Promise<Float64Array[]>;
  /** Per block, the rows of the kk Ritz vectors ([kk, rows] each). */
  ritz(S: Float64Array, m: number, kk: number): Promise<Float64Array[]>;
}

/** Block partials summed in block order: the same bits whoever computed each block. */
function foldParts(parts: Float64Array[], len: number): Float64Array {
  const out = new Float64Array(len);
  for (const part of parts) for (let t = 0; t < len; t++) out[t] += part[t];
  return out;
}

/** Dots of w with basis vectors 0..j over rows [from, to). */
export function partialDots(ctx: LanczosContext, r: { from: number; to: number }, j: number): Float64Array {
  const { Q, w, p } = ctx;
  const out = new Float64Array(j + 1);
  for (let t = 0; t <= j; t++) {
    const q = t * p;
    let s = 0;
    for (let i = r.from; i < r.to; i++) s += Q[q + i] * w[i];
    out[t] = s;
  }
  return out;
}

/** w -= Q d over rows [from, to) (each entry's terms in basis order); then the block's dots, or |w|^2. */
export function projectBlock(ctx: LanczosContext, r: { from: number; to: number }, j: number, d: Float64Array, norm: boolean): Float64Array {
  const { Q, w, p } = ctx;
  const len = r.to - r.from;
  const acc = new Float64Array(len);
  for (let t = 0; t <= j; t++) {
    const dt = d[t];
    const q = t * p + r.from;
    for (let i = 0; i < len; i++) acc[i] += dt * Q[q + i];
  }
  for (let i = 0; i < len; i++) w[r.from + i] -= acc[i];
  if (!norm) return partialDots(ctx, r, j);
  let s = 0;
  for (let i = r.from; i < r.to; i++) s += w[i] * w[i];
  return Float64Array.of(s);
}

/** Rows [from, to) of the kk Ritz vectors: sum over basis vectors t of S[t, c] q_t, [kk, rows]. */
export function ritzBlock(ctx: LanczosContext, r: { from: number; to: number }, S: Float64Array, m: number, kk: number): Float64Array {
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

/** The pool task: one worker's blocks of a Lanczos round trip, one result per block. */
export function lanczosBlocks(ctx: LanczosContext, a: LanczosArgs): Float64Array[] {
  return a.blocks.map((r) => {
    if (a.op === 'ritz') return ritzBlock(ctx, r, a.S!, a.m!, a.kk!);
    if (a.op === 'project') return projectBlock(ctx, r, a.j, a.d!, !!a.norm);
    ctx.w.set(matvecRows(ctx, { ...r, v: ctx.Q.subarray(a.j * ctx.p, (a.j + 1) * ctx.p) }), r.from);
    return partialDots(ctx, r, a.j);
  });
}

/** Rows [from, to) of C v (or of the sparse rows' product, each row's terms in stored order). */
export function matvecRows(ctx: { C: Float64Array; p: number; indptr?: Int32Array; indices?: Int32Array; data?: Float64Array }, r: { from: number; to: number; v: Float64Array }): Float64Array {
  const { C, p } = ctx;
  const { v } = r;
  const w = new Float64Array(r.to - r.from);
  if (ctx.indptr) {
    const { indptr, indices, data } = ctx as Required<typeof ctx>;
    for (let i = r.from; i < r.to; i++) {
      let s = 0;
      for (let t = indptr[i]; t < indptr[i + 1]; t++) s += data[t] * v[indices[t]];
      w[i - r.from] = s;
    }
    return w;
  }
  for (let i = r.from; i < r.to; i++) {
    let s = 0;
    const row = i * p;
    for (let t = 0; t < p; t++) s += C[row + t] * v[t];
    w[i - r.from] = s;
  }
  return w;
}

async function lanczos(p: number, k: number, opts: LanczosEigenOptions, ops: LanczosOps, blocks: { from: number; to: number }[]): Promise<{ values: Float64Array; vectors: Float64Array }> {
  const label = opts.label ?? 'pca';
  const maxVectors = Math.min(p, opts.maxVectors ?? p);
  const tol = opts.tol ?? 1e-6;
  const alpha: number[] = [];
  const beta: number[] = [];
  let seed = 12345;
  const v0 = Float64Array.from({ length: p }, () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
  normalize(v0);
  let target = Math.min(maxVectors, Math.max(2 * k + 20, k + 50));
  ops.grow(Math.min(p, target) + 1);
  ops.Q().set(v0);
  for (let j = 0; ; j++) {
    if ((j & 15) === 0) {
      await new Promise((r) => setTimeout(r, 0));
      if (opts.signal?.aborted) throw new CancelledError(label);
      opts.onProgress?.(Math.min(0.99, j / target), `${label}: Lanczos vector ${j + 1} / ${target}`);
    }
    const d1 = foldParts(await ops.matvecDots(j), j + 1);
    const a = d1[j];
    alpha.push(a);
    const d2 = foldParts(await ops.project(j, d1, false), j + 1);
    const b = Math.sqrt(foldParts(await ops.project(j, d2, true), 1)[0]);
    const m = j + 1;
    // A NaN or Inf in C would otherwise run the basis to its full size p (minutes) and return NaN.
    if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`${label}: the matrix holds non-finite values (NaN or Inf); check the input for them`);
    if (m > p) throw new Error(`pca: Lanczos did not converge within ${p} vectors`);
    const exhausted = m === p || b <= 1e-12 * Math.abs(alpha[0] || 1);
    if (m >= target || exhausted) {
      // The check needs only the last row of the Ritz coefficients (each row's rotations are its
      // own: the same bits as the full matrix's last row); the full one only once converged.
      const last = tridiagonalEigen(Float64Array.from(alpha), Float64Array.from(beta), m, m - 1);
      let worst = 0;
      for (let c = 0; c < Math.min(k, m); c++) worst = Math.max(worst, Math.abs(b * last.vectors[c]));
      if (exhausted || worst <= tol * Math.abs(last.values[0])) {
        const { values, vectors } = tridiagonalEigen(Float64Array.from(alpha), Float64Array.from(beta), m);
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
    }
    beta.push(b);
    if (m + 1 > ops.capacity()) ops.grow(Math.min(p, target) + 1);
    const w = ops.w();
    const next = ops.Q().subarray(m * p, (m + 1) * p);
    for (let i = 0; i < p; i++) next[i] = w[i] / b;
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
  const z = new Float64Array(rows * m);
  for (let i = firstRow; i < m; i++) z[(i - firstRow) * m + i] = 1;
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
          for (let k = 0; k < rows; k++) {
            f = z[k * m + i + 1];
            z[k * m + i + 1] = s * z[k * m + i] + c * f;
            z[k * m + i] = c * z[k * m + i] - s * f;
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
    for (let k = 0; k < rows; k++) vectors[k * m + c] = z[k * m + src];
  });
  return { values, vectors };
}

/** PCA of dense rows X [n, p]. */
export async function pca(X: Float32Array | Float64Array, n: number, p: number, nComps = 50, opts: PcaOptions = {}): Promise<PcaResult> {
  const k = Math.min(nComps, n - 1, p);
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += X[i * p + j];
  for (let j = 0; j < p; j++) mean[j] /= n;
  const Xc = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) Xc[i * p + j] = X[i * p + j] - mean[j];
  // Work in the smaller of the two spaces: genes x genes, or cells x cells (the Gram matrix).
  const useGram = n < p;
  const m = useGram ? n : p;
  const C = new Float64Array(m * m);
  if (useGram) {
    for (let a = 0; a < n; a++) for (let c = a; c < n; c++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += Xc[a * p + j] * Xc[c * p + j];
      C[a * n + c] = C[c * n + a] = s / (n - 1);
    }
  } else {
    for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) {
      const xa = Xc[i * p + a];
      if (xa !== 0) for (let c = a; c < p; c++) C[a * p + c] += xa * Xc[i * p + c];
    }
    for (let a = 0; a < p; a++) for (let c = a; c < p; c++) C[c * p + a] = C[a * p + c] /= n - 1;
  }
  let total = 0;
  for (let i = 0; i < m; i++) total += C[i * m + i];
  checkVariance(total, n, p);
  const eig = await topEigen(C, m, k, opts);
  const components = new Float64Array(k * p);
  if (useGram) {
    // Gram eigenvector u (cells) gives the axis Xc^T u / |Xc^T u|.
    for (let c = 0; c < k; c++) {
      let norm = 0;
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += Xc[i * p + j] * eig.vectors[c * n + i];
        components[c * p + j] = s;
        norm += s * s;
      }
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < p; j++) components[c * p + j] /= norm;
    }
  } else components.set(eig.vectors);
  flipSigns(components, k, p);
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += Xc[i * p + j] * components[c * p + j];
    scores[i * k + c] = s;
  }
  return { nComps: k, components, scores, variance: eig.values, varianceRatio: eig.values.map((v) => v / total), center: mean };
}

/**
 * PCA of rows that do not vary has no axes: every score would be 0 and every ratio 0/0 = NaN, and
 * the NaN would flow on into neighbours and UMAP. Refused here with what it means for cells.
 */
function checkVariance(total: number, n: number, p: number): void {
  if (!Number.isFinite(total)) throw new Error('pca: the matrix holds non-finite values (NaN or Inf); check the input for them');
  if (n < 2) throw new Error(`pca: needs at least 2 cells, got ${n}`);
  if (p < 1) throw new Error('pca: no genes left to compute it on (no highly variable genes?)');
  if (!(total > 1e-12)) throw new Error(`pca: all ${n} cells are identical after normalisation (no variance over ${p} genes); there is nothing to cluster`);
}

/** sklearn's svd_flip on the axes: the largest |loading| of each component is made positive. */
function flipSigns(components: Float64Array, k: number, p: number): void {
  for (let c = 0; c < k; c++) {
    let big = 0;
    for (let j = 0; j < p; j++) if (Math.abs(components[c * p + j]) > Math.abs(components[c * p + big])) big = j;
    if (components[c * p + big] < 0) for (let j = 0; j < p; j++) components[c * p + j] *= -1;
  }
}

/**
 * Fewest stored values for which the covariance blocks and the scores go to the pool. On a warm
 * pool of 2 they saved 0.15 s at 2.3M values and 0.3 s at 3.4M (30k cells) and never lost below;
 * in the pipeline the passes over the file have started the workers by then.
 */
export const COV_POOL_MIN = 2_000_000;

/** PCA of sparse rows, centred implicitly: covariance = (X^T X - n mean mean^T) / (n - 1). */
export async function pcaCsr(m: CsrArrays, nComps = 50, opts: PcaOptions = {}): Promise<PcaResult> {
  // The Lanczos steps cost ~p^2 each whatever the number of cells: their pool goes by p alone.
  const lanczosPool = opts.pool;
  opts = { ...opts, pool: poolFor(opts.pool, m.data.length, opts.poolMinValues ?? COV_POOL_MIN) };
  const n = m.nRows;
  const p = m.nCols;
  const k = Math.min(nComps, n - 1, p);
  const mean = new Float64Array(p);
  for (let t = 0; t < m.data.length; t++) mean[m.indices[t]] += m.data[t];
  for (let j = 0; j < p; j++) mean[j] /= n;
  // C's rows in fixed blocks (pool tasks): each block scans every cell in order, so each entry
  // gets its terms in the same order whatever the number of workers.
  const blocks = ranges(p, COV_BLOCK);
  const ctx = { indptr: share(opts.pool, m.indptr), indices: share(opts.pool, m.indices), data: share(opts.pool, m.data), n, p, sorted: rowsSorted(m) };
  const parts = await runBlocks<Float64Array>(opts.pool, 'covariance', ctx, blocks, {
    signal: opts.signal,
    onBlock: (done, total) => opts.onProgress?.((0.5 * done) / total, `pca: covariance, genes ${Math.round((done / total) * p)} / ${p}`),
  });
  const C = new Float64Array(p * p);
  parts.forEach((part, b) => C.set(part, blocks[b].from * p));
  // Each unordered pair of a row's entries was added once, to C[a, b] or C[b, a] depending on their
  // storage order: fold the two triangles together.
  let total = 0;
  for (let a = 0; a < p; a++) {
    for (let b = a + 1; b < p; b++) C[b * p + a] = C[a * p + b] = C[a * p + b] + C[b * p + a];
  }
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) C[a * p + b] = (C[a * p + b] - n * mean[a] * mean[b]) / (n - 1);
    total += C[a * p + a];
  }
  checkVariance(total, n, p);
  const eig = await topEigen(C, p, k, {
    pool: lanczosPool,
    poolMinDims: opts.poolMinDims,
    signal: opts.signal,
    onProgress: (f, msg) => opts.onProgress?.(0.5 + 0.45 * f, msg),
  });
  // Data of rank below k (a dozen near-identical cells) end the Krylov space early: the missing
  // components carry no variance, so they are zero axes with zero scores, not NaN.
  const found = Math.min(k, eig.values.length);
  const components = new Float64Array(k * p);
  components.set(eig.vectors.subarray(0, found * p));
  for (let t = 0; t < components.length; t++) if (!Number.isFinite(components[t])) components[t] = 0;
  const variance = new Float64Array(k);
  variance.set(eig.values.subarray(0, found).map((v) => (Number.isFinite(v) ? v : 0)));
  flipSigns(components, k, p);
  const offset = new Float64Array(k);
  for (let c = 0; c < k; c++) for (let j = 0; j < p; j++) offset[c] += mean[j] * components[c * p + j];
  // Each cell's scores are its own sums: blocks of cells on the pool give the bits of one thread.
  const cells = ranges(n, SCORE_BLOCK);
  const scoreParts = await runBlocks<Float32Array>(opts.pool, 'pca-scores', { ...ctx, components: share(opts.pool, components), offset, k }, cells, { signal: opts.signal });
  const scores = new Float32Array(n * k);
  scoreParts.forEach((part, b) => scores.set(part, cells[b].from * k));
  return { nComps: k, components, scores, variance, varianceRatio: variance.map((v) => v / total), center: mean };
}

/** Cells per block of the scores. */
const SCORE_BLOCK = 4096;

/** The pool task: scores of cells [from, to) on the axes, [cells, k]. */
export function scoreRows(ctx: { indptr: ArrayLike<number>; indices: ArrayLike<number>; data: ArrayLike<number>; components: Float64Array; offset: Float64Array; k: number; p: number }, r: { from: number; to: number }): Float32Array {
  const { indptr, indices, data, components, offset, k, p } = ctx;
  const out = new Float32Array((r.to - r.from) * k);
  for (let i = r.from; i < r.to; i++) {
    const a0 = indptr[i] | 0;
    const a1 = indptr[i + 1] | 0;
    for (let c = 0; c < k; c++) {
      let s = -offset[c];
      const row = c * p;
      for (let t = a0; t < a1; t++) s += data[t] * components[row + indices[t]];
      out[(i - r.from) * k + c] = s;
    }
  }
  return out;
}

/** Rows of C per pool block. */
const COV_BLOCK = 64;

/** Typed arrays as the pool wants them (shared memory where possible). */
function share<T extends ArrayLike<number>>(pool: WorkerPool | null | undefined, a: T): T {
  return pool && ArrayBuffer.isView(a) ? (pool.share(a as never) as T) : a;
}

/**
 * The pool task: rows [from, to) of the sum of x x^T over cells (each unordered pair of a cell's
 * entries added once, to the row of whichever comes first in storage; pcaCsr folds the triangles).
 */
export function covarianceRows(ctx: { indptr: ArrayLike<number>; indices: ArrayLike<number>; data: ArrayLike<number>; n: number; p: number; sorted: boolean }, r: { from: number; to: number }): Float64Array {
  const { n, p, indices: idx, data: val, sorted } = ctx;
  const { from, to } = r;
  const C = new Float64Array((to - from) * p);
  for (let i = 0; i < n; i++) {
    // Integer loop bounds (indptr is float64) keep V8 on its fast typed-array path.
    let a = ctx.indptr[i] | 0;
    const a1 = ctx.indptr[i + 1] | 0;
    if (sorted) {
      // Rows with ascending columns: this block's entries are one run, found by bisection.
      let hi = a1;
      while (a < hi) {
        const mid = (a + hi) >>> 1;
        if (idx[mid] < from) a = mid + 1;
        else hi = mid;
      }
    }
    for (; a < a1; a++) {
      const ia = idx[a];
      if (ia < from || ia >= to) {
        if (sorted) break;
        continue;
      }
      const va = val[a];
      const row = (ia - from) * p;
      for (let b = a; b < a1; b++) C[row + idx[b]] += va * val[b];
    }
  }
  return C;
}

/** Whether every row's column indices ascend (then a block finds its entries by bisection). */
function rowsSorted(m: CsrArrays): boolean {
  for (let i = 0; i < m.nRows; i++) {
    for (let a = (m.indptr[i] | 0) + 1; a < (m.indptr[i + 1] | 0); a++) if (m.indices[a] <= m.indices[a - 1]) return false;
  }
  return true;
}

/** Scores of new sparse rows (same columns, same preprocessing) on a fitted PCA's axes. */
export function projectCsr(m: CsrArrays, fit: PcaResult): Float32Array {
  const { nComps: k, components, center } = fit;
  const p = m.nCols;
  const offset = new Float64Array(k);
  for (let c = 0; c < k; c++) for (let j = 0; j < p; j++) offset[c] += center[j] * components[c * p + j];
  const scores = new Float32Array(m.nRows * k);
  for (let i = 0; i < m.nRows; i++) {
    for (let c = 0; c < k; c++) {
      let s = -offset[c];
      for (let t = m.indptr[i]; t < m.indptr[i + 1]; t++) s += m.data[t] * components[c * p + m.indices[t]];
      scores[i * k + c] = s;
    }
  }
  return scores;
}

definePoolTask('lanczos', (c: LanczosContext, a: LanczosArgs) => {
  const result = lanczosBlocks(c, a);
  return { result, transfer: result.map((x) => x.buffer as ArrayBuffer) };
});
definePoolTask('pca-scores', (c: Parameters<typeof scoreRows>[0], r: { from: number; to: number }) => {
  const result = scoreRows(c, r);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});
definePoolTask('covariance', (c: Parameters<typeof covarianceRows>[0], r: { from: number; to: number }) => {
  const result = covarianceRows(c, r);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});
