import { describe, expect, it } from 'vitest';
import { ContainerError, HEADER_BYTES, TAG_BYTES, WRONG_KEY_MESSAGE, chunkSpan, containerSize, decryptBytes, encryptBytes, makeHeader, newKey, parseHeader, sealChunk } from '../src/io/share/container.ts';
import { decryptStream, encryptStream, importKey, webCryptoSeal } from '../src/io/share/stream.ts';
import { fromBase64Url, parseShareLink, toBase64Url } from '../src/io/share/link.ts';
import { seeded } from './share-random.ts';

const CHUNK = 1024;

function bytes(n: number, seed = n): Uint8Array {
  const rand = seeded(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

async function collect(gen: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of gen) parts.push(p.slice());
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function* pieces(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

function expectError(fn: () => unknown, kind: ContainerError['kind'], text: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ContainerError);
    expect((err as ContainerError).kind).toBe(kind);
    expect((err as Error).message).toMatch(text);
    return;
  }
  throw new Error('expected an error');
}

describe('share container', () => {
  const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 7 * CHUNK + 333, 8 * CHUNK];
  it.each(sizes)('round-trips %i bytes (sync) with the size the format predicts', (n) => {
    const key = newKey();
    const plain = bytes(n);
    const sealed = encryptBytes(plain, key, CHUNK);
    expect(sealed.length).toBe(containerSize(n, CHUNK));
    expect(sealed.length).toBe(HEADER_BYTES + n + Math.max(1, Math.ceil(n / CHUNK)) * TAG_BYTES);
    expect(decryptBytes(sealed, key)).toEqual(plain);
  });

  it.each(sizes)('streams %i bytes through WebCrypto and back, fed in odd-sized pieces', async (n) => {
    const key = newKey();
    const plain = bytes(n);
    const sealed = await collect(encryptStream(pieces(plain, 777), n, key, CHUNK));
    expect(sealed.length).toBe(containerSize(n, CHUNK));
    expect(decryptBytes(sealed, key)).toEqual(plain);
    expect(await collect(decryptStream(pieces(sealed, 500), key))).toEqual(plain);
  });

  it('WebCrypto and noble produce the same bytes for every chunk', async () => {
    const key = newKey();
    const plain = bytes(5 * CHUNK + 17, 9);
    const header = makeHeader(key, plain.length, CHUNK);
    const ck = await importKey(key);
    for (let i = 0; i < 6; i++) {
      const part = plain.subarray(i * CHUNK, (i + 1) * CHUNK);
      expect(await webCryptoSeal(header, ck, i, part)).toEqual(sealChunk(header, key, i, part));
    }
    // And a whole stream equals the sync encryption given the same nonce prefix.
    const viaNoble = encryptBytes(plain, key, CHUNK, header.noncePrefix);
    const viaStream = await collect(encryptStream(pieces(plain, 4096), plain.length, key, CHUNK));
    expect(viaStream.subarray(HEADER_BYTES)).not.toEqual(viaNoble.subarray(HEADER_BYTES)); // fresh prefix per file
    expect(decryptBytes(viaStream, key)).toEqual(decryptBytes(viaNoble, key));
  });

  it('refuses a stream that is shorter or longer than announced', async () => {
    const key = newKey();
    await expect(collect(encryptStream(pieces(bytes(100), 10), 101, key, CHUNK))).rejects.toThrow(/ended early/);
    await expect(collect(encryptStream(pieces(bytes(3000), 10), 2000, key, CHUNK))).rejects.toThrow(/grew/);
  });

  const key = newKey();
  const plain = bytes(4 * CHUNK + 100, 3);
  const sealed = encryptBytes(plain, key, CHUNK);
  const header = parseHeader(sealed);

  it('detects a change of any single byte, header or chunk', () => {
    const rand = seeded(42);
    const positions = [0, 8, 9, 12, 16, 24, 31, 32, 47, 48, 63, 64, 65, sealed.length - 1];
    for (let i = 0; i < 40; i++) positions.push(Math.floor(rand() * sealed.length));
    for (const at of positions) {
      const bad = sealed.slice();
      bad[at] ^= 1 << Math.floor(rand() * 8);
      expect(() => decryptBytes(bad, key), `byte ${at}`).toThrow(ContainerError);
    }
  });

  it('names a damaged chunk as damage, not a wrong key', () => {
    const bad = sealed.slice();
    bad[chunkSpan(header, 2)[0] + 5] ^= 0x80;
    expectError(() => decryptBytes(bad, key), 'damaged', /chunk 2 of 5 failed its integrity check/);
  });

  it('detects truncation (last chunk dropped, header relabelled too) and extension', () => {
    const dropped = sealed.slice(0, chunkSpan(header, 4)[0]);
    expectError(() => decryptBytes(dropped, key), 'size', /truncated/);
    expectError(() => decryptBytes(sealed.slice(0, sealed.length - 1), key), 'size', /truncated/);
    const longer = new Uint8Array(sealed.length + 16);
    longer.set(sealed);
    expectError(() => decryptBytes(longer, key), 'size', /longer than its header/);
    // Shrinking L in the header to match the cut file breaks the key check and every chunk's AAD.
    const relabelled = dropped.slice();
    new DataView(relabelled.buffer).setBigUint64(16, BigInt(4 * CHUNK), true);
    expect(() => decryptBytes(relabelled, key)).toThrow(ContainerError);
  });

  it('detects reordered chunks', () => {
    const [a0, a1] = chunkSpan(header, 0);
    const [b0, b1] = chunkSpan(header, 1);
    const swapped = sealed.slice();
    swapped.set(sealed.subarray(b0, b1), a0);
    swapped.set(sealed.subarray(a0, a1), b0);
    expectError(() => decryptBytes(swapped, key), 'damaged', /chunk 0 of 5/);
  });

  it('detects a chunk moved in from another file under the same key', () => {
    const other = encryptBytes(bytes(plain.length, 99), key, CHUNK);
    const mixed = sealed.slice();
    const [s, e] = chunkSpan(header, 1);
    mixed.set(other.subarray(s, e), s);
    expectError(() => decryptBytes(mixed, key), 'damaged', /chunk 1/);
  });

  it('says so plainly for a wrong key, and for a non-container', () => {
    expectError(() => decryptBytes(sealed, newKey()), 'wrong-key', new RegExp(WRONG_KEY_MESSAGE.replace(/[()]/g, '\\$&')));
    expectError(() => decryptBytes(new TextEncoder().encode('\x89HDF\r\n\x1a\n' + 'x'.repeat(100)), key), 'not-container', /SCWEBENC/);
    const v2 = sealed.slice();
    v2[8] = 2;
    expectError(() => decryptBytes(v2, key), 'unsupported', /version 2/);
  });

  it('streamed decryption refuses truncation and a wrong key too', async () => {
    await expect(collect(decryptStream(pieces(sealed.subarray(0, sealed.length - 20), 999), key))).rejects.toThrow(/truncated/);
    await expect(collect(decryptStream(pieces(sealed, 999), newKey()))).rejects.toThrow(WRONG_KEY_MESSAGE);
  });
});

describe('share links', () => {
  it('carries the key in the fragment, base64url', () => {
    const key = newKey();
    const link = parseShareLink(`https://h.example/prefix/s/AbC_-12#k=${toBase64Url(key)}`);
    expect(link).toEqual({ server: 'https://h.example/prefix', id: 'AbC_-12', key });
    expect(parseShareLink('http://localhost:8080/s/xyz')).toEqual({ server: 'http://localhost:8080', id: 'xyz' });
    expect(fromBase64Url(toBase64Url(Uint8Array.of(251, 255, 0)))).toEqual(Uint8Array.of(251, 255, 0));
  });
  it('names what is wrong with a broken link', () => {
    expect(() => parseShareLink('not a url')).toThrow(/not a URL/);
    expect(() => parseShareLink('https://h/x/y')).toThrow(/should end in \/s\/ID/);
    expect(() => parseShareLink('https://h/s/id#k=abc')).toThrow(/cut short or altered/);
  });
});
