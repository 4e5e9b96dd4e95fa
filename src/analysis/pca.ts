// PCA of a dense, centred matrix (scanpy's `pca` with zero_center, sklearn's PCA semantics:
// explained_variance = eigenvalues of the covariance, ratio over its trace). The covariance (genes
// x genes, or cells x cells when there are fewer cells) is formed once; its leading eigenpairs come
// from Lanczos with full reorthogonalisation (tridiagonal QL for the Ritz pairs). Signs follow sklearn's
// svd_flip (largest |loading| of each component positive), so results are deterministic.
// `pcaCsr` does the same for sparse rows with implicit centring (the pipeline's HVG matrix).
import type { CsrArrays } from '../io/csr.ts';
import { poolFor, ranges, runBlocks, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';
import { LANCZOS_POOL_MIN, lanczosEigen } from './lanczos.ts';

export { LANCZOS_POOL_MIN, lanczosEigen, LanczosNotConverged, tridiagonalEigen, type LanczosEigenOptions, type SymmetricOperator } from './lanczos.ts';

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
 * Leading eigenpairs of the covariance (or Gram matrix) by Lanczos with full reorthogonalisation
 * (lanczos.ts): eigenvalues exact to ~1e-12 relative once every wanted Ritz residual is below 1e-6
 * of the top eigenvalue. Its steps go to the pool from LANCZOS_POOL_MIN genes on.
 */
async function topEigen(C: Float64Array, p: number, k: number, opts: PcaOptions): Promise<{ values: Float64Array; vectors: Float64Array }> {
  return lanczosEigen({ C, p }, k, { ...opts, poolMinDims: opts.poolMinDims ?? LANCZOS_POOL_MIN });
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

definePoolTask('pca-scores', (c: Parameters<typeof scoreRows>[0], r: { from: number; to: number }) => {
  const result = scoreRows(c, r);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});
definePoolTask('covariance', (c: Parameters<typeof covarianceRows>[0], r: { from: number; to: number }) => {
  const result = covarianceRows(c, r);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});
