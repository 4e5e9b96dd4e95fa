// Where the worker gets models: bundles served with the app (public/weights/index.json), bundles
// cached in the Origin Private File System, and checkpoint files the user picks, which are
// converted once and cached so a 200 MB model is not re-read on every visit.
import { readTorchStateDict } from '../model/checkpoint/torch.ts';
import type { LoadedModel, ModelFiles } from '../model/bundle.ts';
import { ModelError, loadModel, makeBundle } from '../model/bundle.ts';
import type { ModelCard } from '../model/hub/registry.ts';
import { INCOMPLETE, modelsDir, readCard } from './hub-store.ts';

/** How the bundled test model is named wherever it appears. */
export const TEST_MODEL_LABEL = 'test model: random weights, embeddings carry no biology';

export interface ModelEntry {
  id: string;
  name: string;
  /** What the model is good for, shown under the choice (the bundled test model says it is one). */
  note?: string;
  source: 'bundled' | 'cached';
  path?: string;
  /** A model whose weights are random: it checks the pipeline, its embeddings mean nothing. */
  test?: boolean;
  /** Hub models: where they came from and what was verified. */
  card?: ModelCard;
  /** Size of the cached bundle. */
  bytes?: number;
}

export type ModelSource = { kind: 'bundled'; id: string; path: string } | { kind: 'cached'; id: string } | { kind: 'files'; files: File[] };

const BASE = import.meta.env.BASE_URL;

function urlFiles(base: string): ModelFiles {
  return async (name) => {
    const res = await fetch(`${BASE}${base}${name}`);
    if (res.status === 404) return null;
    if (!res.ok) throw new ModelError(`could not fetch ${base}${name} (HTTP ${res.status})`);
    return new Uint8Array(await res.arrayBuffer());
  };
}

function pickedFiles(files: File[]): ModelFiles {
  const byName = new Map(files.map((f) => [f.name.split('/').pop()!, f]));
  return async (name) => {
    const f = byName.get(name);
    return f ? new Uint8Array(await f.arrayBuffer()) : null;
  };
}

function cachedFiles(dir: FileSystemDirectoryHandle): ModelFiles {
  return async (name) => {
    try {
      const handle = await dir.getFileHandle(name);
      return new Uint8Array(await (await handle.getFile()).arrayBuffer());
    } catch {
      return null;
    }
  };
}

export async function listModels(): Promise<ModelEntry[]> {
  const out: ModelEntry[] = [];
  try {
    const res = await fetch(`${BASE}weights/index.json`);
    if (res.ok) {
      for (const m of (await res.json()) as { id: string; name: string; path: string; test?: boolean }[]) {
        // A short name fits the select; the card and the note under it say the rest.
        out.push({ ...m, name: m.test ? 'test model: random weights' : m.name, note: m.test ? `${m.name}: ${TEST_MODEL_LABEL}` : undefined, source: 'bundled' });
      }
    }
  } catch {
    // No bundled models: the user can still pick a checkpoint.
  }
  const dir = await modelsDir(false);
  if (dir) {
    for await (const [name, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (handle.kind !== 'directory') continue;
      const folder = handle as FileSystemDirectoryHandle;
      if (await folder.getFileHandle(INCOMPLETE).then(() => true, () => false)) continue;
      const hub = await readCard(folder);
      if (hub) {
        const title = hub.card.entry?.title ?? hub.card.repo;
        out.push({ id: name, name: `${title} (${hub.card.repo}@${hub.card.revision}, cached in this browser)`, source: 'cached', card: hub.card, bytes: hub.bytes });
      } else out.push({ id: name, name: `${name} (cached in this browser)`, source: 'cached' });
    }
  }
  return out;
}

/** The vocabulary of a model without its weights: for "genes of this dataset in the vocabulary". */
export async function modelVocab(source: ModelSource): Promise<Record<string, number>> {
  const files = source.kind === 'bundled' ? urlFiles(source.path) : source.kind === 'files' ? pickedFiles(source.files) : await cachedSource(source.id);
  const bytes = await files('vocab.json');
  if (!bytes) throw new ModelError('the model has no vocab.json');
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, number>;
}

async function cachedSource(id: string): Promise<ModelFiles> {
  const dir = await modelsDir(false);
  if (!dir) throw new ModelError('this browser has no private storage for cached models');
  return cachedFiles(await dir.getDirectoryHandle(id));
}

/** Loads a model; picked checkpoint files are converted and cached (best effort) under `cacheId`. */
export async function loadModelFrom(source: ModelSource, onStage: (m: string) => void): Promise<{ model: LoadedModel; cachedAs?: string }> {
  if (source.kind === 'bundled') {
    onStage(`fetching ${source.path}`);
    return { model: await loadModel(urlFiles(source.path)) };
  }
  if (source.kind === 'cached') {
    return { model: await loadModel(await cachedSource(source.id)) };
  }
  onStage('reading the checkpoint');
  const files = pickedFiles(source.files);
  const model = await loadModel(files);
  const pt = await files('best_model.pt');
  if (!pt) return { model }; // already a bundle: nothing to convert
  onStage('caching the converted model in this browser');
  const folder = source.files[0]?.webkitRelativePath?.split('/')[0] || `model-${model.weights.config.nLayers}x${model.weights.config.dModel}`;
  const dir = await modelsDir(true);
  if (!dir) return { model };
  const target = await dir.getDirectoryHandle(folder, { create: true });
  for (const [name, bytes] of makeBundle(model, await readTorchStateDict(pt), 'f32', folder)) {
    const handle = await target.getFileHandle(name, { create: true });
    const writable = await (handle as unknown as { createWritable(): Promise<{ write(b: Uint8Array): Promise<void>; close(): Promise<void> }> }).createWritable();
    await writable.write(bytes);
    await writable.close();
  }
  return { model, cachedAs: folder };
}
