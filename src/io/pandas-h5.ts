// pandas `DataFrame.to_hdf` files (fixed format), as ACTINN and similar tools ship expression
// tables: one numeric block, genes as the index (axis1) and cells as columns (axis0).
import type { Group as H5Group } from 'h5wasm';
import type { DatasetParts } from './assembled.ts';
import { DatasetError } from './errors.ts';
import type { H5Context } from './h5/read.ts';
import { attr, attrString, isGroup, readStrings, requireDataset } from './h5/read.ts';
import { H5DenseReader } from './h5ad/matrix.ts';
import { makeUnique } from './names.ts';

export function findPandasFrame(ctx: H5Context): H5Group | null {
  for (const key of ctx.file.keys()) {
    const g = ctx.file.get(key);
    if (isGroup(ctx, g) && attrString(g, 'pandas_type') === 'frame') return g;
  }
  return null;
}

export function readPandasParts(ctx: H5Context, frame: H5Group, close: () => void): DatasetParts {
  const p = frame.path.replace(/^\//, '');
  if (Number(attr(frame, 'nblocks')) !== 1) {
    throw new DatasetError('unsupported-encoding', ctx.fileName, `pandas frame "${p}" has ${String(attr(frame, 'nblocks'))} blocks; only single-dtype numeric frames are read`);
  }
  const cells = readStrings(ctx, requireDataset(ctx, `${p}/axis0`));
  const genes = makeUnique(readStrings(ctx, requireDataset(ctx, `${p}/axis1`)));
  const reader = new H5DenseReader(ctx, requireDataset(ctx, `${p}/block0_values`), true);
  return {
    fileName: ctx.fileName,
    format: 'pandas-h5',
    formatDetail: `pandas HDF5 frame "${p}" (genes x cells)`,
    obs: { index: cells, columns: [] },
    var: { index: genes.names, columns: [] },
    matrices: [{ key: 'X', reader }],
    embeddings: [],
    readEmbedding: () => {
      throw new DatasetError('unknown-key', ctx.fileName, 'pandas frames hold no embeddings');
    },
    close,
  };
}
