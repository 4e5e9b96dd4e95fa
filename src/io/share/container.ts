// The encrypted share container (format 1). The server stores these bytes and cannot read them;
// the key travels only in the link's fragment. Full description: docs/share-container.md.
//
//   offset  size  field
//   0       8     magic "SCWEBENC"
//   8       1     version 0x01
//   9       1     algorithm 0x01 = AES-256-GCM, 16-byte tags
//   10      2     reserved, zero
//   12      4     chunk size C: plaintext bytes per chunk (u32 LE, 1 KiB..16 MiB)
//   16      8     plaintext length L (u64 LE, at most 2^53 - 1)
//   24      8     nonce prefix: random per file
//   32      16    key check: GCM tag of the empty message, nonce = prefix || FFFFFFFF, AAD = bytes 0..32
//   48      16    reserved, zero
//   64            chunks
//
// The plaintext is cut into n = max(1, ceil(L / C)) chunks (an empty file still has one, so its
// header is authenticated). Chunk i is AES-256-GCM with nonce = prefix || u32 BE i and
// AAD = the 64 header bytes || u32 BE i || last flag (1 for i = n - 1, else 0); its ciphertext
// plus tag sits at 64 + i * (C + 16), so a plaintext range maps to a run of whole chunks.
// The nonce binds the position (reordering fails), the AAD binds the header (any header edit
// fails every chunk) and the last flag (dropping the tail and relabelling fails); the total size
// is fixed by L, so truncation and extension are refused before any decryption.
// The key check separates "this key does not open the file" from "the file was damaged".
import { gcm } from '@noble/ciphers/aes.js';

export const MAGIC = 'SCWEBENC';
export const VERSION = 1;
export const ALGORITHM_AES_256_GCM = 1;
export const HEADER_BYTES = 64;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;
export const DEFAULT_CHUNK = 64 * 1024;
const MIN_CHUNK = 1024;
const MAX_CHUNK = 16 * 1024 * 1024;
/** Chunk index reserved for the key check's nonce. */
const KEY_CHECK_INDEX = 0xffffffff;

/** Why a container could not be read; `kind` lets callers word the message for their context. */
export class ContainerError extends Error {
  constructor(
    readonly kind: 'not-container' | 'unsupported' | 'wrong-key' | 'damaged' | 'size',
    message: string,
  ) {
    super(message);
    this.name = 'ContainerError';
  }
}

export const WRONG_KEY_MESSAGE = 'the key in the link does not open this share (wrong or damaged link)';

export interface ContainerHeader {
  chunkSize: number;
  plaintextLength: number;
  noncePrefix: Uint8Array;
  /** The 64 raw header bytes (bound into every chunk). */
  bytes: Uint8Array;
}

export function chunkCount(plaintextLength: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(plaintextLength / chunkSize));
}

export function containerSize(plaintextLength: number, chunkSize = DEFAULT_CHUNK): number {
  return HEADER_BYTES + plaintextLength + chunkCount(plaintextLength, chunkSize) * TAG_BYTES;
}

/** Where chunk i's ciphertext (with its tag) starts and ends in the container. */
export function chunkSpan(header: ContainerHeader, i: number): [number, number] {
  const start = HEADER_BYTES + i * (header.chunkSize + TAG_BYTES);
  const plain = Math.min(header.chunkSize, header.plaintextLength - i * header.chunkSize);
  return [start, start + Math.max(0, plain) + TAG_BYTES];
}

export function isContainer(head: Uint8Array): boolean {
  if (head.length < 9) return false;
  for (let i = 0; i < MAGIC.length; i++) if (head[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

export function nonceFor(prefix: Uint8Array, index: number): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce.set(prefix, 0);
  new DataView(nonce.buffer).setUint32(8, index, false);
  return nonce;
}

export function aadFor(header: Uint8Array, index: number, last: boolean): Uint8Array {
  const aad = new Uint8Array(HEADER_BYTES + 5);
  aad.set(header, 0);
  new DataView(aad.buffer).setUint32(HEADER_BYTES, index, false);
  aad[HEADER_BYTES + 4] = last ? 1 : 0;
  return aad;
}

/**
 * Builds the header; the key check is computed by `seal` (sync, noble) because the header bytes
 * it covers are known before any chunk is written.
 */
export function makeHeader(key: Uint8Array, plaintextLength: number, chunkSize = DEFAULT_CHUNK, noncePrefix = randomBytes(8)): ContainerHeader {
  checkKey(key);
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) throw new RangeError(`chunk size must be an integer from ${MIN_CHUNK} to ${MAX_CHUNK}, got ${chunkSize}`);
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0) throw new RangeError(`plaintext length must be a non-negative safe integer, got ${plaintextLength}`);
  if (chunkCount(plaintextLength, chunkSize) >= KEY_CHECK_INDEX) throw new RangeError('the plaintext is too long for this chunk size (at most 2^32 - 1 chunks)');
  const bytes = new Uint8Array(HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  bytes[8] = VERSION;
  bytes[9] = ALGORITHM_AES_256_GCM;
  view.setUint32(12, chunkSize, true);
  view.setBigUint64(16, BigInt(plaintextLength), true);
  bytes.set(noncePrefix, 24);
  bytes.set(keyCheck(key, bytes), 32);
  return { chunkSize, plaintextLength, noncePrefix: bytes.slice(24, 32), bytes };
}

function keyCheck(key: Uint8Array, header: Uint8Array): Uint8Array {
  return gcm(key, nonceFor(header.subarray(24, 32), KEY_CHECK_INDEX), header.subarray(0, 32)).encrypt(new Uint8Array(0));
}

/** Reads and checks the 64 header bytes; `totalSize`, when known, must match what L implies. */
export function parseHeader(head: Uint8Array, totalSize?: number): ContainerHeader {
  if (!isContainer(head)) throw new ContainerError('not-container', 'not an scWeb encrypted share (no SCWEBENC signature)');
  if (head.length < HEADER_BYTES) throw new ContainerError('size', `the encrypted share is cut short: ${head.length} bytes, less than its ${HEADER_BYTES}-byte header`);
  const bytes = head.slice(0, HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  if (bytes[8] !== VERSION) throw new ContainerError('unsupported', `encrypted share format version ${bytes[8]} is not supported (this scWeb reads version ${VERSION}); update scWeb`);
  if (bytes[9] !== ALGORITHM_AES_256_GCM) throw new ContainerError('unsupported', `encrypted share algorithm ${bytes[9]} is not supported (only 1, AES-256-GCM)`);
  const chunkSize = view.getUint32(12, true);
  const length = view.getBigUint64(16, true);
  const reservedZero = bytes[10] === 0 && bytes[11] === 0 && bytes.subarray(48).every((b) => b === 0);
  if (!reservedZero || chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK || length > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ContainerError('damaged', 'the encrypted share\'s header is damaged (invalid chunk size, length or reserved bytes)');
  }
  const header = { chunkSize, plaintextLength: Number(length), noncePrefix: bytes.slice(24, 32), bytes };
  if (totalSize !== undefined) {
    const want = containerSize(header.plaintextLength, chunkSize);
    if (totalSize !== want) {
      throw new ContainerError('size', `the encrypted share is ${totalSize < want ? 'truncated' : 'longer than its header says'}: ${totalSize.toLocaleString('en-US')} bytes, expected ${want.toLocaleString('en-US')}; download it again or ask for a new link`);
    }
  }
  return header;
}

/** Throws the wrong-key error unless `key` made this header. */
export function verifyKey(header: ContainerHeader, key: Uint8Array): void {
  checkKey(key);
  const want = header.bytes.subarray(32, 48);
  const got = keyCheck(key, header.bytes);
  let diff = 0;
  for (let i = 0; i < TAG_BYTES; i++) diff |= want[i] ^ got[i];
  if (diff !== 0) throw new ContainerError('wrong-key', WRONG_KEY_MESSAGE);
}

/** Encrypts chunk i synchronously (noble); the reference the WebCrypto path is tested against. */
export function sealChunk(header: ContainerHeader, key: Uint8Array, index: number, plain: Uint8Array): Uint8Array {
  const last = index === chunkCount(header.plaintextLength, header.chunkSize) - 1;
  return gcm(key, nonceFor(header.noncePrefix, index), aadFor(header.bytes, index, last)).encrypt(plain);
}

/** Decrypts chunk i synchronously (the worker's HDF5 reads cannot wait for a promise). */
export function openChunk(header: ContainerHeader, key: Uint8Array, index: number, sealed: Uint8Array): Uint8Array {
  const n = chunkCount(header.plaintextLength, header.chunkSize);
  if (index < 0 || index >= n) throw new RangeError(`chunk ${index} is outside the share's ${n} chunks`);
  const [start, end] = chunkSpan(header, index);
  if (sealed.length !== end - start) throw new ContainerError('size', `chunk ${index} has ${sealed.length} bytes, expected ${end - start}`);
  try {
    return gcm(key, nonceFor(header.noncePrefix, index), aadFor(header.bytes, index, index === n - 1)).decrypt(sealed);
  } catch {
    throw new ContainerError('damaged', `the encrypted share is damaged: chunk ${index} of ${n} failed its integrity check (altered, reordered or from another file); download it again or ask for a new link`);
  }
}

/** Whole-buffer encryption, for small data and tests; streams use ./stream.ts. */
export function encryptBytes(plain: Uint8Array, key: Uint8Array, chunkSize = DEFAULT_CHUNK, noncePrefix?: Uint8Array): Uint8Array {
  const header = makeHeader(key, plain.length, chunkSize, noncePrefix);
  const out = new Uint8Array(containerSize(plain.length, chunkSize));
  out.set(header.bytes, 0);
  const n = chunkCount(plain.length, chunkSize);
  for (let i = 0; i < n; i++) {
    const sealed = sealChunk(header, key, i, plain.subarray(i * chunkSize, Math.min(plain.length, (i + 1) * chunkSize)));
    out.set(sealed, chunkSpan(header, i)[0]);
  }
  return out;
}

export function decryptBytes(sealed: Uint8Array, key: Uint8Array): Uint8Array {
  const header = parseHeader(sealed, sealed.length);
  verifyKey(header, key);
  const out = new Uint8Array(header.plaintextLength);
  const n = chunkCount(header.plaintextLength, header.chunkSize);
  for (let i = 0; i < n; i++) {
    const [start, end] = chunkSpan(header, i);
    out.set(openChunk(header, key, i, sealed.subarray(start, end)), i * header.chunkSize);
  }
  return out;
}

export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

export function newKey(): Uint8Array {
  return randomBytes(KEY_BYTES);
}

function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new ContainerError('wrong-key', `${WRONG_KEY_MESSAGE}: the key has ${key.length} bytes, AES-256 needs ${KEY_BYTES}`);
}
