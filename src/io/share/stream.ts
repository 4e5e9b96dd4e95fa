// Streaming encryption and decryption of the share container: one chunk in memory at a time, so a
// multi-gigabyte snapshot is uploaded or downloaded in constant memory. Encryption uses WebCrypto
// (fast, native, async); decryption uses the same synchronous noble code the range reader uses.
import type { ContainerHeader } from './container.ts';
import { ContainerError, DEFAULT_CHUNK, HEADER_BYTES, TAG_BYTES, aadFor, chunkCount, chunkSpan, makeHeader, nonceFor, openChunk, parseHeader, verifyKey } from './container.ts';

/** Regroups a byte stream into pieces of exactly `size` bytes (the last may be shorter). */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(size);
  let fill = 0;
  for await (const piece of source) {
    let at = 0;
    while (at < piece.length) {
      const take = Math.min(size - fill, piece.length - at);
      buf.set(piece.subarray(at, at + take), fill);
      fill += take;
      at += take;
      if (fill === size) {
        yield buf;
        buf = new Uint8Array(size);
        fill = 0;
      }
    }
  }
  if (fill > 0) yield buf.subarray(0, fill);
}

/** AES-GCM through WebCrypto: the output is ciphertext || tag, the same bytes noble produces. */
export async function webCryptoSeal(header: ContainerHeader, cryptoKey: CryptoKey, index: number, plain: Uint8Array): Promise<Uint8Array> {
  const last = index === chunkCount(header.plaintextLength, header.chunkSize) - 1;
  const sealed = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonceFor(header.noncePrefix, index) as BufferSource, additionalData: aadFor(header.bytes, index, last) as BufferSource, tagLength: TAG_BYTES * 8 },
    cryptoKey,
    plain as BufferSource,
  );
  return new Uint8Array(sealed);
}

export function importKey(key: Uint8Array): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', key as BufferSource, 'AES-GCM', false, ['encrypt']);
}

/**
 * Yields the container for `plaintextLength` bytes read from `source`: the header, then one sealed
 * chunk per plaintext chunk. A source longer or shorter than announced is an error, never a
 * silently different file.
 */
export async function* encryptStream(source: AsyncIterable<Uint8Array>, plaintextLength: number, key: Uint8Array, chunkSize = DEFAULT_CHUNK): AsyncGenerator<Uint8Array> {
  const header = makeHeader(key, plaintextLength, chunkSize);
  const cryptoKey = await importKey(key);
  yield header.bytes;
  const n = chunkCount(plaintextLength, chunkSize);
  let index = 0;
  let seen = 0;
  for await (const plain of rechunk(source, chunkSize)) {
    seen += plain.length;
    if (seen > plaintextLength) throw new Error(`the input grew while it was being encrypted: more than the ${plaintextLength.toLocaleString('en-US')} bytes announced`);
    // A short source must not seal its final piece as an ordinary chunk before noticing.
    if (plain.length < chunkSize && seen !== plaintextLength) break;
    yield await webCryptoSeal(header, cryptoKey, index, plain);
    index++;
  }
  if (plaintextLength === 0 && index === 0) {
    yield await webCryptoSeal(header, cryptoKey, 0, new Uint8Array(0));
    index = 1;
  }
  if (index !== n || seen !== plaintextLength) throw new Error(`the input ended early while it was being encrypted: ${seen.toLocaleString('en-US')} of ${plaintextLength.toLocaleString('en-US')} bytes`);
}

/** Yields the plaintext of a container read from `source`; every chunk is checked before it is yielded. */
export async function* decryptStream(source: AsyncIterable<Uint8Array>, key: Uint8Array): AsyncGenerator<Uint8Array> {
  let header: ContainerHeader | null = null;
  let index = 0;
  let n = 0;
  let pending = new Uint8Array(0);
  const take = (bytes: number) => {
    const out = pending.subarray(0, bytes);
    pending = pending.subarray(bytes);
    return out;
  };
  const append = (piece: Uint8Array) => {
    const joined = new Uint8Array(pending.length + piece.length);
    joined.set(pending, 0);
    joined.set(piece, pending.length);
    pending = joined;
  };
  const need = () => {
    if (!header) return HEADER_BYTES;
    const [start, end] = chunkSpan(header, index);
    return end - start;
  };
  for await (const piece of source) {
    append(piece);
    while (pending.length >= need()) {
      if (!header) {
        header = parseHeader(take(HEADER_BYTES).slice());
        verifyKey(header, key);
        n = chunkCount(header.plaintextLength, header.chunkSize);
        continue;
      }
      if (index >= n) throw new ContainerError('size', 'the encrypted share is longer than its header says; download it again or ask for a new link');
      yield openChunk(header, key, index, take(need()).slice());
      index++;
    }
  }
  if (!header) throw new ContainerError(pending.length === 0 ? 'not-container' : 'size', pending.length === 0 ? 'the share is empty (0 bytes)' : `the encrypted share is cut short: ${pending.length} bytes, less than its ${HEADER_BYTES}-byte header`);
  if (pending.length > 0 && index >= n) throw new ContainerError('size', 'the encrypted share is longer than its header says; download it again or ask for a new link');
  if (index < n) throw new ContainerError('size', `the encrypted share is truncated: ${index} of ${n} chunks arrived; download it again or ask for a new link`);
}
