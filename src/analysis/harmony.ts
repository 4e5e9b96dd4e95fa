// Harmony batch integration (Korsunsky et al. 2019), following harmonypy's PyTorch version (which
// matches the R package) step for step, in float64: cosine-normalised input, soft k-means with a
// diversity penalty (R updated in shuffled blocks, each block removed from and put back into the
// observed/expected batch-by-cluster counts O and E), and a mixture-of-experts ridge correction of
// the original embedding per cluster. The initial centroids and the update orders can be injected
// (to follow a harmonypy run exactly); otherwise a seeded greedy k-means++ with Lloyd rounds (as
// sklearn's KMeans(n_init=1, max_iter=25) that harmonypy uses) and seeded Fisher-Yates shuffles.
//
// The passes over all cells (soft assignment, centroids with the objective's terms, ridge sums,
// correction, k-means) run in fixed blocks of cells on the worker pool (harmony-blocks.ts), summed
// in block order: the same bits for any number of threads. The diversity-penalty update of R stays
// on this thread: each of its blocks changes O and E for the next, so it is sequential by nature.
import { CancelledError } from '../io/errors.ts';
import type { Column } from '../io/types.ts';
import { mulberry32 } from '../model/random.ts';
import { openJob, type WorkerPool } from '../parallel/pool.ts';
import { CellBlocks, HARMONY_TASK, inSharedMemory, type CentroidSums, type HarmonyCtx, type HarmonyOp, type RidgeSums } from './harmony-blocks.ts';
import { checkBatchKeys, checkEmbedding, type BatchKey } from './harmony-input.ts';
import { kmeansInit, type RunBlocksOp } from './harmony-kmeans.ts';

export { checkBatchKeys, checkEmbedding, MIN_BATCH_CELLS, type BatchKey } from './harmony-input.ts';

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
  /**
   * Progress: kind 'iteration' after each Harmony iteration (with its objective), kind 'step'
   * within the initialisation and the iterations (at least every second while work goes on).
   */
  onProgress?: (p: HarmonyProgress) => void;
  /** Checked between blocks; aborting rejects with a CancelledError. */
  signal?: AbortSignal;
  /** How error messages name the embedding, e.g. `obsm/X_pca`. */
  embeddingName?: string;
  /** Worker pool for the passes over cells (null or absent: this thread); same results either way. */
  pool?: WorkerPool | null;
  /** Keep a copy of the soft assignments right after the initialisation (result.rInit; N x K more memory). */
  keepInitialR?: boolean;
}

export interface HarmonyProgress {
  /** 'iteration': a Harmony iteration ended; 'step': progress within the initialisation or an iteration. */
  kind: 'iteration' | 'step';
  /** The iteration running or just ended (0: the initialisation). */
  iteration: number;
  maxIterations: number;
  /** The latest objective (harmonypy's objective_harmony[-1] after an iteration; NaN before the first). */
  objective: number;
  /** K-means rounds of this iteration so far. */
  kmeansRounds: number;
  converged: boolean;
  /** Rough share of the whole run done, 0 to 1 (iterations may stop early on convergence). */
  fraction: number;
  message: string;
}

export interface HarmonyResult {
  /** Corrected embedding, row-major [N, d]. */
  zCorr: Float64Array;
  /** Soft cluster assignments, row-major [N, K]. */
  R: Float64Array;
  /** Soft assignments right after the initialisation, row-major [N, K], with keepInitialR (else null). */
  rInit: Float64Array | null;
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
  /** Wall-clock seconds per phase (where the time goes). */
  seconds: HarmonySeconds;
}

export interface HarmonySeconds {
  /** k-means++ and Lloyd rounds (0 with injected centroids). */
  init: number;
  /** Distances to the centroids and their softmax, per k-means round. */
  assign: number;
  /** The sequential diversity-penalty update of R. */
  diversity: number;
  /** Centroid sums with the objective's terms. */
  centroids: number;
  /** Ridge sums, solves and the corrected embedding. */
  correction: number;
  total: number;
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
/** Share of the progress bar given to the initial k-means. */
const INIT_SHARE = 0.1;

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
  /** The first column and the number of columns of each key. */
  offsets: number[];
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

function buildDesign(keys: BatchKey[], N: number, opts: HarmonyOptions): Design {
  const nKeys = keys.length;
  const thetas = perKey(opts.theta, HARMONY_DEFAULTS.theta, nKeys, 'theta');
  const lambdas = perKey(opts.lambda, HARMONY_DEFAULTS.lambda, nKeys, 'lambda');
  for (const t of thetas) if (!Number.isFinite(t) || t < 0) throw new Error(`theta must be a non-negative number, got ${t}`);
  for (const l of lambdas) if (!Number.isFinite(l) || l < 0) throw new Error(`lambda must be a non-negative number, got ${l}`);
  const cols = new Int32Array(N * nKeys);
  const theta: number[] = [];
  const lambda: number[] = [0];
  const counts: number[] = [];
  const offsets: number[] = [];
  let offset = 0;
  keys.forEach((key, q) => {
    for (let i = 0; i < N; i++) cols[i * nKeys + q] = offset + key.codes[i];
    for (const n of key.counts) {
      counts.push(n);
      theta.push(thetas[q]);
      lambda.push(lambdas[q]);
    }
    offsets.push(offset);
    offset += key.categories.length;
  });
  return { B: offset, nKeys, cols, offsets, prB: Float64Array.from(counts, (c) => c / N), theta: Float64Array.from(theta), lambda: Float64Array.from(lambda) };
}

/** Each row of [n, d] scaled to unit L2 norm (rows checked non-zero beforehand). */
function cosineRows(src: Float64Array, n: number, d: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += src[i * d + j] * src[i * d + j];
    const norm = Math.sqrt(s);
    for (let j = 0; j < d; j++) out[i * d + j] = src[i * d + j] / norm;
  }
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

function addCentroidSums(parts: CentroidSums[], K: number, d: number, B: number): CentroidSums {
  const C = new Float64Array(K * d);
  const rsum = new Float64Array(K);
  const obar = new Float64Array(K * B);
  let entropy = 0;
  for (const p of parts) {
    for (let t = 0; t < K * d; t++) C[t] += p.C[t];
    for (let k = 0; k < K; k++) rsum[k] += p.rsum[k];
    for (let t = 0; t < K * B; t++) obar[t] += p.obar[t];
    entropy += p.entropy;
  }
  return { C, rsum, obar, entropy };
}

function checkOptions(N: number, K: number, opts: HarmonyOptions): void {
  if (!Number.isInteger(K) || K < 2) throw new Error(`Harmony needs at least 2 clusters (K = ${K}; ${N} cells give min(round(N / 30), 100)): give nClusters, or integrate at least 45 cells`);
  if (K > N) throw new Error(`Harmony: ${K} clusters for ${N} cells; give fewer clusters`);
  const sigma = opts.sigma ?? HARMONY_DEFAULTS.sigma;
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new Error(`sigma must be a positive number, got ${sigma}`);
  const blockSize = opts.blockSize ?? HARMONY_DEFAULTS.blockSize;
  if (!(blockSize > 0 && blockSize <= 1)) throw new Error(`blockSize must be in (0, 1], got ${blockSize}`);
  for (const [name, v] of [
    ['maxIterHarmony', opts.maxIterHarmony],
    ['maxIterKmeans', opts.maxIterKmeans],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`${name} must be a whole number of at least 1, got ${v}`);
  }
}

/**
 * Runs Harmony on an embedding (row-major [N, d], e.g. obsm/X_pca) with one or more batch columns
 * (categorical or string; theta and lambda per key). Returns the corrected embedding and the trace.
 * Every input check runs before any computation.
 */
export async function runHarmony(embedding: ArrayLike<number>, N: number, d: number, batches: Column[], opts: HarmonyOptions = {}): Promise<HarmonyResult> {
  const name = opts.embeddingName ?? 'the embedding';
  const keys = checkBatchKeys(batches, N);
  checkEmbedding(embedding, N, d, name);
  const design = buildDesign(keys, N, opts);
  const K = opts.nClusters ?? defaultClusters(N);
  checkOptions(N, K, opts);
  if (opts.initCentroids && opts.initCentroids.length !== d * K) throw new Error(`initCentroids: ${opts.initCentroids.length} values, expected ${d} x ${K}`);
  const { B, nKeys, prB, theta, lambda } = design;
  const sigma = opts.sigma ?? HARMONY_DEFAULTS.sigma;
  const blockSize = opts.blockSize ?? HARMONY_DEFAULTS.blockSize;
  const maxIterHarmony = opts.maxIterHarmony ?? HARMONY_DEFAULTS.maxIterHarmony;
  const maxIterKmeans = opts.maxIterKmeans ?? HARMONY_DEFAULTS.maxIterKmeans;
  const epsK = opts.epsilonCluster ?? HARMONY_DEFAULTS.epsilonCluster;
  const epsH = opts.epsilonHarmony ?? HARMONY_DEFAULTS.epsilonHarmony;
  const seed = opts.seed ?? HARMONY_DEFAULTS.seed;
  const signal = opts.signal;
  const cancelled = () => signal?.aborted && new CancelledError('harmony');
  const stop = () => {
    const e = cancelled();
    if (e) throw e;
  };
  stop();

  const cells = new CellBlocks(opts.pool, N);
  const Zorig = cells.f64(N * d);
  for (let i = 0; i < N * d; i++) Zorig[i] = embedding[i];
  const Zcos = cells.f64(N * d);
  cosineRows(Zorig, N, d, Zcos);
  const Zcorr = cells.f64(N * d);
  const cols = cells.share(design.cols);
  const R = cells.f64(N * K);
  const scale = cells.f64(N * K);

  // Progress: 'step' events at least every 250 ms of work, and a yield to the event loop (so an
  // abort gets through) at least every 50 ms.
  let iteration = 0;
  let rounds = 0;
  let converged = false;
  let stage = 'starting';
  let fraction = 0;
  let lastEvent = performance.now();
  let lastYield = performance.now();
  const objectiveKmeans: number[] = [];
  const objectiveHarmony: number[] = [];
  const kmeansRounds: number[] = [];
  const emit = (kind: HarmonyProgress['kind']) => {
    lastEvent = performance.now();
    opts.onProgress?.({ kind, iteration, maxIterations: maxIterHarmony, objective: objectiveHarmony.at(-1) ?? NaN, kmeansRounds: rounds, converged, fraction, message: stage });
  };
  const step = async (message?: string, f?: number) => {
    if (message !== undefined) stage = message;
    if (f !== undefined) fraction = Math.min(1, Math.max(fraction, f));
    if (performance.now() - lastEvent >= 250) emit('step');
    if (performance.now() - lastYield >= 50) {
      await new Promise((r) => setTimeout(r, 0));
      lastYield = performance.now();
    }
    stop();
  };

  const seconds: HarmonySeconds = { init: 0, assign: 0, diversity: 0, centroids: 0, correction: 0, total: 0 };
  const t0 = performance.now();
  const timed = async <T>(phase: Exclude<keyof HarmonySeconds, 'total'>, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await f();
    } finally {
      seconds[phase] += (performance.now() - t) / 1000;
    }
  };
  // One batch key: the entropy from per-cell terms (no log per cell and cluster); see computeObjective.
  const directEntropy = nKeys > 1;
  const ctx = (): HarmonyCtx => ({ Zcos, Zorig, cols, d, K, nKeys, B, sigma, directEntropy });
  let job = openJob(opts.pool, HARMONY_TASK, { ...ctx(), Zorig: null, cols: null });
  const run: RunBlocksOp = async <T>(make: (from: number, to: number) => HarmonyOp) => {
    await step();
    return job.run<T>(
      cells.blocks.map((b) => make(b.from, b.to)),
      { signal, onBlock: () => void (performance.now() - lastEvent >= 250 && emit('step')) },
    );
  };

  try {
    // Centroids [K, d].
    const Y = new Float64Array(K * d);
    if (opts.initCentroids) {
      for (let j = 0; j < d; j++) for (let k = 0; k < K; k++) Y[k * d + j] = opts.initCentroids[j * K + k];
    } else {
      const tick = (message: string, f: number) => step(`Harmony: initial clusters, ${message}`, INIT_SHARE * f);
      Y.set(await timed('init', () => kmeansInit(run, cells, Zcos, N, d, K, mulberry32(seed), { tick })));
    }
    normaliseRows(Y, K, d);
    job.close();
    job = openJob(opts.pool, HARMONY_TASK, ctx());

    // Per cell: min_k dist and log of the softmax's denominator (assignBlock).
    const cellAux = cells.f64(N * 2);
    const assign = (Yk: Float64Array) =>
      timed('assign', async () => {
        const parts = await run<{ out: Float64Array; aux: Float64Array } | null>((from, to) => ({ op: 'assign', from, to, Y: Yk, out: cells.out(scale, K, from, to), aux: cells.out(cellAux, 2, from, to) }));
        parts.forEach((p, b) => {
          if (!p) return;
          scale.set(p.out, cells.blocks[b].from * K);
          cellAux.set(p.aux, cells.blocks[b].from * 2);
        });
      });
    const centroid = () => timed('centroids', async () => addCentroidSums(await run<CentroidSums>((from, to) => ({ op: 'centroid', from, to, R: cells.rows(R, K, from, to) })), K, d, B));

    await step('Harmony: initial soft clusters', INIT_SHARE);
    await assign(Y);
    R.set(scale);
    const rInit = opts.keepInitialR ? R.slice() : null;
    let sums = await centroid();
    // E = outer(sum_n R, Pr_b); O = R Phi^T; both stored [B, K] (harmonypy's transposes).
    const O = sums.obar.slice();
    const E = new Float64Array(B * K);
    for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) E[b * K + k] = sums.rsum[k] * prB[b];

    // The objective from the block sums: sum R * dist = sum_k (2 sum_n R[n, k] - 2 Y_k . C_k)
    // with C_k = sum_n R[n, k] z_n, and the cross entropy through the per-batch sums of R. With one
    // batch key, R[n, k] = exp(-(dist - min_n) / sigma) / Z_n * rp[b_n, k] / s_n (the softmax, the
    // diversity factor of the cell's block, the cell's normaliser), so
    // sum_k R log R = -(sum_k R dist - min_n rho_n) / sigma - (log Z_n + log s_n) rho_n + sum_k R log rp
    // (rho_n = sum_k R[n, k]), and k-means error + sigma x entropy is sigma x `cellEntropy`, the sum
    // over cells of min_n rho_n / sigma - (log Z_n + log s_n) rho_n + sum_k R log rp: two logs per
    // cell instead of one per cell and cluster; the same value up to rounding.
    let cellEntropy = 0;
    const computeObjective = (Yk: Float64Array, s: CentroidSums) => {
      let kmeansError = 0;
      let cross = 0;
      for (let k = 0; k < K; k++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += Yk[k * d + j] * s.C[k * d + j];
        kmeansError += 2 * s.rsum[k] - 2 * dot;
        for (let b = 0; b < B; b++) {
          const o = Math.max(O[b * K + k], 1e-8);
          const e = Math.max(E[b * K + k], 1e-8);
          cross += theta[b] * Math.log((o + e) / e) * s.obar[b * K + k];
        }
      }
      const errorAndEntropy = directEntropy ? kmeansError + sigma * s.entropy : sigma * cellEntropy;
      objectiveKmeans.push((errorAndEntropy + sigma * cross) * (2000 / N));
    };
    // Right after the initialisation R is the softmax itself: rho_n = 1, no diversity factor.
    for (let n = 0; n < N; n++) cellEntropy += cellAux[2 * n] / sigma - cellAux[2 * n + 1];
    computeObjective(Y, sums);
    objectiveHarmony.push(objectiveKmeans[0]);
    let sumsFresh = true;

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

    const nBlocks = Math.ceil(1 / blockSize);
    const perBlock = Math.floor(N * blockSize);
    const ratioPow = new Float64Array(B * K);
    const logRatioPow = new Float64Array(B * K);
    const blockSum = new Float64Array(K);
    const cellCols = design.cols;
    /** R[n] -= or += into O's columns of the cell's batches, and into blockSum. */
    const moveCell = (n: number, sign: 1 | -1) => {
      const ro = n * K;
      if (nKeys === 1) {
        const oc = cellCols[n] * K;
        if (sign > 0) {
          for (let k = 0; k < K; k++) {
            O[oc + k] += R[ro + k];
            blockSum[k] += R[ro + k];
          }
        } else {
          for (let k = 0; k < K; k++) {
            O[oc + k] -= R[ro + k];
            blockSum[k] += R[ro + k];
          }
        }
        return;
      }
      for (let q = 0; q < nKeys; q++) {
        const oc = cellCols[n * nKeys + q] * K;
        if (sign > 0) for (let k = 0; k < K; k++) O[oc + k] += R[ro + k];
        else for (let k = 0; k < K; k++) O[oc + k] -= R[ro + k];
      }
      for (let k = 0; k < K; k++) blockSum[k] += R[ro + k];
    };
    // The diversity penalty, sequential over blocks of a shuffled order (harmonypy's update_R).
    const updateR = async () => {
      const order = nextPerm();
      cellEntropy = 0;
      for (let blk = 0; blk < nBlocks; blk++) {
        if (blk % 4 === 3) await step();
        const lo = Math.min(N, blk * perBlock);
        const hi = blk === nBlocks - 1 ? N : Math.min(N, (blk + 1) * perBlock);
        // The block's cells in index order: the shuffle decides which cells share a block (all of
        // them see the same O and E); within it, rows in memory order are read much faster.
        order.subarray(lo, hi).sort();
        // Remove the block from E and O.
        blockSum.fill(0);
        for (let i = lo; i < hi; i++) moveCell(order[i], -1);
        for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) E[b * K + k] -= blockSum[k] * prB[b];
        for (let t = 0; t < B * K; t++) {
          const e = E[t];
          const ratio = Math.min(1, Math.max(1e-8, e / Math.max(O[t] + e, 1e-8)));
          ratioPow[t] = Math.pow(ratio, theta[Math.floor(t / K)]);
          logRatioPow[t] = theta[Math.floor(t / K)] * Math.log(ratio);
        }
        // New R for the block, then put it back.
        blockSum.fill(0);
        for (let i = lo; i < hi; i++) {
          const n = order[i];
          const ro = n * K;
          let sum = 0;
          if (nKeys === 1) {
            const rp = cellCols[n] * K;
            for (let k = 0; k < K; k++) sum += R[ro + k] = scale[ro + k] * ratioPow[rp + k];
            const s = Math.max(sum, 1e-8);
            // Normalise, put back into O and the block's sum, and the entropy's term, in one pass.
            let rl = 0;
            for (let k = 0; k < K; k++) {
              const r = (R[ro + k] /= s);
              O[rp + k] += r;
              blockSum[k] += r;
              rl += r * logRatioPow[rp + k];
            }
            cellEntropy += rl + (sum / s) * (cellAux[2 * n] / sigma - cellAux[2 * n + 1] - Math.log(s));
          } else {
            for (let k = 0; k < K; k++) {
              let t = 0;
              for (let q = 0; q < nKeys; q++) t += ratioPow[cellCols[n * nKeys + q] * K + k];
              sum += R[ro + k] = scale[ro + k] * t;
            }
            const s = Math.max(sum, 1e-8);
            for (let k = 0; k < K; k++) R[ro + k] /= s;
            moveCell(n, 1);
          }
        }
        for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) E[b * K + k] += blockSum[k] * prB[b];
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

    const progressAt = (inner: number) => INIT_SHARE + ((1 - INIT_SHARE) * (iteration - 1 + inner)) / maxIterHarmony;
    const cluster = async () => {
      if (!sumsFresh) sums = await centroid();
      for (let i = 0; i < maxIterKmeans; i++) {
        await step(`Harmony: iteration ${iteration} of ${maxIterHarmony}, k-means round ${i + 1}`, progressAt((0.9 * i) / maxIterKmeans));
        // Y = Z_cos R, columns normalised.
        Y.set(sums.C);
        normaliseRows(Y, K, d);
        await assign(Y);
        await timed('diversity', updateR);
        sums = await centroid();
        computeObjective(Y, sums);
        rounds = i + 1;
        if (i > WINDOW && kmeansConverged()) break;
      }
      kmeansRounds.push(rounds);
      objectiveHarmony.push(objectiveKmeans[objectiveKmeans.length - 1]);
    };

    const P = B + 1;
    const WT = new Float64Array(B * d * K);
    const A = new Float64Array(P * P);
    const rhs = new Float64Array(P * d);
    const correct = async () => {
      await step(`Harmony: iteration ${iteration} of ${maxIterHarmony}, correction`, progressAt(0.9));
      const parts = await run<RidgeSums>((from, to) => ({ op: 'ridge', from, to, R: cells.rows(R, K, from, to) }));
      const W = new Float64Array(B * K * d);
      const cov = new Float64Array(K * P * P);
      for (const p of parts) {
        for (let t = 0; t < W.length; t++) W[t] += p.W[t];
        for (let t = 0; t < cov.length; t++) cov[t] += p.cov[t];
      }
      // Per cluster: (Phi_Rk Phi_moe^T + diag(lambda)) W_k = [sum R z; per batch sums], the
      // intercept's sum being the sum over the first key's batches (they cover every cell once).
      const first = design.offsets[0];
      const firstCount = keys[0].categories.length;
      for (let k = 0; k < K; k++) {
        A.set(cov.subarray(k * P * P, (k + 1) * P * P));
        for (let a = 0; a < P; a++) A[a * P + a] += lambda[a];
        rhs.fill(0);
        for (let b = first; b < first + firstCount; b++) for (let j = 0; j < d; j++) rhs[j] += W[(b * K + k) * d + j];
        for (let b = 0; b < B; b++) rhs.set(W.subarray((b * K + k) * d, (b * K + k + 1) * d), (1 + b) * d);
        solve(A, rhs, P, d);
        // The intercept's row stays (harmonypy's W[0, :] = 0).
        for (let b = 0; b < B; b++) for (let j = 0; j < d; j++) WT[(b * d + j) * K + k] = rhs[(1 + b) * d + j];
      }
      const applied = await run<{ zcorr: Float64Array; zcos: Float64Array } | null>((from, to) => ({
        op: 'apply',
        from,
        to,
        R: cells.rows(R, K, from, to),
        WT,
        zcorr: cells.out(Zcorr, d, from, to),
        zcos: cells.out(Zcos, d, from, to),
      }));
      applied.forEach((p, b) => {
        if (!p) return;
        Zcorr.set(p.zcorr, cells.blocks[b].from * d);
        Zcos.set(p.zcos, cells.blocks[b].from * d);
      });
      sumsFresh = false;
      // Workers holding copies need the new Z_cos: a fresh job sends it.
      job.close();
      job = openJob(opts.pool, HARMONY_TASK, ctx());
    };

    let iterations = 0;
    for (let it = 1; it <= maxIterHarmony; it++) {
      iteration = it;
      rounds = 0;
      await cluster();
      await timed('correction', correct);
      iterations = it;
      const h = objectiveHarmony.length;
      converged = (objectiveHarmony[h - 2] - objectiveHarmony[h - 1]) / Math.abs(objectiveHarmony[h - 2]) < epsH;
      fraction = converged || it === maxIterHarmony ? 1 : progressAt(1);
      stage = `Harmony: iteration ${it} of ${maxIterHarmony}: objective ${objectiveHarmony[h - 1].toPrecision(8)}, ${rounds} k-means round${rounds === 1 ? '' : 's'}${converged ? ', converged' : ''}`;
      emit('iteration');
      if (converged) break;
      stop();
    }
    // Plain copies of shared memory (it cannot be transferred to another thread).
    const plain = (a: Float64Array) => (inSharedMemory(a) ? a.slice() : a);
    return {
      zCorr: plain(Zcorr),
      R: plain(R),
      rInit,
      Y,
      K,
      objectiveHarmony,
      objectiveKmeans,
      kmeansRounds,
      iterations,
      converged,
      seconds: { ...seconds, total: (performance.now() - t0) / 1000 },
    };
  } finally {
    job.close();
  }
}
