// The in-memory picture of a single-cell dataset that every reader produces. Matrices stay on disk:
// a pass over cells goes through `readRows`, chunk by chunk.
import type { SourceFile } from './source.ts';

/**
 * Stored values of a block of a matrix: float32 when that holds every one of them exactly, else
 * float64 (tiny or huge float64 counts, integers above 2^24). Consumers read them as numbers.
 */
export type MatrixValues = Float32Array | Float64Array;

/** Rows [start, end) of a cells x genes matrix in CSR form. `indptr` is relative to the chunk. */
export interface CsrChunk {
  start: number;
  end: number;
  nCols: number;
  indptr: Float64Array; // length end - start + 1, indptr[0] === 0
  indices: Uint32Array;
  data: MatrixValues;
}

export type MatrixEncoding = 'dense' | 'csr' | 'csc';

/** What a matrix holds, judged from a sample of its values. */
export type MatrixContent = 'counts' | 'non-negative' | 'signed' | 'empty';

export interface MatrixInfo {
  /** Location in the file, e.g. `X`, `raw/X`, `layers/counts`. Used as the matrix's id. */
  key: string;
  encoding: MatrixEncoding;
  /** On-disk value type, e.g. `float32`, `int64`. */
  dtype: string;
  nRows: number;
  nCols: number;
  /** Stored entries for sparse matrices; for dense ones the non-zeros counted lazily (null until known). */
  nnz: number | null;
  /** Where this matrix's gene names live (`var`, or `raw/var` when raw has its own genes). */
  varKey: string;
  content: MatrixContent;
  /** Notes a user should see, e.g. "CSC: converted to CSR in memory". */
  notes: string[];
}

export interface CategoricalColumn {
  kind: 'categorical';
  name: string;
  /** Category index per cell; -1 marks a missing value. */
  codes: Int32Array;
  categories: string[];
  ordered: boolean;
  /** Storage type for display: `category`, `bool`, `string`. */
  dtype: string;
}

export interface NumericColumn {
  kind: 'numeric';
  name: string;
  /** NaN marks a missing value (nullable integers, float NA). */
  values: Float64Array;
  /** Storage type for display: `int64`, `float32`, `Int64` (nullable) ... */
  dtype: string;
}

export interface StringColumn {
  kind: 'string';
  name: string;
  values: string[];
  dtype: 'string';
}

export type Column = CategoricalColumn | NumericColumn | StringColumn;

export interface DataFrame {
  index: string[];
  columns: Column[];
}

export interface EmbeddingInfo {
  key: string;
  shape: [number, number];
}

export interface Embedding extends EmbeddingInfo {
  /** Row-major [n_obs, dim]. */
  data: Float32Array;
}

/** `concat`: several files opened as one (src/io/concat.ts). */
export type DatasetFormat = 'h5ad' | '10x-h5' | '10x-mtx' | 'pandas-h5' | 'concat';

export type GeneJoin = 'inner' | 'outer';

/**
 * How a dataset of several files was put together: enough for a pool worker to build the same one
 * from the same files (`Dataset.sources`, the parts' files one after another), and for the summary.
 */
export interface ConcatLayout {
  join: GeneJoin;
  parts: {
    /** The part's value of obs/sample. */
    label: string;
    fileName: string;
    /** How many of `sources` are this part's files. */
    files: number;
    nObs: number;
    nVars: number;
    /** The part's own counts matrix. */
    countsKey: string | null;
  }[];
  /** The joined genes (var names). */
  varNames: string[];
  /** Per part, the joined gene of each of its genes (-1: not in the join). */
  genes: Int32Array[];
  /** How genes were matched (`var names`, `Ensembl ids`, `gene symbols`). */
  matchedBy: string;
  /** What was joined how, what was left out, for the summary. */
  notes: string[];
}

export interface Dataset {
  fileName: string;
  format: DatasetFormat;
  /** e.g. `anndata 0.2.0 (modern)` or `anndata <0.7 (legacy h5sparse)`. */
  formatDetail: string;
  nObs: number;
  nVars: number;
  obs: DataFrame;
  var: DataFrame;
  /** Every cells x genes matrix found (X, raw/X, layers/*). Empty when the file has none. */
  matrices: MatrixInfo[];
  /** The matrix judged to hold raw counts, or null when none does. */
  countsKey: string | null;
  /** Why `countsKey` was chosen (or why none was), for the summary. */
  countsReason: string;
  /** The user's choice of counts matrix; refuses matrices with negative values. */
  useCounts(matrixKey: string): void;
  embeddings: EmbeddingInfo[];
  /** Gene names of a matrix's own var (raw/X may have more genes than X). */
  varNamesOf(matrixKey: string): string[];
  /** Rows [start, end) of a matrix as CSR; values float32 unless that would change one (then float64). */
  readRows(matrixKey: string, start: number, end: number): CsrChunk;
  readEmbedding(key: string): Embedding;
  /** scanpy's marker tables stored in the file (uns/rank_genes_groups), or null. */
  storedMarkers?(): import('./h5ad/stored-markers.ts').StoredMarkers | null;
  /** One gene's stored entries without reading other genes, or null when the storage cannot (CSR, dense). */
  readColumn?(matrixKey: string, j: number): { rows: Uint32Array; values: MatrixValues } | null;
  /** Adds (or replaces) a computed embedding such as X_scGPT; it lives in memory with the dataset. */
  addEmbedding(e: Embedding): void;
  /** A workspace scWeb saved in the file (an .h5ad's uns/scweb_session), unvalidated JSON; null when none. */
  savedSession?: string | null;
  /** Category name -> #rrggbb of the file's categorical obs columns that it colours (scanpy's uns/<column>_colors). */
  categoryColors?: Record<string, Record<string, string>>;
  /** Adds (or replaces) an obs column computed here, such as leiden or a QC metric. */
  setColumn(c: Column): void;
  /**
   * The file(s) the dataset was read from, when another worker can open them again itself (an HDF5
   * file on disk or a dropped File); null for data parsed into memory or read through a share link.
   */
  readonly sources?: readonly SourceFile[] | null;
  /** Present when the dataset joins several files (src/io/concat.ts). */
  readonly concat?: ConcatLayout | null;
  close(): void;
}
