// The central directory of a ZIP archive (what torch.save writes): entry names and where their
// bytes are. torch stores entries uncompressed; deflated entries are inflated with the platform's
// DecompressionStream. Every offset and length the archive declares is checked against the file
// before it is used (a checkpoint or a saved head may come from anyone), and an entry is never
// inflated past the size it declares.
// `writeStoredZip` writes the same kind of archive: entries stored, their data aligned as
// torch.save aligns it (so torch.load, mmap included, reads it like one of its own).

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's data (past its local header). */
  dataOffset: number;
}

export class ZipError extends Error {}

/** More entries than any checkpoint holds (scGPT's have a few hundred tensors). */
const MAX_ENTRIES = 1 << 16;

export function readZipDirectory(bytes: Uint8Array): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  // End of central directory: signature 0x06054b50 within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = len - 22; i >= Math.max(0, len - 65_557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('not a ZIP archive (no end-of-central-directory record); a PyTorch checkpoint saved with torch.save is a ZIP file');
  let count = view.getUint16(eocd + 10, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if (dirOffset === 0xffffffff || count === 0xffff) {
    // ZIP64: the locator sits just before the EOCD record.
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== 0x07064b50) throw new ZipError('ZIP64 archive without a ZIP64 locator');
    const rec = Number(view.getBigUint64(loc + 8, true));
    if (!(rec >= 0 && rec + 56 <= len)) throw new ZipError('the ZIP64 end-of-central-directory record lies outside the file (truncated or damaged)');
    count = Number(view.getBigUint64(rec + 32, true));
    dirOffset = Number(view.getBigUint64(rec + 48, true));
  }
  if (count > MAX_ENTRIES) throw new ZipError(`the archive declares ${count.toLocaleString('en-US')} entries; no checkpoint holds more than ${MAX_ENTRIES.toLocaleString('en-US')}`);
  const entries = new Map<string, ZipEntry>();
  let p = dirOffset;
  const inside = (at: number, n: number) => Number.isSafeInteger(at) && at >= 0 && n >= 0 && at + n <= len;
  for (let i = 0; i < count; i++) {
    if (!inside(p, 46) || view.getUint32(p, true) !== 0x02014b50) throw new ZipError('corrupt ZIP central directory (truncated or damaged)');
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    if (!inside(p + 46, nameLen + extraLen + commentLen)) throw new ZipError('corrupt ZIP central directory: an entry runs past the end of the file');
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information extra field (id 1) holds the 64-bit values that overflowed.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const fieldLen = view.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        const u64 = () => {
          if (q + 8 > extraEnd) throw new ZipError(`ZIP entry ${name}: its ZIP64 field is shorter than it says`);
          const v = Number(view.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = u64();
        if (compressedSize === 0xffffffff) compressedSize = u64();
        if (localOffset === 0xffffffff) localOffset = u64();
      }
      e += 4 + fieldLen;
    }
    if (!inside(localOffset, 30) || view.getUint32(localOffset, true) !== 0x04034b50) throw new ZipError(`ZIP entry ${name}: its local header is missing or outside the file (truncated or damaged)`);
    const localNameLen = view.getUint16(localOffset + 26, true);
    const localExtraLen = view.getUint16(localOffset + 28, true);
    const dataOffset = localOffset + 30 + localNameLen + localExtraLen;
    if (!inside(dataOffset, compressedSize)) throw new ZipError(`ZIP entry ${name}: its ${compressedSize.toLocaleString('en-US')} bytes run past the end of the file (truncated)`);
    if (method === 0 && size !== compressedSize) throw new ZipError(`ZIP entry ${name} is stored but declares ${size} bytes unpacked and ${compressedSize} packed`);
    entries.set(name, { name, method, compressedSize, size, dataOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** An entry's bytes; a deflated entry is inflated up to the size it declares, and refused past it. */
export async function entryBytes(bytes: Uint8Array, entry: ZipEntry): Promise<Uint8Array> {
  const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  if (entry.method === 0) return raw;
  if (entry.method === 8) {
    const stream = new Blob([raw as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw') as unknown as TransformStream<Uint8Array, Uint8Array>);
    const out = new Uint8Array(entry.size);
    let at = 0;
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.length > out.length) {
        await reader.cancel();
        throw new ZipError(`ZIP entry ${entry.name} inflates past the ${entry.size.toLocaleString('en-US')} bytes it declares (damaged)`);
      }
      out.set(value, at);
      at += value.length;
    }
    if (at !== out.length) throw new ZipError(`ZIP entry ${entry.name} inflates to ${at} bytes but declares ${entry.size}`);
    return out;
  }
  throw new ZipError(`ZIP entry ${entry.name} uses compression method ${entry.method}, which is not supported`);
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO-HDLC, the ZIP one). */
export function crc32(b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A ZIP archive of stored (uncompressed) entries, each entry's data starting at a multiple of
 * `align` bytes: torch.save pads its local headers with an extra field (id "FB") to 64 bytes.
 * No ZIP64: an archive past 4 GiB is refused.
 */
export function writeStoredZip(files: { name: string; bytes: Uint8Array }[], align = 64): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let at = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    at += b.length;
  };
  for (const f of files) {
    const name = enc.encode(f.name);
    const crc = crc32(f.bytes);
    const offset = at;
    // The extra field: 4 bytes of header, then padding so the data lands on `align`.
    const pad = (align - ((offset + 30 + name.length + 4) % align)) % align;
    const extra = new Uint8Array(4 + pad);
    const ev = new DataView(extra.buffer);
    ev.setUint16(0, 0x4246, true); // "FB"
    ev.setUint16(2, pad, true);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true); // version needed
    lv.setUint16(8, 0, true); // stored
    lv.setUint32(14, crc, true);
    lv.setUint32(18, f.bytes.length, true);
    lv.setUint32(22, f.bytes.length, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, extra.length, true);
    local.set(name, 30);
    push(local);
    push(extra);
    push(f.bytes);
    const c = new Uint8Array(46 + name.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true); // version made by
    cv.setUint16(6, 20, true); // version needed
    cv.setUint32(16, crc, true);
    cv.setUint32(20, f.bytes.length, true);
    cv.setUint32(24, f.bytes.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    c.set(name, 46);
    central.push(c);
  }
  const dirOffset = at;
  for (const c of central) push(c);
  const dirSize = at - dirOffset;
  const end = new Uint8Array(22);
  const v = new DataView(end.buffer);
  v.setUint32(0, 0x06054b50, true);
  v.setUint16(8, files.length, true);
  v.setUint16(10, files.length, true);
  v.setUint32(12, dirSize, true);
  v.setUint32(16, dirOffset, true);
  push(end);
  if (at >= 2 ** 32 || files.length >= 0xffff) throw new ZipError(`an archive of ${at.toLocaleString('en-US')} bytes and ${files.length} entries needs ZIP64, which is not written here`);
  const out = new Uint8Array(at);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
