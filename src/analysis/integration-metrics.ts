// Batch-integration metrics on any embedding (PCA, Harmony's corrected PCs, X_scGPT):
// - LISI per cell, as harmonypy's `compute_lisi` (Korsunsky et al. 2019): iLISI on the batch labels
//   (1 = one batch around the cell, B = all B batches evenly), cLISI on cell-type labels.
// - batch ASW and label ASW as scIB's `silhouette_batch` and `silhouette` (Euclidean).
// - graph connectivity as scIB's `graph_connectivity`, on a kNN graph (k = 15) of the embedding.
// All distances are float64 and brute force: O(n^2 d), fine for tens of thousands of cells.
// The heavy parts (each cell's neighbours and perplexity bisection, each cell's silhouette sums)
// run per cell in fixed blocks on the worker pool: every cell's value is computed alone, so any
// number of threads gives the same bits. LISI on a subset of cells (their neighbours among all)
// estimates the medians of large data.

import { CancelledError } from '../io/errors.ts';
import { runBlocks, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';
import { knnRows } from './knn.ts';

export type EmbeddingMatrix = Float32Array | Float64Array;

/** A categorical labelling: category index per cell (-1: missing, belongs to no category). */
export interface Labels {
  codes: Int32Array;
  categories: string[];
}

export interface NeighborsF64 {
  k: number;
  /** [n, k] neighbour indices, nearest first, the cell itself excluded. */
  indices: Int32Array;
  /** [n, k] Euclidean distances (float64), matching `indices`. */
  distances: Float64Array;
}

/**
 * Exact k nearest neighbours of every row, the row itself excluded, distances in float64 (as
 * sklearn's KDTree computes them from float32 input). Ties: the lower index first.
 */
export function neighborsExcludingSelf(x: EmbeddingMatrix, n: number, d: number, k: number): NeighborsF64 {
  if (k > n - 1) throw new Error(`${k} neighbours asked of ${n} cells`);
  // The pipeline's exact kNN (self first, ties by the lower index) with one more column, in float64.
  const all = { indices: new Int32Array(n * (k + 1)), distances: new Float64Array(n * (k + 1)) };
  knnRows(x, n, d, k + 1, 0, n, all);
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    indices.set(all.indices.subarray(i * (k + 1) + 1, (i + 1) * (k + 1)), i * k);
    distances.set(all.distances.subarray(i * (k + 1) + 1, (i + 1) * (k + 1)), i * k);
  }
  return { k, indices, distances };
}

/** The neighbour count harmonypy's compute_lisi uses: 3 x perplexity, self included. */
export function lisiNeighborCount(perplexity: number): number {
  return Math.round(perplexity * 3);
}

/**
 * Neighbourhood weights per cell: harmonypy's compute_simpson bisection on beta of
 * P = exp(-distance * beta) / sum until the entropy is within `tol` of log(perplexity)
 * (at most 50 steps). Returns [n, k] weights, and H per cell (0 marks "all weights underflowed").
 */
export function lisiWeights(nb: NeighborsF64, n: number, perplexity = 30, tol = 1e-5): { P: Float64Array; H: Float64Array } {
  const { k, distances } = nb;
  const P = new Float64Array(n * k);
  const Hs = new Float64Array(n);
  const logU = Math.log(perplexity);
  const p = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const dist = distances.subarray(i * k, (i + 1) * k);
    let beta = 1;
    let betamin = -Infinity;
    let betamax = Infinity;
    const entropy = (): number => {
      let sum = 0;
      for (let t = 0; t < k; t++) {
        p[t] = Math.exp(-dist[t] * beta);
        sum += p[t];
      }
      if (sum === 0) {
        p.fill(0);
        return 0;
      }
      let dp = 0;
      for (let t = 0; t < k; t++) dp += dist[t] * p[t];
      const H = Math.log(sum) + (beta * dp) / sum;
      for (let t = 0; t < k; t++) p[t] /= sum;
      return H;
    };
    let H = entropy();
    let Hdiff = H - logU;
    for (let t = 0; t < 50; t++) {
      if (Math.abs(Hdiff) < tol) break;
      if (Hdiff > 0) {
        betamin = beta;
        beta = Number.isFinite(betamax) ? (beta + betamax) / 2 : beta * 2;
      } else {
        betamax = beta;
        beta = Number.isFinite(betamin) ? (beta + betamin) / 2 : beta / 2;
      }
      H = entropy();
      Hdiff = H - logU;
    }
    P.set(p, i * k);
    Hs[i] = H;
  }
  return { P, H: Hs };
}

/** LISI per cell for one labelling, from the weights: 1 / sum_c (weight of category c)^2. */
export function lisiFromWeights(nb: NeighborsF64, w: { P: Float64Array; H: Float64Array }, labels: Labels, n: number): Float64Array {
  const { k, indices } = nb;
  const out = new Float64Array(n);
  const mass = new Float64Array(labels.categories.length);
  for (let i = 0; i < n; i++) {
    mass.fill(0);
    for (let t = 0; t < k; t++) {
      const c = labels.codes[indices[i * k + t]];
      if (c >= 0) mass[c] += w.P[i * k + t];
    }
    // harmonypy's default value: -1 where every weight underflowed (H == 0), then the sums added.
    let simpson = w.H[i] === 0 ? -1 : 0;
    for (let c = 0; c < mass.length; c++) simpson += mass[c] * mass[c];
    out[i] = 1 / simpson;
  }
  return out;
}

/** harmonypy's compute_lisi for several labellings at once: [labelling][cell]. */
export function computeLisi(x: EmbeddingMatrix, n: number, d: number, labelings: Labels[], perplexity = 30): Float64Array[] {
  const k = lisiNeighborCount(perplexity) - 1;
  if (n < k + 1) throw new Error(`LISI with perplexity ${perplexity} needs at least ${k + 1} cells (3 x perplexity neighbours); there are ${n}`);
  const nb = neighborsExcludingSelf(x, n, d, k);
  const w = lisiWeights(nb, n, perplexity);
  return labelings.map((l) => lisiFromWeights(nb, w, l, n));
}

export interface MetricsRunOptions {
  /** Worker pool for the per-cell work (null or absent: this thread); same results either way. */
  pool?: WorkerPool | null;
  signal?: AbortSignal;
  /** Progress, at least once per block of cells. */
  onProgress?: (fraction: number, message: string) => void;
}

export interface LisiOptions extends MetricsRunOptions {
  perplexity?: number;
  /** Only these cells' LISI (their neighbours are searched among all cells); default every cell. */
  cells?: ArrayLike<number>;
  /** Also return each queried cell's first `keepNeighbors` neighbours (self excluded), e.g. for the kNN graph. */
  keepNeighbors?: number;
}

type LisiCtx = { x: EmbeddingMatrix; n: number; d: number; k: number; perplexity: number; codes: Int32Array[]; categories: number[]; cells: Int32Array | null; keep: number };
type LisiBlock = { lisi: Float64Array[]; indices: Int32Array; distances: Float64Array };

/** LISI of the queried cells [from, to) (positions in ctx.cells, or cell indices): one pool block. */
function lisiBlock(c: LisiCtx, r: { from: number; to: number }): LisiBlock {
  const nb = r.to - r.from;
  const k1 = c.k + 1;
  const all = { indices: new Int32Array(nb * k1), distances: new Float64Array(nb * k1) };
  if (c.cells) {
    for (let t = 0; t < nb; t++) {
      const i = c.cells[r.from + t];
      knnRows(c.x, c.n, c.d, k1, i, i + 1, all, i - t);
    }
  } else knnRows(c.x, c.n, c.d, k1, r.from, r.to, all, r.from);
  const nbrs: NeighborsF64 = { k: c.k, indices: new Int32Array(nb * c.k), distances: new Float64Array(nb * c.k) };
  for (let t = 0; t < nb; t++) {
    nbrs.indices.set(all.indices.subarray(t * k1 + 1, (t + 1) * k1), t * c.k);
    nbrs.distances.set(all.distances.subarray(t * k1 + 1, (t + 1) * k1), t * c.k);
  }
  const w = lisiWeights(nbrs, nb, c.perplexity);
  const lisi = c.codes.map((codes, l) => lisiFromWeights(nbrs, w, { codes, categories: new Array<string>(c.categories[l]) }, nb));
  const indices = new Int32Array(nb * c.keep);
  const distances = new Float64Array(nb * c.keep);
  for (let t = 0; t < nb; t++) {
    indices.set(nbrs.indices.subarray(t * c.k, t * c.k + c.keep), t * c.keep);
    distances.set(nbrs.distances.subarray(t * c.k, t * c.k + c.keep), t * c.keep);
  }
  return { lisi, indices, distances };
}

definePoolTask('lisi', (c: LisiCtx, r: { from: number; to: number }) => {
  const result = lisiBlock(c, r);
  return { result, transfer: [...result.lisi.map((a) => a.buffer as ArrayBuffer), result.indices.buffer as ArrayBuffer, result.distances.buffer as ArrayBuffer] };
});

/** Query rows per block: ~2e7 distance terms, from the shape only (never the worker count). */
const rowsPerBlock = (n: number, d: number) => Math.max(16, Math.floor(2e7 / Math.max(1, n * d)));

/**
 * harmonypy's compute_lisi as computeLisi, in blocks of cells on the pool (or inline, yielding
 * between blocks so a cancel gets through): [labelling][queried cell], the same bits as computeLisi.
 */
export async function computeLisiAsync(x: EmbeddingMatrix, n: number, d: number, labelings: Labels[], opts: LisiOptions = {}): Promise<{ lisi: Float64Array[]; neighbors: NeighborsF64 | null }> {
  const perplexity = opts.perplexity ?? 30;
  const k = lisiNeighborCount(perplexity) - 1;
  if (n < k + 1) throw new Error(`LISI with perplexity ${perplexity} needs at least ${k + 1} cells (3 x perplexity neighbours); there are ${n}`);
  const keep = Math.min(k, Math.max(0, opts.keepNeighbors ?? 0));
  const cells = opts.cells ? Int32Array.from(opts.cells) : null;
  if (cells?.some((i) => !(i >= 0 && i < n))) throw new Error(`LISI: a queried cell is outside 0..${n - 1}`);
  const m = cells ? cells.length : n;
  const pool = opts.pool && opts.pool.size > 1 ? opts.pool : null;
  const ctx: LisiCtx = {
    x: pool ? pool.share(x) : x,
    n,
    d,
    k,
    perplexity,
    codes: labelings.map((l) => (pool ? pool.share(l.codes) : l.codes)),
    categories: labelings.map((l) => l.categories.length),
    cells,
    keep,
  };
  const blocks: { from: number; to: number }[] = [];
  const size = rowsPerBlock(n, d);
  for (let from = 0; from < m; from += size) blocks.push({ from, to: Math.min(m, from + size) });
  const parts = await runBlocks<LisiBlock>(pool, 'lisi', ctx, blocks, {
    signal: opts.signal,
    onBlock: (done, total) => opts.onProgress?.(done / total, `LISI: ${Math.round((done / total) * m).toLocaleString('en-US')} / ${m.toLocaleString('en-US')} cells`),
  });
  const lisi = labelings.map(() => new Float64Array(m));
  const neighbors: NeighborsF64 | null = keep ? { k: keep, indices: new Int32Array(m * keep), distances: new Float64Array(m * keep) } : null;
  parts.forEach((p, b) => {
    const from = blocks[b].from;
    p.lisi.forEach((v, l) => lisi[l].set(v, from));
    neighbors?.indices.set(p.indices, from * keep);
    neighbors?.distances.set(p.distances, from * keep);
  });
  return { lisi, neighbors };
}

/**
 * sklearn's silhouette_samples (Euclidean) of the cells `rows` under their labels `codes[rows]`:
 * a = mean distance to the other cells of its group, b = the smallest mean distance to another
 * group, s = (b - a) / max(a, b); 0 for a cell alone in its group (and where a = b = 0).
 */
export function silhouetteSamples(x: EmbeddingMatrix, d: number, rows: ArrayLike<number>, codes: Int32Array, nCategories: number): Float64Array {
  return silhouetteRows(x, d, rows, codes, nCategories, 0, rows.length);
}

/** silhouetteSamples for the entries [from, to) of `rows` only (each among all of `rows`): one pool block. */
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

/** Groups of cells whose silhouettes are wanted: rows (concatenated) and which codes label each group. */
type SilhouetteCtx = { x: EmbeddingMatrix; d: number; rows: Int32Array; codes: Int32Array[]; categories: number[] };
type SilhouetteArgs = { group: number; start: number; length: number; labels: number; from: number; to: number };

definePoolTask('silhouette', (c: SilhouetteCtx, a: SilhouetteArgs) => {
  const result = silhouetteRows(c.x, c.d, c.rows.subarray(a.start, a.start + a.length), c.codes[a.labels], c.categories[a.labels], a.from, a.to);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});

/**
 * Silhouettes of several groups of cells at once (one job), each group under its own labelling,
 * in blocks of rows on the pool: per group, the same bits as silhouetteSamples.
 */
async function silhouetteGroups(x: EmbeddingMatrix, d: number, groups: { rows: number[]; labels: Labels }[], opts: MetricsRunOptions, message: string): Promise<Float64Array[]> {
  const pool = opts.pool && opts.pool.size > 1 ? opts.pool : null;
  const labelings = [...new Set(groups.map((g) => g.labels))];
  const rows = new Int32Array(groups.reduce((t, g) => t + g.rows.length, 0));
  const blocks: SilhouetteArgs[] = [];
  let start = 0;
  groups.forEach((g, group) => {
    rows.set(g.rows, start);
    const m = g.rows.length;
    const size = rowsPerBlock(m, d);
    for (let from = 0; from < m; from += size) blocks.push({ group, start, length: m, labels: labelings.indexOf(g.labels), from, to: Math.min(m, from + size) });
    start += m;
  });
  const ctx: SilhouetteCtx = { x: pool ? pool.share(x) : x, d, rows, codes: labelings.map((l) => (pool ? pool.share(l.codes) : l.codes)), categories: labelings.map((l) => l.categories.length) };
  const parts = await runBlocks<Float64Array>(pool, 'silhouette', ctx, blocks, { signal: opts.signal, onBlock: (done, total) => opts.onProgress?.(done / total, `${message}: block ${done} / ${total}`) });
  const out = groups.map((g) => new Float64Array(g.rows.length));
  parts.forEach((p, b) => out[blocks[b].group].set(p, blocks[b].from));
  return out;
}

function cellsOf(labels: Labels): number[][] {
  const groups: number[][] = labels.categories.map(() => []);
  labels.codes.forEach((c, i) => c >= 0 && groups[c].push(i));
  return groups;
}

/** scIB's silhouette_batch groups: each label's cells, where they span more than one batch and are not each a batch of their own. */
function batchAswGroups(batch: Labels, label: Labels): { name: string; rows: number[] }[] {
  return cellsOf(label).flatMap((rows, l) => {
    if (rows.length === 0) return [];
    const nBatches = new Set(rows.map((i) => batch.codes[i])).size;
    return nBatches === 1 || nBatches === rows.length ? [] : [{ name: label.categories[l], rows }];
  });
}

function batchAswOf(groups: { name: string }[], silhouettes: Float64Array[]): { asw: number; perLabel: Map<string, number> } {
  const perLabel = new Map<string, number>();
  groups.forEach((g, i) => {
    let sum = 0;
    for (const v of silhouettes[i]) sum += 1 - Math.abs(v);
    perLabel.set(g.name, sum / silhouettes[i].length);
  });
  const vals = [...perLabel.values()];
  return { asw: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : NaN, perLabel };
}

/**
 * scIB's silhouette_batch: per label, the silhouette of the batch labels among that label's cells,
 * 1 - |s| per cell, averaged per label, then over labels. Labels whose cells are all in one batch
 * (or each in its own batch) are skipped, as scIB does; NaN when every label is skipped.
 */
export function batchAsw(x: EmbeddingMatrix, d: number, batch: Labels, label: Labels): { asw: number; perLabel: Map<string, number> } {
  const groups = batchAswGroups(batch, label);
  return batchAswOf(groups, groups.map((g) => silhouetteSamples(x, d, g.rows, batch.codes, batch.categories.length)));
}

function labelledCells(n: number, label: Labels): number[] {
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (label.codes[i] >= 0) rows.push(i);
  return rows;
}

function labelAswOf(s: Float64Array): number {
  let sum = 0;
  for (const v of s) sum += v;
  return (sum / s.length + 1) / 2;
}

/** scIB's silhouette (label ASW): (mean silhouette of the labels over all cells + 1) / 2. */
export function labelAsw(x: EmbeddingMatrix, n: number, d: number, label: Labels): number {
  return labelAswOf(silhouetteSamples(x, d, labelledCells(n, label), label.codes, label.categories.length));
}

/**
 * kNN graph as scanpy's neighbors builds it (n_neighbors counts the cell itself, so k - 1 others),
 * as undirected edges: i-j when either is among the other's neighbours (the connectivities' support).
 */
export function knnGraphNeighbors(x: EmbeddingMatrix, n: number, d: number, k = 15): NeighborsF64 {
  return neighborsExcludingSelf(x, n, d, Math.min(k - 1, n - 1));
}

/**
 * scIB's graph_connectivity: per label, the share of its cells in the largest connected component
 * of the kNN graph restricted to that label's cells, averaged over the labels present.
 */
export function graphConnectivity(nb: NeighborsF64, n: number, label: Labels): { score: number; perLabel: Map<string, number> } {
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const { k, indices } = nb;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const j = indices[i * k + t];
      if (j < 0 || label.codes[i] < 0 || label.codes[i] !== label.codes[j]) continue;
      const a = find(i);
      const b = find(j);
      if (a !== b) parent[a] = b;
    }
  }
  const perLabel = new Map<string, number>();
  cellsOf(label).forEach((rows, l) => {
    if (rows.length === 0) return;
    const count = new Map<number, number>();
    let best = 0;
    for (const i of rows) {
      const r = find(i);
      const c = (count.get(r) ?? 0) + 1;
      count.set(r, c);
      best = Math.max(best, c);
    }
    perLabel.set(label.categories[l], best / rows.length);
  });
  const vals = [...perLabel.values()];
  return { score: vals.reduce((a, b) => a + b, 0) / vals.length, perLabel };
}

export interface IntegrationMetrics {
  nCells: number;
  nBatches: number;
  /** Categories present (with cells) in the label column; null without one. */
  nLabels: number | null;
  iLisi: Float64Array;
  cLisi: Float64Array | null;
  iLisiMedian: number;
  cLisiMedian: number | null;
  /** scIB batch ASW (1 = batches mixed); without labels, over all cells as one group. */
  batchAsw: number;
  /** scIB label ASW ((s + 1) / 2; 1 = cell types apart); null without labels. */
  labelAsw: number | null;
  /** scIB graph connectivity (kNN k = 15); null without labels. */
  graphConnectivity: number | null;
  seconds: { lisi: number; asw: number; graph: number };
}

export function median(v: ArrayLike<number>): number {
  const s = Float64Array.from(v).sort();
  if (s.length === 0) return NaN;
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function presentCount(l: Labels): number {
  const seen = new Set<number>();
  for (const c of l.codes) if (c >= 0) seen.add(c);
  return seen.size;
}

export interface MetricsOptions extends MetricsRunOptions {
  perplexity?: number;
  /** The kNN graph's n_neighbors (the cell itself counted) for graph connectivity. Default 15. */
  graphK?: number;
}

/**
 * All the metrics on one embedding [n, d], the per-cell work on the pool when one is given. The
 * kNN graph of graph connectivity is the first graphK - 1 of LISI's neighbours (the same exact
 * neighbours, nearest first, ties by the lower index).
 */
export async function integrationMetrics(x: EmbeddingMatrix, n: number, d: number, batch: Labels, label: Labels | null, opts: MetricsOptions = {}): Promise<IntegrationMetrics> {
  const now = () => performance.now();
  const perplexity = opts.perplexity ?? 30;
  const graphK = opts.graphK ?? 15;
  const lisiK = lisiNeighborCount(perplexity) - 1;
  const keep = label ? Math.min(graphK - 1, n - 1) : 0;
  const stage = (from: number, to: number) => (f: number, message: string) => opts.onProgress?.(from + (to - from) * f, message);
  if (opts.signal?.aborted) throw new CancelledError('metrics');
  let t = now();
  const { lisi, neighbors } = await computeLisiAsync(x, n, d, label ? [batch, label] : [batch], {
    perplexity,
    pool: opts.pool,
    signal: opts.signal,
    onProgress: stage(0, 0.5),
    keepNeighbors: keep <= lisiK ? keep : 0,
  });
  const [iLisi, cLisi = null] = lisi;
  const lisiT = (now() - t) / 1000;
  t = now();
  const all: Labels = { codes: new Int32Array(n), categories: ['all'] };
  const groups = batchAswGroups(batch, label ?? all);
  const sil = await silhouetteGroups(
    x,
    d,
    [...groups.map((g) => ({ rows: g.rows, labels: batch })), ...(label ? [{ rows: labelledCells(n, label), labels: label }] : [])],
    { ...opts, onProgress: stage(0.5, 1) },
    'silhouettes',
  );
  const bAsw = batchAswOf(groups, sil.slice(0, groups.length)).asw;
  const lAsw = label ? labelAswOf(sil[groups.length]) : null;
  const aswT = (now() - t) / 1000;
  t = now();
  const gc = label ? graphConnectivity(neighbors ?? knnGraphNeighbors(x, n, d, graphK), n, label).score : null;
  const graphT = (now() - t) / 1000;
  opts.onProgress?.(1, 'metrics done');
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

export interface MetricsSummary {
  nCells: number;
  nBatches: number;
  nLabels: number | null;
  iLisiMedian: number;
  cLisiMedian: number | null;
  batchAsw: number;
  labelAsw: number | null;
  graphConnectivity: number | null;
}

/** The scalar part of the metrics (for JSON). */
export function summarizeMetrics(m: IntegrationMetrics): MetricsSummary {
  const { nCells, nBatches, nLabels, iLisiMedian, cLisiMedian, batchAsw, labelAsw, graphConnectivity } = m;
  return { nCells, nBatches, nLabels, iLisiMedian, cLisiMedian, batchAsw, labelAsw, graphConnectivity };
}

/**
 * A one-line reading. Rough thresholds: batches "mix" once the median iLISI is 40% of the way
 * from 1 to the number of batches B (1.8 of 3), "mix partly" if it rose by 0.05 or more short of that;
 * cell types are "kept apart" while the median cLISI grew by at most a quarter (and 0.25 at
 * least), "blur together" past that.
 */
export function metricsReading(after: MetricsSummary, before?: MetricsSummary | null): string {
  const f = (v: number) => v.toFixed(2);
  const b = after.nBatches;
  const mixed = after.iLisiMedian >= 1 + 0.4 * (b - 1);
  const parts: string[] = [];
  if (before) {
    const rose = after.iLisiMedian >= before.iLisiMedian + 0.05;
    const word = mixed ? 'batches mix' : rose ? 'batches mix partly' : 'batches stay apart';
    parts.push(`${word}: median iLISI ${f(before.iLisiMedian)} -> ${f(after.iLisiMedian)} of ${b}`);
    if (after.cLisiMedian !== null && before.cLisiMedian !== null) {
      const kept = after.cLisiMedian <= before.cLisiMedian + Math.max(0.25, 0.25 * before.cLisiMedian);
      parts.push(`${kept ? 'cell types kept apart' : 'cell types blur together'}: cLISI ${f(before.cLisiMedian)} -> ${f(after.cLisiMedian)}`);
    }
  } else {
    parts.push(`${mixed ? 'batches mix' : 'batches stay apart'}: median iLISI ${f(after.iLisiMedian)} of ${b}`);
    if (after.cLisiMedian !== null) parts.push(`cell types: median cLISI ${f(after.cLisiMedian)} of ${after.nLabels}`);
  }
  return parts.join('; ');
}
