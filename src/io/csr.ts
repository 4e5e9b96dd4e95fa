// CSR chunks: building them from dense rows, slicing them from whole in-memory CSR arrays, and
// transposing CSC. Pure array code shared by every reader.
import { needsFloat64 } from './matrix-values.ts';
import type { CsrChunk, MatrixValues } from './types.ts';

export interface CsrArrays {
  nRows: number;
  nCols: number;
  indptr: Float64Array;
  indices: Uint32Array;
  data: MatrixValues;
}

/**
 * Rows [start, end) of a dense row-major block holding exactly those rows. The values are float32
 * unless that would change one (checked in the counting loop, which reads every value anyway).
 */
export function denseToCsr(values: ArrayLike<number>, start: number, end: number, nCols: number): CsrChunk {
  const n = end - start;
  let nnz = 0;
  let wide = false;
  const narrowable = values instanceof Float32Array;
  for (let i = 0; i < n * nCols; i++) {
    const v = values[i];
    if (v !== 0) {
      nnz++;
      if (!narrowable && Math.fround(v) !== v) wide = true;
    }
  }
  const indptr = new Float64Array(n + 1);
  const indices = new Uint32Array(nnz);
  const data = wide ? new Float64Array(nnz) : new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < n; r++) {
    const base = r * nCols;
    for (let c = 0; c < nCols; c++) {
      const v = values[base + c];
      if (v !== 0) {
        indices[k] = c;
        data[k++] = v;
      }
    }
    indptr[r + 1] = k;
  }
  return { start, end, nCols, indptr, indices, data };
}

/** Dense column-major block (genes x cells on disk, cells [start, end)) to CSR rows. */
export function denseColumnsToCsr(values: ArrayLike<number>, start: number, end: number, nCols: number): CsrChunk {
  const n = end - start;
  const transposed = new Float64Array(n * nCols);
  for (let g = 0; g < nCols; g++) for (let c = 0; c < n; c++) transposed[c * nCols + g] = values[g * n + c];
  return denseToCsr(transposed, start, end, nCols);
}

export function sliceCsr(m: CsrArrays, start: number, end: number): CsrChunk {
  const lo = m.indptr[start];
  const hi = m.indptr[end];
  const indptr = new Float64Array(end - start + 1);
  for (let i = 0; i <= end - start; i++) indptr[i] = m.indptr[start + i] - lo;
  return { start, end, nCols: m.nCols, indptr, indices: m.indices.slice(lo, hi), data: m.data.slice(lo, hi) };
}

/** Transposes compressed arrays: CSC of (nRows x nCols) becomes CSR of the same matrix. */
export function cscToCsr(nRows: number, nCols: number, colptr: ArrayLike<number>, rowIdx: ArrayLike<number>, vals: ArrayLike<number>): CsrArrays {
  const nnz = colptr[nCols];
  const counts = new Float64Array(nRows + 1);
  for (let k = 0; k < nnz; k++) counts[rowIdx[k] + 1]++;
  for (let r = 0; r < nRows; r++) counts[r + 1] += counts[r];
  const indptr = Float64Array.from(counts);
  const next = Float64Array.from(counts);
  const indices = new Uint32Array(nnz);
  // Float64 only when float32 would change a stored value (see matrix-values.ts).
  const data: MatrixValues = needsFloat64(vals) ? new Float64Array(nnz) : new Float32Array(nnz);
  for (let c = 0; c < nCols; c++) {
    for (let k = colptr[c]; k < colptr[c + 1]; k++) {
      const dst = next[rowIdx[k]]++;
      indices[dst] = c;
      data[dst] = vals[k];
    }
  }
  return { nRows, nCols, indptr, indices, data };
}

/** Builds CSR from coordinate triplets (MatrixMarket). Duplicate entries are summed, as scipy does. */
export function cooToCsr(nRows: number, nCols: number, rows: Uint32Array, cols: Uint32Array, vals: MatrixValues, nnz: number): CsrArrays {
  const colptr = new Float64Array(nCols + 1);
  // Reuse the CSC transpose: treat (row, col) as CSC by sorting on column first.
  for (let k = 0; k < nnz; k++) colptr[cols[k] + 1]++;
  for (let c = 0; c < nCols; c++) colptr[c + 1] += colptr[c];
  const next = Float64Array.from(colptr);
  const rowIdx = new Uint32Array(nnz);
  const v = vals instanceof Float64Array ? new Float64Array(nnz) : new Float32Array(nnz);
  for (let k = 0; k < nnz; k++) {
    const dst = next[cols[k]]++;
    rowIdx[dst] = rows[k];
    v[dst] = vals[k];
  }
  return sumDuplicates(cscToCsr(nRows, nCols, colptr, rowIdx, v));
}

function sumDuplicates(m: CsrArrays): CsrArrays {
  let k = 0;
  const indptr = new Float64Array(m.nRows + 1);
  for (let r = 0; r < m.nRows; r++) {
    const rowStart = k;
    for (let j = m.indptr[r]; j < m.indptr[r + 1]; j++) {
      if (k > rowStart && m.indices[k - 1] === m.indices[j]) m.data[k - 1] += m.data[j];
      else {
        m.indices[k] = m.indices[j];
        m.data[k++] = m.data[j];
      }
    }
    indptr[r + 1] = k;
  }
  return { ...m, indptr, indices: m.indices.slice(0, k), data: m.data.slice(0, k) };
}
