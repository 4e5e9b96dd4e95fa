// `scweb integrate`: Harmony over an obs batch column of the demo with a simulated batch effect
// (made with anndata, as the harmony fixture was made), written as obsm/X_pca_harmony into a copy
// of the input that anndata reads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runHarmony } from '../src/analysis/harmony.ts';
import { main } from '../src/cli/main.ts';
import { openPaths } from '../src/io/node.ts';
import { hasPythonAnndata, readWithAnndata } from './python-anndata.ts';

const DEMO = join(__dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad');
const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'scweb-integrate-'));

/** The demo with obs/batch (b0, b1, b2 at random) and obsm/X_pca shifted per batch. */
function batchedInput(): string {
  const path = join(dir, 'batched.h5ad');
  const script = `
import sys, numpy as np, pandas as pd, anndata
a = anndata.read_h5ad(sys.argv[1])
rs = np.random.RandomState(0)
b = rs.randint(0, 3, a.n_obs)
sd = a.obsm['X_pca'][:, 0].std()
shift = rs.normal(size=(3, a.obsm['X_pca'].shape[1]))
shift = shift / np.linalg.norm(shift, axis=1, keepdims=True) * 3 * sd
a.obsm['X_pca'] = (a.obsm['X_pca'] + shift[b]).astype(np.float32)
a.obs['batch'] = pd.Categorical(['b%d' % i for i in b])
a.write_h5ad(sys.argv[2])
`;
  const r = spawnSync(PYTHON, ['-c', script, DEMO, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`anndata could not make the batched input: ${r.stderr}`);
  return path;
}

async function run(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, text: lines.join('') };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

describe.runIf(hasPythonAnndata())('scweb integrate', () => {
  let input = '';
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes obsm/X_pca_harmony with progress per iteration, equal to runHarmony on one thread, readable by anndata', async () => {
    input = batchedInput();
    const out = join(dir, 'out.h5ad');
    const { code, text } = await run(['integrate', input, '--batch-key', 'batch', '--threads', '2', '--out', out]);
    expect(code, text).toBe(0);
    expect(text).toMatch(/iteration 1\/10: objective \d+\.\d+, \d+ k-means rounds/);
    expect(text).toContain('wrote');
    expect(existsSync(out)).toBe(true);
    const s = readWithAnndata(out);
    expect(s.obsm.X_pca_harmony).toEqual([700, 50]);
    expect(s.obsm.X_pca).toEqual([700, 50]);
    expect(s.obs.batch).toBe('category');
    const src = await openPaths([input]);
    const res = await openPaths([out]);
    try {
      const emb = src.readEmbedding('X_pca');
      const r = await runHarmony(emb.data, 700, 50, [src.obs.columns.find((c) => c.name === 'batch')!], { seed: 0 });
      expect(Array.from(res.readEmbedding('X_pca_harmony').data)).toEqual(Array.from(Float32Array.from(r.zCorr)));
      expect(Array.from(res.readEmbedding('X_pca').data)).toEqual(Array.from(emb.data));
    } finally {
      src.close();
      res.close();
    }
  });

  it('two batch keys with theta per key; --basis', async () => {
    const out = join(dir, 'two.h5ad');
    const { code, text } = await run(['integrate', input, '--batch-key', 'batch,phase', '--theta', '2,1', '--max-iter', '2', '--basis', 'X_pca', '--out', out]);
    expect(code, text).toBe(0);
    expect(readWithAnndata(out).obsm.X_pca_harmony).toEqual([700, 50]);
  });

  it('refuses a numeric batch column, a missing column and a missing basis', async () => {
    const out = join(dir, 'bad.h5ad');
    let r = await run(['integrate', input, '--batch-key', 'n_genes', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.text).toContain('batch key "n_genes" is numeric (int64)');
    expect(r.text).toContain('convert the column to categories first');
    r = await run(['integrate', input, '--batch-key', 'donor', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.text).toContain('--batch-key donor: no obs column "donor"');
    r = await run(['integrate', input, '--batch-key', 'batch', '--basis', 'X_scVI', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.text).toContain('--basis X_scVI: the file has no obsm/X_scVI');
    r = await run(['integrate', input, '--out', out]);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});
