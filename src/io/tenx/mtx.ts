// Cell Ranger MatrixMarket folders: matrix.mtx[.gz] (genes x cells, 1-based coordinates) plus
// features.tsv[.gz] (v3) or genes.tsv (v2) and barcodes.tsv[.gz], dropped together.
// Text has no random access, so the matrix is parsed once into in-memory CSR.
import type { DatasetParts } from '../assembled.ts';
import { categoricalFromStrings } from '../columns.ts';
import { cooToCsr } from '../csr.ts';
import { DatasetError, throwIfAborted } from '../errors.ts';
import { MemoryCsrReader } from '../h5ad/matrix.ts';
import { makeUnique } from '../names.ts';
import type { SourceFile } from '../source.ts';
import { LineTooLongError, forEachLine, readBytes, textStream } from '../source.ts';
import type { Column } from '../types.ts';

export function isMtxName(name: string): boolean {
  return /\.mtx(\.gz)?$/i.test(name);
}

function pick(files: SourceFile[], pattern: RegExp): SourceFile | undefined {
  return files.find((f) => pattern.test(f.name.split('/').pop() ?? f.name));
}

export interface ProgressOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export async function readMtxParts(files: SourceFile[], opts: ProgressOptions = {}): Promise<DatasetParts> {
  const matrix = files.find((f) => isMtxName(f.name));
  if (!matrix) throw new DatasetError('unsupported-format', files.map((f) => f.name).join(', '), 'no matrix.mtx among the files');
  // GEO serves a sample's files with its name in front (GSM123_barcodes.tsv.gz).
  const features = pick(files, /(^|[._-])(features|genes)\.tsv(\.gz)?$/i);
  const barcodes = pick(files, /(^|[._-])barcodes\.tsv(\.gz)?$/i);
  if (!features || !barcodes) {
    const missing = [features ? null : 'features.tsv (or genes.tsv)', barcodes ? null : 'barcodes.tsv'].filter(Boolean).join(' and ');
    throw new DatasetError('unsupported-format', matrix.name, `a MatrixMarket matrix needs ${missing} beside it: select or drop the files of the folder together`);
  }
  const featureRows = await readTsv(features);
  const cellNames = (await readTsv(barcodes)).map((r) => r[0]);
  const { nRows, nCols, coo } = await parseMtx(matrix, opts, { features: featureRows.length, barcodes: cellNames.length });
  // Cell Ranger writes genes x cells; accept the transpose too, decided by the names' counts.
  const genesByCells = nRows === featureRows.length && nCols === cellNames.length;
  if (!genesByCells && !(nRows === cellNames.length && nCols === featureRows.length)) {
    throw new DatasetError('shape-mismatch', matrix.name, `matrix is ${nRows} x ${nCols} but there are ${featureRows.length} features and ${cellNames.length} barcodes`);
  }
  const m = genesByCells ? cooToCsr(nCols, nRows, coo.cols, coo.rows, coo.vals, coo.nnz) : cooToCsr(nRows, nCols, coo.rows, coo.cols, coo.vals, coo.nnz);
  const symbols = featureRows.map((r) => r[1] ?? r[0]);
  const { names, duplicates } = makeUnique(symbols);
  const columns: Column[] = [{ kind: 'string', name: 'gene_ids', values: featureRows.map((r) => r[0]), dtype: 'string' }];
  if (featureRows[0]?.length >= 3) columns.push(categoricalFromStrings('feature_types', featureRows.map((r) => r[2])));
  const notes = ['MatrixMarket text: parsed into memory'];
  if (duplicates > 0) notes.push(`${duplicates} duplicate gene symbols made unique`);
  return {
    fileName: matrix.name,
    format: '10x-mtx',
    formatDetail: `MatrixMarket (${features.name.replace(/\.gz$/, '')}, ${matrix.name})`,
    obs: { index: cellNames, columns: [] },
    var: { index: names, columns },
    matrices: [{ key: 'X', reader: new MemoryCsrReader(m, coo.field, notes) }],
    embeddings: [],
    readEmbedding: () => {
      throw new DatasetError('unknown-key', matrix.name, 'MatrixMarket files hold no embeddings');
    },
    close: () => {},
  };
}

async function readTsv(file: SourceFile): Promise<string[][]> {
  const rows: string[][] = [];
  await readLines(file, (line) => {
    if (line.length > 0) rows.push(line.split('\t'));
  });
  return rows;
}

/** Lines of a (possibly gzipped) text file; a cut or corrupt gzip stream is reported as such. */
async function readLines(file: SourceFile, onLine: (line: string) => void): Promise<void> {
  try {
    await forEachLine(await textStream(file), onLine);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    if (err instanceof LineTooLongError) throw new DatasetError('bad-matrix', file.name, `${err.message}: not a gene, barcode or matrix file (or a damaged one)`);
    const msg = err instanceof Error ? err.message : String(err);
    throw new DatasetError('truncated', file.name, `could not be decompressed (${msg}): the gzip file is incomplete or damaged`);
  }
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i;

/** A MatrixMarket number; NaN for anything else (the caller names the line). */
function decimal(s: string | undefined): number {
  if (s === undefined || !DECIMAL.test(s)) return NaN;
  const low = s.toLowerCase().replace(/^\+/, '');
  if (low === 'inf' || low === 'infinity') return Infinity;
  if (low === '-inf' || low === '-infinity') return -Infinity;
  return Number(s);
}

/** Shortest line one entry can take ("1 1 1\n"), and the most gzip can expand a byte. */
const MIN_ENTRY_BYTES = 6;
const GZIP_MAX_RATIO = 1032;

interface Coo {
  rows: Uint32Array;
  cols: Uint32Array;
  vals: Float32Array;
  nnz: number;
  field: string;
}

async function parseMtx(file: SourceFile, opts: ProgressOptions, names: { features: number; barcodes: number }): Promise<{ nRows: number; nCols: number; coo: Coo }> {
  const gzipped = (await readBytes(file, 0, 2))[0] === 0x1f;
  let header: string | null = null;
  let size: number[] | null = null;
  let coo: Coo | null = null;
  let k = 0;
  let lineNo = 0;
  const fail = (msg: string) => new DatasetError('unsupported-encoding', file.name, msg);
  await readLines(file, (line) => {
    lineNo++;
    if (header === null) {
      header = line;
      if (!/^%%MatrixMarket\s+matrix\s+coordinate\s+(integer|real|double)\s+general/i.test(line)) {
        throw fail(`not a MatrixMarket coordinate matrix (header "${line.slice(0, 80)}")`);
      }
      return;
    }
    if (line.startsWith('%') || line.trim() === '') return;
    const parts = line.trim().split(/\s+/);
    if (size === null) {
      size = parts.map(Number);
      if (size.length !== 3 || size.some((v) => !Number.isInteger(v) || v < 0)) throw fail(`bad size line "${line}"`);
      const [r, c, n] = size;
      // The size line decides the allocation: check it against the names and the file before trusting it.
      if (!((r === names.features && c === names.barcodes) || (r === names.barcodes && c === names.features))) {
        throw new DatasetError('shape-mismatch', file.name, `matrix is ${r} x ${c} but there are ${names.features} features and ${names.barcodes} barcodes`);
      }
      if (n > r * c) throw fail(`announces ${n} entries, more than its ${r} x ${c} cells`);
      if (n * MIN_ENTRY_BYTES > file.size * (gzipped ? GZIP_MAX_RATIO : 1)) {
        throw new DatasetError('truncated', file.name, `announces ${n.toLocaleString('en-US')} entries, more than its ${file.size.toLocaleString('en-US')} bytes can hold: the file is incomplete or its size line is wrong`);
      }
      const field = /integer/i.test(header) ? 'int (text)' : 'float (text)';
      coo = { rows: new Uint32Array(size[2]), cols: new Uint32Array(size[2]), vals: new Float32Array(size[2]), nnz: size[2], field };
      return;
    }
    const c = coo as Coo;
    if (k >= c.nnz) throw fail(`more entries than the ${c.nnz} announced (line ${lineNo})`);
    // Decimal numbers only: Number() would also take "0x10" and "" (as 16 and 0).
    const i = decimal(parts[0]) - 1;
    const j = decimal(parts[1]) - 1;
    const v = decimal(parts[2]);
    if (!(i >= 0 && i < size[0] && j >= 0 && j < size[1] && Number.isInteger(i) && Number.isInteger(j))) throw fail(`entry out of range at line ${lineNo}: "${line.slice(0, 80)}"`);
    if (Number.isNaN(v)) throw new DatasetError('bad-counts', file.name, parts[2] !== undefined && /^[+-]?nan$/i.test(parts[2]) ? `NaN value at line ${lineNo}` : `line ${lineNo} has no valid number as its value ("${line.slice(0, 80)}")`);
    if (!Number.isFinite(v)) throw new DatasetError('bad-counts', file.name, `value ${v} at line ${lineNo}; expression values must be finite`);
    if (v < 0) throw new DatasetError('bad-counts', file.name, `negative count ${v} at line ${lineNo}; counts must be non-negative`);
    c.rows[k] = i;
    c.cols[k] = j;
    c.vals[k++] = v;
    if ((k & 0xfffff) === 0) {
      throwIfAborted(opts.signal, file.name);
      opts.onProgress?.(k / c.nnz, `parsing ${file.name}`);
    }
  });
  // Assigned inside the callback, which TypeScript's narrowing does not follow.
  const dims = size as number[] | null;
  const parsed = coo as Coo | null;
  if (!dims || !parsed) throw fail('the file ends before the matrix size line');
  if (k !== parsed.nnz) throw new DatasetError('truncated', file.name, `has ${k} entries but announces ${parsed.nnz}: the file is incomplete`);
  return { nRows: dims[0], nCols: dims[1], coo: parsed };
}
