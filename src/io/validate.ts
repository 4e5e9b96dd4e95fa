// Checks on the contents of sparse matrices, made where the bytes are read: files come from
// strangers, and a bad pointer or a stray Inf otherwise turns into silently wrong numbers, a hang
// in PCA or gigabytes of allocation. Every check here is one cheap loop over arrays already in
// memory, never a second pass over the file.
import { DatasetError } from './errors.ts';
import type { CsrChunk } from './types.ts';

/** Where a compressed matrix lives, for messages. */
export interface PointerSite {
  fileName: string;
  /** Path of the pointer array in the file, e.g. `X/indptr`. */
  path: string;
  /** What a pointer slot stands for: `row` (CSR, 10x cells) or `column` (CSC). */
  axis: 'row' | 'column';
  /** Length of the other axis: the most entries one slot may hold. */
  minor: number;
  /** Stored lengths of the data and index arrays. */
  dataLength: number;
  indicesLength: number;
}

/**
 * The pointer array of a CSR/CSC matrix, which every reader holds whole anyway: starts at 0, whole
 * numbers, never decreasing, at most `minor` entries per slot, and within the stored arrays.
 * Returns a note when the arrays hold unused values past the last pointer (scipy allows that).
 */
export function checkPointers(ptr: Float64Array, site: PointerSite): string | null {
  const fail = (msg: string) => new DatasetError('bad-matrix', site.fileName, `"${site.path}" ${msg}: the sparse matrix is damaged`);
  if (site.dataLength !== site.indicesLength) {
    throw new DatasetError('bad-matrix', site.fileName, `the sparse matrix at "${site.path.replace(/\/?[^/]*$/, '') || '/'}" has ${site.dataLength} values but ${site.indicesLength} indices; they must have the same length`);
  }
  if (ptr.length === 0) throw fail('is empty');
  if (ptr[0] !== 0) throw fail(`starts at ${ptr[0]}, not 0`);
  let prev = 0;
  for (let i = 1; i < ptr.length; i++) {
    const p = ptr[i];
    const n = p - prev;
    // One comparison chain in the common case; details only when something is off.
    if (!(n >= 0 && n <= site.minor && Number.isInteger(p))) {
      if (!Number.isInteger(p)) throw fail(`holds ${p} at position ${i}, not a whole number`);
      if (n < 0) throw fail(`decreases at ${site.axis} ${i - 1} (from ${prev} to ${p})`);
      throw fail(`gives ${site.axis} ${i - 1} ${n} stored entries, more than the ${site.minor} ${site.axis === 'row' ? 'columns' : 'rows'}`);
    }
    prev = p;
  }
  if (prev > site.dataLength) {
    throw new DatasetError('truncated', site.fileName, `"${site.path}" points to ${prev} stored values but only ${site.dataLength} are in the file: the matrix is incomplete`);
  }
  return prev < site.dataLength ? `${site.dataLength - prev} stored values past the last ${site.axis} pointer are ignored` : null;
}

/** Index array of a CSC matrix (row numbers) before it is transposed: every entry in range. */
export function checkMinorIndices(idx: ArrayLike<number>, limit: number, fileName: string, path: string, what: string): void {
  for (let k = 0; k < idx.length; k++) {
    const v = idx[k];
    if (!(v >= 0 && v < limit && v === Math.floor(v))) throw new DatasetError('bad-matrix', fileName, `"${path}" holds ${what} index ${v} at position ${k}, out of range (${limit} ${what}s): the sparse matrix is damaged`);
  }
}

/** How a matrix is being used, which decides what its values may be. */
export interface ChunkRules {
  fileName: string;
  key: string;
  /** Counts must be non-negative; other matrices (scaled data) may be signed. */
  counts: boolean;
  /** Reused scratch for the duplicate check of rows whose indices are not sorted. */
  seen?: Int32Array;
  stamp?: number;
}

/**
 * Column indices in range and not repeated within a row, values finite (and non-negative for
 * counts): one loop over the chunk's entries. The first violation ends the read, naming the row.
 */
export function checkChunk(chunk: CsrChunk, rules: ChunkRules): void {
  const { indptr, indices, data, nCols } = chunk;
  const nRows = chunk.end - chunk.start;
  if (indptr.length !== nRows + 1 || indptr[nRows] !== indices.length || indices.length !== data.length) {
    throw new DatasetError('bad-matrix', rules.fileName, `${rules.key}: rows ${chunk.start}..${chunk.end} came back with inconsistent lengths (${indices.length} indices, ${data.length} values, last pointer ${indptr[nRows]}): the sparse matrix is damaged`);
  }
  for (let r = 0; r < nRows; r++) {
    const a0 = indptr[r];
    const a1 = indptr[r + 1];
    let last = -1;
    let sorted = true;
    for (let k = a0; k < a1; k++) {
      const c = indices[k];
      const v = data[k];
      if (c <= last) sorted = false;
      last = c;
      // v - v is NaN for NaN and +-Inf: one subtraction covers both.
      if (c >= nCols || v - v !== 0 || (rules.counts && v < 0)) badEntry(rules, chunk.start + r, c, v, nCols);
    }
    if (!sorted) checkDuplicates(chunk, r, rules);
  }
}

function badEntry(rules: ChunkRules, row: number, col: number, v: number, nCols: number): never {
  // Indices arrive as uint32 views of int32 storage: show a negative index as the file holds it.
  if (col >= nCols) throw new DatasetError('bad-matrix', rules.fileName, `${rules.key} row ${row} has column index ${col >= 2 ** 31 ? col - 2 ** 32 : col}, out of range (${nCols} columns): the sparse matrix is damaged`);
  const at = `cell ${row}, gene ${col}`;
  if (Number.isNaN(v)) throw new DatasetError('bad-counts', rules.fileName, `${rules.key} contains NaN (first at ${at}); expression values must be numbers`);
  if (v - v !== 0) throw new DatasetError('bad-counts', rules.fileName, `${rules.key} contains ${v} (first at ${at}); expression values must be finite`);
  throw new DatasetError('bad-counts', rules.fileName, `${rules.key} is used as counts but holds negative values (${v} at ${at}); counts must be non-negative`);
}

function checkDuplicates(chunk: CsrChunk, r: number, rules: ChunkRules): void {
  if (!rules.seen || rules.seen.length < chunk.nCols) rules.seen = new Int32Array(chunk.nCols);
  const seen = rules.seen;
  // A fresh stamp per checked row, so the scratch never needs clearing.
  const stamp = (rules.stamp = ((rules.stamp ?? 0) % 0x7ffffffe) + 1);
  if (stamp === 1) seen.fill(0);
  const row = chunk.start + r;
  for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) {
    const c = chunk.indices[k];
    if (seen[c] === stamp) {
      throw new DatasetError(
        'bad-matrix',
        rules.fileName,
        `${rules.key} row ${row} stores column ${c} more than once; scipy would sum such duplicates, scWeb refuses them rather than guess: ` +
          'call X.sum_duplicates() in Python and save the file again',
      );
    }
    seen[c] = stamp;
  }
}
