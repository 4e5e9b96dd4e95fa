// Writes an input dataset plus computed results as a fresh .h5ad, as scanpy would save it: results
// replace keys of the same name (obs/var columns, obsm and obsp arrays, uns/neighbors,
// uns/rank_genes_groups, colours). An .h5ad input whose obs is a group (anndata >= 0.7) is copied
// object by object, so everything we do not compute (X, layers, raw, uns, ...) keeps its content
// and types; obs and var are written from what the reader made of them, in anndata 0.8's encoding
// (0.7's categoricals are HDF5 object references, which cannot be copied). Other inputs (10x, mtx,
// pre-0.7 .h5ad) are exported from what the reader made of them.
import type { File as H5File, Group as H5Group } from 'h5wasm';
import type { H5Lib } from '../h5/runtime.ts';
import type { Column, Dataset } from '../types.ts';
import { defaultCategoryColors } from './colors.ts';
import { copyTree } from './copy.ts';
import { exportH5ad } from './export.ts';
import { TypeFixes } from './type-fixes.ts';
import { writeColors, writePcaUns, writeRankGenesGroups, type PcaUns, type RankGenesGroups } from './uns.ts';
import { writeCsrMatrix, writeNeighborsUns, type CsrMatrix, type NeighborsUns } from './graph.ts';
import { SESSION_KEY } from './session.ts';
import { encode, writeFrame, writeScalar as scalarString } from './write.ts';

export interface H5adResults {
  obs?: Column[];
  /** Columns of the main var (HVG flags and statistics). */
  var?: Column[];
  obsm?: Record<string, { shape: [number, number]; data: Float32Array }>;
  obsp?: Record<string, CsrMatrix>;
  neighbors?: NeighborsUns;
  /** varm arrays ([n_vars, k]; PCs) and uns/pca of the PCA that gave X_pca. */
  varm?: Record<string, { shape: [number, number]; data: Float32Array }>;
  /** Paths of the input that the results make stale (varm/PCs of another PCA): not carried over. */
  drop?: string[];
  pca?: PcaUns;
  rankGenesGroups?: RankGenesGroups;
  /** #rrggbb by category name for columns coloured by the user (the rest get the default palette). */
  colors?: Record<string, Record<string, string>>;
  /** The app's workspace (parameters and view) as JSON, stored as uns/scweb_session so opening the file restores it. */
  session?: string;
}

/** The most gzip can expand one byte: a dataset declaring more than this times the file is not in it. */
const GZIP_MAX_RATIO = 1032;

/** A dataframe group in anndata 0.8's encoding (0.7's has references and a __categories group). */
function isCurrentFrame(g: H5Group | null): boolean {
  return !!g && g.type === 'Group' && g.attrs['encoding-version']?.value === '0.2.0';
}

function withColumns(columns: Column[], extra: Column[]): Column[] {
  const out = columns.filter((c) => !extra.some((e) => e.name === c.name));
  return [...out, ...extra];
}

/**
 * `input`: the .h5ad's path, or the file already opened (the worker mounts the user's File; the
 * caller closes it then). Returns notes for the user (objects of the input not carried over).
 */
export async function writeWithResults(lib: H5Lib, input: string | H5File, ds: Dataset, out: string, r: H5adResults, inputBytes?: number): Promise<string[]> {
  const columns = r.obs ?? [];
  const colors = defaultCategoryColors(columns, r.colors);
  const owned = typeof input === 'string';
  const inputPath = typeof input === 'string' ? input : ds.fileName;
  const src = ds.format !== 'h5ad' ? null : typeof input === 'string' ? new lib.File(input, 'r') : input;
  const closeSrc = () => {
    if (owned) src?.close();
  };
  const obs = src?.get('obs') as H5Group | null | undefined;
  if (!src || !obs || obs.type !== 'Group' || !('column-order' in obs.attrs)) {
    closeSrc();
    for (const c of columns) ds.setColumn(c);
    for (const [key, e] of Object.entries(r.obsm ?? {})) ds.addEmbedding({ key, ...e });
    await exportH5ad(lib, out, ds, { colors, rankGenesGroups: r.rankGenesGroups, varColumns: r.var, obsp: r.obsp, neighbors: r.neighbors, session: r.session, varm: r.varm, pca: r.pca });
    if (ds.format === 'concat') return [`${ds.concat?.parts.length ?? 'several'} files joined: wrote a fresh .h5ad of the joined data (X: the counts, obs with sample, var, obsm); the files' layers, raw, obsp and uns are not carried over`];
    return ds.format === 'h5ad' ? [`${inputPath} has a pre-0.8 obs: wrote obs, var, X and obsm from what was read (uns, layers and raw are not carried over)`] : [];
  }
  const rawVar = src.get('raw/var') as H5Group | null;
  const legacyRawVar = !!rawVar && !isCurrentFrame(rawVar);
  const replaced = new Set([
    'obs',
    'var',
    ...(legacyRawVar ? ['raw/var'] : []),
    ...Object.keys(r.obsm ?? {}).map((k) => `obsm/${k}`),
    ...Object.keys(r.obsp ?? {}).map((k) => `obsp/${k}`),
    ...(r.neighbors ? ['uns/neighbors'] : []),
    ...(r.pca ? ['uns/pca'] : []),
    ...Object.keys(r.varm ?? {}).map((k) => `varm/${k}`),
    ...Object.keys(colors).map((c) => `uns/${c}_colors`),
    ...(r.rankGenesGroups ? ['uns/rank_genes_groups'] : []),
    ...(r.session ? [`uns/${SESSION_KEY}`] : []),
    ...(r.drop ?? []),
  ]);
  const fixes = new TypeFixes();
  const f = new lib.File(out, 'w');
  let skipped: string[];
  try {
    skipped = copyTree(src, f, (p) => replaced.has(p), fixes, { skipped: [], maxBytes: inputBytes ? inputBytes * GZIP_MAX_RATIO : undefined }).skipped;
    for (const p of r.drop ?? []) if (src.get(p)) skipped.push(`${p}: from the input's own analysis, which these results replace`);
    const group = (name: string) => {
      if (!f.keys().includes(name)) encode(f.create_group(name), 'dict', '0.1.0');
      return f.get(name) as H5Group;
    };
    writeFrame(f, 'obs', { index: ds.obs.index, columns: withColumns(ds.obs.columns, columns) }, fixes);
    writeFrame(f, 'var', { index: ds.var.index, columns: withColumns(ds.var.columns, r.var ?? []) }, fixes);
    if (legacyRawVar) {
      writeFrame(f.get('raw') as H5Group, 'var', { index: ds.varNamesOf('raw/X'), columns: [] }, fixes);
      skipped.push('raw/var: its columns are in anndata 0.7 encoding and were not carried over (its gene names were)');
    }
    const obsm = group('obsm');
    for (const [key, e] of Object.entries(r.obsm ?? {})) {
      const d = obsm.create_dataset({ name: key, data: e.data, shape: e.shape });
      d.create_attribute('encoding-type', 'array');
      d.create_attribute('encoding-version', '0.2.0');
    }
    const varm = group('varm');
    for (const [key, e] of Object.entries(r.varm ?? {})) {
      const d = varm.create_dataset({ name: key, data: e.data, shape: e.shape });
      d.create_attribute('encoding-type', 'array');
      d.create_attribute('encoding-version', '0.2.0');
    }
    const obsp = group('obsp');
    for (const [key, m] of Object.entries(r.obsp ?? {})) writeCsrMatrix(obsp, key, m);
    const uns = group('uns');
    if (r.neighbors) writeNeighborsUns(uns, r.neighbors);
    if (r.pca) writePcaUns(uns, r.pca, fixes);
    for (const [col, hex] of Object.entries(colors)) writeColors(uns, col, hex);
    if (r.rankGenesGroups) writeRankGenesGroups(uns, r.rankGenesGroups, fixes);
    if (r.session) scalarString(uns, SESSION_KEY, r.session);
  } finally {
    f.close();
    closeSrc();
  }
  await fixes.apply(lib, out);
  return skipped;
}
