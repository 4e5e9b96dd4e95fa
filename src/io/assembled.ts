// One Dataset implementation for every format: readers hand over their parts (frames, matrix
// readers, embedding loaders) and this checks shapes, judges each matrix and picks the counts.
import { stringsToCategorical } from './columns.ts';
import { CheckedReader } from './checked-reader.ts';
import { ComputedResults } from './computed-results.ts';
import { DatasetError } from './errors.ts';
import { h5Failure, isTrap } from './h5/failure.ts';
import type { GeneColumn, MatrixReader } from './h5ad/matrix.ts';
import type { StoredMarkers } from './h5ad/stored-markers.ts';
import { judgeContent } from './h5ad/matrix.ts';
import type { Column, CsrChunk, DataFrame, Dataset, DatasetFormat, Embedding, EmbeddingInfo, MatrixInfo } from './types.ts';
import type { SourceFile } from './source.ts';

export interface MatrixPart {
  key: string;
  reader: MatrixReader;
  /** Gene names for this matrix when they are not the main var's (raw/X with raw/var). */
  varKey?: string;
  varNames?: string[];
}

export interface DatasetParts {
  fileName: string;
  format: DatasetFormat;
  formatDetail: string;
  obs: DataFrame;
  var: DataFrame;
  matrices: MatrixPart[];
  embeddings: EmbeddingInfo[];
  readEmbedding(key: string): Embedding;
  /** A workspace saved by scWeb in the file (uns/scweb_session), unvalidated. */
  savedSession?: string | null;
  /** scanpy's uns/rank_genes_groups, read on demand. */
  storedMarkers?: () => StoredMarkers | null;
  /** Category name -> #rrggbb of the categorical obs columns the file colours (uns/<column>_colors). */
  categoryColors?: Record<string, Record<string, string>>;
  close(): void;
  /** The files, when a pool worker may open them itself (Dataset.sources). */
  sources?: SourceFile[] | null;
  /** Called when reading traps inside the HDF5 module, so the next file gets a fresh one. */
  onTrap?: () => void;
}

/** Layer names that conventionally hold raw counts, most explicit first. */
const COUNT_LAYER_NAMES = ['counts', 'raw_counts', 'umi', 'umis', 'UMIs', 'count', 'spliced'];

export class AssembledDataset implements Dataset {
  readonly fileName: string;
  readonly format: DatasetFormat;
  readonly formatDetail: string;
  readonly nObs: number;
  readonly nVars: number;
  readonly obs: DataFrame;
  readonly var: DataFrame;
  readonly matrices: MatrixInfo[] = [];
  countsKey: string | null;
  countsReason: string;
  readonly embeddings: EmbeddingInfo[];
  readonly savedSession: string | null;
  readonly categoryColors: Record<string, Record<string, string>>;
  readonly sources: SourceFile[] | null;
  private readonly readers = new Map<string, MatrixPart & { reader: CheckedReader }>();
  private readonly computed = new ComputedResults(this);

  constructor(private readonly parts: DatasetParts) {
    this.fileName = parts.fileName;
    this.format = parts.format;
    this.formatDetail = parts.formatDetail;
    // Plain-string labels (a Julia or R writer's cell_type) get a legend and group markers like any categorical.
    this.obs = { ...parts.obs, columns: parts.obs.columns.map((c) => (c.kind === 'string' ? stringsToCategorical(c) : c)) };
    this.var = parts.var;
    this.nObs = parts.obs.index.length;
    this.nVars = parts.var.index.length;
    this.embeddings = parts.embeddings;
    this.savedSession = parts.savedSession ?? null;
    this.categoryColors = { ...parts.categoryColors };
    this.sources = parts.sources ?? null;
    if (this.nObs === 0) throw new DatasetError('no-cells', this.fileName, 'the file holds no cells (obs is empty)');
    for (const raw of parts.matrices) {
      this.checkShape(raw);
      const reader = new CheckedReader(raw.reader, this.fileName, raw.key, () => parts.onTrap?.());
      reader.usedAsCounts = isCountsName(raw.key);
      const part = { ...raw, reader };
      this.readers.set(part.key, part);
      this.matrices.push(this.describe(part));
    }
    for (const e of this.embeddings) {
      if (e.shape[0] !== this.nObs) {
        throw new DatasetError('shape-mismatch', this.fileName, `obsm "${e.key}" has ${e.shape[0]} rows but there are ${this.nObs} cells`);
      }
    }
    [this.countsKey, this.countsReason] = this.pickCounts();
    this.markCounts();
  }

  private markCounts(): void {
    for (const [key, part] of this.readers) part.reader.usedAsCounts = key === this.countsKey || isCountsName(key);
  }

  private checkShape(part: MatrixPart): void {
    const { nRows, nCols } = part.reader;
    const nVar = part.varNames ? part.varNames.length : this.nVars;
    const varKey = part.varKey ?? 'var';
    if (nRows !== this.nObs) {
      throw new DatasetError('shape-mismatch', this.fileName, `${part.key} has ${nRows} rows but obs has ${this.nObs} cells: obs and the matrix do not match`);
    }
    if (nCols !== nVar) {
      throw new DatasetError('shape-mismatch', this.fileName, `${part.key} has ${nCols} columns but ${varKey} has ${nVar} genes: var and the matrix do not match`);
    }
  }

  private describe(part: MatrixPart): MatrixInfo {
    const r = part.reader;
    const judged = judgeContent(r);
    if (judged.firstNaN) {
      throw new DatasetError('bad-counts', this.fileName, `${part.key} contains NaN (first at ${judged.firstNaN}); expression values must be numbers`);
    }
    if (isCountsName(part.key) && judged.firstNegative) {
      throw new DatasetError('bad-counts', this.fileName, `${part.key} is named as counts but holds negative values (${judged.firstNegative}); counts must be non-negative`);
    }
    return {
      key: part.key,
      encoding: r.encoding,
      dtype: r.dtype,
      nRows: r.nRows,
      nCols: r.nCols,
      nnz: r.nnz,
      varKey: part.varKey ?? 'var',
      content: judged.content,
      notes: r.notes,
    };
  }

  private pickCounts(): [string | null, string] {
    if (this.matrices.length === 0) return [null, 'the file has no expression matrix (no X, raw/X or layers)'];
    const byPreference = [...this.matrices].sort((a, b) => preference(a.key) - preference(b.key));
    const found = byPreference.find((m) => m.content === 'counts');
    if (found) return [found.key, `${found.key} holds non-negative integers`];
    const described = this.matrices.map((m) => `${m.key}: ${m.content}`).join(', ');
    return [null, `no matrix holds integer counts (${described})`];
  }

  useCounts(matrixKey: string): void {
    const m = this.matrices.find((x) => x.key === matrixKey);
    if (!m) this.part(matrixKey);
    if (m!.content === 'signed') {
      throw new DatasetError('bad-counts', this.fileName, `${matrixKey} holds negative values (scaled data?) and cannot serve as counts`);
    }
    this.countsKey = matrixKey;
    this.markCounts();
    this.countsReason = m!.content === 'counts' ? `${matrixKey}, chosen by the user` : `${matrixKey}, chosen by the user (its values are not integers: normalised data?)`;
  }

  varNamesOf(matrixKey: string): string[] {
    return this.part(matrixKey).varNames ?? this.var.index;
  }

  readRows(matrixKey: string, start: number, end: number): CsrChunk {
    if (start < 0 || end > this.nObs || start > end) {
      throw new DatasetError('unknown-key', this.fileName, `rows [${start}, ${end}) are outside 0..${this.nObs}`);
    }
    return this.part(matrixKey).reader.readRows(start, end);
  }

  storedMarkers(): StoredMarkers | null {
    try {
      return this.parts.storedMarkers?.() ?? null;
    } catch (err) {
      if (isTrap(err)) this.parts.onTrap?.();
      throw h5Failure(err, this.fileName, 'uns/rank_genes_groups');
    }
  }

  readColumn(matrixKey: string, j: number): GeneColumn | null {
    const read = this.part(matrixKey).reader.readColumn;
    if (!read) return null;
    const nCols = this.varNamesOf(matrixKey).length;
    if (!(j >= 0 && j < nCols && Number.isInteger(j))) throw new DatasetError('unknown-key', this.fileName, `gene column ${j} is outside 0..${nCols}`);
    return read(j);
  }

  setColumn(c: Column): void {
    this.computed.setColumn(c);
    // A column computed here (leiden again) is not the one the file's colours were for.
    delete this.categoryColors[c.name];
  }

  addEmbedding(e: Embedding): void {
    this.computed.addEmbedding(e);
  }

  readEmbedding(key: string): Embedding {
    const computed = this.computed.embedding(key);
    if (computed) return computed;
    if (!this.embeddings.some((e) => e.key === key)) {
      throw new DatasetError('unknown-key', this.fileName, `no embedding "${key}" (have: ${this.embeddings.map((e) => e.key).join(', ') || 'none'})`);
    }
    let e: Embedding;
    try {
      e = this.parts.readEmbedding(key);
    } catch (err) {
      if (isTrap(err)) this.parts.onTrap?.();
      throw h5Failure(err, this.fileName, `obsm/${key}`);
    }
    return e;
  }

  close(): void {
    this.parts.close();
  }

  private part(key: string): MatrixPart {
    const p = this.readers.get(key);
    if (!p) throw new DatasetError('unknown-key', this.fileName, `no matrix "${key}" (have: ${[...this.readers.keys()].join(', ') || 'none'})`);
    return p;
  }
}

function isCountsName(key: string): boolean {
  const leaf = key.split('/').pop() ?? key;
  return key.startsWith('layers/') && COUNT_LAYER_NAMES.slice(0, 5).includes(leaf);
}

function preference(key: string): number {
  const leaf = key.split('/').pop() ?? key;
  if (key.startsWith('layers/')) {
    const i = COUNT_LAYER_NAMES.indexOf(leaf);
    return i >= 0 ? i : 20;
  }
  if (key === 'raw/X') return 10;
  if (key === 'X') return 11;
  return 30;
}
