// integrationMetrics (integration-metrics.ts) split into blocks for the worker: the neighbour
// search and the silhouettes run as blocks of query cells (on the pool when there is one, else
// inline, yielding between blocks), so progress comes often and Cancel gets through. The arithmetic
// and its order are integrationMetrics' own: the same numbers, bit for bit. The harmony-engine
// branch makes integrationMetrics itself async on the pool; once it is in main this module goes
// and integration-compare.ts calls that instead (same arguments, same results).
import { CancelledError } from '../io/errors.ts';
import { runBlocks, ranges, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';
import {
  graphConnectivity,
  lisiFromWeights,
  lisiNeighborCount,
  lisiWeights,
  median,
  type EmbeddingMatrix,
  type IntegrationMetrics,
  type Labels,
  type NeighborsF64,
} from './integration-metrics.ts';
import { knnRows } from './knn.ts';

export interface MetricsRunOptions {
  perplexity?: number;
  graphK?: number;
  pool?: WorkerPool | null;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** ~2e7 distance terms per block, from the shape only (never the worker count). */
function blockRows(n: number, d: number): number {
  return Math.max(8, Math.floor(2e7 / Math.max(1, n * d)));
}

interface KnnCtx {
  x: EmbeddingMatrix;
  n: number;
  d: number;
  k: number;
}

const KNN_TASK = definePoolTask('metrics-knn', (c: KnnCtx, r: { from: number; to: number }) => {
  const out = { indices: new Int32Array((r.to - r.from) * c.k), distances: new Float64Array((r.to - r.from) * c.k) };
  knnRows(c.x, c.n, c.d, c.k, r.from, r.to, out, r.from);
  return { result: out, transfer: [out.indices.buffer as ArrayBuffer, out.distances.buffer as ArrayBuffer] };
});

interface SilCtx {
  x: EmbeddingMatrix;
  d: number;
  rows: Int32Array;
  codes: Int32Array;
  nCategories: number;
}

/** silhouetteSamples' loop (integration-metrics.ts) for the entries [from, to) of `rows`, each against all of `rows`. */
function silhouetteRows(x: EmbeddingMatrix, d: number, rows: ArrayLike<number>, codes: Int32Array, nCategories: number, from: number, to: number): Float64Array {
  const m = rows.length;
  const size = new Float64Array(nCategories);
  for (let r = 0; r < m; r++) size[codes[rows[r]]]++;
  const out = new Float64Array(to - from);
  const sums = new Float64Array(nCategories);
  for (let r = from; r < to; r++) {
    sums.fill(0);
    const oi = rows[r] * d;
    for (let q = 0; q < m; q++) {
      if (q === r) continue;
      const oj = rows[q] * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = x[oi + t] - x[oj + t];
        s += diff * diff;
      }
      sums[codes[rows[q]]] += Math.sqrt(s);
    }
    const own = codes[rows[r]];
    if (size[own] <= 1) continue; // sklearn: 0 for a singleton cluster
    const a = sums[own] / (size[own] - 1);
    let b = Infinity;
    for (let c = 0; c < nCategories; c++) if (c !== own && size[c] > 0) b = Math.min(b, sums[c] / size[c]);
    const v = (b - a) / Math.max(a, b);
    out[r - from] = Number.isFinite(v) ? v : 0;
  }
  return out;
}

const SIL_TASK = definePoolTask('metrics-silhouette', (c: SilCtx, r: { from: number; to: number }) => {
  const result = silhouetteRows(c.x, c.d, c.rows, c.codes, c.nCategories, r.from, r.to);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});

function share<T extends Float32Array | Float64Array | Int32Array>(pool: WorkerPool | null | undefined, a: T): T {
  return pool ? pool.share(a) : a;
}

/** neighborsExcludingSelf in blocks: the k nearest other cells of every row, float64 distances. */
async function neighbors(x: EmbeddingMatrix, n: number, d: number, k: number, opts: MetricsRunOptions, onFraction: (f: number) => void): Promise<NeighborsF64> {
  const blocks = ranges(n, blockRows(n, d));
  const parts = await runBlocks<{ indices: Int32Array; distances: Float64Array }>(opts.pool, KNN_TASK, { x: share(opts.pool, x), n, d, k: k + 1 }, blocks, {
    signal: opts.signal,
    onBlock: (done, total) => onFraction(done / total),
  });
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  parts.forEach((p, b) => {
    for (let i = blocks[b].from; i < blocks[b].to; i++) {
      const o = (i - blocks[b].from) * (k + 1);
      // The row itself comes first (knnRows puts it there whatever duplicates exist).
      indices.set(p.indices.subarray(o + 1, o + k + 1), i * k);
      distances.set(p.distances.subarray(o + 1, o + k + 1), i * k);
    }
  });
  return { k, indices, distances };
}

/** silhouetteSamples(x, d, rows, codes, nCategories) in blocks of rows. */
async function silhouette(x: EmbeddingMatrix, d: number, rows: Int32Array, codes: Int32Array, nCategories: number, opts: MetricsRunOptions, onFraction: (f: number) => void): Promise<Float64Array> {
  const blocks = ranges(rows.length, blockRows(rows.length, d));
  const parts = await runBlocks<Float64Array>(opts.pool, SIL_TASK, { x: share(opts.pool, x), d, rows: share(opts.pool, rows), codes: share(opts.pool, codes), nCategories }, blocks, {
    signal: opts.signal,
    onBlock: (done, total) => onFraction(done / total),
  });
  const out = new Float64Array(rows.length);
  parts.forEach((p, b) => out.set(p, blocks[b].from));
  return out;
}

function presentCount(l: Labels): number {
  const seen = new Set<number>();
  for (const c of l.codes) if (c >= 0) seen.add(c);
  return seen.size;
}

/** integrationMetrics with progress and cancellation; identical results. */
export async function integrationMetricsAsync(x: EmbeddingMatrix, n: number, d: number, batch: Labels, label: Labels | null, opts: MetricsRunOptions = {}): Promise<IntegrationMetrics> {
  const perplexity = opts.perplexity ?? 30;
  const report = (f: number, m: string) => opts.onProgress?.(Math.min(1, f), m);
  const cancelled = () => {
    if (opts.signal?.aborted) throw new CancelledError('metrics');
  };
  const now = () => performance.now();
  let t = now();
  const k = lisiNeighborCount(perplexity) - 1;
  if (n < k + 1) throw new Error(`LISI with perplexity ${perplexity} needs at least ${k + 1} cells (3 x perplexity neighbours); there are ${n}`);
  // Work shares for the progress bar: neighbours 0-0.4, batch ASW 0.4-0.7, label ASW 0.7-1.
  const nb = await neighbors(x, n, d, k, opts, (f) => report(0.4 * f, `LISI neighbours: ${Math.round(f * 100)}%`));
  cancelled();
  const w = lisiWeights(nb, n, perplexity);
  const iLisi = lisiFromWeights(nb, w, batch, n);
  const cLisi = label ? lisiFromWeights(nb, w, label, n) : null;
  const lisiT = (now() - t) / 1000;
  t = now();

  // scIB's silhouette_batch, label by label (batchAsw's loop and sums).
  const groupBy: Labels = label ?? { codes: new Int32Array(n), categories: ['all'] };
  const groups: number[][] = groupBy.categories.map(() => []);
  groupBy.codes.forEach((c, i) => c >= 0 && groups[c].push(i));
  const total = groups.reduce((s, g) => s + g.length * g.length, 0) || 1;
  let doneWork = 0;
  const perLabel: number[] = [];
  for (let l = 0; l < groups.length; l++) {
    const rows = groups[l];
    if (rows.length === 0) continue;
    const nBatches = new Set(rows.map((i) => batch.codes[i])).size;
    if (nBatches === 1 || nBatches === rows.length) continue;
    const work = rows.length * rows.length;
    const s = await silhouette(x, d, Int32Array.from(rows), batch.codes, batch.categories.length, opts, (f) => report(0.4 + (0.3 * (doneWork + f * work)) / total, `batch ASW: ${groupBy.categories[l]}`));
    doneWork += work;
    let sum = 0;
    for (const v of s) sum += 1 - Math.abs(v);
    perLabel.push(sum / s.length);
  }
  const bAsw = perLabel.length ? perLabel.reduce((a, b) => a + b, 0) / perLabel.length : NaN;

  let lAsw: number | null = null;
  if (label) {
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (label.codes[i] >= 0) rows.push(i);
    const s = await silhouette(x, d, Int32Array.from(rows), label.codes, label.categories.length, opts, (f) => report(0.7 + 0.3 * f, `label ASW: ${Math.round(f * 100)}%`));
    let sum = 0;
    for (const v of s) sum += v;
    lAsw = (sum / s.length + 1) / 2;
  }
  const aswT = (now() - t) / 1000;
  t = now();
  // scIB's graph connectivity on the k = 15 graph: the first 14 of the LISI neighbours (the same order).
  let gc: number | null = null;
  if (label) {
    const g = Math.min((opts.graphK ?? 15) - 1, n - 1);
    let graph: NeighborsF64;
    if (g <= k) {
      const indices = new Int32Array(n * g);
      const distances = new Float64Array(n * g);
      for (let i = 0; i < n; i++) {
        indices.set(nb.indices.subarray(i * k, i * k + g), i * g);
        distances.set(nb.distances.subarray(i * k, i * k + g), i * g);
      }
      graph = { k: g, indices, distances };
    } else graph = await neighbors(x, n, d, g, opts, () => undefined);
    gc = graphConnectivity(graph, n, label).score;
  }
  const graphT = (now() - t) / 1000;
  report(1, 'metrics done');
  return {
    nCells: n,
    nBatches: presentCount(batch),
    nLabels: label ? presentCount(label) : null,
    iLisi,
    cLisi,
    iLisiMedian: median(iLisi),
    cLisiMedian: cLisi ? median(cLisi) : null,
    batchAsw: bAsw,
    labelAsw: lAsw,
    graphConnectivity: gc,
    seconds: { lisi: lisiT, asw: aswT, graph: graphT },
  };
}
