// Cell Ranger HDF5: v3 (`/matrix` with `features/`) and v2 (`/<genome>/` with genes, gene_names).
// Both store genes x cells as CSC, which is CSR over cells: rows are read lazily like any CSR.
import type { Group as H5Group } from 'h5wasm';
import type { DatasetParts } from '../assembled.ts';
import { DatasetError } from '../errors.ts';
import type { Column } from '../types.ts';
import type { H5Context } from '../h5/read.ts';
import { getDataset, getGroup, isGroup, readNumeric, readStrings, requireDataset } from '../h5/read.ts';
import { H5CsrReader } from '../h5ad/matrix.ts';
import { categoricalFromStrings } from '../columns.ts';
import { makeUnique } from '../names.ts';

/** The group holding the matrix, or null when this is not a 10x file. */
export function find10xGroup(ctx: H5Context): { group: H5Group; version: 2 | 3 } | null {
  const m = getGroup(ctx, 'matrix');
  if (m && m.keys().includes('features')) return { group: m, version: 3 };
  for (const key of ctx.file.keys()) {
    const g = ctx.file.get(key);
    if (isGroup(ctx, g) && ['genes', 'barcodes', 'indptr', 'data'].every((k) => g.keys().includes(k))) return { group: g, version: 2 };
  }
  return null;
}

export function read10xParts(ctx: H5Context, found: { group: H5Group; version: 2 | 3 }, close: () => void): DatasetParts {
  const p = found.group.path.replace(/^\//, '');
  const [nGenes, nCells] = Array.from(readNumeric(ctx, requireDataset(ctx, `${p}/shape`)), Number);
  const barcodes = readStrings(ctx, requireDataset(ctx, `${p}/barcodes`));
  const ids = readStrings(ctx, requireDataset(ctx, found.version === 3 ? `${p}/features/id` : `${p}/genes`));
  const symbols = readStrings(ctx, requireDataset(ctx, found.version === 3 ? `${p}/features/name` : `${p}/gene_names`));
  if (barcodes.length !== nCells || ids.length !== nGenes || symbols.length !== nGenes) {
    throw new DatasetError('shape-mismatch', ctx.fileName, `matrix shape is ${nGenes} genes x ${nCells} cells but there are ${ids.length} gene ids and ${barcodes.length} barcodes`);
  }
  const { names, duplicates } = makeUnique(symbols);
  const columns: Column[] = [{ kind: 'string', name: 'gene_ids', values: ids, dtype: 'string' }];
  const types = getDataset(ctx, `${p}/features/feature_type`);
  if (types) columns.push(categoricalFromStrings('feature_types', readStrings(ctx, types)));
  const genome = getDataset(ctx, `${p}/features/genome`);
  if (genome) columns.push(categoricalFromStrings('genome', readStrings(ctx, genome)));
  const reader = new H5CsrReader(ctx, { data: `${p}/data`, indices: `${p}/indices`, indptr: `${p}/indptr` }, nCells, nGenes);
  if (duplicates > 0) reader.notes.push(`${duplicates} duplicate gene symbols made unique ("-1", "-2" suffixes)`);
  return {
    fileName: ctx.fileName,
    format: '10x-h5',
    formatDetail: `Cell Ranger v${found.version} HDF5${found.version === 2 ? ` (genome ${p})` : ''}`,
    obs: { index: barcodes, columns: [] },
    var: { index: names, columns },
    matrices: [{ key: 'X', reader }],
    embeddings: [],
    readEmbedding: () => {
      throw new DatasetError('unknown-key', ctx.fileName, '10x files hold no embeddings');
    },
    close,
  };
}
