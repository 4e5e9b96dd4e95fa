// The copy of an input into an output walks a tree a stranger made: a hard-link cycle (uns/loop is
// uns), an alias (two names, one object) and 3,000 nested groups once made `scweb analyze --out`
// run forever after the analysis had finished. Now the cycle and what lies past the depth limit are
// left out with a note, the alias stays one object, and the output is written and opens in anndata.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Group as H5Group } from 'h5wasm';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { MAX_TREE_DEPTH } from '../src/io/h5/walk.ts';
import { writeWithResults } from '../src/io/h5ad/results.ts';
import { openPaths } from '../src/io/node.ts';
import { hasPythonAnndata, readWithAnndata } from './python-anndata.ts';

const DEMO = join(__dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad');
const NESTED = 3000;
/** Debian's python3-h5py (make pydeps), as the fuzz corpus uses. */
const PYTHON = '/usr/bin/python3';

/**
 * The demo with uns/loop -> uns, uns/alias -> uns/louvain_colors and uns/n/n/.../n 3,000 deep,
 * made with h5py (h5wasm resolves every path from the root: 3,000 nested groups take it minutes).
 */
function hostileInput(dir: string): string {
  const path = join(dir, 'hostile.h5ad');
  copyFileSync(DEMO, path);
  const script = `
import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f:
    uns = f['uns']
    uns['loop'] = uns
    uns['alias'] = uns['louvain_colors']
    g = uns
    for _ in range(${NESTED}):
        g = g.create_group('n')
    g['leaf'] = [1.0, 2.0, 3.0]
`;
  const r = spawnSync(PYTHON, ['-c', script, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`h5py could not make the hostile file: ${r.stderr}`);
  return path;
}

/** Checks the written output: alias kept as one object, no cycle, nesting cut at the limit. */
async function checkOutput(out: string): Promise<void> {
  const { lib } = await nodeH5Runtime();
  const o = new lib.File(out, 'r');
  try {
    const uns = o.get('uns') as H5Group;
    expect(uns.keys()).not.toContain('loop');
    const address = (p: string) => Array.from((o.get(p) as H5Group).create_reference().ref_data).join(',');
    expect(address('uns/alias')).toBe(address('uns/louvain_colors'));
    let depth = 0;
    let g = uns.get('n') as H5Group | null;
    while (g && g.keys().includes('n')) {
      g = g.get('n') as H5Group;
      depth++;
    }
    expect(depth).toBeLessThan(MAX_TREE_DEPTH);
    expect(depth).toBeGreaterThan(MAX_TREE_DEPTH - 5);
  } finally {
    o.close();
  }
  if (hasPythonAnndata()) {
    const a = readWithAnndata(out);
    expect(a.shape[0]).toBe(700);
    expect(a.uns).toContain('alias');
  }
}

describe('copying a hostile tree', () => {
  it('scweb analyze --out writes its output with the cycle and the too-deep groups noted, not followed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-hostile-'));
    const input = hostileInput(dir);
    const out = join(dir, 'out.h5ad');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    try {
      expect(await main(['analyze', input, '--out', out, '--backend', 'cpu'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const log = lines.join('\n');
    expect(log).toContain('/uns/loop: a hard link back to /uns, which contains it (a cycle)');
    expect(log).toMatch(/\/uns(\/n)+: nested deeper than 32 groups/);
    expect(log).toContain(`wrote ${out}`);
    await checkOutput(out);
  }, 60_000);

  it('the app\'s export (writeWithResults on the opened file) does the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-hostile-'));
    const input = hostileInput(dir);
    const { lib } = await nodeH5Runtime();
    const ds = await openPaths([input]);
    const file = new lib.File(input, 'r');
    const out = join(dir, 'export.h5ad');
    let notes: string[];
    try {
      notes = await writeWithResults(lib, file, ds, out, {});
    } finally {
      file.close();
      ds.close();
    }
    expect(notes).toContain('/uns/loop: a hard link back to /uns, which contains it (a cycle)');
    expect(notes.filter((n) => n.includes('nested deeper'))).toHaveLength(1);
    await checkOutput(out);
  }, 60_000);
});
