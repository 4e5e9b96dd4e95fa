// CellTypist models in the CLI's cache: $SCWEB_CACHE/celltypist/<name>@<version>.pkl, downloaded
// into a .part file beside it (a stopped run resumes from there) and renamed once verified, so
// a cached model is always a whole one. $CELLTYPIST_ENDPOINT points at a mirror.
import { createReadStream, existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VerificationError, newHasher } from './download.ts';
import type { CelltypistEntry } from './celltypist-registry.ts';
import { CELLTYPIST_ENDPOINT, celltypistCacheName, celltypistUrl, fetchCelltypistFile, parseCelltypistRegistry } from './celltypist-registry.ts';
import { formatProgress, cacheRoot } from './node-cache.ts';

const REGISTRY = fileURLToPath(new URL('../../../public/celltypist-models.json', import.meta.url));

export async function loadCelltypistRegistry(): Promise<CelltypistEntry[]> {
  return parseCelltypistRegistry(JSON.parse(await readFile(REGISTRY, 'utf8')));
}

export function celltypistEndpoint(): string {
  return process.env.CELLTYPIST_ENDPOINT || CELLTYPIST_ENDPOINT;
}

export function celltypistCachePath(e: CelltypistEntry): string {
  return join(cacheRoot(), 'celltypist', celltypistCacheName(e));
}

/** The cached model file, downloading and verifying it first when it is not there. */
export async function ensureCelltypistModel(e: CelltypistEntry, log: (m: string) => void, signal?: AbortSignal): Promise<string> {
  const path = celltypistCachePath(e);
  if (existsSync(path)) {
    log(`CellTypist model ${e.name} ${e.version}: cached in ${path}`);
    return path;
  }
  const endpoint = celltypistEndpoint();
  const part = `${path}.part`;
  await mkdir(join(cacheRoot(), 'celltypist'), { recursive: true });
  let resume: { bytes: number; hasher: ReturnType<typeof newHasher> } | undefined;
  if (existsSync(part)) {
    const hasher = newHasher();
    let bytes = 0;
    for await (const chunk of createReadStream(part)) {
      hasher.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    resume = { bytes, hasher };
    log(`CellTypist model ${e.name}: resuming at ${bytes.toLocaleString('en-US')} bytes`);
  } else await writeFile(part, new Uint8Array(0));
  log(`CellTypist model ${e.name} ${e.version}: downloading ${celltypistUrl(e, endpoint)} into ${cacheRoot()}`);
  let last = 0;
  try {
    const done = await fetchCelltypistFile(
      e,
      { write: (chunk) => appendFile(part, chunk), reset: () => truncate(part, 0) },
      {
        endpoint,
        signal,
        resume,
        retryDelayMs: Number(process.env.SCWEB_RETRY_DELAY_MS) || undefined,
        wayOut: `Download ${e.filename} from ${e.url} where it can be reached and pass the file (--celltypist FILE.pkl), or set CELLTYPIST_ENDPOINT to a mirror.`,
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < 1000 && p.received !== p.total) return;
          last = now;
          log(formatProgress(p));
        },
      },
    );
    await rename(part, path);
    log(`CellTypist model ${e.name} ${e.version}: ${done.size.toLocaleString('en-US')} bytes, ${done.verified ? `SHA-256 ${done.sha256} verified` : 'size checked (no checksum published)'}; cached in ${path}`);
    return path;
  } catch (err) {
    if (err instanceof VerificationError) await rm(part, { force: true });
    throw err;
  }
}

/** Drops a cached model that turned out not to be one (so the next run downloads it again). */
export async function forgetCelltypistModel(e: CelltypistEntry): Promise<void> {
  await rm(celltypistCachePath(e), { force: true });
}
