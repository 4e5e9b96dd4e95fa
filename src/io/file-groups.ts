// Several datasets in one selection: a flat list of files (the browser's drop or folder picker gives
// each with its path inside the dropped folder; the CLI expands folders) sorted into the datasets
// they make. Each .h5ad / .h5 file is one dataset; a MatrixMarket dataset is the matrix.mtx[.gz]
// with the barcodes and features (or genes) files beside it, in one folder (or sharing a prefix
// there, as GEO's GSM123_matrix.mtx.gz files do). What the folders hold besides data (Cell Ranger's
// web_summary.html, metrics CSVs, BAMs) is left out and said so.
import { DatasetError } from './errors.ts';
import { makeUnique } from './names.ts';

export interface GroupInput {
  name: string;
  /** Path inside the selection (`sampleA/matrix.mtx.gz`) or on disk; the name alone for a loose file. */
  path?: string;
  /** Found inside a folder the user gave, not named by the user (default: the path has a folder). */
  inFolder?: boolean;
}

export interface FileGroup {
  /** The dataset's name for obs/sample: the file name without extension, or the folder's name. */
  label: string;
  /** Indices into the input list, in input order. */
  files: number[];
  kind: 'hdf5' | 'mtx';
}

export interface Grouping {
  groups: FileGroup[];
  /** Files inside folders that are no dataset (reports, BAMs, ...), by path. */
  ignored: string[];
}

const HDF5 = /\.(h5ad|h5|hdf5)$/i;
const MTX_PART = /(^|[._-])(matrix\.mtx|barcodes\.tsv|features\.tsv|genes\.tsv)(\.gz)?$/i;
/** Cell Ranger's own file names for the per-cell molecule table: HDF5, but no cells x genes matrix. */
const NOT_A_MATRIX = /^molecule_info\.h5$/i;
/** Folder and file names every Cell Ranger run shares: the sample's name is the folder above them. */
const GENERIC = /^(outs|count|(sample_)?(filtered|raw)_(feature|gene)_bc_matri(x|ces)(_h5)?|matrix)$/i;

/** Whether a file is (part of) a dataset by its name: .h5ad/.h5, or a MatrixMarket folder's files. */
export function isDataFile(name: string): boolean {
  const base = baseOf(name.replace(/\\/g, '/'));
  return (HDF5.test(base) && !NOT_A_MATRIX.test(base)) || MTX_PART.test(base);
}

function pathOf(f: GroupInput): string {
  return (f.path || f.name).replace(/\\/g, '/').replace(/^\/+/, '');
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The name a dataset goes by in file names written from it: its file's name, or for a folder's
 * matrix (sampleC/matrix.mtx.gz, as openMany names it) the folder's. GEO's prefixed matrices
 * (GSM1_matrix.mtx.gz) keep their own name.
 */
export function datasetBaseName(fileName: string): string {
  const parts = fileName.replace(/\\/g, '/').split('/');
  const base = parts[parts.length - 1];
  return parts.length > 1 && /^matrix\.mtx(\.gz)?$/i.test(base) ? parts[parts.length - 2] : base;
}

/**
 * The files as datasets, in the order their first file comes. Nothing recognised gives one group
 * of every file, so the reader's own error names what is wrong. A file given loose that belongs to
 * no dataset is an error naming it; inside a folder it is left out (`ignored`).
 */
export function groupFiles(files: GroupInput[]): Grouping {
  const groups: (FileGroup & { dirs: string[] })[] = [];
  const mtx = new Map<string, FileGroup & { dirs: string[]; parts: Set<string> }>();
  const other: number[] = [];
  files.forEach((f, i) => {
    const path = pathOf(f);
    const base = baseOf(path);
    if (HDF5.test(base) && !NOT_A_MATRIX.test(base)) {
      groups.push({ label: base.replace(HDF5, ''), files: [i], kind: 'hdf5', dirs: dirOf(path).split('/').filter(Boolean) });
      return;
    }
    const m = MTX_PART.exec(base);
    if (!m) {
      other.push(i);
      return;
    }
    const prefix = base.slice(0, m.index + m[1].length);
    const key = `${dirOf(path)}\u0000${prefix}`;
    let g = mtx.get(key);
    if (!g) {
      const dirs = dirOf(path).split('/').filter(Boolean);
      const own = prefix.replace(/[._-]+$/, '');
      g = { label: own || dirs[dirs.length - 1] || 'matrix', files: [], kind: 'mtx', dirs: own ? dirs : dirs.slice(0, -1), parts: new Set() };
      mtx.set(key, g);
      groups.push(g);
    }
    g.files.push(i);
    g.parts.add(m[2].toLowerCase().replace('genes.tsv', 'features.tsv'));
  });
  if (groups.length === 0) return { groups: [{ label: '', files: files.map((_, i) => i), kind: 'hdf5' }], ignored: [] };
  // One MatrixMarket set alone keeps the reader's own message for a missing file.
  for (const g of groups.length > 1 ? mtx.values() : []) {
    const missing = ['matrix.mtx', 'features.tsv', 'barcodes.tsv'].filter((p) => !g.parts.has(p));
    if (missing.length) {
      const where = pathOf(files[g.files[0]]);
      throw new DatasetError('unsupported-format', where, `is part of a MatrixMarket dataset but ${missing.map((p) => (p === 'features.tsv' ? 'features.tsv (or genes.tsv)' : p)).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing beside it${dirOf(where) ? ` in ${dirOf(where)}/` : ''}`);
    }
  }
  const ignored: string[] = [];
  for (const i of other) {
    const path = pathOf(files[i]);
    // A file picked on its own that is no dataset is a mistake worth stopping for; inside a folder it is the folder's other content.
    if (!(files[i].inFolder ?? dirOf(path) !== '') && !NOT_A_MATRIX.test(baseOf(path))) {
      throw new DatasetError('unsupported-format', path, 'is not a dataset file: give .h5ad or 10x .h5 files, and folders (or the files) of matrix.mtx, features.tsv and barcodes.tsv');
    }
    ignored.push(path);
  }
  return { groups: uniqueLabels(groups), ignored };
}

/**
 * Labels for obs/sample, unique: a generic Cell Ranger name (filtered_feature_bc_matrix, outs) is
 * replaced by the nearest folder above it with a name of its own; labels still shared get anndata's
 * make-unique suffixes (-1, -2, ...).
 */
function uniqueLabels(groups: (FileGroup & { dirs: string[] })[]): FileGroup[] {
  const named = groups.map((g) => {
    let label = g.label;
    for (let d = g.dirs.length - 1; GENERIC.test(label) && d >= 0; d--) label = g.dirs[d];
    return label;
  });
  const { names } = makeUnique(named);
  return groups.map((g, i) => ({ label: names[i], files: g.files, kind: g.kind }));
}
