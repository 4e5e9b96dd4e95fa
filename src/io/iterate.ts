// Passes over all cells of a matrix, a chunk of rows at a time, so memory stays bounded by the
// chunk whatever the number of cells.
import { throwIfAborted } from './errors.ts';
import type { CsrChunk, Dataset } from './types.ts';

export interface PassOptions {
  /** Target stored values per chunk; rows per chunk follow from the matrix density. */
  valuesPerChunk?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export function rowsPerChunk(ds: Dataset, key: string, valuesPerChunk: number): number {
  const m = ds.matrices.find((x) => x.key === key);
  if (!m || m.nRows === 0) return 1024;
  const perRow = m.nnz !== null ? Math.max(1, m.nnz / m.nRows) : m.nCols;
  return Math.max(1, Math.min(m.nRows, Math.floor(valuesPerChunk / perRow)));
}

/** Row ranges [start, end) covering all cells, sized to about `valuesPerChunk` stored values. */
export function* chunkRanges(ds: Dataset, key: string, opts: PassOptions): Generator<[number, number]> {
  const step = rowsPerChunk(ds, key, opts.valuesPerChunk ?? 4_000_000);
  for (let start = 0; start < ds.nObs; start += step) yield [start, Math.min(ds.nObs, start + step)];
}

/** A pass's progress after the cells before `end`, in the words every pass uses. */
export function reportPass(ds: Dataset, key: string, end: number, opts: PassOptions): void {
  opts.onProgress?.(end / ds.nObs, `${key}: ${end.toLocaleString('en-US')} / ${ds.nObs.toLocaleString('en-US')} cells`);
}

export function forEachChunk(ds: Dataset, key: string, fn: (chunk: CsrChunk) => void, opts: PassOptions = {}): void {
  for (const [start, end] of chunkRanges(ds, key, opts)) {
    throwIfAborted(opts.signal, ds.fileName);
    fn(ds.readRows(key, start, end));
    reportPass(ds, key, end, opts);
  }
}

/** Yields to the event loop between chunks so a worker can receive a cancel message. */
export async function forEachChunkAsync(ds: Dataset, key: string, fn: (chunk: CsrChunk) => void, opts: PassOptions = {}): Promise<void> {
  for (const [start, end] of chunkRanges(ds, key, opts)) {
    await new Promise((r) => setTimeout(r, 0));
    throwIfAborted(opts.signal, ds.fileName);
    fn(ds.readRows(key, start, end));
    reportPass(ds, key, end, opts);
  }
}

/** Total counts per cell (scanpy's `total_counts`): the pass the memory benchmark times. */
export async function totalCountsPerCell(ds: Dataset, key: string, opts: PassOptions = {}): Promise<Float64Array> {
  const totals = new Float64Array(ds.nObs);
  await forEachChunkAsync(ds, key, (chunk) => {
    for (let r = 0; r < chunk.end - chunk.start; r++) {
      let s = 0;
      for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) s += chunk.data[k];
      totals[chunk.start + r] = s;
    }
  }, opts);
  return totals;
}
