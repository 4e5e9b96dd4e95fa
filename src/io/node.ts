// Node-side file access for the CLI, tests and benchmarks. A directory stands for the files in it
// (a Cell Ranger `filtered_feature_bc_matrix/` folder).
import { DatasetError } from './errors.ts';
import { openAsBlob, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { nodeH5Runtime } from './h5/node-runtime.ts';
import type { OpenOptions } from './open.ts';
import { openDataset } from './open.ts';
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
