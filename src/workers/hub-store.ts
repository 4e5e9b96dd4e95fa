// Hub models in the browser: downloaded by the worker (bytes held in memory, since the checkpoint is
// read whole for conversion anyway; a dropped connection resumes with Range within the session),
// converted once, and kept in the origin's private storage (OPFS) as a bundle with its card.
import type { ByteSink } from '../model/hub/download.ts';
import type { DownloadTarget } from '../model/hub/fetch-model.ts';
import { fetchModel } from '../model/hub/fetch-model.ts';
import type { ModelCard, RegistryEntry } from '../model/hub/registry.ts';
import { CARD_FILE, HubError, cacheName, parseModelSpec, parseRegistry } from '../model/hub/registry.ts';

const BASE = import.meta.env.BASE_URL;

/** Present while a bundle is being written. */
export const INCOMPLETE = '.incomplete';

export const BROWSER_WAY_OUT =
  'Download args.json, vocab.json and best_model.pt where the hub can be reached and choose them with "Pick checkpoint files…", or set a mirror as the hub endpoint.';

export async function loadRegistry(): Promise<RegistryEntry[]> {
  try {
    const res = await fetch(`${BASE}models.json`);
    return res.ok ? parseRegistry(await res.json()) : [];
  } catch {
    return [];
  }
}

export async function modelsDir(create: boolean): Promise<FileSystemDirectoryHandle | null> {
  try {
    const root = await navigator.storage.getDirectory();
    return await root.getDirectoryHandle('models', { create });
  } catch {
    return null;
  }
}

type Writable = { write(b: Uint8Array): Promise<void>; close(): Promise<void> };

async function writeFile(dir: FileSystemDirectoryHandle, name: string, bytes: Uint8Array): Promise<void> {
  const handle = await dir.getFileHandle(name, { create: true });
  const w = await (handle as unknown as { createWritable(): Promise<Writable> }).createWritable();
  await w.write(bytes);
  await w.close();
}

function memoryTarget(folder: string): DownloadTarget {
  const files = new Map<string, Uint8Array[]>();
  const sink = (name: string): ByteSink => ({
    write: (chunk) => void files.get(name)!.push(chunk),
    reset: () => void files.set(name, []),
  });
  return {
    async open(name) {
      files.set(name, []);
      return { sink: sink(name) };
    },
    async read(name) {
      const parts = files.get(name) ?? [];
      if (parts.length === 1) return parts[0];
      const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of parts) out.set(p, (o += p.length) - p.length);
      // Joined once; the chunks go, so the file is held once.
      files.set(name, [out]);
      return out;
    },
    async discard(name) {
      files.delete(name);
    },
    async commit(bundle, card) {
      const dir = await modelsDir(true);
      if (!dir) throw new HubError('this browser gives the page no private storage (OPFS) to cache the model in');
      // A marker first, removed last: a folder still holding it is an interrupted write, never listed.
      await dir.removeEntry(folder, { recursive: true }).catch(() => {});
      const target = await dir.getDirectoryHandle(folder, { create: true });
      await writeFile(target, INCOMPLETE, new Uint8Array(0));
      for (const [name, bytes] of bundle) {
        await writeFile(target, name, bytes);
        bundle.set(name, new Uint8Array(0)); // let the shard go before the next is written
      }
      await writeFile(target, CARD_FILE, new TextEncoder().encode(JSON.stringify(card, null, 1)));
      await target.removeEntry(INCOMPLETE);
      files.clear();
    },
  };
}

export interface HubProgress {
  fraction: number;
  message: string;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Downloads, verifies, converts and caches a registry model; returns its cache folder name. */
export async function fetchHubModel(spec: string, endpoint: string, signal: AbortSignal, onProgress: (p: HubProgress) => void): Promise<string> {
  const ref = parseModelSpec(spec, await loadRegistry());
  if (!ref) throw new HubError(`unknown model "${spec}"`);
  const folder = cacheName(ref);
  const expectedTotal = ref.files.reduce((s, f) => s + (f.size ?? f.approxSize ?? 0), 0);
  const done = new Map<number, number>();
  await fetchModel(ref, memoryTarget(folder), {
    endpoint,
    signal,
    wayOut: BROWSER_WAY_OUT,
    onStage: (message) => onProgress({ fraction: 1, message }),
    onProgress: (p) => {
      done.set(p.fileIndex, p.received);
      const sum = [...done.values()].reduce((a, b) => a + b, 0);
      const left = Number.isFinite(p.secondsLeft) ? `, ${Math.ceil(p.secondsLeft)} s left` : '';
      onProgress({
        fraction: expectedTotal > 0 ? Math.min(1, sum / expectedTotal) : 0,
        message: `${p.file} (${p.fileIndex + 1}/${p.fileCount}): ${mb(p.received)}${p.total !== null ? ` of ${mb(p.total)}` : ''}, ${mb(p.bytesPerSecond)}/s${left}`,
      });
    },
  });
  return folder;
}

export async function readCard(dir: FileSystemDirectoryHandle): Promise<{ card: ModelCard; bytes: number } | null> {
  try {
    const card = JSON.parse(await (await (await dir.getFileHandle(CARD_FILE)).getFile()).text()) as ModelCard;
    let bytes = 0;
    for await (const [, h] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (h.kind === 'file') bytes += (await (h as FileSystemFileHandle).getFile()).size;
    }
    return { card, bytes };
  } catch {
    return null;
  }
}

export async function deleteCached(id: string): Promise<void> {
  const dir = await modelsDir(false);
  if (!dir) return;
  await dir.removeEntry(id, { recursive: true });
}
