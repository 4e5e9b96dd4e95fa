// `scweb analyze --batch-key`: the pipeline integrated over an obs column (test/reference/batch_file.py)
// writes obsm/X_pca_harmony, X_umap and the graph from it (uns/neighbors use_rep X_pca_harmony), the
// batch HVG columns as scanpy names them, logs Harmony's iterations; python3-anndata reads it. Bad
// flags and bad columns are refused with the column named.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.ts';
import { openPaths } from '../src/io/node.ts';
import { batchFile } from './batch-file.ts';
import { hasPythonAnndata } from './python-anndata.ts';

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

const dir = mkdtempSync(join(tmpdir(), 'scweb-analyze-batch-'));

describe.runIf(hasPythonAnndata())('scweb analyze --batch-key', () => {
  it('integrates over the batch column into obsm/X_pca_harmony; X_umap and the graph from it; anndata reads it', async () => {
    const input = batchFile();
    const out = join(dir, 'out.h5ad');
    const { code, text } = await run(['analyze', input, '--out', out, '--backend', 'cpu', '--threads', '1', '--batch-key', 'batch', '--n-top-genes', '300']);
    expect(code, text).toBe(0);
    expect(text).toMatch(/harmony: iteration 1\/10 done: objective \d/);
    expect(text).toMatch(/Harmony over batch \(3 batches\) on X_pca -> X_pca_harmony: (converged after \d+ of 10 iterations|stopped after 10 iterations)/);
    const ds = await openPaths([out]);
    expect(ds.embeddings.map((e) => e.key).sort()).toEqual(['X_pca', 'X_pca_harmony', 'X_umap']);
    expect(ds.readEmbedding('X_pca_harmony').shape).toEqual([700, 50]);
    ds.close();
    const py = `
import sys, json, anndata
a = anndata.read_h5ad(sys.argv[1])
print(json.dumps({
  'obsm': {k: list(a.obsm[k].shape) for k in a.obsm},
  'use_rep': a.uns['neighbors']['params']['use_rep'],
  'var': {c: str(a.var[c].dtype) for c in ['highly_variable', 'highly_variable_nbatches', 'highly_variable_intersection', 'dispersions_norm']},
  'n_hvg': int(a.var['highly_variable'].sum()),
  'nbatches_max': int(a.var['highly_variable_nbatches'].max()),
  'intersection_in_hvg': bool((~a.var['highly_variable_intersection'] | a.var['highly_variable']).all()),
}))`;
    const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', '-c', py, out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      obsm: { X_pca: [700, 50], X_pca_harmony: [700, 50], X_umap: [700, 2] },
      use_rep: 'X_pca_harmony',
      var: { highly_variable: 'bool', highly_variable_nbatches: 'int64', highly_variable_intersection: 'bool', dispersions_norm: 'float32' },
      n_hvg: 300,
      nbatches_max: 3,
      // Genes variable in every batch rank first: each is among the 300.
      intersection_in_hvg: true,
    });
  }, 180_000);

  it('--integrate OBSM_KEY corrects that embedding (OBSM_KEY_harmony) and builds the graph on it', async () => {
    const first = join(dir, 'first.h5ad');
    expect((await run(['analyze', batchFile(), '--out', first, '--backend', 'cpu', '--threads', '1', '--n-top-genes', '300'])).code).toBe(0);
    const out = join(dir, 'on-umap.h5ad');
    // The first run's UMAP stands in for any embedding of the file (X_scGPT, scVI's latent space).
    const { code, text } = await run(['analyze', first, '--out', out, '--backend', 'cpu', '--threads', '1', '--n-top-genes', '300', '--batch-key', 'batch,phase', '--integrate', 'X_umap', '--theta', '1', '--max-iter-harmony', '3']);
    expect(code, text).toBe(0);
    expect(text).toMatch(/Harmony over batch \(3 batches\) and phase \(3 batches\) on X_umap -> X_umap_harmony/);
    expect(text).toMatch(/iteration 1\/3/);
    const ds = await openPaths([out]);
    expect(ds.readEmbedding('X_umap_harmony').shape).toEqual([700, 2]);
    ds.close();
    const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', '-c', 'import sys, anndata; a = anndata.read_h5ad(sys.argv[1]); print(a.uns["neighbors"]["params"]["use_rep"], a.obsm["X_umap_harmony"].shape)', out], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('X_umap_harmony (700, 2)');
  }, 180_000);

  it('several files opened as one dataset integrate over obs/sample (each file a batch)', async () => {
    // The batch file split by batch into one file each, as a study's samples arrive.
    const split = 'import sys, anndata\na = anndata.read_h5ad(sys.argv[1])\nfor b in a.obs["batch"].cat.categories:\n    a[a.obs["batch"] == b].copy().write_h5ad(f"{sys.argv[2]}/pbmc_{b}.h5ad")';
    const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', '-c', split, batchFile(), dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = join(dir, 'joined.h5ad');
    const files = ['b0', 'b1', 'b2'].map((b) => join(dir, `pbmc_${b}.h5ad`));
    const { code, text } = await run(['analyze', ...files, '--out', out, '--backend', 'cpu', '--threads', '1', '--n-top-genes', '300', '--batch-key', 'sample']);
    expect(code, text).toBe(0);
    expect(text).toMatch(/Harmony over sample \(3 batches\) on X_pca -> X_pca_harmony/);
    const ds = await openPaths([out]);
    expect(ds.readEmbedding('X_pca_harmony').shape).toEqual([700, 50]);
    ds.close();
  }, 180_000);

  it('refuses bad flags and columns, naming them', async () => {
    const input = batchFile();
    const out = join(dir, 'bad.h5ad');
    const cases: [string[], RegExp][] = [
      [['--integrate', 'pca'], /--integrate needs --batch-key/],
      [['--batch-key', 'batch', '--integrate', 'scgpt', '--embedding', 'pca'], /--integrate scgpt and --embedding pca disagree/],
      [['--batch-key', 'batch', '--max-iter-harmony', '0'], /--max-iter-harmony must be at least 1/],
      [['--batch-key', ','], /--batch-key needs at least one obs column/],
      [['--batch-key', 'n_counts_raw'], /batch key "n_counts_raw" is numeric \(float64\)/],
      [['--batch-key', 'nope'], /batch key "nope": there is no obs column "nope"/],
      [['--batch-key', 'batch', '--integrate', 'X_nope'], /--integrate X_nope: the file has no obsm\/X_nope/],
    ];
    for (const [flags, message] of cases) {
      const { code, text } = await run(['analyze', input, '--out', out, '--backend', 'cpu', ...flags]);
      expect(code, text).not.toBe(0);
      expect(text).toMatch(message);
    }
  }, 120_000);
});
