// A dataset as it stands in the app (its obs including computed columns such as leiden and
// annotations, var, every obsm including X_pca / X_umap / X_scGPT) written as a new .h5ad. X is
// the counts matrix (or X when none was detected), streamed chunk by chunk. uns carries the
// category colours and, when given, the markers as scanpy's rank_genes_groups.
import type { H5Lib } from '../h5/runtime.ts';
import { forEachChunkAsync } from '../iterate.ts';
import type { Group as H5Group } from 'h5wasm';
import type { Column, Dataset } from '../types.ts';
import { writeCsrMatrix, writeNeighborsUns, type CsrMatrix, type NeighborsUns } from './graph.ts';
import { defaultCategoryColors } from './colors.ts';
import { TypeFixes } from './type-fixes.ts';
import { writeColors, writePcaUns, writeRankGenesGroups, type PcaUns, type RankGenesGroups } from './uns.ts';
import { SESSION_KEY } from './session.ts';
import { CsrStreamWriter, NarrowingError, encode, writeFrame, writeScalar as scalarString } from './write.ts';
import { DatasetError } from '../errors.ts';

export interface ExportOptions {
  /** Workspace JSON for uns/scweb_session (see results.ts). */
  session?: string;
  signal?: AbortSignal;
  onProgress?: (f: number, m: string) => void;
  /** `<column>_colors` per categorical obs column as shown; the app's default palette otherwise. */
  colors?: Record<string, string[]>;
  rankGenesGroups?: RankGenesGroups;
  /** Columns for the main var (HVG flags), the kNN graphs and uns/neighbors of a pipeline run. */
  varColumns?: Column[];
  obsp?: Record<string, CsrMatrix>;
  neighbors?: NeighborsUns;
  /** varm arrays ([n_vars, k]: the PCs) and uns/pca of the PCA that gave X_pca. */
  varm?: Record<string, { shape: [number, number]; data: Float32Array }>;
  pca?: PcaUns;
}

export async function exportH5ad(lib: H5Lib, path: string, ds: Dataset, opts: ExportOptions = {}): Promise<void> {
  const key = ds.countsKey ?? ds.matrices.find((m) => m.key === 'X')?.key ?? ds.matrices[0]?.key ?? null;
  const fixes = new TypeFixes();
  const f = new lib.File(path, 'w');
  try {
    encode(f, 'anndata', '0.1.0');
    writeFrame(f, 'obs', ds.obs, fixes);
    const ownGenes = !key || ds.varNamesOf(key).length === ds.var.index.length;
    const varColumns = [...ds.var.columns.filter((c) => !opts.varColumns?.some((v) => v.name === c.name)), ...(opts.varColumns ?? [])];
    writeFrame(f, 'var', { index: key ? ds.varNamesOf(key) : ds.var.index, columns: ownGenes ? varColumns : [] }, fixes);
    if (key) {
      const nCols = ds.varNamesOf(key).length;
      // A float64 matrix stays float64, so no value the user stored is rounded on the way out.
      // Integer matrices are written as float32 (exact up to 2^24, half the bytes); a block that
      // float32 would change arrives as float64 and is refused below rather than rounded.
      const dtype = ds.matrices.find((m) => m.key === key)?.dtype;
      const w = new CsrStreamWriter(f, 'X', [ds.nObs, nCols], undefined, dtype === 'float64' ? 'float64' : 'float32');
      await forEachChunkAsync(ds, key, (c) => {
        try {
          w.append(c.indptr, Int32Array.from(c.indices), c.data);
        } catch (err) {
          if (!(err instanceof NarrowingError)) throw err;
          throw new DatasetError(
            'bad-counts',
            ds.fileName,
            `"${key}" (${dtype ?? 'unknown type'}) holds values in cells ${c.start}..${c.end - 1} that the exported float32 X cannot hold exactly (integers above 16,777,216); ` +
              'the export stops rather than round them: convert the matrix to float64 in Python (adata.X = adata.X.astype("float64")), save, and open that file',
          );
        }
      }, opts);
      w.finish();
    }
    const obsm = f.create_group('obsm');
    encode(obsm, 'dict', '0.1.0');
    for (const e of ds.embeddings) {
      const emb = ds.readEmbedding(e.key);
      const d = obsm.create_dataset({ name: e.key, data: emb.data, shape: emb.shape });
      d.create_attribute('encoding-type', 'array');
      d.create_attribute('encoding-version', '0.2.0');
    }
    for (const g of ['layers', 'obsp', 'varm', 'varp']) encode(f.create_group(g), 'dict', '0.1.0');
    for (const [k, m] of Object.entries(opts.obsp ?? {})) writeCsrMatrix(f.get('obsp') as H5Group, k, m);
    // The PCs only fit a var that is the counts' genes (raw/X with more genes than var: none written).
    for (const [k, e] of Object.entries(ownGenes ? (opts.varm ?? {}) : {})) {
      const d = (f.get('varm') as H5Group).create_dataset({ name: k, data: e.data, shape: e.shape });
      d.create_attribute('encoding-type', 'array');
      d.create_attribute('encoding-version', '0.2.0');
    }
    const uns = f.create_group('uns');
    encode(uns, 'dict', '0.1.0');
    if (opts.neighbors) writeNeighborsUns(uns, opts.neighbors);
    if (opts.pca) writePcaUns(uns, opts.pca, fixes);
    const colors = { ...defaultCategoryColors(ds.obs.columns), ...opts.colors };
    for (const [col, hex] of Object.entries(colors)) writeColors(uns, col, hex);
    if (opts.rankGenesGroups) writeRankGenesGroups(uns, opts.rankGenesGroups, fixes);
    if (opts.session) scalarString(uns, SESSION_KEY, opts.session);
  } finally {
    f.close();
  }
  await fixes.apply(lib, path);
}
