// Cells x genes matrices inside an HDF5 file, read a block of rows at a time.
// CSR (and 10x's genes x cells CSC, which is CSR over cells) is read lazily; dense arrays are read
// as row slabs; an h5ad CSC matrix has no cheap row access, so it is transposed once in memory.
import type { Dataset as H5Dataset } from 'h5wasm';
import { DatasetError } from '../errors.ts';
import type { CsrArrays } from '../csr.ts';
import { cscToCsr, denseColumnsToCsr, denseToCsr, sliceCsr } from '../csr.ts';
import type { CsrChunk, MatrixContent, MatrixEncoding, MatrixValues } from '../types.ts';
import { exactValues } from '../matrix-values.ts';
import { checkMinorIndices, checkPointers } from '../validate.ts';
import type { H5Context } from '../h5/read.ts';
import { checkFilters, checkReadSize, dtypeName, readFloat64, readNumeric, requireDataset, shapeOf } from '../h5/read.ts';

export interface MatrixReader {
  encoding: MatrixEncoding;
  dtype: string;
  nRows: number;
  nCols: number;
  nnz: number | null;
  notes: string[];
  readRows(start: number, end: number): CsrChunk;
  /**
   * One column (gene) without reading the rest, where the storage makes that cheap (CSC): a
   * shared snapshot opened over HTTP fetches only the genes looked at.
   */
  readColumn?(j: number): GeneColumn;
}

/** The stored entries of one column: row (cell) indices and their values. */
export interface GeneColumn {
  rows: Uint32Array;
  /** float32 unless that would change a stored value (see matrix-values.ts). */
  values: MatrixValues;
}

export interface CompressedPaths {
  data: string;
  indices: string;
  indptr: string;
}

/** Row-compressed storage read lazily: only `indptr` is held in memory (8 bytes per row). */
export class H5CsrReader implements MatrixReader {
  readonly encoding = 'csr';
  readonly dtype: string;
  readonly nnz: number;
  readonly notes: string[] = [];
  private readonly indptr: Float64Array;
  private readonly data: H5Dataset;
  private readonly indices: H5Dataset;

  constructor(
    private readonly ctx: H5Context,
    paths: CompressedPaths,
    readonly nRows: number,
    readonly nCols: number,
  ) {
    this.data = requireDataset(ctx, paths.data);
    this.indices = requireDataset(ctx, paths.indices);
    checkFilters(ctx, this.data);
    checkFilters(ctx, this.indices);
    this.dtype = dtypeName(this.data.metadata);
    const indptr = requireDataset(ctx, paths.indptr);
    if ((shapeOf(indptr)[0] ?? 0) !== nRows + 1) {
      throw new DatasetError('shape-mismatch', ctx.fileName, `"${paths.indptr}" has ${shapeOf(indptr)[0] ?? 0} entries, expected ${nRows + 1} for ${nRows} rows`);
    }
    this.indptr = readFloat64(ctx, indptr);
    const note = checkPointers(this.indptr, {
      fileName: ctx.fileName,
      path: paths.indptr,
      axis: 'row',
      minor: nCols,
      dataLength: shapeOf(this.data)[0] ?? 0,
      indicesLength: shapeOf(this.indices)[0] ?? 0,
    });
    if (note) this.notes.push(note);
    this.nnz = this.indptr[nRows];
  }

  readRows(start: number, end: number): CsrChunk {
    const lo = this.indptr[start];
    const hi = this.indptr[end];
    const indptr = new Float64Array(end - start + 1);
    for (let i = 0; i <= end - start; i++) indptr[i] = this.indptr[start + i] - lo;
    if (hi === lo) return { start, end, nCols: this.nCols, indptr, indices: new Uint32Array(0), data: new Float32Array(0) };
    const data = exactValues(readNumeric(this.ctx, this.data, lo, hi, true));
    // Range, duplicates and values are checked by the dataset's CheckedReader, for every format.
    const indices = asUint32(readNumeric(this.ctx, this.indices, lo, hi), this.ctx.fileName, this.indices.path, lo);
    return { start, end, nCols: this.nCols, indptr, indices, data };
  }
}

/** A dense 2-D array; `genesByCells` for files that store genes as rows (pandas/ACTINN frames). */
export class H5DenseReader implements MatrixReader {
  readonly encoding = 'dense';
  readonly dtype: string;
  readonly nnz = null;
  readonly notes: string[] = [];
  readonly nRows: number;
  readonly nCols: number;

  constructor(
    private readonly ctx: H5Context,
    private readonly ds: H5Dataset,
    private readonly genesByCells = false,
  ) {
    checkFilters(ctx, ds);
    this.dtype = dtypeName(ds.metadata);
    const [a, b] = shapeOf(ds);
    [this.nRows, this.nCols] = genesByCells ? [b, a] : [a, b];
    if (genesByCells) this.notes.push('stored genes x cells; transposed on read');
  }

  readRows(start: number, end: number): CsrChunk {
    if (!this.genesByCells) {
      const block = readNumeric(this.ctx, this.ds, start, end, true);
      return denseToCsr(block, start, end, this.nCols);
    }
    checkReadSize(this.ctx, this.ds, (end - start) * this.nCols);
    const block = this.ds.slice([[], [start, end]]);
    return denseColumnsToCsr(block as ArrayLike<number>, start, end, this.nCols);
  }
}

/** A matrix held whole in memory as CSR (CSC converted, MatrixMarket, small files). */
export class MemoryCsrReader implements MatrixReader {
  readonly encoding: MatrixEncoding;
  readonly nRows: number;
  readonly nCols: number;
  readonly nnz: number;

  constructor(
    private readonly m: CsrArrays,
    readonly dtype: string,
    readonly notes: string[] = [],
    encoding: MatrixEncoding = 'csr',
  ) {
    this.nRows = m.nRows;
    this.nCols = m.nCols;
    this.nnz = m.indptr[m.nRows];
    this.encoding = encoding;
  }

  readRows(start: number, end: number): CsrChunk {
    return sliceCsr(this.m, start, end);
  }
}

/** CSC cells x genes: transposed on first access, since a row of CSC touches every column. */
export class LazyCscReader implements MatrixReader {
  readonly encoding = 'csc';
  readonly dtype: string;
  readonly nnz: number;
  readonly notes = ['stored as CSC: converted to CSR in memory on first read'];
  private csr: CsrArrays | null = null;

  constructor(
    private readonly ctx: H5Context,
    private readonly paths: CompressedPaths,
    readonly nRows: number,
    readonly nCols: number,
  ) {
    const data = requireDataset(ctx, paths.data);
    checkFilters(ctx, data);
    this.dtype = dtypeName(data.metadata);
    this.nnz = shapeOf(data)[0] ?? 0;
  }

  private colptr: Float64Array | null = null;

  readColumn(j: number): GeneColumn {
    if (!this.colptr) {
      const ptrDs = requireDataset(this.ctx, this.paths.indptr);
      if ((shapeOf(ptrDs)[0] ?? 0) !== this.nCols + 1) {
        throw new DatasetError('shape-mismatch', this.ctx.fileName, `"${this.paths.indptr}" has ${shapeOf(ptrDs)[0] ?? 0} entries, expected ${this.nCols + 1} for a CSC matrix with ${this.nCols} columns`);
      }
      const colptr = readFloat64(this.ctx, ptrDs);
      const dataDs = requireDataset(this.ctx, this.paths.data);
      const idxDs = requireDataset(this.ctx, this.paths.indices);
      checkPointers(colptr, { fileName: this.ctx.fileName, path: this.paths.indptr, axis: 'column', minor: this.nRows, dataLength: shapeOf(dataDs)[0] ?? 0, indicesLength: shapeOf(idxDs)[0] ?? 0 });
      this.colptr = colptr;
    }
    const [a, b] = [this.colptr[j], this.colptr[j + 1]];
    if (a === b) return { rows: new Uint32Array(0), values: new Float32Array(0) };
    const rows = readNumeric(this.ctx, requireDataset(this.ctx, this.paths.indices), a, b);
    const values = readNumeric(this.ctx, requireDataset(this.ctx, this.paths.data), a, b, true);
    return { rows: Uint32Array.from(rows), values: exactValues(values) };
  }

  readRows(start: number, end: number): CsrChunk {
    if (!this.csr) {
      const ptrDs = requireDataset(this.ctx, this.paths.indptr);
      const idxDs = requireDataset(this.ctx, this.paths.indices);
      const dataDs = requireDataset(this.ctx, this.paths.data);
      if ((shapeOf(ptrDs)[0] ?? 0) !== this.nCols + 1) {
        throw new DatasetError('shape-mismatch', this.ctx.fileName, `"${this.paths.indptr}" has ${shapeOf(ptrDs)[0] ?? 0} entries, expected ${this.nCols + 1} for a CSC matrix with ${this.nCols} columns`);
      }
      const colptr = readFloat64(this.ctx, ptrDs);
      const site = { fileName: this.ctx.fileName, path: this.paths.indptr, axis: 'column' as const, minor: this.nRows, dataLength: shapeOf(dataDs)[0] ?? 0, indicesLength: shapeOf(idxDs)[0] ?? 0 };
      const note = checkPointers(colptr, site);
      if (note) this.notes.push(note);
      const nnz = colptr[this.nCols];
      const rowIdx = readNumeric(this.ctx, idxDs, 0, nnz);
      checkMinorIndices(rowIdx, this.nRows, this.ctx.fileName, this.paths.indices, 'row');
      const vals = readNumeric(this.ctx, dataDs, 0, nnz, true);
      this.csr = cscToCsr(this.nRows, this.nCols, colptr, rowIdx, vals);
    }
    return sliceCsr(this.csr, start, end);
  }
}

/** int32 indices viewed as uint32 without a copy: a negative index turns huge and fails the range check. */
function asUint32(a: ArrayLike<number>, fileName: string, path: string, offset: number): Uint32Array {
  if (a instanceof Uint32Array) return a;
  if (a instanceof Int32Array) return new Uint32Array(a.buffer, a.byteOffset, a.length);
  // int64 or float storage: a conversion would wrap 2^32 + 3 to 3 and cut 1.5 to 1, silently.
  const out = new Uint32Array(a.length);
  for (let k = 0; k < a.length; k++) {
    const v = a[k];
    if (!(v >= 0 && v < 4294967295 && v === Math.floor(v))) {
      throw new DatasetError('bad-matrix', fileName, `"${path}" holds ${v} at position ${offset + k}, which is not a column index: the sparse matrix is damaged`);
    }
    out[k] = v;
  }
  return out;
}

/** Embeddings (coordinates to plot), not stored counts: float32 is their working precision. */
export function toFloat32(a: ArrayLike<number>): Float32Array {
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

/** Looks at up to `maxValues` stored values from the first rows to say what the matrix holds. */
export function judgeContent(reader: MatrixReader, maxValues = 200_000): { content: MatrixContent; firstNaN: string | null; firstNegative: string | null } {
  // Grow the sample until it holds enough values; cap the rows so a near-empty dense matrix is not
  // read whole, and a wide dense one is judged on what fits in a few megabytes, not gigabytes of zeros.
  const denseRows = reader.encoding === 'dense' ? Math.max(1, Math.floor((10 * maxValues) / Math.max(1, reader.nCols))) : Infinity;
  const maxRows = Math.min(reader.nRows, 4096, denseRows);
  let rows = Math.min(maxRows, 64);
  let chunk = reader.readRows(0, rows);
  while (chunk.data.length < maxValues / 4 && rows < maxRows) {
    rows = Math.min(maxRows, rows * 4);
    chunk = reader.readRows(0, rows);
  }
  let integer = true;
  let negative = false;
  let firstNaN: string | null = null;
  let firstNegative: string | null = null;
  for (let r = 0; r < rows; r++) {
    for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) {
      const v = chunk.data[k];
      if (Number.isNaN(v)) firstNaN ??= `cell ${r}, gene ${chunk.indices[k]}`;
      else if (v < 0) {
        negative = true;
        firstNegative ??= `${v} at cell ${r}, gene ${chunk.indices[k]}`;
      }
      if (integer && v !== Math.round(v)) integer = false;
    }
  }
  const content: MatrixContent = chunk.data.length === 0 ? 'empty' : negative ? 'signed' : integer ? 'counts' : 'non-negative';
  return { content, firstNaN, firstNegative };
}
