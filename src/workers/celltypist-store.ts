// CellTypist's hosted models in the browser: the registry (public/celltypist-models.json), a
// download through the hub downloader (held in memory: a model is a few MB), and the origin's
// private storage (OPFS, folder celltypist/) for the ones that parsed as models, so each is
// fetched once.
import { MAX_PICKLE_BYTES } from '../io/pickle/unpickle.ts';
import type { CelltypistEntry } from '../model/hub/celltypist-registry.ts';
import { celltypistCacheName, fetchCelltypistFile, findCelltypistModel, parseCelltypistRegistry } from '../model/hub/celltypist-registry.ts';
import { HubError } from '../model/hub/registry.ts';

const BASE = import.meta.env.BASE_URL;

export async function loadCelltypistRegistry(): Promise<CelltypistEntry[]> {
  const res = await fetch(`${BASE}celltypist-models.json`);
  if (!res.ok) throw new HubError(`the CellTypist model list could not be loaded (HTTP ${res.status})`);
  return parseCelltypistRegistry(await res.json());
}

async function folder(create: boolean): Promise<FileSystemDirectoryHandle | null> {
  try {
    return await (await navigator.storage.getDirectory()).getDirectoryHandle('celltypist', { create });
  } catch {
    return null;
  }
}

/** Registry names whose model is in the cache. */
export async function cachedCelltypist(registry: CelltypistEntry[]): Promise<string[]> {
  const dir = await folder(false);
  if (!dir) return [];
  const out: string[] = [];
  for (const e of registry) {
    try {
      await dir.getFileHandle(celltypistCacheName(e));
      out.push(e.name);
    } catch {
      // not cached
    }
  }
  return out;
}

export interface CelltypistBytes {
  bytes: Uint8Array;
  fileName: string;
  /** Stores a downloaded model in the cache (call once it parsed as one); a no-op for a cached one. */
  keep(): Promise<void>;
}

/** A registry model's bytes: from the cache, or downloaded (verified) from `endpoint`. */
export async function celltypistModelBytes(name: string, endpoint: string, signal: AbortSignal, onProgress: (fraction: number, message: string) => void): Promise<CelltypistBytes> {
  const registry = await loadCelltypistRegistry();
  const e = findCelltypistModel(registry, name);
  if (!e) throw new HubError(`"${name}" is not in the CellTypist model list`);
  const dir = await folder(false);
  const cacheName = celltypistCacheName(e);
  if (dir) {
    try {
      const file = await (await dir.getFileHandle(cacheName)).getFile();
      return { bytes: new Uint8Array(await file.arrayBuffer()), fileName: e.filename, keep: async () => {} };
    } catch {
      // not cached: download below
    }
  }
  const parts: Uint8Array[] = [];
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  await fetchCelltypistFile(
    e,
    {
      write: (chunk) => {
        parts.push(chunk);
      },
      reset: () => {
        parts.length = 0;
      },
    },
    {
      endpoint,
      signal,
      wayOut: `Download ${e.filename} from ${e.url} where it can be reached and choose it with "Pick a .pkl file", or give a mirror with ?celltypist_endpoint=URL.`,
      onProgress: (p) => {
        onProgress(p.total ? p.received / p.total : 0, `${e.filename}: ${mb(p.received)}${p.total !== null ? ` of ${mb(p.total)}` : ''}, ${mb(p.bytesPerSecond)}/s`);
      },
    },
  );
  const size = parts.reduce((s, p) => s + p.length, 0);
  if (size > MAX_PICKLE_BYTES) throw new HubError(`${e.filename} is ${mb(size)}, more than a model is read to`);
  const bytes = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return {
    bytes,
    fileName: e.filename,
    async keep() {
      const d = await folder(true);
      if (!d) return; // no private storage: it is downloaded again next time
      const handle = await d.getFileHandle(cacheName, { create: true });
      const w = await (handle as unknown as { createWritable(): Promise<{ write(b: Uint8Array): Promise<void>; close(): Promise<void> }> }).createWritable();
      await w.write(bytes);
      await w.close();
    },
  };
}
