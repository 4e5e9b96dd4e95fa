// One file from a Hugging Face style hub: `{endpoint}/{repo}/resolve/{revision}/{file}`, which
// answers with a redirect to a CDN. Streams into a sink while hashing (SHA-256, as the hub states
// it for large files), resumes a dropped connection with Range, reports progress at least once a
// second, stops on an AbortSignal, and refuses a file whose size or checksum is not what the hub
// said. No DOM and no Node: the worker and the CLI share it, each with its own sink.
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { CancelledError } from '../../io/errors.ts';
import { HubError } from './registry.ts';

/** The bytes are not the file the hub stated: never kept, never resumed from. */
export class VerificationError extends HubError {}

export interface DownloadProgress {
  file: string;
  received: number;
  total: number | null;
  bytesPerSecond: number;
  secondsLeft: number;
}

/** Where the bytes go. `reset` discards what was written (the server ignored a Range request). */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void> | void;
  reset(): Promise<void> | void;
}

export interface Expected {
  size: number | null;
  sha256: string | null;
  /** The commit the revision resolved to, when the hub said. */
  commit?: string;
}

export type Hasher = ReturnType<typeof sha256.create>;

export function newHasher(): Hasher {
  return sha256.create();
}

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Bytes already in the sink from an earlier attempt, with the hasher fed those bytes. */
  resume?: { bytes: number; hasher: Hasher };
  /** What the user can do instead when the hub cannot be reached (picker, --model PATH). */
  wayOut: string;
  /** Attempts in a row that bring no new byte before giving up. */
  maxStalls?: number;
  retryDelayMs?: number;
}

export interface Downloaded {
  size: number;
  sha256: string;
}

/** The hub's checksum header: `"<64 hex>"`, perhaps weak (`W/`). Git blob ids (40 hex) are not SHA-256. */
export function sha256FromEtag(value: string | null): string | null {
  const m = value && /^(?:W\/)?"?([0-9a-f]{64})"?$/i.exec(value.trim());
  return m ? m[1].toLowerCase() : null;
}

function unreachable(url: string, err: unknown, wayOut: string): HubError {
  const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
  return new HubError(`could not reach ${url} (${why}): offline, or the hub is blocked from here. ${wayOut}`);
}

function httpError(url: string, status: number, wayOut: string): HubError {
  const hint = status === 401 || status === 403 ? 'the repository is gated or private' : status === 404 ? 'no such repository, revision or file' : 'the hub refused';
  return new HubError(`${url} answered HTTP ${status} (${hint}). ${wayOut}`);
}

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return !!signal?.aborted || (err instanceof Error && err.name === 'AbortError');
}

/**
 * Size, checksum and commit as the hub states them. The resolve URL's own answer carries them
 * (X-Linked-Size, X-Linked-Etag, X-Repo-Commit) before the redirect; where the redirect cannot be
 * seen (browsers hide it), the hub's tree listing gives the same numbers.
 */
export async function fileInfo(url: string, tree: () => Promise<Map<string, Expected>>, file: string, opts: Pick<DownloadOptions, 'signal' | 'wayOut'>): Promise<Expected> {
  const head = async (target: string, redirect: RequestRedirect) => {
    try {
      return await fetch(target, { method: 'HEAD', redirect, signal: opts.signal });
    } catch (err) {
      if (isAbort(err, opts.signal)) throw new CancelledError(file);
      throw unreachable(target, err, opts.wayOut);
    }
  };
  let res = await head(url, 'manual');
  // A renamed repository answers with a relative redirect to its new name, without the file's
  // headers: follow those (a few) until the answer that states the file.
  for (let hops = 0; hops < 5 && res.status >= 300 && res.status < 400 && !res.headers.get('x-linked-size') && res.headers.get('location'); hops++) {
    res = await head(new URL(res.headers.get('location')!, url).href, 'manual');
  }
  if (res.type === 'opaqueredirect' || res.status === 0) {
    const listed = (await tree().catch(() => new Map<string, Expected>())).get(file);
    if (listed) return listed;
    res = await head(url, 'follow');
  }
  if (res.status >= 400) throw httpError(url, res.status, opts.wayOut);
  const linkedSize = res.headers.get('x-linked-size');
  const isRedirect = res.status >= 300 && res.status < 400;
  const length = !isRedirect ? res.headers.get('content-length') : null;
  const size = linkedSize ? Number(linkedSize) : length ? Number(length) : null;
  const hash = sha256FromEtag(res.headers.get('x-linked-etag')) ?? (!isRedirect ? sha256FromEtag(res.headers.get('etag')) : null);
  return { size: size !== null && Number.isFinite(size) ? size : null, sha256: hash, commit: res.headers.get('x-repo-commit') ?? undefined };
}

/** `{endpoint}/api/models/{repo}/tree/{revision}`: sizes and LFS SHA-256 of the repository's files. */
export async function treeInfo(endpoint: string, repo: string, revision: string, signal?: AbortSignal): Promise<Map<string, Expected>> {
  const res = await fetch(`${endpoint.replace(/\/+$/, '')}/api/models/${repo}/tree/${encodeURIComponent(revision)}`, { signal });
  if (!res.ok) throw new HubError(`tree listing: HTTP ${res.status}`);
  const out = new Map<string, Expected>();
  for (const f of (await res.json()) as { path: string; size?: number; type?: string; lfs?: { oid?: string; sha256?: string; size?: number } }[]) {
    if (f.type && f.type !== 'file') continue;
    out.set(f.path, { size: f.lfs?.size ?? f.size ?? null, sha256: sha256FromEtag(f.lfs?.oid ?? f.lfs?.sha256 ?? null) });
  }
  return out;
}

/** Bytes per second over the last few seconds, so a stall shows as a falling rate. */
class RateMeter {
  private samples: [number, number][] = [];
  add(t: number, bytes: number) {
    this.samples.push([t, bytes]);
    while (this.samples.length > 2 && t - this.samples[0][0] > 5000) this.samples.shift();
  }
  rate(t: number, bytes: number): number {
    const [t0, b0] = this.samples[0] ?? [t, bytes];
    return t - t0 > 0 ? ((bytes - b0) * 1000) / (t - t0) : 0;
  }
}

export async function downloadFile(url: string, file: string, sink: ByteSink, expected: Expected, opts: DownloadOptions): Promise<Downloaded> {
  const { signal } = opts;
  let hasher = opts.resume?.hasher ?? newHasher();
  let received = opts.resume?.bytes ?? 0;
  let total = expected.size;
  const meter = new RateMeter();
  const report = () => {
    const now = performance.now();
    meter.add(now, received);
    const bytesPerSecond = meter.rate(now, received);
    opts.onProgress?.({ file, received, total, bytesPerSecond, secondsLeft: total !== null && bytesPerSecond > 0 ? (total - received) / bytesPerSecond : Infinity });
  };
  // A timer as well as the chunks: a stalled connection still reports, with its rate falling.
  const timer = setInterval(report, 1000);
  report();
  try {
    let stalls = 0;
    for (;;) {
      if (signal?.aborted) throw new CancelledError(file);
      if (total !== null && received === total) break;
      if (total !== null && received > total) throw new VerificationError(`${url}: received ${received} bytes, more than the ${total} the hub stated`);
      const before = received;
      let res: Response;
      try {
        res = await fetch(url, { headers: received > 0 ? { Range: `bytes=${received}-` } : {}, signal });
      } catch (err) {
        if (isAbort(err, signal)) throw new CancelledError(file);
        // Never reached at all: offline. Reached before: a dropped connection, retried below.
        if (received === 0 && stalls === 0) throw unreachable(url, err, opts.wayOut);
        if (++stalls > (opts.maxStalls ?? 5)) throw unreachable(url, err, opts.wayOut);
        await delay(opts.retryDelayMs ?? 1000, file, signal);
        continue;
      }
      if (res.status === 416 && total !== null && received === total) break;
      if (!res.ok) throw httpError(url, res.status, opts.wayOut);
      const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (received > 0 && (res.status !== 206 || !range || Number(range[1]) !== received)) {
        // The server sent the whole file again: start over rather than splice mismatched bytes.
        await sink.reset();
        hasher = newHasher();
        received = 0;
      }
      const length = Number(res.headers.get('content-length'));
      const stated = range && range[2] !== '*' ? Number(range[2]) : res.status === 200 && length > 0 ? length : null;
      if (stated !== null) {
        if (total !== null && stated !== total) throw new VerificationError(`${url}: the server sends ${stated} bytes but the hub stated ${total}; refusing a file that changed under us`);
        total = stated;
      }
      if (!res.body) throw new HubError(`${url}: empty response`);
      const reader = res.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await sink.write(value);
          hasher.update(value);
          received += value.length;
          if (total !== null && received > total) throw new VerificationError(`${url}: received more than the ${total} bytes stated`);
        }
      } catch (err) {
        if (isAbort(err, signal)) throw new CancelledError(file);
        if (err instanceof HubError) throw err;
        // The connection dropped mid-file: go round again from `received`.
      }
      if (total === null) break; // no size from anyone: the stream's end is the file's end
      if (received === before) {
        if (++stalls > (opts.maxStalls ?? 5)) throw new HubError(`${url}: the connection keeps dropping at ${received} of ${total} bytes. ${opts.wayOut}`);
        await delay(opts.retryDelayMs ?? 1000, file, signal);
      } else stalls = 0;
    }
  } finally {
    clearInterval(timer);
  }
  report();
  const digest = bytesToHex(hasher.digest());
  if (expected.size !== null && received !== expected.size) throw new VerificationError(`${file}: ${received} bytes, but the hub states ${expected.size}`);
  if (expected.sha256 && digest !== expected.sha256) {
    throw new VerificationError(`${file}: SHA-256 ${digest} does not match the hub's ${expected.sha256}; the download is corrupt or was tampered with, and nothing was kept`);
  }
  return { size: received, sha256: digest };
}

function delay(ms: number, file: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new CancelledError(file));
      },
      { once: true },
    );
  });
}
