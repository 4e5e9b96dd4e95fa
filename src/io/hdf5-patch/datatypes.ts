// HDF5 datatype messages that h5wasm cannot create: h5py's boolean (an enum of int8 with members
// FALSE = 0 and TRUE = 1, which numpy and anndata read as bool) and compound types (numpy record
// arrays, scanpy's layout for rank_genes_groups).
import { align8, view } from './object-header.ts';

const CLASS_INTEGER = 0;
const CLASS_COMPOUND = 6;
const CLASS_ENUM = 8;

function header(cls: number, version: number, bits: number, size: number): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = cls | (version << 4);
  h[1] = bits & 0xff;
  h[2] = (bits >> 8) & 0xff;
  h[3] = (bits >> 16) & 0xff;
  view(h).setUint32(4, size, true);
  return h;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A name, NUL-terminated and padded to a multiple of 8 bytes (version 1 enum and compound). */
function paddedName(name: string): Uint8Array {
  const b = new TextEncoder().encode(name);
  const out = new Uint8Array(align8(b.length + 1));
  out.set(b);
  return out;
}

/** Signed little-endian int8, as h5py's bool is based on. */
function int8(): Uint8Array {
  const t = concat([header(CLASS_INTEGER, 1, 0x08, 1), new Uint8Array(4)]);
  view(t).setUint16(10, 8, true); // precision in bits; offset 0
  return t;
}

/** h5py's bool: enum (int8) { FALSE = 0, TRUE = 1 }. */
export function boolEnumType(): Uint8Array {
  return concat([header(CLASS_ENUM, 1, 2, 1), int8(), paddedName('FALSE'), paddedName('TRUE'), Uint8Array.of(0, 1)]);
}

/** A version-1 compound of same-typed fields laid out back to back (`member` is a datatype message). */
export function compoundType(names: string[], member: Uint8Array, memberSize: number): Uint8Array {
  const parts = [header(CLASS_COMPOUND, 1, names.length, names.length * memberSize)];
  names.forEach((name, i) => {
    // Offset, dimensionality 0 (a scalar member), reserved, permutation, reserved, 4 dimension sizes.
    const info = new Uint8Array(32);
    view(info).setUint32(0, i * memberSize, true);
    parts.push(paddedName(name), info, member);
  });
  return concat(parts);
}

/** Size in bytes of one element of the type a datatype message describes. */
export function typeSize(message: Uint8Array): number {
  return view(message).getUint32(4, true);
}
