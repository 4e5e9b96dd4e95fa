// NumPy .npy (format 1.0/2.0, little-endian, C order): read for fixtures, write for `scweb embed`.

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Uint32Array;
}

const CTORS = {
  '<f4': Float32Array,
  '<f8': Float64Array,
  '<i4': Int32Array,
  '<u4': Uint32Array,
  '<i2': Int16Array,
  '<u2': Uint16Array,
  '|u1': Uint8Array,
  '|i1': Int8Array,
  '|b1': Uint8Array,
} as const;

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw new Error('not a .npy file');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const Ctor = CTORS[descr as keyof typeof CTORS];
  if (!Ctor) throw new Error(`unsupported .npy dtype ${descr}`);
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  // An explicit copy: Node Buffer.slice returns a view, whose .buffer is the whole pooled allocation.
  const copy = new Uint8Array(bytes.subarray(offset, offset + n * Ctor.BYTES_PER_ELEMENT));
  const data = new Ctor(copy.buffer, 0, n);
  return { dtype: descr, shape, data: fortran ? toCOrder(data, shape) : data };
}

/** Column-major (Fortran) element order to row-major, any rank. */
function toCOrder<T extends NpyArray['data']>(data: T, shape: number[]): T {
  const out = data.slice() as T;
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let f = 0; f < data.length; f++) {
    // idx walks the array in Fortran order (first axis fastest); place each element at its C index.
    let c = 0;
    for (let d = 0; d < rank; d++) c = c * shape[d] + idx[d];
    out[c] = data[f];
    for (let d = 0; d < rank; d++) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** The .npy header (magic, version, dict) for float32 C-order data of `shape`: data follows it. */
export function npyHeader(shape: number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Pad so that the data starts on a 64-byte boundary, ending the header with a newline.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  return out;
}

export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const header = npyHeader(shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}
