// A shared analysis as a plain AnnData .h5ad that scanpy opens: obs (every column), the chosen
// embeddings, var (the included genes, symbols in feature_name when the index holds ids), X as the
// log-normalised values of those genes stored gene-major (csc_matrix, contiguous datasets) so a
// viewer reading over HTTP fetches one gene as one byte range, and uns with the workspace, where
// it came from, marker tables and category colours.
import type { Group as H5Group } from 'h5wasm';
import type { H5Lib } from '../h5/runtime.ts';
import type { Column, DataFrame } from '../types.ts';
import { defaultCategoryColors } from './colors.ts';
import { SESSION_KEY } from './session.ts';
import { TypeFixes } from './type-fixes.ts';
import { writeColors, writeRankGenesGroups, type RankGenesGroups } from './uns.ts';
import { encode, writeFrame, writeScalar } from './write.ts';

export const PROVENANCE_KEY = 'scweb_provenance';

/** Cells x genes, stored by gene: `indptr` has one slot per gene. */
export interface CscMatrix {
  shape: [number, number];
  indptr: Float64Array;
  indices: Int32Array;
  data: Float32Array;
}

export interface SnapshotContent {
  obs: DataFrame;
  /** The included genes: var names, and symbols when they differ (CELLxGENE's feature_name). */
  genes: { ids: string[]; symbols: string[] | null };
  X: CscMatrix;
  obsm: Record<string, { shape: [number, number]; data: Float32Array }>;
  /** Workspace JSON (uns/scweb_session) and provenance JSON (uns/scweb_provenance). */
  session?: string;
  provenance?: string;
  /** #rrggbb by category name for columns coloured by the user; the rest get the default palette. */
  colors?: Record<string, Record<string, string>>;
  rankGenesGroups?: RankGenesGroups;
}

/** CSR (cells x genes) to CSC, entries of each gene in cell order. */
export function csrToCsc(nRows: number, nCols: number, indptr: ArrayLike<number>, indices: ArrayLike<number>, data: ArrayLike<number>): CscMatrix {
  const colptr = new Float64Array(nCols + 1);
  for (let k = 0; k < indices.length; k++) colptr[indices[k] + 1]++;
  for (let j = 0; j < nCols; j++) colptr[j + 1] += colptr[j];
  const next = colptr.slice(0, nCols);
  const rows = new Int32Array(indices.length);
  const vals = new Float32Array(indices.length);
  for (let i = 0; i < nRows; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      const t = next[indices[k]]++;
      rows[t] = i;
      vals[t] = data[k];
    }
  }
  return { shape: [nRows, nCols], indptr: colptr, indices: rows, data: vals };
}

function writeCsc(parent: H5Group, name: string, m: CscMatrix): void {
  const g = parent.create_group(name);
  encode(g, 'csc_matrix', '0.1.0');
  g.create_attribute('shape', new Int32Array(m.shape), [2], '<i');
  // Contiguous (no chunks, no compression): a byte range of the file is a range of entries.
  g.create_dataset({ name: 'data', data: m.data });
  g.create_dataset({ name: 'indices', data: m.indices });
  const last = m.indptr[m.indptr.length - 1] ?? 0;
  g.create_dataset({ name: 'indptr', data: last < 2 ** 31 ? Int32Array.from(m.indptr) : BigInt64Array.from(Array.from(m.indptr, (v) => BigInt(v))) });
}

export async function writeSnapshot(lib: H5Lib, path: string, c: SnapshotContent): Promise<void> {
  const fixes = new TypeFixes();
  const f = new lib.File(path, 'w');
  try {
    encode(f, 'anndata', '0.1.0');
    writeFrame(f, 'obs', c.obs, fixes);
    const varColumns: Column[] = c.genes.symbols ? [{ kind: 'string', name: 'feature_name', values: c.genes.symbols, dtype: 'string' }] : [];
    writeFrame(f, 'var', { index: c.genes.ids, columns: varColumns }, fixes);
    writeCsc(f, 'X', c.X);
    const obsm = f.create_group('obsm');
    encode(obsm, 'dict', '0.1.0');
    for (const [k, e] of Object.entries(c.obsm)) {
      const d = obsm.create_dataset({ name: k, data: e.data, shape: e.shape });
      d.create_attribute('encoding-type', 'array');
      d.create_attribute('encoding-version', '0.2.0');
    }
    for (const g of ['layers', 'obsp', 'varm', 'varp']) encode(f.create_group(g), 'dict', '0.1.0');
    const uns = f.create_group('uns');
    encode(uns, 'dict', '0.1.0');
    for (const [col, hex] of Object.entries(defaultCategoryColors(c.obs.columns, c.colors))) writeColors(uns, col, hex);
    if (c.rankGenesGroups) writeRankGenesGroups(uns, c.rankGenesGroups, fixes);
    if (c.session) writeScalar(uns, SESSION_KEY, c.session);
    if (c.provenance) writeScalar(uns, PROVENANCE_KEY, c.provenance);
  } finally {
    f.close();
  }
  await fixes.apply(lib, path);
}
