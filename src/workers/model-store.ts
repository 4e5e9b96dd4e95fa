// Where the worker gets models: bundles served with the app (public/weights/index.json), bundles
// cached in the Origin Private File System, and checkpoint files the user picks, which are
// converted once and cached so a 200 MB model is not re-read on every visit.
import { readTorchStateDict } from '../model/checkpoint/torch.ts';
import type { LoadedModel, ModelFiles } from '../model/bundle.ts';
import { ModelError, loadModel, makeBundle } from '../model/bundle.ts';

export interface ModelEntry {
  id: string;
  name: string;
  /** What the model is good for, shown under the choice (the bundled test model says it is one). */
  note?: string;
  source: 'bundled' | 'cached';
  path?: string;
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

async function modelsDir(create: boolean): Promise<FileSystemDirectoryHandle | null> {
  try {
    const root = await navigator.storage.getDirectory();
    return await root.getDirectoryHandle('models', { create });
  } catch {
    return null;
  }
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
    if (res.ok) for (const m of (await res.json()) as { id: string; name: string; note?: string; path: string }[]) out.push({ ...m, source: 'bundled' });
  } catch {
    // No bundled models: the user can still pick a checkpoint.
  }
  const dir = await modelsDir(false);
  if (dir) {
    for await (const [name, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (handle.kind === 'directory') out.push({ id: name, name: `${name} (cached in this browser)`, source: 'cached' });
    }
  }
  return out;
}

/** Loads a model; picked checkpoint files are converted and cached (best effort) under `cacheId`. */
export async function loadModelFrom(source: ModelSource, onStage: (m: string) => void): Promise<{ model: LoadedModel; cachedAs?: string }> {
  if (source.kind === 'bundled') {
    onStage(`fetching ${source.path}`);
    return { model: await loadModel(urlFiles(source.path)) };
  }
  if (source.kind === 'cached') {
    const dir = await modelsDir(false);
    if (!dir) throw new ModelError('this browser has no private storage for cached models');
    return { model: await loadModel(cachedFiles(await dir.getDirectoryHandle(source.id))) };
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
