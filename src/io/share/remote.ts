// A file on a web server as a lazy byte source: HTTP Range reads into a block cache, and for an
// encrypted share a second layer that fetches and decrypts only the chunks a read touches, so
// opening a snapshot costs its metadata, not its size.
import type { SourceFile } from '../source.ts';
import type { ByteSource } from './blocks.ts';
import { BlockCache, splitBlocks } from './blocks.ts';
import type { ContainerHeader } from './container.ts';
import { ContainerError, HEADER_BYTES, chunkSpan, isContainer, openChunk, parseHeader, verifyKey } from './container.ts';
import type { SyncRangeTransport } from './http.ts';
import { fetchRange, xhrRange } from './http.ts';

export type { ByteSource };

export interface RemoteOptions {
  /** The 32-byte key of an encrypted share; without it an encrypted file is refused. */
  key?: Uint8Array;
  /** How synchronous reads reach the server: sync XHR in a worker; Node passes its own. */
  syncTransport?: SyncRangeTransport;
  blockSize?: number;
  /** Most bytes the block cache holds (plaintext: decrypted chunks for an encrypted share). */
  cacheBytes?: number;
}

// Small enough that HDF5's scattered metadata reads do not drag in much else, large enough that
// a file opens in tens of requests (contiguous misses are merged into one request anyway).
export const DEFAULT_BLOCK = 64 * 1024;
const DEFAULT_CACHE = 32 * 1024 * 1024;

/** What went over the wire: the numbers the "much less than the file" claim is checked with. */
export interface FetchStats {
  requests: number;
  bytes: number;
}

export interface RemoteFile extends ByteSource {
  url: string;
  /** Size of what the server stores (the container when encrypted). */
  storedSize: number;
  encrypted: boolean;
  stats: FetchStats;
}

/**
 * Opens `url` for lazy reading. The first request fetches block 0 (the HDF5 superblock or the
 * container header) and learns the size from Content-Range.
 */
export async function openRemote(url: string, opts: RemoteOptions = {}): Promise<RemoteFile> {
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK;
  const cacheBytes = opts.cacheBytes ?? DEFAULT_CACHE;
  const stats: FetchStats = { requests: 0, bytes: 0 };
  const sync = opts.syncTransport ?? (typeof XMLHttpRequest === 'function' ? xhrRange : null);
  const counted = <T extends { bytes: Uint8Array }>(reply: T): T => {
    stats.requests++;
    stats.bytes += reply.bytes.length;
    return reply;
  };
  const wire: ByteSource & { size: number } = {
    size: 0,
    readSync(start, end) {
      if (!sync) throw new Error('synchronous reads need XMLHttpRequest (a web worker) or a syncTransport');
      return counted(sync(url, start, end)).bytes;
    },
    async read(start, end) {
      return counted(await fetchRange(url, start, end)).bytes;
    },
  };
  const first = counted(await fetchRange(url, 0, blockSize));
  wire.size = first.total;
  const encrypted = isContainer(first.bytes);
  if (!encrypted) {
    if (opts.key) throw new ContainerError('not-container', `${url} is not encrypted, but the link carries a key: use the link without "#k=…", or check that it points at the share you meant`);
    const raw = blocks(wire, blockSize, cacheBytes);
    raw.put(0, first.bytes);
    return Object.assign(raw, { url, storedSize: wire.size, encrypted, stats });
  }
  if (!opts.key) throw new ContainerError('wrong-key', 'this share is encrypted and the link has no key (the part after "#k=" is missing); ask for the whole link');
  const header = parseHeader(first.bytes.subarray(0, HEADER_BYTES), wire.size);
  verifyKey(header, opts.key);
  // Chunks are the cache's blocks: the wire is read in whole chunks only, and what is cached is
  // plaintext that already passed its integrity check.
  const plain = decrypting(wire, header, opts.key, cacheBytes);
  return Object.assign(plain, { url, storedSize: wire.size, encrypted, stats });
}

/** Plain bytes in blocks of `blockSize`, contiguous misses fetched in one request. */
function blocks(wire: ByteSource, blockSize: number, cacheBytes: number): BlockCache {
  const span = (a: number, b: number): [number, number] => [a * blockSize, Math.min(wire.size, (b + 1) * blockSize)];
  return new BlockCache(
    wire.size,
    blockSize,
    Math.max(2, Math.floor(cacheBytes / blockSize)),
    (a, b) => splitBlocks(wire.readSync(...span(a, b)), blockSize, b - a + 1),
    async (a, b) => splitBlocks(await wire.read(...span(a, b)), blockSize, b - a + 1),
  );
}

/** The plaintext view of a container held by `raw`: chunk-aligned reads, each chunk checked. */
export function decrypting(raw: ByteSource, header: ContainerHeader, key: Uint8Array, cacheBytes = DEFAULT_CACHE): BlockCache {
  const open = (a: number, b: number, sealed: Uint8Array, base: number) => {
    const out: Uint8Array[] = [];
    for (let i = a; i <= b; i++) {
      const [s, e] = chunkSpan(header, i);
      out.push(openChunk(header, key, i, sealed.subarray(s - base, e - base)));
    }
    return out;
  };
  const range = (a: number, b: number): [number, number] => [chunkSpan(header, a)[0], chunkSpan(header, b)[1]];
  return new BlockCache(
    header.plaintextLength,
    header.chunkSize,
    Math.max(2, Math.floor(cacheBytes / header.chunkSize)),
    (a, b) => {
      const [s, e] = range(a, b);
      return open(a, b, raw.readSync(s, e), s);
    },
    async (a, b) => {
      const [s, e] = range(a, b);
      return open(a, b, await raw.read(s, e), s);
    },
  );
}

/**
 * The source as the Blob-like object Emscripten's WORKERFS mounts: `size`, and `slice(a, b)`
 * returning a real Blob whose bytes were fetched (and decrypted) synchronously, so the worker's
 * FileReaderSync reads them. `readSync` lets other file systems skip the Blob.
 */
export interface LazyBlob {
  name: string;
  size: number;
  type: string;
  lastModifiedDate: Date;
  slice(start?: number, end?: number): Blob;
  arrayBuffer(): Promise<ArrayBuffer>;
  readSync(start: number, end: number): Uint8Array;
}

/** A SourceFile for openDataset: the reader sees an ordinary file of the plaintext's size. */
export function remoteSource(remote: RemoteFile, name: string): SourceFile {
  return { name, size: remote.size, blob: lazyBlob(remote, name) as unknown as Blob };
}

export function lazyBlob(source: ByteSource, name: string): LazyBlob {
  const clamp = (v: number | undefined, dflt: number) => (v === undefined ? dflt : v < 0 ? Math.max(0, source.size + v) : Math.min(v, source.size));
  return {
    name,
    size: source.size,
    type: 'application/octet-stream',
    lastModifiedDate: new Date(0),
    slice(start, end) {
      const a = clamp(start, 0);
      const b = clamp(end, source.size);
      return new Blob([(b > a ? source.readSync(a, b) : new Uint8Array(0)) as BlobPart]);
    },
    async arrayBuffer() {
      const bytes = await source.read(0, source.size);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
    readSync: (a, b) => source.readSync(a, b),
  };
}
