// Streamed passes over a dataset's counts for the classic pipeline: per-gene moments (for
// highly_variable_genes and scale) and the log-normalised matrix of the kept cells restricted to a
// gene subset (the only expression matrix the pipeline holds in memory).
import type { CsrArrays } from '../io/csr.ts';
import type { PassOptions } from '../io/iterate.ts';
import { forEachChunkAsync } from '../io/iterate.ts';
import type { CsrChunk, Dataset } from '../io/types.ts';
import { addInto, type CellPassSpec, type GroupSumsPartial, type RowsPartial, type SumsPartial } from './cell-chunks.ts';
import { cellPass, type CellPassOptions } from './cell-pass.ts';
import { runBlocks } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';

export interface GeneMoments {
  n: number;
  mean: Float64Array;
  /** Unbiased variance (ddof 1), as scanpy's _get_mean_var. */
  variance: Float64Array;
}

/**
 * Per-gene mean and variance of the kept cells; `normalizedBy` rescales each cell to 1e4 counts
 * first; `fromLog` takes expm1 of log-normalised values (what scanpy's seurat flavour does).
 */
export async function geneMoments(ds: Dataset, key: string, keep: Uint8Array | null, normalizedBy: Float64Array | null, opts: CellPassOptions & { fromLog?: boolean } = {}): Promise<GeneMoments> {
  const s = await geneSums(ds, key, { kind: 'moments', keep, normalizedBy, fromLog: opts.fromLog === true }, opts);
  return momentsFrom(s.n, s.sum, s.sumSq);
}

/** Per-gene sums over the kept cells (moments, clipped moments or cells with a count), summed chunk by chunk in order. */
export async function geneSums(ds: Dataset, key: string, spec: CellPassSpec & { kind: 'moments' | 'clipped-moments' | 'gene-cells' }, opts: CellPassOptions = {}): Promise<SumsPartial> {
  // The matrix's own genes: raw/X may have more than X (ds.nVars).
  const p = ds.varNamesOf(key).length;
  const out: SumsPartial = { n: 0, sum: new Float64Array(p), sumSq: new Float64Array(spec.kind === 'gene-cells' ? 0 : p) };
  await cellPass<SumsPartial>(ds, key, spec, (part) => {
    out.n += part.n;
    addInto(out.sum, part.sum);
    addInto(out.sumSq, part.sumSq);
  }, opts);
  return out;
}

/** Per-group gene sums in one pass (group g's genes at [g * nGenes, (g + 1) * nGenes)), folded in chunk order. */
export async function groupSums(ds: Dataset, key: string, spec: CellPassSpec & { kind: 'group-moments' }, opts: CellPassOptions = {}): Promise<GroupSumsPartial> {
  const p = ds.varNamesOf(key).length;
  const out: GroupSumsPartial = { counts: new Float64Array(spec.nGroups), sum: new Float64Array(spec.nGroups * p), sumSq: new Float64Array(spec.nGroups * p) };
  await cellPass<GroupSumsPartial>(ds, key, spec, (part) => {
    addInto(out.counts, part.counts);
    addInto(out.sum, part.sum);
    addInto(out.sumSq, part.sumSq);
  }, opts);
  return out;
}

/** Group g's moments from groupSums (as geneMoments over that group's cells alone). */
export function groupMomentsAt(s: GroupSumsPartial, g: number): GeneMoments {
  const p = s.sum.length / s.counts.length;
  return momentsFrom(s.counts[g], s.sum.slice(g * p, (g + 1) * p), s.sumSq.slice(g * p, (g + 1) * p));
}

export function momentsFrom(n: number, sum: Float64Array, sumSq: Float64Array): GeneMoments {
  const mean = sum.map((s) => s / Math.max(1, n));
  const variance = sumSq.map((s, g) => (n > 1 ? (s / n - mean[g] * mean[g]) * (n / (n - 1)) : 0));
  return { n, mean, variance: variance.map((v) => Math.max(0, v)) };
}

/** Calls fn for every kept row of every chunk, with the cell's index in the whole dataset. */
export async function forEachKeptRow(ds: Dataset, key: string, keep: Uint8Array | null, fn: (cell: number, chunk: CsrChunk, r: number) => void, opts: PassOptions = {}): Promise<void> {
  await forEachChunkAsync(ds, key, (chunk) => {
    for (let r = 0; r < chunk.end - chunk.start; r++) {
      const cell = chunk.start + r;
      if (!keep || keep[cell]) fn(cell, chunk, r);
    }
  }, opts);
}

/**
 * log1p(normalize_total(counts)) of the kept cells, columns restricted to `genes` (sorted indices
 * into var; column j of the result is genes[j]). Rows follow the kept cells in dataset order.
 * With `totals` null the values are kept as stored (a matrix that is already log expression).
 * `shared`: the arrays in the pool's shared memory (when it shares), for a step that hands the
 * whole matrix to the pool next (it then skips copying it there); such arrays cannot be transferred.
 */
export async function logNormMatrix(ds: Dataset, key: string, keep: Uint8Array | null, totals: Float64Array | null, genes: Int32Array, opts: CellPassOptions & { shared?: boolean } = {}): Promise<CsrArrays> {
  const column = new Int32Array(ds.varNamesOf(key).length).fill(-1);
  genes.forEach((g, j) => (column[g] = j));
  const nRows = keep ? keep.reduce((s, v) => s + v, 0) : ds.nObs;
  const pool = opts.shared && opts.pool?.shared ? opts.pool : null;
  const parts: RowsPartial[] = [];
  await cellPass<RowsPartial>(ds, key, { kind: 'lognorm', keep, totals, column }, (p) => parts.push(p), opts);
  const blocks: AssembleBlock[] = [];
  let nnz = 0;
  for (let i = 0, row = 0; i < parts.length; i++) {
    blocks.push({ part: parts[i], row, at: nnz });
    row += parts[i].indptr.length - 1;
    nnz += parts[i].indices.length;
  }
  parts.length = 0;
  const out = {
    nRows,
    nCols: genes.length,
    indptr: pool ? pool.alloc(Float64Array, nRows + 1) : new Float64Array(nRows + 1),
    indices: pool ? new Uint32Array(pool.alloc(Int32Array, nnz).buffer) : new Uint32Array(nnz),
    data: pool ? pool.alloc(Float32Array, nnz) : new Float32Array(nnz),
  };
  if (pool) {
    // The workers copy the chunks into the whole matrix (on this thread that copy was the markers'
    // largest serial part). Each chunk is handed over with its block, not shared: a worker's own
    // buffers are freed by its own collector, where chunks in shared memory stayed alive until
    // every thread that had seen them collected (+0.5-1 GB peak at 100k cells).
    const ctx: AssembleContext = { indptr: out.indptr, indices: out.indices, data: out.data };
    const own = (b: unknown) => [...new Set([(b as AssembleBlock).part.indptr.buffer, (b as AssembleBlock).part.indices.buffer, (b as AssembleBlock).part.data.buffer])] as ArrayBuffer[];
    await runBlocks(pool, 'lognorm-assemble', ctx as unknown as Record<string, unknown>, blocks, { signal: opts.signal, transfer: own });
  } else {
    for (const b of blocks) copyRows(out, b);
  }
  return out;
}

/** A chunk's rows go to the matrix from row `row`, their values from `at`. */
interface AssembleBlock {
  part: RowsPartial;
  row: number;
  at: number;
}

interface AssembleContext {
  indptr: Float64Array;
  indices: Uint32Array;
  data: Float32Array;
}

function copyRows(out: AssembleContext, b: AssembleBlock): void {
  const p = b.part;
  for (let r = 1; r < p.indptr.length; r++) out.indptr[b.row + r] = b.at + p.indptr[r];
  out.indices.set(p.indices, b.at);
  out.data.set(p.data, b.at);
}

definePoolTask('lognorm-assemble', (c: AssembleContext, b: AssembleBlock) => {
  copyRows(c, b);
  return { result: null, transfer: [] };
});
