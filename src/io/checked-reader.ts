// Every matrix a Dataset hands out goes through here: chunks are validated as they are read (see
// validate.ts), and library failures while reading become file-named errors.
import type { GeneColumn, MatrixReader } from './h5ad/matrix.ts';
import { h5Failure, isTrap } from './h5/failure.ts';
import type { CsrChunk } from './types.ts';
import type { ChunkRules } from './validate.ts';
import { checkChunk } from './validate.ts';

/** Row ranges remembered as checked, per reader (a pass's chunks; cleared when full). */
const MAX_CHECKED_RANGES = 4096;

export class CheckedReader implements MatrixReader {
  private readonly rules: ChunkRules;
  /**
   * Row ranges already read and checked from this open file, and whether under the counts rules.
   * An analysis reads the same chunks in five passes or more (QC, HVG, the PCA matrix, markers);
   * the checks were about a quarter of a bare pass's CPU time (30k cells: 175-200 ms a pass with
   * them, 130-150 ms without), and the same rows of the same open file give the same values again.
   */
  private readonly checked = new Map<string, boolean>();

  constructor(
    private readonly inner: MatrixReader,
    fileName: string,
    key: string,
    private readonly onTrap?: () => void,
  ) {
    this.rules = { fileName, key, counts: false };
  }

  get encoding() {
    return this.inner.encoding;
  }
  get dtype() {
    return this.inner.dtype;
  }
  get nRows() {
    return this.inner.nRows;
  }
  get nCols() {
    return this.inner.nCols;
  }
  get nnz() {
    return this.inner.nnz;
  }
  get notes() {
    return this.inner.notes;
  }

  /** Counts must be non-negative in every row, not only in the sample that chose them. */
  set usedAsCounts(v: boolean) {
    this.rules.counts = v;
  }

  readRows(start: number, end: number): CsrChunk {
    let chunk: CsrChunk;
    try {
      chunk = this.inner.readRows(start, end);
    } catch (err) {
      if (isTrap(err)) this.onTrap?.();
      throw h5Failure(err, this.rules.fileName, this.rules.key);
    }
    const range = `${start}:${end}`;
    const before = this.checked.get(range);
    if (before === undefined || (this.rules.counts && !before)) {
      checkChunk(chunk, this.rules);
      if (this.checked.size >= MAX_CHECKED_RANGES) this.checked.clear();
      this.checked.set(range, this.rules.counts);
    }
    return chunk;
  }

  /** Present only when the inner reader can read one column alone. */
  get readColumn(): ((j: number) => GeneColumn) | undefined {
    const inner = this.inner;
    if (!inner.readColumn) return undefined;
    return (j: number) => {
      let col: GeneColumn;
      try {
        col = inner.readColumn!(j);
      } catch (err) {
        if (isTrap(err)) this.onTrap?.();
        throw h5Failure(err, this.rules.fileName, this.rules.key);
      }
      // The column seen as a one-row matrix over the cells: the same checks (indices in range, no
      // repeats, finite values, non-negative counts) with messages naming the gene.
      checkChunk({ start: j, end: j + 1, nCols: inner.nRows, indptr: Float64Array.of(0, col.rows.length), indices: col.rows, data: col.values }, { ...this.rules, key: `${this.rules.key} (gene column ${j}; cell indices)` });
      return col;
    };
  }
}
