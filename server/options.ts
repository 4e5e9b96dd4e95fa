// What a server instance is built from. The CLI (`scweb serve`) fills it from flags and the
// environment; tests pass a clock, small limits and their own store.
import type { ShareStore } from './store.ts';

export interface ServerOptions {
  store: ShareStore;
  /** Local folder for plain uploads while they are checked (h5wasm opens files by path). */
  stagingDir: string;
  /** The built app (dist/); null serves the API alone. */
  appDir: string | null;
  /** Public origin for share links; by default the request's own protocol and host. */
  baseUrl?: string;
  maxUploadBytes: number;
  /**
   * Most bytes the snapshot route sends for a Range it does not honour (malformed, another unit):
   * up to this the whole body, past it 416. Satisfiable ranges are served as asked.
   */
  maxRangeResponseBytes: number;
  /** Longest (and default) lifetime of a share. */
  maxExpiresDays: number;
  /** Shares one client address may create per window; 0: no limit. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** How often expired shares are swept; 0 turns the timer off (they are still swept on access). */
  sweepIntervalMs: number;
  /**
   * Longest the AnnData check of one plain upload may run (anndata-checker.ts). A damaged file can
   * make HDF5 loop forever; past this the check's thread is stopped and the upload refused (400).
   */
  checkTimeoutMs: number;
  /** Honour X-Forwarded-For/-Proto from a TLS proxy in front (for the rate limit and links). */
  trustProxy: boolean;
  now: () => Date;
  logger: boolean;
}

export const DEFAULTS = {
  maxUploadBytes: 2 * 1024 ** 3,
  maxRangeResponseBytes: 8 * 1024 ** 2,
  maxExpiresDays: 90,
  rateLimitMax: 30,
  rateLimitWindowMs: 3600_000,
  sweepIntervalMs: 3600_000,
  checkTimeoutMs: 20_000,
  trustProxy: false,
  logger: false,
} as const;

/** "2GiB", "500M", "1048576": binary units, as users mean file sizes. */
export function parseSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) return null;
  const power = ' kmgt'.indexOf(m[2].toLowerCase() || ' ');
  const n = Math.floor(Number(m[1]) * 1024 ** power);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
