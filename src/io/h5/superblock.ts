// Enough of the HDF5 superblock to tell "not HDF5" from "truncated" before h5wasm sees the file,
// so the user gets a specific message rather than a library stack trace.
import type { SourceFile } from '../source.ts';
import { readBytes } from '../source.ts';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export interface Superblock {
  /** Byte offset of the signature: 0, or 512, 1024, ... after a user block. */
  offset: number;
  version: number;
  /**
   * Smallest file size the superblock allows: its end-of-file address. Writers disagree on whether
   * that address counts from the user block's end (Muon.jl writes it absolute), so the base address
   * is not added: a truncation shorter than the user block goes unnoticed here and HDF5 reports it.
   */
  declaredSize: number | null;
}

export async function findSuperblock(file: SourceFile): Promise<Superblock | null> {
  for (let offset = 0; offset + 8 <= file.size; offset = offset === 0 ? 512 : offset * 2) {
    const head = await readBytes(file, offset, offset + 96);
    if (SIGNATURE.every((b, i) => head[i] === b)) return parse(head, offset);
    if (offset >= 1 << 20) break;
  }
  return null;
}

function parse(b: Uint8Array, offset: number): Superblock {
  const version = b[8];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const sizeOfOffsets = version <= 1 ? b[13] : b[9];
  const addrStart = version === 0 ? 24 : version === 1 ? 28 : 12;
  const read = (i: number): number | null => {
    const at = addrStart + i * sizeOfOffsets;
    if (at + sizeOfOffsets > b.length || (sizeOfOffsets !== 8 && sizeOfOffsets !== 4)) return null;
    return sizeOfOffsets === 8 ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true);
  };
  // Field order after the fixed part: base, free-space (v0/1) or extension (v2/3), end-of-file.
  return { offset, version, declaredSize: read(2) };
}
