// Gives objects h5wasm wrote with a stand-in type the type anndata expects: int8 -> h5py bool
// (attributes and datasets), and a [n, fields] matrix -> a 1-D record array with one field per
// column (the element bytes of a row-major matrix and of a packed record array are the same).
import { attributeName, buildAttribute, parseAttribute } from './attribute-message.ts';
import { boolEnumType, compoundType, typeSize } from './datatypes.ts';
import type { FileBytes } from './file-bytes.ts';
import { H5Layout, MSG_ATTRIBUTE, MSG_DATASPACE, MSG_DATATYPE, type ObjectHeader, view } from './object-header.ts';

const CLASS_INTEGER = 0;
const CLASS_FLOAT = 1;
const CLASS_STRING = 3;
const CLASS_VLEN = 9;

/** Length of a datatype message's own bytes (messages in a header are padded; members are not). */
function datatypeLength(t: Uint8Array): number {
  const cls = t[0] & 0x0f;
  if (cls === CLASS_INTEGER) return 12;
  if (cls === CLASS_FLOAT) return 20;
  if (cls === CLASS_STRING) return 8;
  if (cls === CLASS_VLEN) return 8 + datatypeLength(t.subarray(8));
  throw new Error(`datatype class ${cls} cannot be a record field here`);
}

function dims(space: Uint8Array): number[] {
  const version = space[0];
  const rank = space[1];
  const at = version === 1 ? 8 : 4;
  return Array.from({ length: rank }, (_, i) => Number(view(space).getBigUint64(at + i * 8, true)));
}

function oneDimSpace(n: number): Uint8Array {
  const s = new Uint8Array(16);
  s[0] = 1;
  s[1] = 1;
  view(s).setBigUint64(8, BigInt(n), true);
  return s;
}

function isInt8(t: Uint8Array): boolean {
  return (t[0] & 0x0f) === CLASS_INTEGER && typeSize(t) === 1;
}

export class Retyper {
  private readonly layout: H5Layout;

  constructor(bytes: FileBytes, private readonly fileName: string) {
    this.layout = new H5Layout(bytes, fileName);
  }

  private header(path: string): ObjectHeader {
    return this.layout.readHeader(this.layout.resolve(path));
  }

  private only(h: ObjectHeader, type: number, path: string) {
    const m = h.messages.find((x) => x.type === type);
    if (!m) throw new Error(`${this.fileName}: ${path} has no message of type ${type}`);
    return m;
  }

  boolAttribute(path: string, name: string): void {
    const h = this.header(path);
    const m = h.messages.find((x) => x.type === MSG_ATTRIBUTE && attributeName(this.layout.messageData(x)) === name);
    if (!m) throw new Error(`${this.fileName}: ${path} has no attribute ${name}`);
    const parts = parseAttribute(this.layout.messageData(m));
    if (!isInt8(parts.datatype)) throw new Error(`${this.fileName}: ${path}@${name} is not int8`);
    const n = dims(parts.dataspace).reduce((a, b) => a * b, 1);
    this.layout.rewrite(h, m, buildAttribute({ ...parts, datatype: boolEnumType(), data: parts.data.slice(0, n) }));
  }

  boolDataset(path: string): void {
    const h = this.header(path);
    const m = this.only(h, MSG_DATATYPE, path);
    if (!isInt8(this.layout.messageData(m))) throw new Error(`${this.fileName}: ${path} is not int8`);
    this.layout.rewrite(h, m, boolEnumType());
  }

  /** A contiguous [n, fields.length] dataset becomes a 1-D record array of n records. */
  recordArray(path: string, fields: string[]): void {
    const h = this.header(path);
    const space = this.only(h, MSG_DATASPACE, path);
    const [n, k] = dims(this.layout.messageData(space));
    if (k !== fields.length) throw new Error(`${this.fileName}: ${path} has ${k} columns for ${fields.length} fields`);
    const dt = this.only(h, MSG_DATATYPE, path);
    const member = this.layout.messageData(dt);
    const own = member.slice(0, datatypeLength(member));
    this.layout.rewrite(h, space, oneDimSpace(n));
    // The header changed: read it again before the second rewrite.
    const h2 = this.header(path);
    this.layout.rewrite(h2, this.only(h2, MSG_DATATYPE, path), compoundType(fields, own, typeSize(own)));
  }
}
