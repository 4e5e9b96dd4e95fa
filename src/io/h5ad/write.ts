// Writes AnnData .h5ad (encoding 0.1.0, dataframe 0.2.0) that anndata >= 0.8 reads, with column
// types as anndata writes them: bool as h5py's bool enum, int64 / float32 kept, nullable integers
// and booleans with a mask. Used for exports, CLI results, tests and benchmark files.
import type { File as H5File, Group as H5Group } from 'h5wasm';
import type { H5Lib } from '../h5/runtime.ts';
import type { CategoricalColumn, Column, DataFrame, NumericColumn } from '../types.ts';
import { TypeFixes } from './type-fixes.ts';

export type MatrixData =
  | { kind: 'csr'; shape: [number, number]; indptr: ArrayLike<number>; indices: Int32Array | Uint32Array; data: Float32Array | Float64Array | Int32Array }
  | { kind: 'dense'; shape: [number, number]; data: Float32Array | Float64Array | Int32Array };

export interface H5adContent {
  obs: DataFrame;
  var: DataFrame;
  X?: MatrixData;
  layers?: Record<string, MatrixData>;
  obsm?: Record<string, { shape: [number, number]; data: Float32Array }>;
}

export function encode(node: H5Group, type: string, version: string): void {
  node.create_attribute('encoding-type', type);
  node.create_attribute('encoding-version', version);
}

export async function writeH5ad(lib: H5Lib, path: string, content: H5adContent): Promise<void> {
  const fixes = new TypeFixes();
  const f = new lib.File(path, 'w');
  try {
    encode(f, 'anndata', '0.1.0');
    writeFrame(f, 'obs', content.obs, fixes);
    writeFrame(f, 'var', content.var, fixes);
    if (content.X) writeMatrix(f, 'X', content.X);
    const layers = f.create_group('layers');
    encode(layers, 'dict', '0.1.0');
    for (const [k, m] of Object.entries(content.layers ?? {})) writeMatrix(layers, k, m);
    const obsm = f.create_group('obsm');
    encode(obsm, 'dict', '0.1.0');
    for (const [k, e] of Object.entries(content.obsm ?? {})) {
      const ds = obsm.create_dataset({ name: k, data: e.data, shape: e.shape });
      ds.create_attribute('encoding-type', 'array');
      ds.create_attribute('encoding-version', '0.2.0');
    }
    for (const g of ['obsp', 'varm', 'varp', 'uns']) encode(f.create_group(g), 'dict', '0.1.0');
  } finally {
    f.close();
  }
  await fixes.apply(lib, path);
}

export function writeFrame(parent: H5Group, name: string, df: DataFrame, fixes: TypeFixes): void {
  const g = parent.create_group(name);
  encode(g, 'dataframe', '0.2.0');
  g.create_attribute('_index', '_index');
  const order = df.columns.map((c) => c.name);
  if (order.length > 0) g.create_attribute('column-order', order);
  else g.create_attribute('column-order', [], [0], '<S1');
  stringArray(g, '_index', df.index);
  for (const c of df.columns) writeColumn(g, c, fixes);
}

/** A scalar in uns as anndata writes it: a string, or an int64 numeric-scalar. */
export function writeScalar(g: H5Group, name: string, value: string | number): void {
  const ds = typeof value === 'string' ? g.create_dataset({ name, data: value }) : g.create_dataset({ name, data: BigInt64Array.of(BigInt(value)), shape: [] });
  ds.create_attribute('encoding-type', typeof value === 'string' ? 'string' : 'numeric-scalar');
  ds.create_attribute('encoding-version', '0.2.0');
}

export function stringArray(g: H5Group, name: string, values: string[]): void {
  const ds = g.create_dataset({ name, data: values });
  ds.create_attribute('encoding-type', 'string-array');
  ds.create_attribute('encoding-version', '0.2.0');
}

export function writeColumn(g: H5Group, c: Column, fixes: TypeFixes): void {
  if (c.kind === 'string') return stringArray(g, c.name, c.values);
  if (c.kind === 'numeric') return writeNumeric(g, c, fixes);
  if (isBool(c)) {
    const missing = c.codes.includes(-1);
    if (!missing) return boolArray(g, c.name, c.codes, fixes);
    const sub = g.create_group(c.name);
    encode(sub, 'nullable-boolean', '0.1.0');
    boolArray(sub, 'values', c.codes.map((v) => (v === 1 ? 1 : 0)), fixes);
    boolArray(sub, 'mask', c.codes.map((v) => (v === -1 ? 1 : 0)), fixes);
    return;
  }
  const sub = g.create_group(c.name);
  encode(sub, 'categorical', '0.2.0');
  sub.create_attribute('ordered', c.ordered ? 1 : 0, null, '<b');
  fixes.boolAttribute(sub.path, 'ordered');
  const n = c.categories.length;
  const codes = n < 127 ? Int8Array.from(c.codes) : n < 32767 ? Int16Array.from(c.codes) : c.codes;
  sub.create_dataset({ name: 'codes', data: codes });
  stringArray(sub, 'categories', c.categories);
}

/** What the readers report for h5py bools (plain and nullable): two categories, False and True. */
function isBool(c: CategoricalColumn): boolean {
  return (c.dtype === 'bool' || c.dtype === 'boolean') && c.categories.length === 2 && c.categories[0] === 'False' && c.categories[1] === 'True';
}

function boolArray(g: H5Group, name: string, values: ArrayLike<number>, fixes: TypeFixes): void {
  const ds = g.create_dataset({ name, data: Int8Array.from(values) });
  ds.create_attribute('encoding-type', 'array');
  ds.create_attribute('encoding-version', '0.2.0');
  fixes.boolDataset(ds.path);
}

/** The typed array for a storage dtype name as the readers give it (`int64`, `float32`, `Int64`, ...). */
export function typedFor(dtype: string, values: ArrayLike<number>): Float64Array | Float32Array | BigInt64Array | BigUint64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array {
  switch (dtype.toLowerCase()) {
    case 'int64':
      return BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
    case 'uint64':
      return BigUint64Array.from(Array.from(values, (v) => BigInt(v)));
    case 'int32':
      return Int32Array.from(values);
    case 'int16':
      return Int16Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'uint32':
      return Uint32Array.from(values);
    case 'uint16':
      return Uint16Array.from(values);
    case 'uint8':
      return Uint8Array.from(values);
    case 'float32':
      return Float32Array.from(values);
    default:
      return Float64Array.from(values);
  }
}

function writeNumeric(g: H5Group, c: NumericColumn, fixes: TypeFixes): void {
  const isInt = /^u?int/i.test(c.dtype);
  const missing = isInt && c.values.some(Number.isNaN);
  if (!missing) {
    const ds = g.create_dataset({ name: c.name, data: typedFor(c.dtype, c.values) });
    ds.create_attribute('encoding-type', 'array');
    ds.create_attribute('encoding-version', '0.2.0');
    return;
  }
  // pandas' nullable integers (Int64 ...): values with 0 where missing, and the mask.
  const sub = g.create_group(c.name);
  encode(sub, 'nullable-integer', '0.1.0');
  const values = sub.create_dataset({ name: 'values', data: typedFor(c.dtype.toLowerCase(), c.values.map((v) => (Number.isNaN(v) ? 0 : v))) });
  values.create_attribute('encoding-type', 'array');
  values.create_attribute('encoding-version', '0.2.0');
  boolArray(sub, 'mask', Array.from(c.values, (v) => (Number.isNaN(v) ? 1 : 0)), fixes);
}

export function writeMatrix(parent: H5Group, name: string, m: MatrixData): void {
  if (m.kind === 'dense') {
    const ds = parent.create_dataset({ name, data: m.data, shape: m.shape });
    ds.create_attribute('encoding-type', 'array');
    ds.create_attribute('encoding-version', '0.2.0');
    return;
  }
  const g = parent.create_group(name);
  encode(g, 'csr_matrix', '0.1.0');
  g.create_attribute('shape', new Int32Array(m.shape), [2], '<i');
  g.create_dataset({ name: 'data', data: m.data });
  g.create_dataset({ name: 'indices', data: Int32Array.from(m.indices) });
  g.create_dataset({ name: 'indptr', data: indptrArray(m.indptr) });
}

function indptrArray(p: ArrayLike<number>): Int32Array | BigInt64Array {
  const last = p.length ? p[p.length - 1] : 0;
  return last < 2 ** 31 ? Int32Array.from(p) : BigInt64Array.from(Array.from(p, (v) => BigInt(v)));
}

/**
 * Writes a CSR matrix row block by row block, for matrices larger than memory. The datasets grow
 * with each block; indptr is int64 so it can pass 2^31 stored values.
 */
/** A block of float64 values sent to a float32 matrix: the caller names the file and the fix. */
export class NarrowingError extends Error {
  constructor() {
    super('float64 values that float32 cannot hold were appended to a float32 matrix');
  }
}

export class CsrStreamWriter {
  private readonly data;
  private readonly indices;
  private readonly indptr;
  private nnz = 0;
  private rows = 0;

  constructor(
    file: H5File,
    name: string,
    private readonly shape: [number, number],
    chunk = 1 << 20,
    /** float64 for a matrix whose stored values float32 would change (see matrix-values.ts). */
    private readonly valueType: 'float32' | 'float64' = 'float32',
  ) {
    const g = file.create_group(name);
    encode(g, 'csr_matrix', '0.1.0');
    g.create_attribute('shape', new Int32Array(shape), [2], '<i');
    this.data = g.create_dataset({ name: 'data', data: valueType === 'float64' ? new Float64Array(0) : new Float32Array(0), shape: [0], maxshape: [null], chunks: [chunk] });
    this.indices = g.create_dataset({ name: 'indices', data: new Int32Array(0), shape: [0], maxshape: [null], chunks: [chunk] });
    this.indptr = g.create_dataset({ name: 'indptr', data: new BigInt64Array(1), shape: [1], maxshape: [null], chunks: [Math.min(chunk, 1 << 16)] });
  }

  /** Appends rows given as a chunk-relative CSR block. */
  append(indptr: ArrayLike<number>, indices: Int32Array, data: Float32Array | Float64Array): void {
    const n = indptr.length - 1;
    const added = indices.length;
    // A float64 block means float32 would change a value: writing it here would round it silently.
    if (data instanceof Float64Array && this.valueType === 'float32') throw new NarrowingError();
    if (added > 0) {
      this.data.resize([this.nnz + added]);
      this.indices.resize([this.nnz + added]);
      this.data.write_slice([[this.nnz, this.nnz + added]], data);
      this.indices.write_slice([[this.nnz, this.nnz + added]], indices);
    }
    const ptr = new BigInt64Array(n);
    for (let i = 0; i < n; i++) ptr[i] = BigInt(this.nnz + indptr[i + 1]);
    this.indptr.resize([this.rows + n + 1]);
    this.indptr.write_slice([[this.rows + 1, this.rows + n + 1]], ptr);
    this.nnz += added;
    this.rows += n;
  }

  finish(): void {
    if (this.rows !== this.shape[0]) throw new Error(`CsrStreamWriter: wrote ${this.rows} rows, expected ${this.shape[0]}`);
  }
}
