// Just enough of the HDF5 file format to find an object by path and rewrite one of its header
// messages in place: superblock v0/v1, symbol-table groups (v1 B-tree, local heap, SNOD) and
// version-1 object headers, which is what h5wasm (HDF5 with the default, earliest, file format)
// writes. Anything else is refused rather than guessed at.
import type { FileBytes } from './file-bytes.ts';

export const MSG_DATASPACE = 0x01;
export const MSG_DATATYPE = 0x03;
export const MSG_ATTRIBUTE = 0x0c;
const MSG_CONTINUATION = 0x10;
const MSG_SYMBOL_TABLE = 0x11;

export interface Message {
  type: number;
  /** Absolute file position of the message's data (after its 8-byte header). */
  pos: number;
  size: number;
  flags: number;
  /** Index of the header chunk holding the message. */
  chunk: number;
}

export interface ObjectHeader {
  address: number;
  chunks: { pos: number; size: number }[];
  messages: Message[];
}

export class H5Layout {
  private readonly base: number;
  private readonly version: number;
  readonly rootAddress: number;

  constructor(private readonly bytes: FileBytes, private readonly fileName: string) {
    const sb = bytes.read(0, 96);
    const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
    if (!sig.every((b, i) => sb[i] === b)) throw this.fail('no HDF5 signature at offset 0');
    const version = sb[8];
    this.version = version;
    if (version > 1) throw this.fail(`superblock version ${version} (only 0 and 1, as h5wasm writes, are patched)`);
    if (sb[13] !== 8 || sb[14] !== 8) throw this.fail('offsets and lengths are not 8 bytes');
    const at = version === 0 ? 24 : 28;
    const v = view(sb);
    this.base = Number(v.getBigUint64(at, true));
    // Root symbol table entry: link name offset, then the object header address.
    this.rootAddress = Number(v.getBigUint64(at + 32 + 8, true));
  }

  private fail(why: string): Error {
    return new Error(`${this.fileName}: cannot patch the HDF5 layout: ${why}`);
  }

  readHeader(address: number): ObjectHeader {
    const prefix = this.bytes.read(this.base + address, 16);
    if (prefix[0] !== 1) throw this.fail(`object header version ${prefix[0]} at ${address} (only version 1 is patched)`);
    const pv = view(prefix);
    const nMessages = pv.getUint16(2, true);
    const chunks = [{ pos: address + 16, size: pv.getUint32(8, true) }];
    const messages: Message[] = [];
    for (let c = 0; c < chunks.length && messages.length < nMessages; c++) {
      const { pos, size } = chunks[c];
      const data = this.bytes.read(this.base + pos, size);
      const dv = view(data);
      for (let off = 0; off + 8 <= size && messages.length < nMessages; ) {
        const m: Message = { type: dv.getUint16(off, true), size: dv.getUint16(off + 2, true), flags: data[off + 4], pos: pos + off + 8, chunk: c };
        messages.push(m);
        if (m.type === MSG_CONTINUATION) chunks.push({ pos: Number(dv.getBigUint64(off + 8, true)), size: Number(dv.getBigUint64(off + 16, true)) });
        off += 8 + m.size;
      }
    }
    return { address, chunks, messages };
  }

  messageData(m: Message): Uint8Array {
    return this.bytes.read(this.base + m.pos, m.size);
  }

  /** Object header address of `path` ("obs/passes_qc"), following symbol-table groups from the root. */
  resolve(path: string): number {
    let address = this.rootAddress;
    for (const name of path.split('/').filter(Boolean)) {
      const stab = this.readHeader(address).messages.find((m) => m.type === MSG_SYMBOL_TABLE);
      if (!stab) throw this.fail(`${path}: a group on the way has no symbol table (new-style groups are not patched)`);
      const d = view(this.messageData(stab));
      const child = this.lookup(Number(d.getBigUint64(0, true)), Number(d.getBigUint64(8, true)), name);
      if (child === null) throw this.fail(`${path}: no "${name}"`);
      address = child;
    }
    return address;
  }

  private lookup(btree: number, heap: number, name: string): number | null {
    const h = this.bytes.read(this.base + heap, 32);
    if (String.fromCharCode(...h.subarray(0, 4)) !== 'HEAP') throw this.fail(`no local heap at ${heap}`);
    const hv = view(h);
    const heapData = this.bytes.read(this.base + Number(hv.getBigUint64(24, true)), Number(hv.getBigUint64(8, true)));
    const nameAt = (off: number) => {
      let end = off;
      while (end < heapData.length && heapData[end] !== 0) end++;
      return new TextDecoder().decode(heapData.subarray(off, end));
    };
    const visit = (node: number): number | null => {
      const head = this.bytes.read(this.base + node, 24);
      if (String.fromCharCode(...head.subarray(0, 4)) !== 'TREE') throw this.fail(`no B-tree node at ${node}`);
      const level = head[5];
      const used = view(head).getUint16(6, true);
      const body = view(this.bytes.read(this.base + node + 24, 8 + used * 16));
      for (let i = 0; i < used; i++) {
        const child = Number(body.getBigUint64(8 + i * 16, true));
        const found = level > 0 ? visit(child) : this.inSymbolNode(child, name, nameAt);
        if (found !== null) return found;
      }
      return null;
    };
    return visit(btree);
  }

  private inSymbolNode(node: number, name: string, nameAt: (off: number) => string): number | null {
    const head = this.bytes.read(this.base + node, 8);
    if (String.fromCharCode(...head.subarray(0, 4)) !== 'SNOD') throw this.fail(`no symbol table node at ${node}`);
    const n = view(head).getUint16(6, true);
    const entries = view(this.bytes.read(this.base + node + 8, n * 40));
    for (let i = 0; i < n; i++) {
      if (nameAt(Number(entries.getBigUint64(i * 40, true))) === name) return Number(entries.getBigUint64(i * 40 + 8, true));
    }
    return null;
  }

  /**
   * Replaces a message's data. A message that fits its slot is written in place (zero-padded: every
   * decoder here reads by its own fields, not by the message size). A longer one moves to a new
   * header chunk appended at the end of the file, and its old slot becomes the continuation message
   * that points there (HDF5 finds messages by type, not by position).
   */
  rewrite(header: ObjectHeader, target: Message, data: Uint8Array): void {
    if (data.length <= target.size) {
      const padded = new Uint8Array(target.size);
      padded.set(data);
      this.bytes.write(this.base + target.pos, padded);
      return;
    }
    if (target.size < 16) throw this.fail(`object at ${header.address}: a ${target.size}-byte message cannot become a continuation`);
    const size = align8(data.length);
    const chunk = new Uint8Array(8 + size);
    const cv = view(chunk);
    cv.setUint16(0, target.type, true);
    cv.setUint16(2, size, true);
    chunk[4] = target.flags;
    chunk.set(data, 8);
    const at = this.append(chunk);
    const cont = new Uint8Array(8 + target.size);
    const kv = view(cont);
    kv.setUint16(0, MSG_CONTINUATION, true);
    kv.setUint16(2, target.size, true);
    kv.setBigUint64(8, BigInt(at), true);
    kv.setBigUint64(16, BigInt(chunk.length), true);
    this.bytes.write(this.base + target.pos - 8, cont);
    const prefix = view(this.bytes.read(this.base + header.address, 4));
    const count = new Uint8Array(2);
    view(count).setUint16(0, prefix.getUint16(2, true) + 1, true);
    this.bytes.write(this.base + header.address + 2, count);
  }

  /** Writes bytes at the end of the file's address space (8-aligned) and moves its end there. */
  private append(b: Uint8Array): number {
    const eoaAt = this.version === 0 ? 40 : 44;
    const at = align8(Number(view(this.bytes.read(eoaAt, 8)).getBigUint64(0, true)));
    this.bytes.write(this.base + at, b);
    const eoa = new Uint8Array(8);
    view(eoa).setBigUint64(0, BigInt(at + b.length), true);
    this.bytes.write(eoaAt, eoa);
    return at;
  }
}

export function align8(n: number): number {
  return (n + 7) & ~7;
}

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
