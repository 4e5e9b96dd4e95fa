// Marker genes: scanpy's rank_genes_groups (method 'wilcoxon' or 't-test') for each group vs the rest.
// Per gene, cells are ranked once (ties get their average rank; all zeros of a non-negative gene
// share one rank, so sparse data stays cheap); a group's rank sum gives the z-score
// (R1 - n1 (n + 1) / 2) / sqrt(n1 n2 (n + 1) / 12), scanpy's default without tie correction;
// p = 2 sf(|z|), Benjamini-Hochberg within each group; log2 fold change from expm1 of the mean
// log expression, as scanpy computes it. The t-test is Welch's (scanpy's 't-test'), p from
// Student's t with Welch-Satterthwaite degrees of freedom.
import type { CsrArrays } from '../io/csr.ts';
import { cscToCsr } from '../io/csr.ts';
import { needsFloat64 } from '../io/matrix-values.ts';
import { poolFor, ranges, runBlocks, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';
import { addAverageRanks, PairSorter, wasmRanker } from './rank-sums.ts';
import { studentTwoSidedP } from './special.ts';

export type MarkerMethod = 'wilcoxon' | 't-test';

/** Per-group score, p and log fold change for each gene of a matrix (before ordering and BH). */
export interface MarkerStats {
  nPer: Float64Array;
  scores: Float64Array[];
  pvals: Float64Array[];
  logFoldChanges: Float64Array[];
  /** Fraction of the group's cells (and of the rest's) with the gene non-zero (scanpy's pts). */
  pctIn: Float64Array[];
  pctOut: Float64Array[];
}

export interface GroupMarkers {
  group: string;
  nCells: number;
  /** Genes sorted by score, descending: indices into var. */
  order: Int32Array;
  scores: Float64Array;
  pvals: Float64Array;
  pvalsAdj: Float64Array;
  logFoldChanges: Float64Array;
  pctIn: Float64Array;
  pctOut: Float64Array;
}

/** Complementary error function (Numerical Recipes erfcc; relative error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Benjamini-Hochberg adjusted p-values (as statsmodels' fdr_bh). */
export function benjaminiHochberg(p: Float64Array): Float64Array {
  const n = p.length;
  const order = sortedIndices(p, false) ?? Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  const adj = new Float64Array(n);
  let running = 1;
  for (let r = n - 1; r >= 0; r--) {
    const i = order[r];
    running = Math.min(running, (p[i] * n) / (r + 1));
    adj[i] = running;
  }
  return adj;
}

/** Genes by score, descending, ties in gene order (scanpy's order). */
export function scoreOrder(scores: Float64Array): Int32Array {
  return sortedIndices(scores, true) ?? Int32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);
/** Which word of a float64 holds the sign and exponent on this platform. */
const HIGH = new Uint8Array(Float64Array.of(-1).buffer)[7] === 0xbf ? 1 : 0;

/**
 * Positions of `v` by value, ascending or descending, equal values in position order: the order
 * the comparison sorts of indices above give (stable, -0 equal to 0), from an LSD radix sort of
 * the values' bit patterns, several times faster; those sorts had been the markers' last serial
 * cost (a sort per group and gene list). null when a value is NaN (left to the comparison sort).
 */
function sortedIndices(v: Float64Array, descending: boolean): Int32Array | null {
  const n = v.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (x !== x) return null;
    // + 0 makes -0 into 0; the sign flips so that the unsigned words order as the numbers do.
    f64[0] = x + 0;
    let h = f64Words[HIGH];
    let l = f64Words[1 - HIGH];
    if (h >>> 31) {
      h = ~h;
      l = ~l;
    } else h |= 0x80000000;
    if (descending) {
      h = ~h;
      l = ~l;
    }
    hi[i] = h;
    lo[i] = l;
  }
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Int32Array(n);
  const counts = new Int32Array(256);
  for (let pass = 0; pass < 8; pass++) {
    const word = pass < 4 ? lo : hi;
    const shift = (pass & 3) * 8;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(word[i] >>> shift) & 255]++;
    if (n === 0 || counts[(word[0] >>> shift) & 255] === n) continue;
    for (let b = 0, sum = 0; b < 256; b++) {
      const c = counts[b];
      counts[b] = sum;
      sum += c;
    }
    for (let t = 0; t < n; t++) {
      const i = order[t];
      next[counts[(word[i] >>> shift) & 255]++] = i;
    }
    const swap = order;
    order = next;
    next = swap;
  }
  return order;
}

/**
 * Wilcoxon markers of every group vs the rest. `codes[i]` is cell i's group (-1: in no group, left
 * out as scanpy drops NaN labels). `m` holds log-normalised expression (cells x genes).
 */
export function wilcoxonMarkers(m: CsrArrays, codes: Int32Array, groups: string[]): GroupMarkers[] {
  return finalizeMarkers(groups, markerStats('wilcoxon', m, codes, groups.length));
}

export function tTestMarkers(m: CsrArrays, codes: Int32Array, groups: string[]): GroupMarkers[] {
  return finalizeMarkers(groups, markerStats('t-test', m, codes, groups.length));
}

/** How the Wilcoxon ranks are computed: the WebAssembly kernels where they run, else JavaScript (same bits). */
export type MarkerEngine = 'wasm' | 'js';

export function markerStats(method: MarkerMethod, m: CsrArrays, codes: Int32Array, nGroups: number, engine?: MarkerEngine): MarkerStats {
  const ctx = markerContext(method, m, codes, nGroups, engine);
  return assembleStats(ctx, [{ from: 0, to: m.nCols }], [markerGenes(ctx, { from: 0, to: m.nCols })]);
}

/** Genes per pool block: fixed, so the partition never depends on the number of workers. */
const GENE_BLOCK = 128;

/** Fewest stored values for which marker statistics go to the pool (a few hundred ms in one thread). */
export const MARKERS_POOL_MIN = 10_000_000;

/** As markerStats, in blocks of genes on the pool (identical results). */
export async function markerStatsAsync(method: MarkerMethod, m: CsrArrays, codes: Int32Array, nGroups: number, opts: { pool?: WorkerPool | null; signal?: AbortSignal; onBlock?: (done: number, total: number) => void; poolMinValues?: number; engine?: MarkerEngine } = {}): Promise<MarkerStats> {
  opts = { ...opts, pool: poolFor(opts.pool, m.data.length, opts.poolMinValues ?? MARKERS_POOL_MIN) };
  const ctx = markerContext(method, m, codes, nGroups, opts.engine, opts.pool, await geneMajor(m, opts.pool, opts.signal));
  const blocks = ranges(m.nCols, GENE_BLOCK);
  const parts = await runBlocks<Float64Array>(opts.pool, 'markers', ctx as unknown as Record<string, unknown>, blocks, opts);
  return assembleStats(ctx, blocks, parts.map((packed, b) => statsViews(packed, nGroups, blocks[b].to - blocks[b].from)));
}

/** What every gene block reads: the matrix gene-major (cells ascending within a gene) and the groups. */
export interface MarkerContext {
  method: MarkerMethod;
  engine?: MarkerEngine;
  G: number;
  /** Cells in some group. */
  n: number;
  nPer: Float64Array;
  indptr: Float64Array;
  indices: Uint32Array;
  data: Float32Array;
  /** Per matrix row: its rank among the cells in a group, -1 for none. */
  rowOf: Int32Array;
  /** Per ranked cell: its group. */
  groupOf: Int32Array;
}

/** Per-group statistics of one block of genes ([group][gene - from]). */
export type GeneStats = Omit<MarkerStats, 'nPer'>;

function markerContext(method: MarkerMethod, m: CsrArrays, codes: Int32Array, G: number, engine?: MarkerEngine, pool?: WorkerPool | null, transposed?: CsrArrays): MarkerContext {
  const keep = Array.from(codes, (c, i) => (c >= 0 ? i : -1)).filter((i) => i >= 0);
  // Column access: transposing the cells x genes CSR gives genes x cells CSR (on the pool when it
  // shares memory: geneMajor).
  const byGene = transposed ?? geneMajorSerial(m);
  const rowOf = new Int32Array(m.nRows).fill(-1);
  keep.forEach((cell, r) => (rowOf[cell] = r));
  const groupOf = Int32Array.from(keep, (cell) => codes[cell]);
  const nPer = new Float64Array(G);
  for (const g of groupOf) nPer[g]++;
  const sh = <T extends Float64Array | Uint32Array | Float32Array | Int32Array>(x: T): T => (pool ? pool.share(x) : x);
  return { method, engine, G, n: keep.length, nPer, indptr: sh(byGene.indptr as Float64Array), indices: sh(byGene.indices as Uint32Array), data: sh(byGene.data as Float32Array), rowOf: sh(rowOf), groupOf: sh(groupOf) };
}

/**
 * cscToCsr(m) on this thread, for float32 values in one loop that only ever sees these array
 * types (cscToCsr serves every reader, and its mixed types cost it about twice the time); the
 * values move as their bit patterns.
 */
function geneMajorSerial(m: CsrArrays): CsrArrays {
  const nnz = m.indptr[m.nRows];
  if (!(m.data instanceof Float32Array) || m.indptr[0] !== 0 || nnz >= 2 ** 31) return cscToCsr(m.nCols, m.nRows, m.indptr, m.indices, m.data);
  const p = m.nCols;
  const src = m.indices;
  const srcBits = new Uint32Array(m.data.buffer, m.data.byteOffset, m.data.length);
  const next = new Int32Array(p + 1);
  for (let k = 0; k < nnz; k++) next[src[k] + 1]++;
  for (let g = 0; g < p; g++) next[g + 1] += next[g];
  const indptr = Float64Array.from(next);
  const indices = new Uint32Array(nnz);
  const bits = new Uint32Array(nnz);
  for (let i = 0; i < m.nRows; i++) {
    const a1 = m.indptr[i + 1];
    for (let a = m.indptr[i]; a < a1; a++) {
      const dst = next[src[a]]++;
      indices[dst] = i;
      bits[dst] = srcBits[a];
    }
  }
  return { nRows: p, nCols: m.nRows, indptr, indices, data: new Float32Array(bits.buffer) };
}

/** Cells per block of the parallel transpose. */
const TRANSPOSE_BLOCK = 4096;

/**
 * The genes x cells CSR of `m` on a pool sharing memory (undefined without one: the caller
 * transposes on its own thread). Each block of cells counts its entries per gene, then writes them
 * after the blocks before it: cells ascend within every gene, exactly as cscToCsr orders them, so
 * the statistics see the same matrix whatever the thread count. This was the markers' serial part
 * (0.45-0.7 s at 30k cells x 20k genes, 30M values).
 */
export async function geneMajor(m: CsrArrays, pool: WorkerPool | null | undefined, signal?: AbortSignal): Promise<CsrArrays | undefined> {
  if (!pool?.shared) return undefined;
  const p = m.nCols;
  const cells = ranges(m.nRows, TRANSPOSE_BLOCK);
  const src: TransposeContext = { p, indptr: pool.share(m.indptr), indices: pool.share(m.indices), data: pool.share(m.data as Float32Array), outIndices: pool.alloc(Int32Array, 0), outData: pool.alloc(Float32Array, 0) };
  const counts = await runBlocks<Float64Array>(pool, 'transpose-count', src as unknown as Record<string, unknown>, cells, { signal });
  // Gene g's entries start at indptr[g]; block b's share of them after the blocks before it.
  const indptr = new Float64Array(p + 1);
  const starts = cells.map(() => new Float64Array(p));
  for (let g = 0, at = 0; g < p; g++) {
    indptr[g] = at;
    for (let b = 0; b < cells.length; b++) {
      starts[b][g] = at;
      at += counts[b][g];
    }
    indptr[g + 1] = at;
  }
  const nnz = indptr[p];
  // Float64 only when float32 would change a value, as cscToCsr decides.
  const outData = needsFloat64(m.data) ? pool.alloc(Float64Array, nnz) : pool.alloc(Float32Array, nnz);
  const out: TransposeContext = { ...src, outIndices: pool.alloc(Int32Array, nnz), outData };
  await runBlocks(pool, 'transpose-scatter', out as unknown as Record<string, unknown>, cells.map((r, b) => ({ ...r, starts: starts[b] })), { signal });
  return { nRows: p, nCols: m.nRows, indptr, indices: new Uint32Array(out.outIndices.buffer), data: outData };
}

/** What the transpose's blocks share: the cells x genes CSR and the genes x cells arrays being written. */
interface TransposeContext {
  p: number;
  indptr: Float64Array;
  indices: Uint32Array;
  data: Float32Array | Float64Array;
  outIndices: Int32Array;
  outData: Float32Array | Float64Array;
}

/** The pool task: entries per gene among cells [from, to). */
export function transposeCount(ctx: TransposeContext, r: { from: number; to: number }): Float64Array {
  const counts = new Float64Array(ctx.p);
  const a1 = ctx.indptr[r.to] | 0;
  for (let a = ctx.indptr[r.from] | 0; a < a1; a++) counts[ctx.indices[a]]++;
  return counts;
}

/** The pool task: cells [from, to) written gene-major, each gene's from `starts[gene]` on, cells in order. */
export function transposeScatter(ctx: TransposeContext, r: { from: number; to: number; starts: Float64Array }): void {
  const { indptr, indices, data, outIndices, outData } = ctx;
  if (data instanceof Float32Array && outData instanceof Float32Array && outIndices.length < 2 ** 31) {
    // float32 in and out: the values move as bit patterns, in loops that see one array type each.
    const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
    scatterBits(indptr, indices, bits(data), outIndices, bits(outData), Int32Array.from(r.starts), r.from, r.to);
    return;
  }
  const next = r.starts;
  for (let i = r.from; i < r.to; i++) {
    const a1 = indptr[i + 1] | 0;
    for (let a = indptr[i] | 0; a < a1; a++) {
      const dst = next[indices[a]]++;
      outIndices[dst] = i;
      outData[dst] = data[a];
    }
  }
}

function scatterBits(indptr: Float64Array, indices: Uint32Array, bits: Uint32Array, outIndices: Int32Array, outBits: Uint32Array, next: Int32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const a1 = indptr[i + 1];
    for (let a = indptr[i]; a < a1; a++) {
      const dst = next[indices[a]]++;
      outIndices[dst] = i;
      outBits[dst] = bits[a];
    }
  }
}

const STAT_KEYS = ['scores', 'pvals', 'logFoldChanges', 'pctIn', 'pctOut'] as const;

/**
 * A gene block's statistics as views of one array ([statistic][group][gene]): a pool block's
 * reply is one buffer, not 5 G small ones (whose messages had cost this thread ~0.2 s per run).
 */
function statsViews(packed: Float64Array, G: number, nGenes: number): GeneStats {
  const out = {} as GeneStats;
  STAT_KEYS.forEach((key, k) => (out[key] = Array.from({ length: G }, (_, g) => packed.subarray((k * G + g) * nGenes, (k * G + g + 1) * nGenes))));
  return out;
}

function assembleStats(ctx: MarkerContext, blocks: { from: number; to: number }[], parts: GeneStats[]): MarkerStats {
  const p = blocks.length ? blocks[blocks.length - 1].to : 0;
  const mk = () => Array.from({ length: ctx.G }, () => new Float64Array(p));
  const st: MarkerStats = { nPer: ctx.nPer, scores: mk(), pvals: mk(), logFoldChanges: mk(), pctIn: mk(), pctOut: mk() };
  parts.forEach((part, b) => {
    for (const key of STAT_KEYS) {
      for (let g = 0; g < ctx.G; g++) st[key][g].set(part[key][g], blocks[b].from);
    }
  });
  return st;
}

/** The pool task: statistics of genes [from, to). */
export function markerGenes(ctx: MarkerContext, r: { from: number; to: number }): GeneStats {
  return ctx.method === 'wilcoxon' ? wilcoxonGenes(ctx, r.from, r.to) : tTestGenes(ctx, r.from, r.to);
}

/** Orders genes by score and adjusts p-values per group. */
export function finalizeMarkers(groups: string[], st: MarkerStats): GroupMarkers[] {
  return groups.map((group, g) => groupMarkers(group, g, st, orderGroup({ scores: st.scores[g], pvals: st.pvals[g] })));
}

/** Genes x groups from which finalizeMarkersAsync goes to the pool (about 20 ms a million on one thread). */
export const FINALIZE_POOL_MIN = 200_000;

/**
 * As finalizeMarkers, one block per group on the pool (identical results): with all genes ranked,
 * the sorts were the markers' last serial part.
 */
export async function finalizeMarkersAsync(groups: string[], st: MarkerStats, opts: { pool?: WorkerPool | null; signal?: AbortSignal; onBlock?: (done: number, total: number) => void; poolMin?: number } = {}): Promise<GroupMarkers[]> {
  const pool = poolFor(opts.pool, groups.length * (st.scores[0]?.length ?? 0), opts.poolMin ?? FINALIZE_POOL_MIN);
  const blocks: GroupColumns[] = groups.map((_, g) => ({ scores: st.scores[g], pvals: st.pvals[g] }));
  const parts = await runBlocks<OrderedGroup>(pool, 'markers-finalize', {}, blocks, { signal: opts.signal, onBlock: opts.onBlock });
  return groups.map((group, g) => groupMarkers(group, g, st, parts[g]));
}

interface GroupColumns {
  scores: Float64Array;
  pvals: Float64Array;
}

interface OrderedGroup {
  order: Int32Array;
  pvals: Float64Array;
  pvalsAdj: Float64Array;
}

/** The pool task: one group's genes by score and its adjusted p-values. */
export function orderGroup(c: GroupColumns): OrderedGroup {
  // erfc's approximation can give 1 + 3e-8 for z = 0: p-values are clamped to [0, 1].
  const pvals = c.pvals.map((v) => Math.min(1, v));
  return { order: scoreOrder(c.scores), pvals, pvalsAdj: benjaminiHochberg(pvals) };
}

function groupMarkers(group: string, g: number, st: MarkerStats, o: OrderedGroup): GroupMarkers {
  return { group, nCells: st.nPer[g], order: o.order, scores: st.scores[g], pvals: o.pvals, pvalsAdj: o.pvalsAdj, logFoldChanges: st.logFoldChanges[g], pctIn: st.pctIn[g], pctOut: st.pctOut[g] };
}

/** Per matrix row: its group, -1 for none (one lookup per stored value instead of two). */
function groupsOfCells(ctx: MarkerContext): Int32Array {
  return ctx.rowOf.map((r) => (r >= 0 ? ctx.groupOf[r] : -1));
}

function wilcoxonGenes(ctx: MarkerContext, from: number, to: number): GeneStats {
  const { n, G, nPer, indptr, indices, data } = ctx;
  const groupOfCell = groupsOfCells(ctx);
  const nGenes = to - from;
  const { scores, pvals, logFoldChanges: lfc, pctIn, pctOut } = statsViews(new Float64Array(STAT_KEYS.length * G * nGenes), G, nGenes);
  const rankSum = new Float64Array(G);
  const valueSum = new Float64Array(G);
  const nzPer = new Float64Array(G);
  // Per group, what every gene shares: the null mean and standard deviation of the rank sum.
  const sds = new Float64Array(G);
  const centres = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const n1 = nPer[g];
    sds[g] = Math.sqrt((n1 * (n - n1) * (n + 1)) / 12);
    centres[g] = (n1 * (n + 1)) / 2;
  }
  let longest = 0;
  for (let gene = from; gene < to; gene++) longest = Math.max(longest, indptr[gene + 1] - indptr[gene]);
  // float32 values are ranked by their bit patterns (in the WebAssembly kernels where they run);
  // float64 ones (rare: needsFloat64) by value.
  const bits = data instanceof Float32Array ? new Uint32Array(data.buffer, data.byteOffset, data.length) : null;
  const wasm = bits && ctx.engine !== 'js' ? wasmRanker() : null;
  wasm?.reserve(longest, G);
  const sorter = new PairSorter(wasm ? 0 : longest);
  const keys = wasm ? wasm.keys : sorter.keys;
  const groups = wasm ? wasm.groups : sorter.payload;
  for (let gene = from; gene < to; gene++) {
    const k0 = indptr[gene];
    const k1 = indptr[gene + 1];
    rankSum.fill(0);
    valueSum.fill(0);
    nzPer.fill(0);
    let m = 0;
    let total = 0;
    let positive = true;
    // Cells ascending: every value sum takes its terms in cell order.
    for (let k = k0; k < k1; k++) {
      const g = groupOfCell[indices[k]];
      const v = data[k];
      if (g < 0 || v === 0) continue;
      if (!(v > 0)) positive = false;
      valueSum[g] += v;
      nzPer[g]++;
      total += v;
      keys[m] = bits ? bits[k] : k;
      groups[m++] = g;
    }
    if (positive) {
      const zeros = n - m;
      const zeroRank = (zeros + 1) / 2;
      for (let g = 0; g < G; g++) rankSum[g] = (nPer[g] - nzPer[g]) * zeroRank;
      if (wasm) {
        wasm.rankSum.set(rankSum);
        wasm.add(m, zeros);
        rankSum.set(wasm.rankSum);
      } else if (bits) {
        sorter.sort(m);
        addAverageRanks(sorter.sortedKeys, sorter.sortedPayload, m, zeros, rankSum);
      } else {
        valueRanks(data, keys, groups, m, zeros, rankSum);
      }
    } else {
      denseRanks(ctx, gene, rankSum);
    }
    const j = gene - from;
    for (let g = 0; g < G; g++) {
      const n1 = nPer[g];
      const n2 = n - n1;
      const sd = sds[g];
      const z = sd > 0 ? (rankSum[g] - centres[g]) / sd : 0;
      scores[g][j] = z;
      pvals[g][j] = erfc(Math.abs(z) / Math.SQRT2);
      const meanIn = n1 > 0 ? valueSum[g] / n1 : 0;
      const meanOut = n2 > 0 ? (total - valueSum[g]) / n2 : 0;
      lfc[g][j] = Math.log2((Math.expm1(meanIn) + 1e-9) / (Math.expm1(meanOut) + 1e-9));
      pctIn[g][j] = n1 > 0 ? nzPer[g] / n1 : 0;
      pctOut[g][j] = n2 > 0 ? (m - nzPer[g]) / n2 : 0;
    }
  }
  return { scores, pvals, logFoldChanges: lfc, pctIn, pctOut };
}

/** Average ranks of float64 values (`at`: their positions in `data`), by a comparison sort. */
function valueRanks(data: ArrayLike<number>, at: Uint32Array, groups: Int32Array, m: number, zeros: number, rankSum: Float64Array): void {
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => data[at[a]] - data[at[b]]);
  for (let i = 0; i < m; ) {
    let j = i + 1;
    while (j < m && data[at[order[j]]] === data[at[order[i]]]) j++;
    const rank = zeros + (i + 1 + j) / 2;
    for (let t = i; t < j; t++) rankSum[groups[order[t]]] += rank;
    i = j;
  }
}

/** Negative values (scaled data): every cell ranked, zeros included, on a dense column. */
function denseRanks(ctx: MarkerContext, gene: number, rankSum: Float64Array): void {
  const { n, rowOf, groupOf, indptr, indices, data } = ctx;
  rankSum.fill(0);
  const column = new Float64Array(n);
  for (let k = indptr[gene]; k < indptr[gene + 1]; k++) {
    const r = rowOf[indices[k]];
    if (r >= 0) column[r] = data[k];
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => column[a] - column[b]);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && column[order[j]] === column[order[i]]) j++;
    const rank = (i + 1 + j) / 2;
    for (let t = i; t < j; t++) rankSum[groupOf[order[t]]] += rank;
    i = j;
  }
}

function tTestGenes(ctx: MarkerContext, from: number, to: number): GeneStats {
  const { G, n, nPer } = ctx;
  const groupOfCell = groupsOfCells(ctx);
  const p = to - from;
  const sum = Array.from({ length: G }, () => new Float64Array(p));
  const sumSq = Array.from({ length: G }, () => new Float64Array(p));
  const tot = new Float64Array(p);
  const totSq = new Float64Array(p);
  const nz = Array.from({ length: G }, () => new Float64Array(p));
  const nzTot = new Float64Array(p);
  // Gene-major, cells ascending: every sum takes its terms in the same (cell) order as a row-major pass.
  for (let j = 0; j < p; j++) {
    for (let k = ctx.indptr[from + j]; k < ctx.indptr[from + j + 1]; k++) {
      const g = groupOfCell[ctx.indices[k]];
      if (g < 0) continue;
      const v = ctx.data[k];
      sum[g][j] += v;
      sumSq[g][j] += v * v;
      tot[j] += v;
      totSq[j] += v * v;
      if (v !== 0) {
        nz[g][j]++;
        nzTot[j]++;
      }
    }
  }
  const meanVar = (s: number, q: number, c: number) => {
    const mean = c > 0 ? s / c : 0;
    return [mean, c > 1 ? Math.max(0, (q - c * mean * mean) / (c - 1)) : NaN];
  };
  const { scores, pvals, logFoldChanges: lfc, pctIn, pctOut } = statsViews(new Float64Array(STAT_KEYS.length * G * p), G, p);
  for (let g = 0; g < G; g++) {
    const n1 = nPer[g];
    const n2 = n - n1;
    for (let j = 0; j < p; j++) {
      const [m1, v1] = meanVar(sum[g][j], sumSq[g][j], n1);
      const [m2, v2] = meanVar(tot[j] - sum[g][j], totSq[j] - sumSq[g][j], n2);
      const se1 = v1 / n1;
      const se2 = v2 / n2;
      const t = (m1 - m2) / Math.sqrt(se1 + se2);
      const df = (se1 + se2) ** 2 / (se1 * se1 / (n1 - 1) + se2 * se2 / (n2 - 1));
      // scanpy sets undefined scores (no variance anywhere) to 0 and their p to 1.
      scores[g][j] = Number.isFinite(t) ? t : 0;
      pvals[g][j] = Number.isFinite(t) && Number.isFinite(df) ? studentTwoSidedP(t, df) : 1;
      lfc[g][j] = Math.log2((Math.expm1(m1) + 1e-9) / (Math.expm1(m2) + 1e-9));
      pctIn[g][j] = n1 > 0 ? nz[g][j] / n1 : 0;
      pctOut[g][j] = n2 > 0 ? (nzTot[j] - nz[g][j]) / n2 : 0;
    }
  }
  return { scores, pvals, logFoldChanges: lfc, pctIn, pctOut };
}

definePoolTask('transpose-count', (c: TransposeContext, r: { from: number; to: number }) => {
  const result = transposeCount(c, r);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});
definePoolTask('transpose-scatter', (c: TransposeContext, r: { from: number; to: number; starts: Float64Array }) => {
  transposeScatter(c, r);
  return { result: null, transfer: [] };
});
definePoolTask('markers-finalize', (_: unknown, c: GroupColumns) => {
  const result = orderGroup(c);
  return { result, transfer: [result.order.buffer as ArrayBuffer, result.pvals.buffer as ArrayBuffer, result.pvalsAdj.buffer as ArrayBuffer] };
});
definePoolTask('markers', (c: MarkerContext, r: { from: number; to: number }) => {
  // The views' one array (statsViews), sent whole.
  const result = new Float64Array((markerGenes(c, r).scores[0]?.buffer ?? new ArrayBuffer(0)) as ArrayBuffer);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});
