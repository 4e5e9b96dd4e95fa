// Attribute messages (versions 1 to 3): split into name, datatype, dataspace and data, and rebuilt
// with another datatype and data.
import { align8, view } from './object-header.ts';

export interface AttributeParts {
  version: number;
  flags: number;
  encoding: number;
  name: Uint8Array; // with its NUL
  datatype: Uint8Array;
  dataspace: Uint8Array;
  data: Uint8Array;
}

export function parseAttribute(m: Uint8Array): AttributeParts {
  const v = view(m);
  const version = m[0];
  const [nameSize, dtSize, dsSize] = [v.getUint16(2, true), v.getUint16(4, true), v.getUint16(6, true)];
  const pad = version === 1 ? align8 : (n: number) => n;
  let off = version === 3 ? 9 : 8;
  const take = (n: number) => {
    const part = m.subarray(off, off + n);
    off += pad(n);
    return part;
  };
  const name = take(nameSize);
  const datatype = take(dtSize);
  const dataspace = take(dsSize);
  return { version, flags: version === 1 ? 0 : m[1], encoding: version === 3 ? m[8] : 0, name, datatype, dataspace, data: m.subarray(off) };
}

export function attributeName(m: Uint8Array): string {
  const { name } = parseAttribute(m);
  return new TextDecoder().decode(name[name.length - 1] === 0 ? name.subarray(0, -1) : name);
}

export function buildAttribute(p: AttributeParts): Uint8Array {
  const pad = p.version === 1 ? align8 : (n: number) => n;
  const head = p.version === 3 ? 9 : 8;
  const out = new Uint8Array(head + pad(p.name.length) + pad(p.datatype.length) + pad(p.dataspace.length) + p.data.length);
  const v = view(out);
  out[0] = p.version;
  out[1] = p.flags;
  v.setUint16(2, p.name.length, true);
  v.setUint16(4, p.datatype.length, true);
  v.setUint16(6, p.dataspace.length, true);
  if (p.version === 3) out[8] = p.encoding;
  let off = head;
  for (const part of [p.name, p.datatype, p.dataspace]) {
    out.set(part, off);
    off += pad(part.length);
  }
  out.set(p.data, off);
  return out;
}
