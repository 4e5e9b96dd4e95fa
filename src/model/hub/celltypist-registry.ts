// CellTypist's hosted models (public/celltypist-models.json, beside the scGPT registry): names,
// URLs laid out as CellTypist's server has them ({endpoint}/models/{folder}/{version}/{file}.pkl),
// and one download through the hub downloader (progress, Range resume, size and SHA-256 checks,
// an offline message naming the URL). No DOM and no Node: the CLI and the worker share it.
import type { ByteSink, DownloadProgress, Expected, Hasher } from './download.ts';
import { VerificationError, downloadFile, fileInfo } from './download.ts';
import { HubError } from './registry.ts';

export const CELLTYPIST_ENDPOINT = 'https://celltypist.cog.sanger.ac.uk';

export interface CelltypistEntry {
  name: string;
  filename: string;
  url: string;
  version: string;
  species?: string;
  description: string;
  cellTypes?: number;
  genes?: number;
  size?: number;
  sha256?: string;
  source?: string;
  default?: boolean;
}

export function parseCelltypistRegistry(json: unknown): CelltypistEntry[] {
  const models = (json as { models?: unknown })?.models;
  if (!Array.isArray(models)) throw new HubError('celltypist-models.json has no "models" list');
  return models.map((m, i) => {
    const e = m as CelltypistEntry;
    if (typeof e.name !== 'string' || typeof e.filename !== 'string' || !/^[\w.-]+\.pkl$/.test(e.filename) || typeof e.url !== 'string' || !e.url.startsWith(`${CELLTYPIST_ENDPOINT}/models/`)) {
      throw new HubError(`celltypist-models.json entry ${i} needs a name, a filename ending in .pkl and a url under ${CELLTYPIST_ENDPOINT}/models/`);
    }
    return { ...e, version: e.version || 'v1' };
  });
}

/** A registry entry by name, with or without `.pkl` (CellTypist's own names carry it). */
export function findCelltypistModel(registry: CelltypistEntry[], name: string): CelltypistEntry | undefined {
  const n = name.replace(/\.pkl$/, '');
  return registry.find((e) => e.name === n || e.filename === name);
}

/** The entry's URL on `endpoint` (a mirror or a local server laid out as CellTypist's). */
export function celltypistUrl(e: CelltypistEntry, endpoint = CELLTYPIST_ENDPOINT): string {
  return `${endpoint.replace(/\/+$/, '')}${e.url.slice(CELLTYPIST_ENDPOINT.length)}`;
}

/** A cache name per model and version: Immune_All_Low@v2.pkl. */
export function celltypistCacheName(e: CelltypistEntry): string {
  return `${e.name}@${e.version.replace(/[^\w.-]/g, '_')}.pkl`;
}

export interface CelltypistFetchOptions {
  endpoint?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Bytes an earlier, interrupted download left in the sink, with their hash so far. */
  resume?: { bytes: number; hasher: Hasher };
  wayOut: string;
  retryDelayMs?: number;
}

/**
 * Downloads one model file into `sink`: sizes and checksum from the registry where it pins them
 * (else the server's Content-Length and, when it states one, its SHA-256 ETag). A file that fails
 * verification throws VerificationError: the caller discards it and never resumes from it.
 */
export async function fetchCelltypistFile(e: CelltypistEntry, sink: ByteSink, opts: CelltypistFetchOptions): Promise<{ size: number; sha256: string; verified: boolean; url: string }> {
  const url = celltypistUrl(e, opts.endpoint);
  const served = await fileInfo(url, async () => new Map<string, Expected>(), e.filename, { signal: opts.signal, wayOut: opts.wayOut });
  if (e.size !== undefined && served.size !== null && served.size !== e.size) {
    throw new VerificationError(`${url} is ${served.size.toLocaleString('en-US')} bytes but the registry lists ${e.filename} ${e.version} at ${e.size.toLocaleString('en-US')}: the server holds another file; nothing was kept`);
  }
  const expected: Expected = { size: e.size ?? served.size, sha256: e.sha256 ?? served.sha256 };
  const done = await downloadFile(url, e.filename, sink, expected, { signal: opts.signal, onProgress: opts.onProgress, resume: opts.resume, wayOut: opts.wayOut, retryDelayMs: opts.retryDelayMs });
  return { ...done, verified: !!expected.sha256, url };
}
