// Every matrix a Dataset hands out goes through here: chunks are validated as they are read (see
// validate.ts), and library failures while reading become file-named errors.
import type { GeneColumn, MatrixReader } from './h5ad/matrix.ts';
import { h5Failure, isTrap } from './h5/failure.ts';
import type { CsrChunk } from './types.ts';
import type { ChunkRules } from './validate.ts';
import { checkChunk } from './validate.ts';

export class CheckedReader implements MatrixReader {
  private readonly rules: ChunkRules;

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
    checkChunk(chunk, this.rules);
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
