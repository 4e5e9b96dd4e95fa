// AnnData .h5ad in all its generations: modern encodings (>= 0.8), anndata 0.7 (dataframe 0.1.0,
// `__categories`), and legacy (< 0.7: compound obs/var/obsm, `raw.X` with `h5sparse_format`).
import type { Dataset as H5Dataset, Group as H5Group } from 'h5wasm';
import type { DatasetParts, MatrixPart } from '../assembled.ts';
import { DatasetError } from '../errors.ts';
import type { DataFrame, Embedding, EmbeddingInfo } from '../types.ts';
import type { H5Context } from '../h5/read.ts';
import { H5T, attr, attrString, encodingType, getGroup, getNode, isDataset, readNumeric, shapeOf } from '../h5/read.ts';
import { readCompoundField, readDataFrame } from './dataframe.ts';
import { readSavedSession } from './session.ts';
import { readCategoryColors } from './category-colors.ts';
import { readStoredMarkers } from './stored-markers.ts';
import type { MatrixReader } from './matrix.ts';
import { H5CsrReader, H5DenseReader, LazyCscReader, toFloat32 } from './matrix.ts';

export function looksLikeH5ad(ctx: H5Context): boolean {
  const keys = ctx.file.keys();
  return keys.includes('obs') || keys.includes('X') || encodingType(ctx.file) === 'anndata';
}

export function readH5adParts(ctx: H5Context, close: () => void): DatasetParts {
  const obs = readDataFrame(ctx, 'obs');
  const var_ = readDataFrame(ctx, 'var');
  if (!obs) throw new DatasetError('unsupported-encoding', ctx.fileName, 'the .h5ad has no "obs" (cell table); it was not written by anndata');
  if (!var_) throw new DatasetError('unsupported-encoding', ctx.fileName, 'the .h5ad has no "var" (gene table); it was not written by anndata');
  const matrices: MatrixPart[] = [];
  const x = openMatrix(ctx, 'X');
  if (x) matrices.push({ key: 'X', reader: x });
  const raw = readRaw(ctx);
  if (raw) matrices.push(raw);
  const layers = getGroup(ctx, 'layers');
  for (const name of layers?.keys() ?? []) {
    const reader = openMatrix(ctx, `layers/${name}`);
    if (reader) matrices.push({ key: `layers/${name}`, reader });
  }
  const obsm = listEmbeddings(ctx);
  return {
    fileName: ctx.fileName,
    format: 'h5ad',
    formatDetail: describeGeneration(ctx),
    obs,
    var: var_,
    matrices,
    embeddings: obsm.map(({ key, shape }) => ({ key, shape })),
    readEmbedding: (key) => readEmbedding(ctx, obsm, key),
    savedSession: readSavedSession(ctx),
    categoryColors: readCategoryColors(ctx, obs.columns),
    storedMarkers: () => readStoredMarkers(ctx),
    close,
  };
}

/**
 * The file's generation in words. The root `encoding-version` (0.1.0 in every file anndata >= 0.8
 * writes) is the version of AnnData's on-disk encoding, not of the anndata package: it is named so.
 */
function describeGeneration(ctx: H5Context): string {
  const root = attrString(ctx.file, 'encoding-version');
  const obs = getNode(ctx, 'obs');
  if (obs && isDataset(ctx, obs)) return 'AnnData written by anndata < 0.7 (legacy: compound obs/var, h5sparse matrices)';
  const frame = obs ? attrString(obs, 'encoding-version') : undefined;
  if (root) return `AnnData encoding ${root} (dataframe encoding ${frame ?? '?'})`;
  return frame ? `AnnData written by anndata 0.7 (dataframe encoding ${frame}, no root encoding)` : 'AnnData (no encoding attributes)';
}

/** A matrix at `path`, in whichever encoding it is stored, or null when the path is absent. */
export function openMatrix(ctx: H5Context, path: string): MatrixReader | null {
  const node = getNode(ctx, path);
  if (!node) return null;
  if (isDataset(ctx, node)) {
    if (shapeOf(node).length !== 2) return null;
    return new H5DenseReader(ctx, node);
  }
  const enc = encodingType(node) ?? legacySparseEncoding(node);
  const shape = (attr(node, 'shape') ?? attr(node, 'h5sparse_shape')) as number[] | undefined;
  if (!shape || shape.length !== 2) {
    throw new DatasetError('unsupported-encoding', ctx.fileName, `"${path}" is a group without a matrix shape (encoding "${enc ?? 'none'}")`);
  }
  const [nRows, nCols] = shape.map(Number);
  const paths = { data: `${path}/data`, indices: `${path}/indices`, indptr: `${path}/indptr` };
  if (enc === 'csr_matrix') return new H5CsrReader(ctx, paths, nRows, nCols);
  if (enc === 'csc_matrix') return new LazyCscReader(ctx, paths, nRows, nCols);
  throw new DatasetError('unsupported-encoding', ctx.fileName, `"${path}" has matrix encoding "${enc}", which scWeb does not read (expected dense, csr_matrix or csc_matrix)`);
}

function legacySparseEncoding(group: H5Group): string | undefined {
  const f = attrString(group, 'h5sparse_format');
  return f ? `${f}_matrix` : undefined;
}

function readRaw(ctx: H5Context): MatrixPart | null {
  // Modern/0.7: raw/X + raw/var. Legacy: top-level raw.X + raw.var.
  const [xPath, varPath] = getNode(ctx, 'raw/X') ? ['raw/X', 'raw/var'] : getNode(ctx, 'raw.X') ? ['raw.X', 'raw.var'] : [null, null];
  if (!xPath || !varPath) return null;
  const reader = openMatrix(ctx, xPath);
  if (!reader) return null;
  const rawVar: DataFrame | null = readDataFrame(ctx, varPath);
  if (xPath === 'raw.X') reader.notes.push('legacy raw.X');
  return { key: 'raw/X', reader, varKey: 'raw/var', varNames: rawVar?.index };
}

interface ObsmEntry extends EmbeddingInfo {
  read(): Float32Array;
}

function listEmbeddings(ctx: H5Context): ObsmEntry[] {
  const node = getNode(ctx, 'obsm');
  if (!node) return [];
  if (isDataset(ctx, node)) return legacyObsm(ctx, node);
  const out: ObsmEntry[] = [];
  for (const key of node.keys()) {
    const child = getNode(ctx, `obsm/${key}`);
    if (!isDataset(ctx, child)) continue; // dataframes / sparse obsm are not embeddings to plot
    const shape = shapeOf(child);
    const t = child.metadata.type;
    if (shape.length !== 2 || (t !== H5T.FLOAT && t !== H5T.INTEGER)) continue;
    out.push({ key, shape: [shape[0], shape[1]], read: () => toFloat32(readNumeric(ctx, child)) });
  }
  return out;
}

function legacyObsm(ctx: H5Context, ds: H5Dataset): ObsmEntry[] {
  const n = shapeOf(ds)[0] ?? 0;
  return (ds.metadata.compound_type?.members ?? [])
    .filter((m) => m.type === H5T.ARRAY)
    .map((m) => {
      const dim = (m.array_type?.shape ?? [1]).reduce((a, b) => a * b, 1);
      return { key: m.name, shape: [n, dim] as [number, number], read: () => readCompoundField(ctx, ds, m.name).data };
    });
}

function readEmbedding(ctx: H5Context, entries: ObsmEntry[], key: string): Embedding {
  const e = entries.find((x) => x.key === key);
  if (!e) throw new DatasetError('unknown-key', ctx.fileName, `no obsm "${key}"`);
  return { key, shape: e.shape, data: e.read() };
}
