// Adds results to a copy of an .h5ad in place: obs columns, obsm arrays and uns groups. h5wasm
// cannot delete HDF5 links, so a name already in the file is never overwritten: the result goes
// under `<name>_scweb` and the caller reports it.
import type { File as H5File, Group as H5Group } from 'h5wasm';
import { DatasetError } from '../errors.ts';
import type { Column } from '../types.ts';
import { encode, writeColumn } from './write.ts';

function freeName(g: H5Group, name: string): string {
  const keys = g.keys();
  if (!keys.includes(name)) return name;
  let candidate = `${name}_scweb`;
  for (let i = 2; keys.includes(candidate); i++) candidate = `${name}_scweb${i}`;
  return candidate;
}

function group(f: H5File, path: string): H5Group {
  if (!f.keys().includes(path)) encode(f.create_group(path), 'dict', '0.1.0');
  return f.get(path) as H5Group;
}

/** Appends columns to a modern (dataframe 0.2.0) obs; returns the names used. */
export function appendObsColumns(f: H5File, fileName: string, columns: Column[]): string[] {
  const obs = f.get('obs') as H5Group | null;
  const orderAttr = obs && 'attrs' in obs ? obs.attrs['column-order'] : undefined;
  if (!obs || obs.type !== 'Group' || !orderAttr) {
    throw new DatasetError('unsupported-encoding', fileName, 'only files with anndata >= 0.8 obs dataframes can take new columns; re-save the file with a current anndata first');
  }
  const raw = orderAttr.value;
  const order = (Array.isArray(raw) ? raw : raw === null || raw === undefined || raw === '' ? [] : [raw]).map(String);
  const used: string[] = [];
  for (const c of columns) {
    const name = freeName(obs, c.name);
    writeColumn(obs, { ...c, name } as Column);
    order.push(name);
    used.push(name);
  }
  obs.delete_attribute('column-order');
  obs.create_attribute('column-order', order);
  return used;
}

export function appendObsm(f: H5File, name: string, shape: [number, number], data: Float32Array): string {
  const obsm = group(f, 'obsm');
  const used = freeName(obsm, name);
  const ds = obsm.create_dataset({ name: used, data, shape });
  ds.create_attribute('encoding-type', 'array');
  ds.create_attribute('encoding-version', '0.2.0');
  return used;
}

/** A dict under uns of scalars (strings), string matrices and float matrices, row-major [rows, cols]. */
export interface UnsDict {
  strings: Record<string, string>;
  stringMatrices: Record<string, { shape: [number, number]; values: string[] }>;
  floatMatrices: Record<string, { shape: [number, number]; values: Float64Array }>;
}

export function appendUnsDict(f: H5File, name: string, d: UnsDict): string {
  const uns = group(f, 'uns');
  const used = freeName(uns, name);
  const g = uns.create_group(used);
  encode(g, 'dict', '0.1.0');
  const params = g.create_group('params');
  encode(params, 'dict', '0.1.0');
  for (const [k, v] of Object.entries(d.strings)) {
    const ds = params.create_dataset({ name: k, data: v });
    ds.create_attribute('encoding-type', 'string');
    ds.create_attribute('encoding-version', '0.2.0');
  }
  for (const [k, m] of Object.entries(d.stringMatrices)) {
    const ds = g.create_dataset({ name: k, data: m.values, shape: m.shape });
    ds.create_attribute('encoding-type', 'string-array');
    ds.create_attribute('encoding-version', '0.2.0');
  }
  for (const [k, m] of Object.entries(d.floatMatrices)) {
    const ds = g.create_dataset({ name: k, data: m.values, shape: m.shape });
    ds.create_attribute('encoding-type', 'array');
    ds.create_attribute('encoding-version', '0.2.0');
  }
  return used;
}

