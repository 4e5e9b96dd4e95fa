// One interface for where shares live: the filesystem (one machine) or S3 (several stateless
// instances behind a load balancer). A share is the snapshot bytes plus a small metadata record;
// the record is written after the data, so a share without one is half-written and never served.
import type { Readable } from 'node:stream';
import type { ShareMeta as PublicShareMeta } from '../src/io/share/client.ts';

/** What the API answers (the client's type, so both sides read one contract), plus what stays here. */
export interface ShareMeta extends PublicShareMeta {
  /** SHA-256 (hex) of the owner token. */
  ownerTokenHash: string;
  /** SHA-256 of the bytes (base64url): the strong ETag. */
  sha256: string;
}

/** Inclusive byte range, already checked against the share's size. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ShareStore {
  /**
   * Stores the bytes, then the metadata. Atomic: if `data` fails (size limit, bad content, client
   * gone) or the process dies, nothing is visible under `id`. `meta` is called once the bytes are
   * all in, so it can carry what only the whole stream tells (size, hash).
   */
  put(id: string, data: Readable, meta: () => ShareMeta): Promise<void>;
  /** The metadata, or null when there is no complete share under `id`. */
  head(id: string): Promise<ShareMeta | null>;
  /** The bytes (or the range of them) of a share `head` found. */
  get(id: string, range?: ByteRange): Promise<Readable>;
  /** Removes the share; removing one that is not there is not an error. */
  delete(id: string): Promise<void>;
  /** Removes every share that expired at or before `now`; returns how many. */
  sweep(now: Date): Promise<number>;
  /** Removes what a killed process left behind (temp files); called once at startup. */
  recover(): Promise<void>;
  /** Where the store keeps things, for the startup line. */
  describe(): string;
}

export function isExpired(meta: ShareMeta, now: Date): boolean {
  return Date.parse(meta.expiresAt) <= now.getTime();
}
