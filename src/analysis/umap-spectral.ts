// umap-learn's spectral initialisation (umap/spectral.py spectral_layout, scanpy's default
// init_pos='spectral'), on the graph UMAP optimises (weak edges already cut). One connected
// component: the eigenvectors of the normalised Laplacian L = I - D^-1/2 A D^-1/2 for its 2nd and
// 3rd smallest eigenvalues, found as the 2nd and 3rd largest of D^-1/2 A D^-1/2 by pca.ts's
// Lanczos (umap-learn asks ARPACK for the smallest of L). Several components:
// multi_component_layout, each component's own spectral layout scaled into a box around its
// place in a layout of the components (their centroids in the data space, spectrally embedded as
// sklearn's SpectralEmbedding does, or +-unit vectors for up to four components). umap-learn's
// random draws (tiny components, noise) come from our seeded counter hash, not numpy's.
import { jacobiEigen, lanczosEigen, LanczosNotConverged } from './pca.ts';
import type { SparseGraph } from './connectivities.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { hashUniform } from './umap-hash.ts';
import { umapLn } from './umap-pow.ts';

export interface SpectralOptions {
  seed?: number;
  pool?: WorkerPool | null;
  /** Most Lanczos vectors per component before the start falls back to PCA (default SPECTRAL_MAX_VECTORS). */
  maxVectors?: number;
  /** Lanczos residual tolerance relative to the top eigenvalue, 1 (default SPECTRAL_TOL). */
  tol?: number;
  /** Fewest cells of a component for which its Lanczos steps go to the pool (default SPECTRAL_POOL_MIN). */
  poolMinDims?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** Lanczos basis cap: 600 vectors of 100,000 cells are 480 MB; ARPACK restarts where this gives up. */
export const SPECTRAL_MAX_VECTORS = 600;
/** Ritz residual wanted, relative to the top eigenvalue 1 of D^-1/2 A D^-1/2. */
export const SPECTRAL_TOL = 1e-6;
/** Fewest cells for which the Lanczos steps go to the pool (a sparse step is ~(k + basis) n flops). */
export const SPECTRAL_POOL_MIN = 20000;

/** Hash streams of the random draws (the epochs use 0..nEpochs - 1). */
const STREAM_TINY = 0xfffffff0;
const STREAM_NOISE = 0xfffffff1;

/** Connected components, labelled in order of their lowest node as scipy's connected_components. */
export function connectedComponents(graph: { n: number; indptr: Int32Array; indices: Int32Array }): { count: number; labels: Int32Array } {
  const { n, indptr, indices } = graph;
  const labels = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  let count = 0;
  for (let s = 0; s < n; s++) {
    if (labels[s] >= 0) continue;
    let top = 0;
    stack[top++] = s;
    labels[s] = count;
    while (top > 0) {
      const i = stack[--top];
      for (let t = indptr[i]; t < indptr[i + 1]; t++) {
        const j = indices[t];
        if (labels[j] < 0) {
          labels[j] = count;
          stack[top++] = j;
        }
      }
    }
    count++;
  }
  return { count, labels };
}

/**
 * The spectral layout [n, 2] of the graph (not yet expanded), or null when an eigensolve did not
 * converge (umap-learn then starts from random; planUmap from PCA). `coords` [n, dim]: the
 * representation the graph was built on, for the centroids of several components.
 */
export async function spectralLayout(graph: SparseGraph, coords: Float32Array, dim: number, opts: SpectralOptions = {}): Promise<Float64Array | null> {
  const n = graph.n;
  const { count, labels } = connectedComponents(graph);
  const out = new Float64Array(n * 2);
  try {
    if (count === 1) {
      const members = Int32Array.from({ length: n }, (_, i) => i);
      const v = await componentEigenvectors(graph, members, labels, opts, '');
      out.set(v);
      return out;
    }
    const meta = count > 4 ? componentLayout(coords, dim, labels, count) : unitLayout(count);
    const members = groupMembers(labels, count);
    for (let c = 0; c < count; c++) {
      const mx = meta[2 * c], my = meta[2 * c + 1];
      let near = Infinity;
      for (let o = 0; o < count; o++) {
        const d = Math.hypot(meta[2 * o] - mx, meta[2 * o + 1] - my);
        if (d > 0 && d < near) near = d;
      }
      const range = near / 2;
      const m = members[c];
      if (m.length < 4) {
        // umap-learn: components too small for eigenvectors are spread uniformly in the box.
        for (const i of m) {
          out[2 * i] = mx + (2 * hashUniform(opts.seed ?? 0, STREAM_TINY, i, 0) - 1) * range;
          out[2 * i + 1] = my + (2 * hashUniform(opts.seed ?? 0, STREAM_TINY, i, 1) - 1) * range;
        }
        continue;
      }
      const v = await componentEigenvectors(graph, m, labels, opts, ` (component ${c + 1} / ${count})`);
      let big = 0;
      for (const x of v) big = Math.max(big, Math.abs(x));
      const expansion = range / (big || 1);
      m.forEach((i, r) => {
        out[2 * i] = v[2 * r] * expansion + mx;
        out[2 * i + 1] = v[2 * r + 1] * expansion + my;
      });
    }
    return out;
  } catch (e) {
    if (e instanceof LanczosNotConverged) return null;
    throw e;
  }
}

function groupMembers(labels: Int32Array, count: number): Int32Array[] {
  const sizes = new Int32Array(count);
  for (const l of labels) sizes[l]++;
  const members = Array.from(sizes, (s) => new Int32Array(s));
  const fill = new Int32Array(count);
  labels.forEach((l, i) => (members[l][fill[l]++] = i));
  return members;
}

/**
 * Eigenvectors of one component's normalised Laplacian for its 2nd and 3rd smallest eigenvalues,
 * [size, 2] in member order; each vector's largest |entry| positive (ARPACK's sign is arbitrary).
 */
async function componentEigenvectors(graph: SparseGraph, members: Int32Array, labels: Int32Array, opts: SpectralOptions, what: string): Promise<Float64Array> {
  const size = members.length;
  const local = new Int32Array(graph.n).fill(-1);
  members.forEach((i, r) => (local[i] = r));
  const label = labels[members[0]];
  const indptr = new Int32Array(size + 1);
  let nnz = 0;
  for (let r = 0; r < size; r++) {
    const i = members[r];
    for (let t = graph.indptr[i]; t < graph.indptr[i + 1]; t++) if (labels[graph.indices[t]] === label) nnz++;
    indptr[r + 1] = nnz;
  }
  const indices = new Int32Array(nnz);
  const data = new Float64Array(nnz);
  const degree = new Float64Array(size);
  for (let r = 0, t2 = 0; r < size; r++) {
    const i = members[r];
    for (let t = graph.indptr[i]; t < graph.indptr[i + 1]; t++) {
      const j = local[graph.indices[t]];
      if (j < 0) continue;
      indices[t2] = j;
      data[t2++] = graph.data[t];
      degree[r] += graph.data[t];
    }
  }
  const scale = degree.map((d) => 1 / Math.sqrt(d));
  for (let r = 0; r < size; r++) for (let t = indptr[r]; t < indptr[r + 1]; t++) data[t] *= scale[r] * scale[indices[t]];
  const k = 3;
  if (size <= k) throw new LanczosNotConverged(`umap: a component of ${size} cells is too small for a spectral layout`);
  const eig = await lanczosEigen({ p: size, indptr, indices, data }, k, {
    pool: opts.pool,
    poolMinDims: opts.poolMinDims ?? SPECTRAL_POOL_MIN,
    maxVectors: opts.maxVectors ?? SPECTRAL_MAX_VECTORS,
    tol: opts.tol ?? SPECTRAL_TOL,
    // A check is O(basis) flops against O(cells x basis) a vector: stop within 10 of convergence.
    checkEvery: 10,
    label: `umap spectral init${what}`,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  const out = new Float64Array(size * 2);
  for (let c = 0; c < 2; c++) {
    const v = eig.vectors.subarray((c + 1) * size, (c + 2) * size);
    let at = 0;
    for (let r = 1; r < size; r++) if (Math.abs(v[r]) > Math.abs(v[at])) at = r;
    const sign = v[at] < 0 ? -1 : 1;
    for (let r = 0; r < size; r++) out[2 * r + c] = sign * v[r];
  }
  return out;
}

/** umap-learn's meta-layout for at most 2 * dim components: +-unit vectors. */
function unitLayout(count: number): Float64Array {
  const k = Math.ceil(count / 2);
  const out = new Float64Array(count * 2);
  for (let c = 0; c < count; c++) {
    const b = c % k;
    if (b < 2) out[2 * c + b] = c < k ? 1 : -1;
  }
  return out;
}

/**
 * umap-learn's component_layout: centroids of the components in the data space, affinities
 * exp(-d^2), sklearn's SpectralEmbedding of them (normalised Laplacian without the diagonal,
 * eigenvectors 2 and 3 divided by sqrt(degree), sign so the largest |entry| is positive), over the
 * largest entry.
 */
export function componentLayout(coords: Float32Array, dim: number, labels: Int32Array, count: number): Float64Array {
  const centroids = new Float64Array(count * dim);
  const sizes = new Float64Array(count);
  labels.forEach((l, i) => {
    sizes[l]++;
    for (let d = 0; d < dim; d++) centroids[l * dim + d] += coords[i * dim + d];
  });
  for (let c = 0; c < count; c++) for (let d = 0; d < dim; d++) centroids[c * dim + d] /= sizes[c];
  const W = new Float64Array(count * count);
  for (let a = 0; a < count; a++) {
    for (let b = a + 1; b < count; b++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (centroids[a * dim + d] - centroids[b * dim + d]) ** 2;
      W[a * count + b] = W[b * count + a] = Math.exp(-s);
    }
  }
  // scipy's normed laplacian: isolated nodes get degree 1.
  const dd = new Float64Array(count);
  for (let a = 0; a < count; a++) {
    let s = 0;
    for (let b = 0; b < count; b++) s += W[a * count + b];
    dd[a] = s > 0 ? Math.sqrt(s) : 1;
  }
  const M = W.map((w, t) => w / (dd[Math.floor(t / count)] * dd[t % count]));
  const { vectors } = jacobiEigen(M, count);
  const out = new Float64Array(count * 2);
  let big = -Infinity;
  for (let c = 0; c < 2; c++) {
    const v = Float64Array.from({ length: count }, (_, a) => vectors[a * count + c + 1] / dd[a]);
    let at = 0;
    for (let a = 1; a < count; a++) if (Math.abs(v[a]) > Math.abs(v[at])) at = a;
    const sign = v[at] < 0 ? -1 : 1;
    for (let a = 0; a < count; a++) {
      out[2 * a + c] = sign * v[a];
      big = Math.max(big, out[2 * a + c]);
    }
  }
  for (let t = 0; t < out.length; t++) out[t] /= big;
  return out;
}

/**
 * simplicial_set_embedding's start from a spectral layout: scaled so the largest |coordinate| is
 * 10, plus normal noise of scale 1e-4 (float32, as umap-learn), then each axis rescaled to [0, 10].
 */
export function spectralStart(layout: Float64Array, n: number, seed: number): Float32Array {
  let big = 0;
  for (const v of layout) big = Math.max(big, Math.abs(v));
  const expansion = 10 / (big || 1);
  const out = new Float32Array(n * 2);
  for (let t = 0; t < n * 2; t++) out[t] = Math.fround(Math.fround(layout[t] * expansion) + Math.fround(1e-4 * seededNormal(seed, t)));
  for (let c = 0; c < 2; c++) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, out[2 * i + c]);
      hi = Math.max(hi, out[2 * i + c]);
    }
    const span = hi - lo || 1;
    for (let i = 0; i < n; i++) out[2 * i + c] = (10 * (out[2 * i + c] - lo)) / span;
  }
  return out;
}

/** A standard normal draw for entry t (Marsaglia's polar method on the counter hash; ln and sqrt only). */
function seededNormal(seed: number, t: number): number {
  for (let attempt = 0; ; attempt++) {
    const u = 2 * hashUniform(seed, STREAM_NOISE, t, 2 * attempt) - 1;
    const v = 2 * hashUniform(seed, STREAM_NOISE, t, 2 * attempt + 1) - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * umapLn(s)) / s);
  }
}
