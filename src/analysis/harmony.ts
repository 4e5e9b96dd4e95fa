// Harmony batch integration (Korsunsky et al. 2019), following harmonypy's PyTorch version (which
// matches the R package) step for step, in float64: cosine-normalised input, soft k-means with a
// diversity penalty (R updated in shuffled blocks, each block removed from and put back into the
// observed/expected batch-by-cluster counts O and E), and a mixture-of-experts ridge correction of
// the original embedding per cluster. The initial centroids and the update orders can be injected
// (to follow a harmonypy run exactly); otherwise a seeded greedy k-means++ with Lloyd rounds (as
// sklearn's KMeans(n_init=1, max_iter=25) that harmonypy uses) and seeded Fisher-Yates shuffles.
import type { Column } from '../io/types.ts';
import { mulberry32, type Uniform } from '../model/random.ts';

export interface HarmonyOptions {
  /** Diversity penalty: one value for every batch key, or one per key. Default 2. */
  theta?: number | number[];
  /** Ridge penalty: one value for every batch key, or one per key (0 for the intercept). Default 1. */
  lambda?: number | number[];
  /** Soft-clustering bandwidth (every cluster). Default 0.1. */
  sigma?: number;
  /** Clusters; default min(round(N / 30), 100) (Python's round, half to even). */
  nClusters?: number;
  /** Fraction of the cells updated per block. Default 0.05. */
  blockSize?: number;
  maxIterHarmony?: number;
  maxIterKmeans?: number;
  epsilonCluster?: number;
  epsilonHarmony?: number;
  /** Seed of the k-means++ initialisation and of the block update orders. Default 0. */
  seed?: number;
  /** Initial centroids, row-major [d, K] (harmonypy's Y, e.g. its y_init.npy); replaces k-means++. */
  initCentroids?: ArrayLike<number>;
  /** Update order of the i-th update_R call (0-based), a permutation of 0..N-1; replaces the shuffles. */
  permutation?: (call: number) => ArrayLike<number>;
  /** Called after each Harmony iteration. */
  onProgress?: (p: HarmonyProgress) => void;
  /** Checked between blocks and between iterations; aborting throws the signal's reason. */
  signal?: AbortSignal;
  /** How error messages name the embedding, e.g. `obsm/X_pca`. */
  embeddingName?: string;
}

export interface HarmonyProgress {
  iteration: number;
  maxIterations: number;
  /** The objective after this iteration's clustering (harmonypy's objective_harmony[-1]). */
  objective: number;
  kmeansRounds: number;
  converged: boolean;
}

export interface HarmonyResult {
  /** Corrected embedding, row-major [N, d]. */
  zCorr: Float64Array;
  /** Soft cluster assignments, row-major [N, K]. */
  R: Float64Array;
  /** Soft assignments right after the initialisation, row-major [N, K]. */
  rInit: Float64Array;
  /** Centroids, row-major [K, d] (unit length). */
  Y: Float64Array;
  K: number;
  /** The objective per Harmony iteration; the first entry is the initial one. */
  objectiveHarmony: number[];
  /** The k-means objective after every round (the first entry is the initial one). */
  objectiveKmeans: number[];
  /** K-means rounds in each Harmony iteration. */
  kmeansRounds: number[];
  iterations: number;
  converged: boolean;
}

export const HARMONY_DEFAULTS = {
  theta: 2,
  lambda: 1,
  sigma: 0.1,
  blockSize: 0.05,
  maxIterHarmony: 10,
  maxIterKmeans: 20,
  epsilonCluster: 1e-5,
  epsilonHarmony: 1e-4,
  seed: 0,
} as const;

const WINDOW = 3;

/** Python's round(): half to even. */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function defaultClusters(nCells: number): number {
  return Math.min(pyRound(nCells / 30), 100);
}

interface Design {
  /** Batch columns (one-hot over every key's categories), B in all. */
  B: number;
  nKeys: number;
  /** Column of each cell per key: cols[n * nKeys + key]. */
  cols: Int32Array;
  /** Fraction of the cells in each batch column. */
  prB: Float64Array;
  theta: Float64Array;
  /** Ridge penalty per column of [intercept, batches]: length B + 1. */
  lambda: Float64Array;
}

function perKey(v: number | number[] | undefined, dflt: number, nKeys: number, what: string): number[] {
  if (v === undefined) return new Array<number>(nKeys).fill(dflt);
  if (typeof v === 'number') return new Array<number>(nKeys).fill(v);
  if (v.length !== nKeys) throw new Error(`${what}: ${v.length} values for ${nKeys} batch keys (give one, or one per key)`);
  return v;
}

function buildDesign(batches: Column[], N: number, opts: HarmonyOptions): Design {
  if (batches.length === 0) throw new Error('Harmony needs at least one batch key');
  const nKeys = batches.length;
  const thetas = perKey(opts.theta, HARMONY_DEFAULTS.theta, nKeys, 'theta');
  const lambdas = perKey(opts.lambda, HARMONY_DEFAULTS.lambda, nKeys, 'lambda');
  for (const t of thetas) if (!Number.isFinite(t) || t < 0) throw new Error(`theta must be a non-negative number, got ${t}`);
  for (const l of lambdas) if (!Number.isFinite(l) || l < 0) throw new Error(`lambda must be a non-negative number, got ${l}`);
  const cols = new Int32Array(N * nKeys);
  const theta: number[] = [];
  const lambda: number[] = [0];
  const counts: number[] = [];
  let offset = 0;
  batches.forEach((col, key) => {
    const name = col.name;
    if (col.kind === 'numeric') throw new Error(`batch key "${name}" is numeric (${col.dtype}): Harmony needs a categorical (or string) column of batch labels`);
    let codes: ArrayLike<number>;
    let categories: string[];
    if (col.kind === 'categorical') {
      codes = col.codes;
      categories = col.categories;
    } else {
      const index = new Map<string, number>();
      const c = new Int32Array(col.values.length);
      col.values.forEach((v, i) => {
        if (v === null || v === undefined || v === '') {
          c[i] = -1;
          return;
        }
        let k = index.get(v);
        if (k === undefined) index.set(v, (k = index.size));
        c[i] = k;
      });
      codes = c;
      categories = [...index.keys()];
    }
    if (codes.length !== N) throw new Error(`batch key "${name}" has ${codes.length} values for ${N} cells`);
    const n = new Array<number>(categories.length).fill(0);
    for (let i = 0; i < N; i++) {
      const c = codes[i];
      if (c < 0 || c >= categories.length) throw new Error(`batch key "${name}" has a missing value (cell ${i}): every cell needs a batch`);
      n[c]++;
    }
    // Categories no cell uses (pandas keeps them) carry no batch: drop them as pd.get_dummies on values would.
    const used: number[] = [];
    const remap = new Int32Array(categories.length).fill(-1);
    categories.forEach((_, c) => {
      if (n[c] > 0) {
        remap[c] = used.length;
        used.push(c);
      }
    });
    if (used.length < 2) throw new Error(`batch key "${name}" has only one value ("${categories[used[0]]}"): Harmony needs at least 2 batches`);
    for (const c of used) {
      if (n[c] < 3) throw new Error(`batch key "${name}": category "${categories[c]}" has ${n[c]} cell${n[c] === 1 ? '' : 's'}; every batch needs at least 3`);
    }
    for (let i = 0; i < N; i++) cols[i * nKeys + key] = offset + remap[codes[i]];
    for (const c of used) {
      counts.push(n[c]);
      theta.push(thetas[key]);
      lambda.push(lambdas[key]);
    }
    offset += used.length;
  });
  return {
    B: offset,
    nKeys,
    cols,
    prB: Float64Array.from(counts, (c) => c / N),
    theta: Float64Array.from(theta),
    lambda: Float64Array.from(lambda),
  };
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('Harmony was cancelled', 'AbortError');
}

/** Each row of [n, d] scaled to unit L2 norm, into out. */
function cosineRows(src: Float64Array, n: number, d: number, out: Float64Array, name: string): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += src[i * d + j] * src[i * d + j];
    const norm = Math.sqrt(s);
    if (!(norm > 0) || !Number.isFinite(norm)) throw new Error(`${name}: cell ${i} has ${norm > 0 ? 'a non-finite' : 'a zero'} norm; Harmony needs a non-zero, finite row per cell`);
    for (let j = 0; j < d; j++) out[i * d + j] = src[i * d + j] / norm;
  }
}

/** dist[n, k] = 2 (1 - Y_k . Z_n) for unit rows. */
function distances(Z: Float64Array, Y: Float64Array, N: number, K: number, d: number, dist: Float64Array): void {
  for (let n = 0; n < N; n++) {
    const zo = n * d;
    for (let k = 0; k < K; k++) {
      const yo = k * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += Y[yo + j] * Z[zo + j];
      dist[n * K + k] = 2 * (1 - s);
    }
  }
}

/** out[n, k] = softmax_k(-dist[n, k] / sigma) (max-shifted: the same ratios, no underflow). */
function softmaxRows(dist: Float64Array, N: number, K: number, sigma: number, out: Float64Array): void {
  for (let n = 0; n < N; n++) {
    const o = n * K;
    let min = Infinity;
    for (let k = 0; k < K; k++) min = Math.min(min, dist[o + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += out[o + k] = Math.exp(-(dist[o + k] - min) / sigma);
    for (let k = 0; k < K; k++) out[o + k] /= s;
  }
}

/** Greedy k-means++ (2 + ln K trials per centre, as sklearn) then Lloyd rounds; centroids row-major [K, d]. */
function kmeansInit(Z: Float64Array, N: number, d: number, K: number, rand: Uniform, maxIter = 25): Float64Array {
  const C = new Float64Array(K * d);
  const sq = (i: number, c: Float64Array, co: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = Z[i * d + j] - c[co + j];
      s += t * t;
    }
    return s;
  };
  const pick = (weights: Float64Array, total: number) => {
    let r = rand() * total;
    for (let i = 0; i < N; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return N - 1;
  };
  const first = Math.min(N - 1, Math.floor(rand() * N));
  C.set(Z.subarray(first * d, first * d + d), 0);
  const closest = new Float64Array(N);
  let pot = 0;
  for (let i = 0; i < N; i++) pot += closest[i] = sq(i, C, 0);
  const trials = 2 + Math.floor(Math.log(K));
  const cand = new Float64Array(N);
  const best = new Float64Array(N);
  for (let c = 1; c < K; c++) {
    let bestPot = Infinity;
    let bestIdx = 0;
    for (let t = 0; t < trials; t++) {
      const idx = pot > 0 ? pick(closest, pot) : Math.floor(rand() * N);
      let p = 0;
      for (let i = 0; i < N; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) {
          const u = Z[i * d + j] - Z[idx * d + j];
          s += u * u;
        }
        p += cand[i] = Math.min(closest[i], s);
      }
      if (p < bestPot) {
        bestPot = p;
        bestIdx = idx;
        best.set(cand);
      }
    }
    C.set(Z.subarray(bestIdx * d, bestIdx * d + d), c * d);
    closest.set(best);
    pot = bestPot;
  }
  const label = new Int32Array(N).fill(-1);
  const sums = new Float64Array(K * d);
  const sizes = new Float64Array(K);
  for (let it = 0; it < maxIter; it++) {
    let changed = 0;
    for (let i = 0; i < N; i++) {
      let bk = 0;
      let bd = Infinity;
      for (let k = 0; k < K; k++) {
        const s = sq(i, C, k * d);
        if (s < bd) {
          bd = s;
          bk = k;
        }
      }
      if (label[i] !== bk) changed++;
      label[i] = bk;
    }
    if (changed === 0) break;
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < N; i++) {
      const k = label[i];
      sizes[k]++;
      for (let j = 0; j < d; j++) sums[k * d + j] += Z[i * d + j];
    }
    for (let k = 0; k < K; k++) if (sizes[k] > 0) for (let j = 0; j < d; j++) C[k * d + j] = sums[k * d + j] / sizes[k];
  }
  return C;
}

function normaliseRows(Y: Float64Array, K: number, d: number): void {
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += Y[k * d + j] * Y[k * d + j];
    const norm = Math.sqrt(s);
    if (norm > 0) for (let j = 0; j < d; j++) Y[k * d + j] /= norm;
  }
}

/** Solves A X = B in place of B (A [p, p] row-major, B [p, m]), Gaussian elimination with partial pivoting. */
function solve(A: Float64Array, Bm: Float64Array, p: number, m: number): void {
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r * p + c]) > Math.abs(A[piv * p + c])) piv = r;
    if (A[piv * p + c] === 0) throw new Error('Harmony: singular ridge system (a batch with no weight in a cluster and lambda 0)');
    if (piv !== c) {
      for (let j = 0; j < p; j++) [A[c * p + j], A[piv * p + j]] = [A[piv * p + j], A[c * p + j]];
      for (let j = 0; j < m; j++) [Bm[c * m + j], Bm[piv * m + j]] = [Bm[piv * m + j], Bm[c * m + j]];
    }
    const inv = 1 / A[c * p + c];
    for (let r = c + 1; r < p; r++) {
      const f = A[r * p + c] * inv;
      if (f === 0) continue;
      for (let j = c; j < p; j++) A[r * p + j] -= f * A[c * p + j];
      for (let j = 0; j < m; j++) Bm[r * m + j] -= f * Bm[c * m + j];
    }
  }
  for (let c = p - 1; c >= 0; c--) {
    for (let j = 0; j < m; j++) {
      let s = Bm[c * m + j];
      for (let r = c + 1; r < p; r++) s -= A[c * p + r] * Bm[r * m + j];
      Bm[c * m + j] = s / A[c * p + c];
    }
  }
}

/**
 * Runs Harmony on an embedding (row-major [N, d], e.g. obsm/X_pca) with one or more batch columns
 * (categorical or string; theta and lambda per key). Returns the corrected embedding and the trace.
 */
export function runHarmony(embedding: ArrayLike<number>, N: number, d: number, batches: Column[], opts: HarmonyOptions = {}): HarmonyResult {
  const name = opts.embeddingName ?? 'the embedding';
  if (embedding.length !== N * d) throw new Error(`${name}: ${embedding.length} values, expected ${N} cells x ${d}`);
  if (d < 1) throw new Error(`${name} has no columns`);
  const Zorig = new Float64Array(N * d);
  for (let i = 0; i < N * d; i++) {
    const v = embedding[i];
    if (!Number.isFinite(v)) throw new Error(`${name} has a non-finite value (${v}) at cell ${Math.floor(i / d)}, column ${i % d}`);
    Zorig[i] = v;
  }
  const design = buildDesign(batches, N, opts);
  const { B, nKeys, cols, prB, theta, lambda } = design;
  const K = opts.nClusters ?? defaultClusters(N);
  if (!Number.isInteger(K) || K < 2) throw new Error(`Harmony needs at least 2 clusters (K = ${K}; ${N} cells gives min(round(N / 30), 100))`);
  if (K > N) throw new Error(`Harmony: ${K} clusters for ${N} cells`);
  const sigma = opts.sigma ?? HARMONY_DEFAULTS.sigma;
  const blockSize = opts.blockSize ?? HARMONY_DEFAULTS.blockSize;
  if (!(blockSize > 0 && blockSize <= 1)) throw new Error(`blockSize must be in (0, 1], got ${blockSize}`);
  const maxIterHarmony = opts.maxIterHarmony ?? HARMONY_DEFAULTS.maxIterHarmony;
  const maxIterKmeans = opts.maxIterKmeans ?? HARMONY_DEFAULTS.maxIterKmeans;
  const epsK = opts.epsilonCluster ?? HARMONY_DEFAULTS.epsilonCluster;
  const epsH = opts.epsilonHarmony ?? HARMONY_DEFAULTS.epsilonHarmony;
  const seed = opts.seed ?? HARMONY_DEFAULTS.seed;
  const signal = opts.signal;
  checkAbort(signal);

  const Zcos = new Float64Array(N * d);
  cosineRows(Zorig, N, d, Zcos, name);
  const Zcorr = Zorig.slice();

  // Centroids [K, d].
  let Y: Float64Array;
  if (opts.initCentroids) {
    if (opts.initCentroids.length !== d * K) throw new Error(`initCentroids: ${opts.initCentroids.length} values, expected ${d} x ${K}`);
    Y = new Float64Array(K * d);
    for (let j = 0; j < d; j++) for (let k = 0; k < K; k++) Y[k * d + j] = opts.initCentroids[j * K + k];
  } else {
    Y = kmeansInit(Zcos, N, d, K, mulberry32(seed));
  }
  normaliseRows(Y, K, d);

  const permRand = mulberry32((seed ^ 0x5bd1e995) >>> 0);
  let permCall = 0;
  const perm = new Int32Array(N);
  const nextPerm = (): Int32Array => {
    const call = permCall++;
    if (opts.permutation) {
      const p = opts.permutation(call);
      if (p.length !== N) throw new Error(`permutation ${call}: ${p.length} entries for ${N} cells`);
      for (let i = 0; i < N; i++) perm[i] = p[i];
    } else {
      for (let i = 0; i < N; i++) perm[i] = i;
      for (let i = N - 1; i > 0; i--) {
        const j = Math.floor(permRand() * (i + 1));
        const t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
    }
    return perm;
  };

  const dist = new Float64Array(N * K);
  const R = new Float64Array(N * K);
  const scale = new Float64Array(N * K);
  const O = new Float64Array(K * B);
  const E = new Float64Array(K * B);
  const objectiveKmeans: number[] = [];
  const objectiveHarmony: number[] = [];
  const kmeansRounds: number[] = [];

  distances(Zcos, Y, N, K, d, dist);
  softmaxRows(dist, N, K, sigma, R);
  const rInit = R.slice();
  // E = outer(sum_n R, Pr_b); O = R Phi^T.
  const clusterSize = new Float64Array(K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const r = R[n * K + k];
      clusterSize[k] += r;
      for (let q = 0; q < nKeys; q++) O[k * B + cols[n * nKeys + q]] += r;
    }
  }
  for (let k = 0; k < K; k++) for (let b = 0; b < B; b++) E[k * B + b] = clusterSize[k] * prB[b];

  const logRatio = new Float64Array(K * B);
  const computeObjective = () => {
    let kmeansError = 0;
    let entropy = 0;
    let cross = 0;
    for (let k = 0; k < K; k++) {
      for (let b = 0; b < B; b++) {
        const o = Math.max(O[k * B + b], 1e-8);
        const e = Math.max(E[k * B + b], 1e-8);
        logRatio[k * B + b] = theta[b] * Math.log((o + e) / e);
      }
    }
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const r = R[n * K + k];
        kmeansError += r * dist[n * K + k];
        const h = r * Math.log(r);
        if (Number.isFinite(h)) entropy += h * sigma;
        let t = 0;
        for (let q = 0; q < nKeys; q++) t += logRatio[k * B + cols[n * nKeys + q]];
        cross += r * sigma * t;
      }
    }
    objectiveKmeans.push((kmeansError + entropy + cross) * (2000 / N));
  };
  computeObjective();
  objectiveHarmony.push(objectiveKmeans[objectiveKmeans.length - 1]);

  const nBlocks = Math.ceil(1 / blockSize);
  const perBlock = Math.floor(N * blockSize);
  const ratioPow = new Float64Array(K * B);
  const blockSum = new Float64Array(K);

  const updateR = () => {
    softmaxRows(dist, N, K, sigma, scale);
    const order = nextPerm();
    for (let blk = 0; blk < nBlocks; blk++) {
      checkAbort(signal);
      const lo = Math.min(N, blk * perBlock);
      const hi = blk === nBlocks - 1 ? N : Math.min(N, (blk + 1) * perBlock);
      // Remove the block from E and O.
      blockSum.fill(0);
      for (let i = lo; i < hi; i++) {
        const n = order[i];
        for (let k = 0; k < K; k++) {
          const r = R[n * K + k];
          blockSum[k] += r;
          for (let q = 0; q < nKeys; q++) O[k * B + cols[n * nKeys + q]] -= r;
        }
      }
      for (let k = 0; k < K; k++) for (let b = 0; b < B; b++) E[k * B + b] -= blockSum[k] * prB[b];
      for (let k = 0; k < K; k++) {
        for (let b = 0; b < B; b++) {
          const e = E[k * B + b];
          const ratio = Math.min(1, Math.max(1e-8, e / Math.max(O[k * B + b] + e, 1e-8)));
          ratioPow[k * B + b] = Math.pow(ratio, theta[b]);
        }
      }
      // New R for the block, then put it back.
      blockSum.fill(0);
      for (let i = lo; i < hi; i++) {
        const n = order[i];
        let s = 0;
        for (let k = 0; k < K; k++) {
          let t = 0;
          for (let q = 0; q < nKeys; q++) t += ratioPow[k * B + cols[n * nKeys + q]];
          s += R[n * K + k] = scale[n * K + k] * t;
        }
        s = Math.max(s, 1e-8);
        for (let k = 0; k < K; k++) {
          const r = (R[n * K + k] /= s);
          blockSum[k] += r;
          for (let q = 0; q < nKeys; q++) O[k * B + cols[n * nKeys + q]] += r;
        }
      }
      for (let k = 0; k < K; k++) for (let b = 0; b < B; b++) E[k * B + b] += blockSum[k] * prB[b];
    }
  };

  const kmeansConverged = () => {
    const m = objectiveKmeans.length;
    if (m <= WINDOW + 1) return false;
    let old = 0;
    let cur = 0;
    for (let i = m - WINDOW - 1; i < m - 1; i++) old += objectiveKmeans[i];
    for (let i = m - WINDOW; i < m; i++) cur += objectiveKmeans[i];
    return Math.abs(old - cur) / Math.abs(old) < epsK;
  };

  const cluster = () => {
    distances(Zcos, Y, N, K, d, dist);
    let rounds = 0;
    for (let i = 0; i < maxIterKmeans; i++) {
      // Y = Z_cos R, columns normalised.
      Y.fill(0);
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < K; k++) {
          const r = R[n * K + k];
          for (let j = 0; j < d; j++) Y[k * d + j] += r * Zcos[n * d + j];
        }
      }
      normaliseRows(Y, K, d);
      distances(Zcos, Y, N, K, d, dist);
      updateR();
      computeObjective();
      rounds = i + 1;
      if (i > WINDOW && kmeansConverged()) break;
    }
    kmeansRounds.push(rounds);
    objectiveHarmony.push(objectiveKmeans[objectiveKmeans.length - 1]);
  };

  const P = B + 1;
  const cov = new Float64Array(P * P);
  const W = new Float64Array(P * d);
  const active = new Int32Array(nKeys + 1);
  const correct = () => {
    Zcorr.set(Zorig);
    for (let k = 0; k < K; k++) {
      cov.fill(0);
      W.fill(0);
      for (let a = 0; a < P; a++) cov[a * P + a] = lambda[a];
      for (let n = 0; n < N; n++) {
        const r = R[n * K + k];
        active[0] = 0;
        for (let q = 0; q < nKeys; q++) active[q + 1] = 1 + cols[n * nKeys + q];
        for (const a of active) {
          for (const c of active) cov[a * P + c] += r;
          for (let j = 0; j < d; j++) W[a * d + j] += r * Zorig[n * d + j];
        }
      }
      solve(cov, W, P, d);
      // The intercept row stays (W[0] = 0): Z_corr -= sum over the cell's batches of R[k, n] W[b].
      for (let n = 0; n < N; n++) {
        const r = R[n * K + k];
        for (let q = 0; q < nKeys; q++) {
          const wo = (1 + cols[n * nKeys + q]) * d;
          for (let j = 0; j < d; j++) Zcorr[n * d + j] -= r * W[wo + j];
        }
      }
    }
    cosineRows(Zcorr, N, d, Zcos, `${name} (corrected)`);
  };

  let converged = false;
  let iterations = 0;
  for (let it = 1; it <= maxIterHarmony; it++) {
    checkAbort(signal);
    cluster();
    checkAbort(signal);
    correct();
    iterations = it;
    const h = objectiveHarmony.length;
    converged = (objectiveHarmony[h - 2] - objectiveHarmony[h - 1]) / Math.abs(objectiveHarmony[h - 2]) < epsH;
    opts.onProgress?.({ iteration: it, maxIterations: maxIterHarmony, objective: objectiveHarmony[h - 1], kmeansRounds: kmeansRounds[kmeansRounds.length - 1], converged });
    if (converged) break;
  }
  return { zCorr: Zcorr, R, rInit, Y, K, objectiveHarmony, objectiveKmeans, kmeansRounds, iterations, converged };
}
