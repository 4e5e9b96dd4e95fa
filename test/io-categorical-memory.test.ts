// An obs categorical with as many categories as cells (300,000 here; the 3,000,000-cell figures
// are in the commit that added this test) opens within twice the file's size in memory: codes as
// one Int32Array, each name decoded once into a compact string. Measured in a child process with
// --expose-gc (scripts/open-memory.ts) from before the open to after it; no timing is asserted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasPythonAnndata } from './python-anndata.ts';

const N = 300_000;
const dir = mkdtempSync(join(tmpdir(), 'scweb-cats-'));
const file = join(dir, 'many_categories.h5ad');
const python = hasPythonAnndata();

beforeAll(() => {
  if (!python) return;
  const script = fileURLToPath(new URL('reference/many_categories.py', import.meta.url));
  const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', script, String(N), file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`many_categories.py failed:\n${r.stderr}`);
});

describe.skipIf(!python)('a categorical with a category per cell', () => {
  it('costs less than twice the file size in memory once open', () => {
    const script = fileURLToPath(new URL('../scripts/open-memory.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, file], { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) });
    if (r.status !== 0) throw new Error(`open-memory.ts failed:\n${r.stderr}`);
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { fileBytes: number; nObs: number; categories: number; heapBytes: number; externalBytes: number };
    expect(m.nObs).toBe(N);
    expect(m.categories).toBe(N + 3); // barcode's N plus batch's 3
    // JS heap (names) plus typed arrays and the HDF5 module's grown memory, against the file.
    expect(m.heapBytes + m.externalBytes).toBeLessThan(2 * m.fileBytes);
    // The heap holds the obs names and the category names: about 40 bytes each (a flat 13-character
    // string and its array slot), 56 when h5wasm's per-character strings were kept.
    expect(m.heapBytes / (2 * N)).toBeLessThan(48);
  });
});
