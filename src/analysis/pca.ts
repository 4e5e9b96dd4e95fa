// PCA of a dense, centred matrix (scanpy's `pca` with zero_center, sklearn's PCA semantics:
// explained_variance = eigenvalues of the covariance, ratio over its trace). The covariance (genes
// x genes, or cells x cells when there are fewer cells) is formed once; its leading eigenpairs come
// from Lanczos with full reorthogonalisation (tridiagonal QL for the Ritz pairs). Signs follow sklearn's
// svd_flip (largest |loading| of each component positive), so results are deterministic.
// `pcaCsr` does the same for sparse rows with implicit centring (the pipeline's HVG matrix).
import type { CsrArrays } from '../io/csr.ts';
import { CancelledError } from '../io/errors.ts';
import { openJob, poolFor, ranges, runBlocks, type WorkerPool } from '../parallel/pool.ts';
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
  /** Fewest stored values for which the pool is used (default COV_POOL_MIN). */
  poolMinValues?: number;
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
 */
async function topEigen(C: Float64Array, p: number, k: number, opts: PcaOptions): Promise<{ values: Float64Array; vectors: Float64Array }> {
  // C v by fixed blocks of rows (each output entry one dot product: any split gives the same
  // bits); on the pool only when the product is big enough to outweigh a round trip per vector.
  const pool = opts.pool && opts.pool.size > 1 && p >= MATVEC_POOL_MIN ? opts.pool : null;
  const job = openJob(pool, 'matvec', { C: pool ? pool.share(C) : C, p });
  const rows = ranges(p, MATVEC_BLOCK);
  const matvec = async (v: Float64Array): Promise<Float64Array> => {
    const parts = await job.run<Float64Array>(rows.map((r) => ({ ...r, v })), { signal: opts.signal });
    const w = new Float64Array(p);
    parts.forEach((part, b) => w.set(part, rows[b].from));
    return w;
  };
  try {
    return await lanczos(p, k, opts, matvec);
  } finally {
    job.close();
  }
}

/** Rows per mat-vec block, and the smallest matrix whose products go to the pool. */
const MATVEC_BLOCK = 256;
const MATVEC_POOL_MIN = 512;

/** The pool task: rows [from, to) of C v. */
export function matvecRows(ctx: { C: Float64Array; p: number }, r: { from: number; to: number; v: Float64Array }): Float64Array {
  const { C, p } = ctx;
  const { v } = r;
  const w = new Float64Array(r.to - r.from);
  for (let i = r.from; i < r.to; i++) {
    let s = 0;
    const row = i * p;
    for (let t = 0; t < p; t++) s += C[row + t] * v[t];
    w[i - r.from] = s;
  }
  return w;
}

async function lanczos(p: number, k: number, opts: PcaOptions, matvec: (v: Float64Array) => Promise<Float64Array>): Promise<{ values: Float64Array; vectors: Float64Array }> {
  const basis: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let seed = 12345;
  let v: Float64Array = Float64Array.from({ length: p }, () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
  normalize(v);
  let target = Math.min(p, Math.max(2 * k + 20, k + 50));
  let prev: Float64Array | null = null;
  for (let j = 0; ; j++) {
    if ((j & 15) === 0) {
      await new Promise((r) => setTimeout(r, 0));
      if (opts.signal?.aborted) throw new CancelledError('pca');
      opts.onProgress?.(Math.min(0.99, j / target), `pca: Lanczos vector ${j + 1} / ${target}`);
    }
    basis.push(v);
    const w = await matvec(v);
    let a = 0;
    for (let i = 0; i < p; i++) a += w[i] * v[i];
    alpha.push(a);
    for (let i = 0; i < p; i++) w[i] -= a * v[i] + (prev ? beta[j - 1] * prev[i] : 0);
    // Full reorthogonalisation, twice ("twice is enough"), keeps the basis orthonormal in floats.
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let d = 0;
        for (let i = 0; i < p; i++) d += w[i] * q[i];
        for (let i = 0; i < p; i++) w[i] -= d * q[i];
      }
    }
    const b = Math.sqrt(w.reduce((s2, x) => s2 + x * x, 0));
    const m = basis.length;
    // A NaN or Inf in C would otherwise run the basis to its full size p (minutes) and return NaN.
    if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error('pca: the matrix holds non-finite values (NaN or Inf); check the input for them');
    if (m > p) throw new Error(`pca: Lanczos did not converge within ${p} vectors`);
    const exhausted = m === p || b <= 1e-12 * Math.abs(alpha[0] || 1);
    if (m >= target || exhausted) {
      const { values, vectors } = tridiagonalEigen(Float64Array.from(alpha), Float64Array.from(beta), m);
      let worst = 0;
      for (let c = 0; c < Math.min(k, m); c++) worst = Math.max(worst, Math.abs(b * vectors[(m - 1) * m + c]));
      if (exhausted || worst <= 1e-6 * Math.abs(values[0])) {
        const kk = Math.min(k, m);
        const out = new Float64Array(kk * p); // row c = eigenvector c
        for (let c = 0; c < kk; c++) {
          for (let t = 0; t < m; t++) {
            const s2 = vectors[t * m + c];
            if (s2 !== 0) for (let i = 0; i < p; i++) out[c * p + i] += s2 * basis[t][i];
          }
        }
        return { values: values.slice(0, kk), vectors: out };
      }
      target = Math.min(p, target + 50);
    }
    beta.push(b);
    prev = v;
    v = w.map((x) => x / b);
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
 * method (Numerical Recipes' tqli); eigenvalues descending, column c of `vectors` [m, m] is pair c.
 */
export function tridiagonalEigen(diag: Float64Array, off: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const d = Float64Array.from(diag.subarray(0, m));
  const e = new Float64Array(m);
  for (let i = 0; i < m - 1; i++) e[i] = off[i];
  const z = new Float64Array(m * m);
  for (let i = 0; i < m; i++) z[i * m + i] = 1;
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
          for (let k = 0; k < m; k++) {
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
  const vectors = new Float64Array(m * m);
  order.forEach((src, c) => {
    for (let k = 0; k < m; k++) vectors[k * m + c] = z[k * m + src];
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

/** Fewest stored values for which the covariance blocks go to the pool. */
export const COV_POOL_MIN = 4_000_000;

/** PCA of sparse rows, centred implicitly: covariance = (X^T X - n mean mean^T) / (n - 1). */
export async function pcaCsr(m: CsrArrays, nComps = 50, opts: PcaOptions = {}): Promise<PcaResult> {
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
  const scores = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = -offset[c];
      for (let t = m.indptr[i]; t < m.indptr[i + 1]; t++) s += m.data[t] * components[c * p + m.indices[t]];
      scores[i * k + c] = s;
    }
  }
  return { nComps: k, components, scores, variance, varianceRatio: variance.map((v) => v / total), center: mean };
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

definePoolTask('matvec', (c: Parameters<typeof matvecRows>[0], r: Parameters<typeof matvecRows>[1]) => {
  const result = matvecRows(c, r);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});
definePoolTask('covariance', (c: Parameters<typeof covarianceRows>[0], r: { from: number; to: number }) => {
  const result = covarianceRows(c, r);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});
