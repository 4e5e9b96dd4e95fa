// The CLI's model cache: $SCWEB_CACHE (default ~/.cache/scweb). Partial downloads live in
// downloads/<repo>@<rev>/<file>.part, so a run that was stopped resumes where it was; finished
// models are bundles in models/<repo>@<rev>/ with the card beside them, written under a temporary
// name and renamed, so a model folder is either complete or absent.
import { createReadStream, existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, readdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DownloadProgress } from './download.ts';
import { newHasher } from './download.ts';
import type { DownloadTarget } from './fetch-model.ts';
import { fetchModel } from './fetch-model.ts';
import type { HubRef, ModelCard, RegistryEntry } from './registry.ts';
import { CARD_FILE, DEFAULT_ENDPOINT, HubError, cacheName, parseModelSpec, parseRegistry } from './registry.ts';

const REGISTRY = fileURLToPath(new URL('../../../public/models.json', import.meta.url));

export function cacheRoot(): string {
  return process.env.SCWEB_CACHE || join(homedir(), '.cache', 'scweb');
}

export function hubEndpoint(): string {
  return process.env.HF_ENDPOINT || DEFAULT_ENDPOINT;
}

export async function loadRegistry(): Promise<RegistryEntry[]> {
  return parseRegistry(JSON.parse(await readFile(REGISTRY, 'utf8')));
}

export function modelDir(ref: { repo: string; revision: string }): string {
  return join(cacheRoot(), 'models', cacheName(ref));
}

function downloadDir(ref: { repo: string; revision: string }): string {
  return join(cacheRoot(), 'downloads', cacheName(ref));
}

function fsTarget(ref: HubRef): DownloadTarget {
  const dl = downloadDir(ref);
  const part = (file: string) => join(dl, `${file}.part`);
  return {
    async open(file) {
      await mkdir(dl, { recursive: true });
      const path = part(file);
      let resume: { bytes: number; hasher: ReturnType<typeof newHasher> } | undefined;
      if (existsSync(path)) {
        // The hash has to cover the bytes kept from last time: read them once more.
        const hasher = newHasher();
        let bytes = 0;
        for await (const chunk of createReadStream(path)) {
          hasher.update(chunk as Buffer);
          bytes += (chunk as Buffer).length;
        }
        resume = { bytes, hasher };
      } else await writeFile(path, new Uint8Array(0));
      return { sink: { write: (chunk) => appendFile(path, chunk), reset: () => truncate(path, 0) }, resume };
    },
    read: async (file) => new Uint8Array(await readFile(part(file))),
    discard: (file) => rm(part(file), { force: true }),
    async commit(bundle, card) {
      const final = modelDir(ref);
      const tmp = `${final}.tmp-${process.pid}`;
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp, { recursive: true });
      for (const [name, bytes] of bundle) await writeFile(join(tmp, name), bytes);
      await writeFile(join(tmp, CARD_FILE), JSON.stringify(card, null, 1));
      await rm(final, { recursive: true, force: true });
      await rename(tmp, final);
      await rm(dl, { recursive: true, force: true });
    },
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function formatProgress(p: DownloadProgress): string {
  const left = Number.isFinite(p.secondsLeft) ? `, ${Math.ceil(p.secondsLeft)} s left` : '';
  return `${p.file}: ${mb(p.received)}${p.total !== null ? ` of ${mb(p.total)}` : ''}, ${mb(p.bytesPerSecond)}/s${left}`;
}

export const CLI_WAY_OUT = 'Download the files (args.json, vocab.json, best_model.pt) on a machine that can, and pass their folder with --model PATH; or set HF_ENDPOINT to a mirror.';

/** The bundle folder of a hub model, downloading, verifying and converting it when not cached. */
export async function ensureHubModel(ref: HubRef, log: (m: string) => void, signal?: AbortSignal): Promise<string> {
  const dir = modelDir(ref);
  if (existsSync(join(dir, CARD_FILE))) {
    log(`model ${ref.repo}@${ref.revision}: cached in ${dir}`);
    return dir;
  }
  const endpoint = hubEndpoint();
  log(`model ${ref.repo}@${ref.revision}: downloading from ${endpoint} into ${cacheRoot()}`);
  let last = 0;
  const card = await fetchModel(ref, fsTarget(ref), {
    endpoint,
    signal,
    wayOut: CLI_WAY_OUT,
    onStage: log,
    retryDelayMs: Number(process.env.SCWEB_RETRY_DELAY_MS) || undefined,
    onProgress: (p) => {
      const now = performance.now();
      if (now - last < 1000 && p.received !== p.total) return;
      last = now;
      log(`[${p.fileIndex + 1}/${p.fileCount}] ${formatProgress(p)}`);
    },
  });
  const want = ref.entry?.architecture;
  const got = card.architecture;
  if (want && (want.layers !== got.layers || want.dModel !== got.dModel || want.vocab !== got.vocab)) {
    log(`warning: the registry lists ${want.layers} layers, d_model ${want.dModel}, vocabulary ${want.vocab} for ${ref.repo}, but ${endpoint} served ${got.layers} layers, d_model ${got.dModel}, vocabulary ${got.vocab}`);
  }
  log(`model ${ref.repo}@${ref.revision}: verified (${card.files.map((f) => `${f.name} ${f.sha256 ? 'SHA-256 ok' : 'size ok, no checksum from the hub'}`).join('; ')}), cached in ${dir}`);
  return dir;
}

/** `--model` values: `hf:owner/name[@rev]` goes to the hub (or the cache); anything else is a folder. */
export async function resolveModelArg(arg: string, log: (m: string) => void): Promise<string> {
  if (!arg.startsWith('hf:')) return arg;
  const ref = parseModelSpec(arg, await loadRegistry());
  if (!ref) throw new HubError(`"${arg}" is not hf:OWNER/NAME[@REVISION]`);
  return ensureHubModel(ref, log);
}

export interface CachedModel {
  name: string;
  dir: string;
  card: ModelCard;
  bytes: number;
}

export async function listCached(): Promise<CachedModel[]> {
  const root = join(cacheRoot(), 'models');
  if (!existsSync(root)) return [];
  const out: CachedModel[] = [];
  for (const name of (await readdir(root)).sort()) {
    const dir = join(root, name);
    if (!existsSync(join(dir, CARD_FILE))) continue;
    let bytes = 0;
    for (const f of await readdir(dir)) bytes += (await stat(join(dir, f))).size;
    out.push({ name, dir, card: JSON.parse(await readFile(join(dir, CARD_FILE), 'utf8')) as ModelCard, bytes });
  }
  return out;
}

/** Removes a cached model and any partial download of it; false when there was neither. */
export async function removeCached(ref: { repo: string; revision: string }): Promise<boolean> {
  const dirs = [modelDir(ref), downloadDir(ref)].filter((d) => existsSync(d));
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  return dirs.length > 0;
}
