// obs / var as typed columns, in every encoding anndata has used:
// - dataframe 0.2.0 (anndata >= 0.8): categorical/nullable columns are groups;
// - dataframe 0.1.0 (anndata 0.7): categorical codes carry a reference to `__categories/<name>`;
// - legacy (< 0.7): one compound dataset with an `index` field, categories in `uns/<col>_categories`.
import type { Dataset as H5Dataset, Group as H5Group } from 'h5wasm';
import { columnLength } from '../columns.ts';
import { DatasetError } from '../errors.ts';
import type { CategoricalColumn, Column, DataFrame } from '../types.ts';
import type { H5Context, NumberArray } from '../h5/read.ts';
import {
  H5T,
  attr,
  attrString,
  cellToString,
  checkFilters,
  checkReadSize,
  dtypeName,
  encodingType,
  getDataset,
  getGroup,
  getNode,
  isBoolEnum,
  isDataset,
  isGroup,
  readNumeric,
  readStrings,
  requireDataset,
  shapeOf,
  toNumberArray,
} from '../h5/read.ts';

export function readDataFrame(ctx: H5Context, path: string): DataFrame | null {
  const node = getNode(ctx, path);
  if (!node) return null;
  if (isDataset(ctx, node)) return readCompoundFrame(ctx, node);
  return readGroupFrame(ctx, node);
}

function readGroupFrame(ctx: H5Context, group: H5Group): DataFrame {
  const keys = group.keys();
  const indexKey = attrString(group, '_index') ?? (keys.includes('_index') ? '_index' : keys.includes('index') ? 'index' : undefined);
  if (!indexKey || !keys.includes(indexKey)) {
    throw new DatasetError('unsupported-encoding', ctx.fileName, `dataframe "${group.path}" has no index (no "_index" attribute or dataset)`);
  }
  const index = readStrings(ctx, requireDataset(ctx, `${group.path}/${indexKey}`));
  if (ctx.indexOnly) return { index, columns: [] };
  const order = attr(group, 'column-order');
  const names = Array.isArray(order) ? order.map(String) : keys.filter((k) => k !== indexKey && k !== '__categories');
  const columns: Column[] = [];
  for (const name of names) {
    const column = readColumn(ctx, group, name);
    assertLength(ctx, group.path, name, columnLength(column), index.length);
    columns.push(column);
  }
  return { index, columns };
}

function assertLength(ctx: H5Context, frame: string, name: string, got: number, want: number): void {
  if (got !== want) {
    throw new DatasetError('shape-mismatch', ctx.fileName, `column "${frame}/${name}" has ${got} values but the index has ${want}`);
  }
}

function readColumn(ctx: H5Context, frame: H5Group, name: string): Column {
  const node = getNode(ctx, `${frame.path}/${name}`);
  if (!node) throw new DatasetError('unsupported-encoding', ctx.fileName, `column "${frame.path}/${name}" is listed in column-order but missing`);
  if (isGroup(ctx, node)) return readGroupColumn(ctx, node, name);
  const oldCategories = getDataset(ctx, `${frame.path}/__categories/${name}`);
  if (oldCategories) {
    return categorical(ctx, `${frame.path}/${name}`, name, toInt32(readNumeric(ctx, node), ctx, `${frame.path}/${name}`), readStrings(ctx, oldCategories), attr(oldCategories, 'ordered') === true);
  }
  return plainColumn(ctx, node, name);
}

function readGroupColumn(ctx: H5Context, group: H5Group, name: string): Column {
  const enc = encodingType(group);
  const sub = (k: string) => requireDataset(ctx, `${group.path}/${k}`);
  if (enc === 'categorical') {
    return categorical(ctx, group.path, name, toInt32(readNumeric(ctx, sub('codes')), ctx, `${group.path}/codes`), readStrings(ctx, sub('categories')), attr(group, 'ordered') === true);
  }
  if (enc === 'nullable-integer' || enc === 'nullable-boolean') {
    const values = readNumeric(ctx, sub('values'));
    const mask = readNumeric(ctx, sub('mask'));
    if (enc === 'nullable-boolean') {
      const codes = new Int32Array(values.length);
      for (let i = 0; i < codes.length; i++) codes[i] = mask[i] ? -1 : values[i] ? 1 : 0;
      return { kind: 'categorical', name, codes, categories: ['False', 'True'], ordered: false, dtype: 'boolean' };
    }
    const out = new Float64Array(values.length);
    for (let i = 0; i < out.length; i++) out[i] = mask[i] ? NaN : values[i];
    return { kind: 'numeric', name, values: out, dtype: 'Int64' };
  }
  if (enc === 'nullable-string-array') {
    const values = readStrings(ctx, sub('values'));
    const mask = readNumeric(ctx, sub('mask'));
    return { kind: 'string', name, values: values.map((v, i) => (mask[i] ? '' : v)), dtype: 'string' };
  }
  throw new DatasetError('unsupported-encoding', ctx.fileName, `column "${group.path}" has encoding "${enc ?? 'none'}", which scWeb does not read`);
}

function plainColumn(ctx: H5Context, ds: H5Dataset, name: string): Column {
  checkFilters(ctx, ds);
  const meta = ds.metadata;
  if (meta.type === H5T.STRING) return { kind: 'string', name, values: readStrings(ctx, ds), dtype: 'string' };
  if (meta.type === H5T.ENUM && isBoolEnum(meta)) return boolColumn(name, readNumeric(ctx, ds));
  if (meta.type === H5T.INTEGER || meta.type === H5T.FLOAT || meta.type === H5T.ENUM) {
    const v = readNumeric(ctx, ds);
    return { kind: 'numeric', name, values: v instanceof Float64Array ? v : Float64Array.from(v), dtype: dtypeName(meta) };
  }
  throw new DatasetError('unsupported-encoding', ctx.fileName, `column "${ds.path}" has type ${dtypeName(meta)}, which scWeb does not read`);
}

function boolColumn(name: string, v: ArrayLike<number>): CategoricalColumn {
  const codes = new Int32Array(v.length);
  for (let i = 0; i < codes.length; i++) codes[i] = v[i] ? 1 : 0;
  return { kind: 'categorical', name, codes, categories: ['False', 'True'], ordered: false, dtype: 'bool' };
}

/**
 * Codes index the categories (-1 is missing): one out of range, or categories named twice (pandas
 * refuses those), would colour or count cells wrongly.
 */
function categorical(ctx: H5Context, path: string, name: string, codes: Int32Array, categories: string[], ordered: boolean): CategoricalColumn {
  const n = categories.length;
  const seen = new Map<string, number>();
  categories.forEach((c, i) => {
    const first = seen.get(c);
    if (first !== undefined) throw new DatasetError('unsupported-encoding', ctx.fileName, `categorical "${path}" names category "${c}" twice (codes ${first} and ${i}); pandas and anndata refuse this: the column is damaged`);
    seen.set(c, i);
  });
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c < -1 || c >= n) {
      throw new DatasetError('unsupported-encoding', ctx.fileName, `categorical "${path}" gives cell ${i} code ${c}, but there are ${n} categories: the column is damaged`);
    }
  }
  return { kind: 'categorical', name, codes, categories, ordered, dtype: 'category' };
}

/** Category codes are whole numbers: 1.5 would otherwise be truncated into category 1 without a word. */
function toInt32(a: NumberArray, ctx?: H5Context, path?: string): Int32Array {
  if (a instanceof Int32Array) return a;
  for (let i = 0; i < a.length; i++) {
    const v = Number(a[i]);
    if (!Number.isInteger(v)) throw new DatasetError('unsupported-encoding', ctx?.fileName ?? '', `categorical codes at "${path}" hold ${v} at cell ${i}, not a whole number: the column is damaged`);
  }
  return Int32Array.from(a, Number);
}

/** anndata < 0.7: obs/var are structured arrays; `uns/<col>_categories` turns int codes into categories. */
function readCompoundFrame(ctx: H5Context, ds: H5Dataset): DataFrame {
  checkFilters(ctx, ds);
  const members = ds.metadata.compound_type?.members;
  if (!members) throw new DatasetError('unsupported-encoding', ctx.fileName, `"${ds.path}" is neither a dataframe group nor a compound dataset`);
  checkCompoundRead(ctx, ds);
  const rows = (ds.value ?? []) as unknown[][];
  const indexField = members.findIndex((m) => m.name === 'index');
  if (indexField < 0) throw new DatasetError('unsupported-encoding', ctx.fileName, `legacy dataframe "${ds.path}" has no "index" field`);
  const index = rows.map((r) => cellToString(r[indexField]));
  const uns = getGroup(ctx, 'uns');
  const columns: Column[] = [];
  members.forEach((m, j) => {
    if (j === indexField) return;
    if (m.type === H5T.STRING) {
      columns.push({ kind: 'string', name: m.name, values: rows.map((r) => cellToString(r[j])), dtype: 'string' });
      return;
    }
    const raw = rows.map((r) => Number(r[j]));
    const cats = uns && ds.path.replace(/^\//, '') === 'obs' ? getDataset(ctx, `uns/${m.name}_categories`) : null;
    if (cats) columns.push(categorical(ctx, `${ds.path}/${m.name}`, m.name, Int32Array.from(raw), readStrings(ctx, cats), false));
    else if (m.type === H5T.ENUM && isBoolEnum(m)) columns.push(boolColumn(m.name, raw));
    else columns.push({ kind: 'numeric', name: m.name, values: Float64Array.from(raw), dtype: dtypeName(m) });
  });
  return { index, columns };
}

/** Compound rows arrive as JS arrays, several times their bytes on disk: budget them as 8 elements each. */
function checkCompoundRead(ctx: H5Context, ds: H5Dataset): void {
  checkReadSize(ctx, ds, (shapeOf(ds)[0] ?? 1) * 8);
}

/** A compound legacy obsm: each field is one embedding stored as an array-typed member. */
export function readCompoundField(ctx: H5Context, ds: H5Dataset, field: string): { data: Float32Array; dim: number } {
  checkFilters(ctx, ds);
  const members = ds.metadata.compound_type?.members ?? [];
  const j = members.findIndex((m) => m.name === field);
  if (j < 0) throw new DatasetError('unknown-key', ctx.fileName, `no field "${field}" in "${ds.path}"`);
  checkCompoundRead(ctx, ds);
  const rows = (ds.value ?? []) as unknown[][];
  const first = rows.length ? toNumberArray(rows[0][j], field, ctx.fileName) : new Float64Array(0);
  const dim = first.length;
  const data = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => data.set(toNumberArray(r[j], field, ctx.fileName), i * dim));
  return { data, dim };
}
