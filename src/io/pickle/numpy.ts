// numpy's pickled forms, read without numpy: dtype(str, align, copy) then its state
// (version, byteorder, subarray, names, fields, elsize, alignment, flags); arrays as
// _reconstruct(ndarray, (0,), b'b') then the state (version, shape, dtype, is_fortran, data), or
// (protocol 5) _frombuffer(buffer, dtype, shape, order); scalars as scalar(dtype, bytes). Sizes
// are checked against the bytes present before anything is allocated: the input is untrusted.
import { NdArray, NpDtype, NpScalar, PyTuple, asNumber, describe, type PyValue } from './values.ts';

/** Raised for a malformed or unsupported pickle; the message is complete (file named). */
export class PickleError extends Error {
  constructor(
    readonly fileName: string,
    message: string,
  ) {
    super(`${fileName}: ${message}`);
    this.name = 'PickleError';
  }
}

/** More elements than this in one array is no CellTypist model (the largest have ~10^7). */
export const MAX_ARRAY_ELEMENTS = 2 ** 28;

const SIMPLE = new Set(['b', 'i', 'u', 'f', 'O', 'U', 'S']);

/** `numpy.dtype(spec, align, copy)`: spec as numpy pickles it ('f8', 'i4', 'O8', 'U12', 'S5', 'b1'). */
export function makeDtype(args: PyValue[], file: string): NpDtype {
  const spec = args[0];
  if (typeof spec !== 'string') throw new PickleError(file, `numpy.dtype called with ${describe(spec)}; only simple dtypes ('f8', 'i4', 'O8', 'U12') occur in a CellTypist model`);
  const m = /^([<>|=]?)([biufOUS])(\d*)$/.exec(spec);
  if (!m || (m[2] !== 'O' && m[3] === '')) throw new PickleError(file, `unsupported numpy dtype '${spec}' (structured, datetime and complex arrays do not occur in a CellTypist model)`);
  const char = m[2];
  const n = Number(m[3] || 8);
  const itemsize = char === 'U' ? 4 * n : n;
  if (!SIMPLE.has(char) || (char === 'f' && ![2, 4, 8].includes(n)) || ('iu'.includes(char) && ![1, 2, 4, 8].includes(n)) || (char === 'b' && n !== 1) || itemsize > 1 << 20) {
    throw new PickleError(file, `unsupported numpy dtype '${spec}'`);
  }
  return new NpDtype(char, itemsize, m[1] === '>' ? '>' : m[1] === '<' ? '<' : itemsize === 1 || char === 'O' ? '|' : '<');
}

/** dtype.__setstate__: byte order and, for U/S of unknown length, the element size. */
export function buildDtype(d: NpDtype, state: PyValue, file: string): void {
  const items = state instanceof PyTuple ? state.items : null;
  if (!items || items.length < 8) throw new PickleError(file, `numpy dtype state is ${describe(state)}, not numpy's 8-item tuple`);
  const [version, order, sub, names, fields] = items;
  if (version !== 3 && version !== 4) throw new PickleError(file, `numpy dtype state version ${String(version)} is not supported`);
  if (sub !== null || names !== null || fields !== null || (version === 4 && items.length > 8 && items[8] !== null)) {
    throw new PickleError(file, 'structured or sub-array numpy dtypes do not occur in a CellTypist model');
  }
  if (typeof order === 'string' && ['<', '>', '|', '='].includes(order)) d.byteorder = order === '=' ? '<' : order;
  const elsize = asNumber(items[5]);
  if (elsize !== null && elsize >= 0 && (d.char === 'U' || d.char === 'S')) {
    if (elsize > 1 << 20 || (d.char === 'U' && elsize % 4 !== 0)) throw new PickleError(file, `numpy dtype element size ${elsize} is not plausible`);
    d.itemsize = elsize;
  }
}

function checkedShape(v: PyValue, file: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : typeof v === 'number' ? [v] : null;
  if (!items) throw new PickleError(file, `numpy array shape is ${describe(v)}`);
  if (items.length > 32) throw new PickleError(file, `numpy array with ${items.length} dimensions`);
  let size = 1;
  const shape = items.map((x) => {
    const n = asNumber(x);
    if (n === null || !Number.isInteger(n) || n < 0) throw new PickleError(file, `numpy array shape has ${describe(x)}`);
    size *= n;
    if (size > MAX_ARRAY_ELEMENTS) throw new PickleError(file, `a numpy array of shape (${items.map(String).join(', ')}) is more than ${MAX_ARRAY_ELEMENTS.toLocaleString('en-US')} elements; refusing it before allocating`);
    return n;
  });
  return shape;
}

/** The placeholder `_reconstruct(ndarray, (0,), b'b')` returns; BUILD fills it. */
export function reconstruct(args: PyValue[], file: string): NdArray {
  const cls = args[0];
  if (!(cls && typeof cls === 'object' && 'kind' in cls && cls.kind === 'global' && /^numpy\.(core\.multiarray\.|_core\.multiarray\.)?ndarray$/.test(`${cls.module}.${cls.name}`))) {
    throw new PickleError(file, `numpy _reconstruct of ${describe(cls)} (only numpy.ndarray is accepted)`);
  }
  return new NdArray();
}

/** ndarray.__setstate__((version, shape, dtype, is_fortran, data)). */
export function buildArray(a: NdArray, state: PyValue, file: string): void {
  let items = state instanceof PyTuple ? state.items : null;
  if (items && items.length === 5) items = items.slice(1);
  if (!items || items.length !== 4) throw new PickleError(file, `numpy array state is ${describe(state)}, not (version, shape, dtype, is_fortran, data)`);
  const [shapeV, dtype, fortran, data] = items;
  if (!(dtype instanceof NpDtype)) throw new PickleError(file, `numpy array state has ${describe(dtype)} where its dtype belongs`);
  fillArray(a, checkedShape(shapeV, file), dtype, fortran === true || fortran === 1, data, file);
}

/** `_frombuffer(buffer, dtype, shape, order)`: numpy's protocol-5 form (the buffer in-band). */
export function fromBuffer(args: PyValue[], file: string): NdArray {
  const [buf, dtype, shapeV, order] = args;
  if (!(dtype instanceof NpDtype)) throw new PickleError(file, `numpy _frombuffer called with ${describe(dtype)} as dtype`);
  const a = new NdArray();
  fillArray(a, checkedShape(shapeV, file), dtype, order === 'F', buf, file);
  return a;
}

/** `scalar(dtype, bytes)`: np.int64(353) and friends. */
export function makeScalar(args: PyValue[], file: string): NpScalar {
  const [dtype, data] = args;
  if (!(dtype instanceof NpDtype)) throw new PickleError(file, `numpy scalar called with ${describe(dtype)} as dtype`);
  if (dtype.char === 'O') return new NpScalar(dtype, data ?? null);
  const a = new NdArray();
  fillArray(a, [], dtype, false, data, file);
  return new NpScalar(dtype, a.data[0] ?? null);
}

function bytesOf(data: PyValue, file: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  // A Python 2 str read as text: its characters are the bytes (numpy's encoding='latin1' rule).
  if (typeof data === 'string') {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (c > 255) throw new PickleError(file, 'numpy array data is text, not bytes');
      out[i] = c;
    }
    return out;
  }
  throw new PickleError(file, `numpy array data is ${describe(data)}, not bytes`);
}

function fillArray(a: NdArray, shape: number[], dtype: NpDtype, fortran: boolean, data: PyValue, file: string): void {
  const n = shape.reduce((x, y) => x * y, 1);
  a.shape = shape;
  a.dtype = dtype;
  a.built = true;
  if (dtype.char === 'O') {
    // Object arrays pickle their elements as a list, in C order whatever the array's order.
    if (!Array.isArray(data) || data.length !== n) throw new PickleError(file, `a numpy object array of ${n} elements holds ${describe(data)}${Array.isArray(data) ? ` of ${data.length}` : ''}`);
    a.data = data;
    return;
  }
  const bytes = bytesOf(data, file);
  if (bytes.length !== n * dtype.itemsize) {
    throw new PickleError(file, `a numpy ${dtype.str} array of shape (${shape.join(', ')}) needs ${(n * dtype.itemsize).toLocaleString('en-US')} bytes but the pickle holds ${bytes.length.toLocaleString('en-US')}`);
  }
  const order = fortran && shape.length > 1 ? fortranToC(shape) : null;
  const at = (i: number) => (order ? order[i] : i);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = dtype.byteorder !== '>';
  const size = dtype.itemsize;
  if (dtype.char === 'U' || dtype.char === 'S') {
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) out[at(i)] = dtype.char === 'U' ? ucs4(view, i * size, size, little) : latin1(bytes, i * size, size);
    a.data = out;
    return;
  }
  const out = new Float64Array(n);
  const read = reader(dtype, view, little, file);
  for (let i = 0; i < n; i++) out[at(i)] = read(i * size);
  a.data = out;
}

function reader(d: NpDtype, v: DataView, le: boolean, file: string): (o: number) => number {
  const key = `${d.char}${d.itemsize}`;
  switch (key) {
    case 'b1':
      return (o) => (v.getUint8(o) ? 1 : 0);
    case 'i1':
      return (o) => v.getInt8(o);
    case 'u1':
      return (o) => v.getUint8(o);
    case 'i2':
      return (o) => v.getInt16(o, le);
    case 'u2':
      return (o) => v.getUint16(o, le);
    case 'i4':
      return (o) => v.getInt32(o, le);
    case 'u4':
      return (o) => v.getUint32(o, le);
    case 'i8':
      return (o) => Number(v.getBigInt64(o, le));
    case 'u8':
      return (o) => Number(v.getBigUint64(o, le));
    case 'f2':
      return (o) => half(v.getUint16(o, le));
    case 'f4':
      return (o) => v.getFloat32(o, le);
    case 'f8':
      return (o) => v.getFloat64(o, le);
  }
  throw new PickleError(file, `unsupported numpy dtype ${d.str}`);
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** numpy's fixed-width unicode: UCS-4 code points, trailing NULs dropped. */
function ucs4(v: DataView, o: number, size: number, le: boolean): string {
  let end = size / 4;
  while (end > 0 && v.getUint32(o + 4 * (end - 1), le) === 0) end--;
  let s = '';
  for (let k = 0; k < end; k++) {
    const cp = v.getUint32(o + 4 * k, le);
    s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  }
  return s;
}

function latin1(b: Uint8Array, o: number, size: number): string {
  let end = size;
  while (end > 0 && b[o + end - 1] === 0) end--;
  let s = '';
  for (let k = 0; k < end; k++) s += String.fromCharCode(b[o + k]);
  return s;
}

/** For an F-ordered buffer: the C-order position of each stored element. */
function fortranToC(shape: number[]): Int32Array {
  const n = shape.reduce((x, y) => x * y, 1);
  const out = new Int32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  const cStride = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    cStride[d] = s;
    s *= shape[d];
  }
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let d = 0; d < shape.length; d++) c += idx[d] * cStride[d];
    out[i] = c;
    // F order: the first index moves fastest.
    for (let d = 0; d < shape.length; d++) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
