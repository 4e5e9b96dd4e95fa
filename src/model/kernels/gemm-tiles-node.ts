// The CLI's remembered GEMM tile choices: one small JSON file beside the model cache
// ($SCWEB_CACHE/gemm-tiles.json), written whole under a temporary name and renamed.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseChoices, type TileStore } from './gemm-tiles.ts';

export function fileTileStore(path: string): TileStore {
  return {
    async load() {
      try {
        return parseChoices(await readFile(path, 'utf8'));
      } catch {
        return {};
      }
    },
    async save(all) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(all, null, 1));
      await rename(tmp, path);
    },
  };
}
