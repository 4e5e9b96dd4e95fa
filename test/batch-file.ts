// The integration tests' file: pbmc68k's counts with a `batch` column and a real batch effect,
// made by test/reference/batch_file.py with Debian's python3-anndata (once per test process).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED } from './helpers.ts';

let made: string | null = null;

export function batchFile(): string {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), 'scweb-batches-'));
  const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', fileURLToPath(new URL('reference/batch_file.py', import.meta.url)), join(SHARED, 'data'), dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`test/reference/batch_file.py failed (python3-anndata is needed: make pydeps):\n${r.stderr}`);
  made = join(dir, 'pbmc68k_batches.h5ad');
  return made;
}
