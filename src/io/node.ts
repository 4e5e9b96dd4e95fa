// Node-side file access for the CLI, tests and benchmarks. A directory stands for the files in it
// (a Cell Ranger `filtered_feature_bc_matrix/` folder).
import { DatasetError } from './errors.ts';
import { openAsBlob, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { nodeH5Runtime } from './h5/node-runtime.ts';
import type { OpenOptions } from './open.ts';
import { openDataset } from './open.ts';
import { isDataFile } from './file-groups.ts';
import { openMany, type OpenManyOptions, type PickedFile } from './open-many.ts';
import type { SourceFile } from './source.ts';
import type { Dataset } from './types.ts';

export async function nodeSource(path: string): Promise<SourceFile> {
  const blob = await openAsBlob(path);
  return { name: basename(path), size: blob.size, blob, path };
}

/** Size of a file in bytes (0 for a folder or a missing path). */
export function fileBytes(path: string): number {
  try {
    const s = statSync(path);
    return s.isFile() ? s.size : 0;
  } catch {
    return 0;
  }
}

export async function nodeSources(paths: string[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const p of paths) {
    const info = await stat(p).catch((err: NodeJS.ErrnoException) => {
      throw new DatasetError('not-found', basename(p), err.code === 'ENOENT' ? `no such file or folder (${p})` : `cannot be read (${err.code ?? err.message})`);
    });
    if (info.isDirectory()) {
      for (const name of (await readdir(p)).sort()) if ((await stat(join(p, name))).isFile()) out.push(await nodeSource(join(p, name)));
    } else out.push(await nodeSource(p));
  }
  return out;
}

export async function openPaths(paths: string[], opts: OpenOptions = {}): Promise<Dataset> {
  return openDataset(await nodeSources(paths), nodeH5Runtime, opts);
}

/**
 * The CLI's inputs: one dataset (a file, a folder, or a MatrixMarket folder's files) opens as
 * `openPaths` does; several (a.h5ad b.h5 sampleC/) are joined into one (io/concat.ts). A folder
 * holding several datasets (sampleA/, sampleB/ inside it) counts as several.
 */
export async function openInputs(paths: string[], opts: OpenManyOptions = {}): Promise<Dataset> {
  const picked: PickedFile[] = [];
  for (const p of paths) {
    const info = await stat(p).catch((err: NodeJS.ErrnoException) => {
      throw new DatasetError('not-found', basename(p), err.code === 'ENOENT' ? `no such file or folder (${p})` : `cannot be read (${err.code ?? err.message})`);
    });
    if (!info.isDirectory()) {
      picked.push({ name: basename(p), path: p, inFolder: false, source: await nodeSource(p) });
      continue;
    }
    for (const file of await filesUnder(p)) picked.push({ name: basename(file), path: file, inFolder: true, source: await nodeSource(file) });
  }
  return openMany(picked, nodeH5Runtime, opts);
}

/**
 * A folder's files, sorted by path: its own when it holds a dataset (a MatrixMarket folder, .h5ad
 * files), else those of its subfolders (samples/sampleA/..., samples/sampleB/...), recursively.
 */
async function filesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  const dirs: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const info = await stat(path);
    if (info.isDirectory()) dirs.push(path);
    else if (info.isFile()) files.push(path);
  }
  if (files.some((f) => isDataFile(f)) || dirs.length === 0) return files;
  const out: string[] = [];
  for (const d of dirs) out.push(...(await filesUnder(d)));
  return out;
}
