// PCA of a dense, centred matrix (scanpy's `pca` with zero_center, sklearn's PCA semantics:
// explained_variance = eigenvalues of the covariance, ratio over its trace). The covariance (genes
// x genes, or cells x cells when there are fewer cells) is formed once; its leading eigenpairs come
// from block subspace iteration with a Rayleigh-Ritz step solved by Jacobi rotations, which gives
// eigenvalues to machine precision long before the vectors settle. Signs follow sklearn's
// svd_flip (largest |loading| of each component positive), so results are deterministic.
// `pcaCsr` does the same for sparse rows with implicit centring (the pipeline's HVG matrix).
import type { CsrArrays } from '../io/csr.ts';
import { CancelledError } from '../io/errors.ts';

export interface PcaResult {
  nComps: number;
  /** [nComps, p] principal axes (sklearn's components_). */
  components: Float64Array;
  /** [n, nComps] scores of the centred data. */
  scores: Float32Array;
  varianceRatio: Float64Array;
  variance: Float64Array;
}

export interface PcaOptions {
  iterations?: number;
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

/** Leading eigenpairs of a symmetric positive semi-definite matrix C [p, p]. */
async function topEigen(C: Float64Array, p: number, k: number, iterations: number, opts: PcaOptions): Promise<{ values: Float64Array; vectors: Float64Array }> {
  // Twice the wanted rank: per-iteration cost grows by 2x, iterations fall 4x on scRNA spectra.
  const b = Math.min(p, 2 * k);
  let Q = new Float64Array(p * b);
  let seed = 12345;
  for (let i = 0; i < Q.length; i++) Q[i] = ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  const multiply = (M: Float64Array) => {
    const out = new Float64Array(p * b);
    for (let i = 0; i < p; i++) {
      const ob = i * b;
      const cRow = i * p;
      for (let t = 0; t < p; t++) {
        const c = C[cRow + t];
        if (c === 0) continue;
        const mb = t * b;
        for (let j = 0; j < b; j++) out[ob + j] += c * M[mb + j];
      }
    }
    return out;
  };
  const rotate = (M: Float64Array, V: Float64Array) => {
    const out = new Float64Array(p * b);
    for (let i = 0; i < p; i++) for (let j = 0; j < b; j++) {
      let s = 0;
      for (let x = 0; x < b; x++) s += M[i * b + x] * V[x * b + j];
      out[i * b + j] = s;
    }
    return out;
  };
  let result: { values: Float64Array; vectors: Float64Array } = { values: new Float64Array(b), vectors: new Float64Array(b * b) };
  let CQ = multiply(Q);
  for (let it = 0; it < iterations; it++) {
    await new Promise((r) => setTimeout(r, 0));
    if (opts.signal?.aborted) throw new CancelledError('pca');
    opts.onProgress?.(it / iterations, `pca: iteration ${it + 1} / ${iterations}`);
    const Z = CQ;
    orthonormalize(Z, p, b);
    // Rayleigh-Ritz: T = Z^T C Z; its eigenvectors rotate Z, and C Z rotated the same way is the
    // next iteration's product, so C is applied once per iteration.
    const CZ = multiply(Z);
    const T = new Float64Array(b * b);
    for (let x = 0; x < b; x++) for (let y = x; y < b; y++) {
      let s = 0;
      for (let i = 0; i < p; i++) s += Z[i * b + x] * CZ[i * b + y];
      T[x * b + y] = T[y * b + x] = s;
    }
    result = jacobiEigen(T, b);
    Q = rotate(Z, result.vectors);
    CQ = rotate(CZ, result.vectors);
    // Converged when every wanted Ritz pair has a residual |C q - l q| below 1e-4 of the top
    // eigenvalue: eigenvalues are then exact to ~1e-8 relative, axes to 1e-4 / (relative gap).
    let worst = 0;
    for (let c = 0; c < k; c++) {
      let r = 0;
      for (let i = 0; i < p; i++) r += (CQ[i * b + c] - result.values[c] * Q[i * b + c]) ** 2;
      worst = Math.max(worst, Math.sqrt(r));
    }
    if (worst <= 1e-4 * Math.abs(result.values[0])) break;
  }
  const vectors = new Float64Array(k * p); // row c = eigenvector c
  for (let c = 0; c < k; c++) for (let i = 0; i < p; i++) vectors[c * p + i] = Q[i * b + c];
  return { values: result.values.slice(0, k), vectors };
}

function orthonormalize(Z: Float64Array, p: number, b: number): void {
  for (let j = 0; j < b; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let x = 0; x < j; x++) {
        let dot = 0;
        for (let i = 0; i < p; i++) dot += Z[i * b + x] * Z[i * b + j];
        for (let i = 0; i < p; i++) Z[i * b + j] -= dot * Z[i * b + x];
      }
    }
    let norm = 0;
    for (let i = 0; i < p; i++) norm += Z[i * b + j] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < p; i++) Z[i * b + j] /= norm;
  }
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
  const eig = await topEigen(C, m, k, opts.iterations ?? 150, opts);
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
  return { nComps: k, components, scores, variance: eig.values, varianceRatio: eig.values.map((v) => v / total) };
}

/** sklearn's svd_flip on the axes: the largest |loading| of each component is made positive. */
function flipSigns(components: Float64Array, k: number, p: number): void {
  for (let c = 0; c < k; c++) {
    let big = 0;
    for (let j = 0; j < p; j++) if (Math.abs(components[c * p + j]) > Math.abs(components[c * p + big])) big = j;
    if (components[c * p + big] < 0) for (let j = 0; j < p; j++) components[c * p + j] *= -1;
  }
}

/** PCA of sparse rows, centred implicitly: covariance = (X^T X - n mean mean^T) / (n - 1). */
export async function pcaCsr(m: CsrArrays, nComps = 50, opts: PcaOptions = {}): Promise<PcaResult> {
  const n = m.nRows;
  const p = m.nCols;
  const k = Math.min(nComps, n - 1, p);
  const mean = new Float64Array(p);
  for (let t = 0; t < m.data.length; t++) mean[m.indices[t]] += m.data[t];
  for (let j = 0; j < p; j++) mean[j] /= n;
  const C = new Float64Array(p * p);
  for (let i = 0; i < n; i++) {
    if ((i & 2047) === 0) {
      await new Promise((r) => setTimeout(r, 0));
      if (opts.signal?.aborted) throw new CancelledError('pca');
      opts.onProgress?.((0.5 * i) / n, `pca: covariance ${i.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} cells`);
    }
    // Integer loop bounds (indptr is float64) keep V8 on its fast typed-array path.
    const a0 = m.indptr[i] | 0;
    const a1 = m.indptr[i + 1] | 0;
    const idx = m.indices;
    const val = m.data;
    for (let a = a0; a < a1; a++) {
      const va = val[a];
      const row = idx[a] * p;
      for (let b = a; b < a1; b++) C[row + idx[b]] += va * val[b];
    }
  }
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
  const eig = await topEigen(C, p, k, opts.iterations ?? 150, {
    signal: opts.signal,
    onProgress: (f, msg) => opts.onProgress?.(0.5 + 0.45 * f, msg),
  });
  const components = eig.vectors;
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
  return { nComps: k, components, scores, variance: eig.values, varianceRatio: eig.values.map((v) => v / total) };
}
