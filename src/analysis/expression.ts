// Streamed passes over a dataset's counts for the classic pipeline: per-gene moments (for
// highly_variable_genes and scale) and the log-normalised matrix of the kept cells restricted to a
// gene subset (the only expression matrix the pipeline holds in memory).
import type { CsrArrays } from '../io/csr.ts';
import type { PassOptions } from '../io/iterate.ts';
import { forEachChunkAsync } from '../io/iterate.ts';
import type { CsrChunk, Dataset } from '../io/types.ts';
import { DEFAULT_TARGET_SUM, normalizeLog1pRows } from './normalize.ts';

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
export async function geneMoments(ds: Dataset, key: string, keep: Uint8Array | null, normalizedBy: Float64Array | null, opts: PassOptions & { fromLog?: boolean } = {}): Promise<GeneMoments> {
  const fromLog = opts.fromLog === true;
  // The matrix's own genes: raw/X may have more than X (ds.nVars).
  const p = ds.varNamesOf(key).length;
  const sum = new Float64Array(p);
  const sumSq = new Float64Array(p);
  let n = 0;
  await forEachKeptRow(ds, key, keep, (cell, chunk, r) => {
    n++;
    const f = normalizedBy ? (normalizedBy[cell] > 0 ? DEFAULT_TARGET_SUM / normalizedBy[cell] : 1) : 1;
    for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) {
      const v = fromLog ? Math.expm1(chunk.data[k]) : chunk.data[k] * f;
      sum[chunk.indices[k]] += v;
      sumSq[chunk.indices[k]] += v * v;
    }
  }, opts);
  return momentsFrom(n, sum, sumSq);
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
 */
export async function logNormMatrix(ds: Dataset, key: string, keep: Uint8Array | null, totals: Float64Array | null, genes: Int32Array, opts: PassOptions = {}): Promise<CsrArrays> {
  const column = new Int32Array(ds.varNamesOf(key).length).fill(-1);
  genes.forEach((g, j) => (column[g] = j));
  const nRows = keep ? keep.reduce((s, v) => s + v, 0) : ds.nObs;
  const indptr = new Float64Array(nRows + 1);
  let indices = new Uint32Array(1 << 16);
  let data = new Float32Array(1 << 16);
  let nnz = 0;
  let row = 0;
  const rowTotals = new Float64Array(nRows);
  await forEachKeptRow(ds, key, keep, (cell, chunk, r) => {
    const need = nnz + (chunk.indptr[r + 1] - chunk.indptr[r]);
    if (need > indices.length) {
      const size = Math.max(need, indices.length * 2);
      const i2 = new Uint32Array(size);
      i2.set(indices.subarray(0, nnz));
      const d2 = new Float32Array(size);
      d2.set(data.subarray(0, nnz));
      indices = i2;
      data = d2;
    }
    for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) {
      const j = column[chunk.indices[k]];
      if (j >= 0 && chunk.data[k] !== 0) {
        indices[nnz] = j;
        data[nnz++] = chunk.data[k];
      }
    }
    if (totals) rowTotals[row] = totals[cell];
    indptr[++row] = nnz;
  }, opts);
  const out = { nRows, nCols: genes.length, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) };
  if (totals) normalizeLog1pRows(out.indptr, out.data, rowTotals);
  return out;
}
