// Writes AnnData .h5ad (encoding 0.1.0, dataframe 0.2.0) that anndata >= 0.8 reads. Used for test
// and benchmark files and for results (`X_scGPT`, clusters) written back next to the input.
import type { File as H5File, Group as H5Group } from 'h5wasm';
import type { H5Lib } from '../h5/runtime.ts';
import type { Column, DataFrame } from '../types.ts';

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

export function writeH5ad(lib: H5Lib, path: string, content: H5adContent): void {
  const f = new lib.File(path, 'w');
  try {
    encode(f, 'anndata', '0.1.0');
    writeFrame(f, 'obs', content.obs);
    writeFrame(f, 'var', content.var);
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
}

export function writeFrame(parent: H5Group, name: string, df: DataFrame): void {
  const g = parent.create_group(name);
  encode(g, 'dataframe', '0.2.0');
  g.create_attribute('_index', '_index');
  const order = df.columns.map((c) => c.name);
  if (order.length > 0) g.create_attribute('column-order', order);
  else g.create_attribute('column-order', [], [0], '<S1');
  stringArray(g, '_index', df.index);
  for (const c of df.columns) writeColumn(g, c);
}

export function stringArray(g: H5Group, name: string, values: string[]): void {
  const ds = g.create_dataset({ name, data: values });
  ds.create_attribute('encoding-type', 'string-array');
  ds.create_attribute('encoding-version', '0.2.0');
}

export function writeColumn(g: H5Group, c: Column): void {
  if (c.kind === 'string') return stringArray(g, c.name, c.values);
  if (c.kind === 'numeric') {
    // h5wasm cannot write HDF5 boolean enums, so nullable-integer masks are out of reach: integer
    // columns with missing values are written as float64 with NaN, as pandas did before Int64.
    const hasMissing = c.values.some(Number.isNaN);
    const isInt = !hasMissing && /^u?int/i.test(c.dtype);
    const ds = g.create_dataset({ name: c.name, data: isInt ? Int32Array.from(c.values) : c.values });
    ds.create_attribute('encoding-type', 'array');
    ds.create_attribute('encoding-version', '0.2.0');
    return;
  }
  // `ordered` is an int8 attribute rather than h5py's boolean enum (h5wasm cannot write enums);
  // anndata >= 0.9 reads it through bool(), anndata 0.8 refuses it.
  const sub = g.create_group(c.name);
  encode(sub, 'categorical', '0.2.0');
  sub.create_attribute('ordered', c.ordered ? 1 : 0, null, '|b1');
  const n = c.categories.length;
  const codes = n < 127 ? Int8Array.from(c.codes) : n < 32767 ? Int16Array.from(c.codes) : c.codes;
  sub.create_dataset({ name: 'codes', data: codes });
  stringArray(sub, 'categories', c.categories);
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
  ) {
    const g = file.create_group(name);
    encode(g, 'csr_matrix', '0.1.0');
    g.create_attribute('shape', new Int32Array(shape), [2], '<i');
    this.data = g.create_dataset({ name: 'data', data: new Float32Array(0), shape: [0], maxshape: [null], chunks: [chunk] });
    this.indices = g.create_dataset({ name: 'indices', data: new Int32Array(0), shape: [0], maxshape: [null], chunks: [chunk] });
    this.indptr = g.create_dataset({ name: 'indptr', data: new BigInt64Array(1), shape: [1], maxshape: [null], chunks: [Math.min(chunk, 1 << 16)] });
  }

  /** Appends rows given as a chunk-relative CSR block. */
  append(indptr: ArrayLike<number>, indices: Int32Array, data: Float32Array): void {
    const n = indptr.length - 1;
    const added = indices.length;
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
