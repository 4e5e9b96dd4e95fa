// Several inputs on the command line: `scweb analyze a.h5ad b.h5ad` joins them and writes a fresh
// .h5ad that Debian's anndata reads, with the obs names, obs/sample and counts (X) that
// anndata.concat makes of the same files; inspect, integrate and annotate take several inputs too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.ts';
import { hasShared, shared } from './helpers.ts';
import { hasPythonAnndata, readWithAnndata } from './python-anndata.ts';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'scweb-cli-concat-'));
const f = (name: string) => join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; text: string; out: string }> {
  const lines: string[] = [];
  const printed: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void printed.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, text: lines.join('\n'), out: printed.join('\n') };
  } finally {
    spy.mockRestore();
    err.mockRestore();
    log.mockRestore();
  }
}

/** What anndata.concat makes of a.h5ad and b.h5ad (counts as X) against what anndata reads from OUT. */
const COMPARE = `
import sys, json, numpy as np, anndata as ad, scipy.sparse as sp
d, out = sys.argv[1], sys.argv[2]
parts = [ad.read_h5ad(f"{d}/{n}.h5ad") for n in ("a", "b")]
ref = ad.concat([ad.AnnData(X=p.layers["counts"], obs=p.obs, var=p.var, dtype=np.float32) for p in parts], join=sys.argv[3], label="sample", keys=["a", "b"], index_unique="-")
got = ad.read_h5ad(out)
X = sp.csr_matrix(got.X)
print(json.dumps({
    "obs_names": bool((got.obs_names == ref.obs_names).all()),
    "var_names": bool((got.var_names == ref.var_names).all()),
    "sample": bool((got.obs["sample"].astype(str).values == ref.obs["sample"].astype(str).values).all()),
    "sample_dtype": str(got.obs["sample"].dtype),
    "X": bool(X.shape == ref.X.shape and abs(X - sp.csr_matrix(ref.X)).sum() == 0),
    "X_format": type(got.X).__name__,
    "shape": list(got.shape),
    "obsm": sorted(got.obsm.keys()),
    "obs": sorted(got.obs.columns),
}))
`;

function compare(out: string, join = 'inner'): Record<string, unknown> {
  const r = spawnSync(PYTHON, ['-c', COMPARE, dir, out, join], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`anndata could not compare ${out}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe.runIf(hasShared && hasPythonAnndata())('several inputs on the command line', () => {
  beforeAll(() => {
    const r = spawnSync(PYTHON, [join(__dirname, 'reference/concat_parts.py'), shared('data'), dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`concat_parts.py failed:\n${r.stderr}`);
  });

  it('analyze a.h5ad b.h5ad writes a fresh .h5ad: anndata.concat\'s obs names, sample and X, plus the results', async () => {
    const out = f('all.h5ad');
    const { code, text } = await run(['analyze', f('a.h5ad'), f('b.h5ad'), '--out', out, '--backend', 'cpu', '--threads', '2']);
    expect(code, text).toBe(0);
    expect(text).toContain('2 inputs joined into 700 cells x 635 genes');
    expect(text).toContain('sample a: a.h5ad, 300 cells, counts layers/counts');
    expect(text).toContain('not copied: 2 files joined');
    expect(compare(out)).toEqual({
      obs_names: true,
      var_names: true,
      sample: true,
      sample_dtype: 'category',
      X: true,
      X_format: 'csr_matrix',
      shape: [700, 635],
      obsm: ['X_pca', 'X_umap'],
      obs: expect.arrayContaining(['sample', 'leiden', 'total_counts', 'bulk_labels', 'louvain', 'note', 'only_a']),
    });
    const s = readWithAnndata(out);
    expect(s.obsp.sort()).toEqual(['connectivities', 'distances']);
    expect(s.uns).toEqual(expect.arrayContaining(['rank_genes_groups', 'neighbors', 'pca', 'sample_colors', 'leiden_colors']));
    expect(s.obs_categoricals.sample.categories).toEqual(['a', 'b']);
  }, 180_000);

  it('inspect with --join outer prints the samples; integrate over obs/sample writes X_pca_harmony', async () => {
    const { code, out, text } = await run(['inspect', f('a.h5ad'), f('b.h5ad'), '--join', 'outer']);
    expect(code, text).toBe(0);
    const s = JSON.parse(out) as { n_vars: number; samples: { sample: string; n_obs: number }[]; obs: Record<string, { categories?: Record<string, number> }> };
    expect(s.n_vars).toBe(765);
    expect(s.samples.map((p) => [p.sample, p.n_obs])).toEqual([['a', 300], ['b', 400]]);
    expect(s.obs.sample.categories).toEqual({ a: 300, b: 400 });
    expect((await run(['inspect', f('a.h5ad'), f('b.h5ad'), '--join', 'left'])).code).toBe(2);
    const harmonized = f('harmony.h5ad');
    const r = await run(['integrate', f('a.h5ad'), f('b.h5ad'), '--batch-key', 'sample', '--out', harmonized, '--join', 'outer']);
    expect(r.code, r.text).toBe(0);
    const c = compare(harmonized, 'outer');
    expect([c.obs_names, c.var_names, c.sample, c.X]).toEqual([true, true, true, true]);
    expect(c.obsm).toEqual(['X_pca', 'X_pca_harmony']);
  }, 120_000);

  it('annotate takes several query files: one prediction per joined cell', async () => {
    const csv = f('pred.csv');
    const r = await run(['annotate', f('a.h5ad'), f('b.h5ad'), '--reference', shared('data/pbmc68k_reduced_with_counts.h5ad'), '--label-col', 'bulk_labels', '--out', csv]);
    expect(r.code, r.text).toBe(0);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows.length).toBe(701);
    expect(rows[1]).toMatch(/^AAAGCCTGGCTAAC-1-a,/);
    // CellTypist's path takes several queries the same way.
    const ct = f('celltypist.csv');
    const c = await run(['annotate', f('a.h5ad'), f('b.h5ad'), '--method', 'celltypist', '--celltypist', shared('fixtures', 'celltypist', 'model.pkl'), '--out', ct]);
    expect(c.code, c.text).toBe(0);
    expect(c.text).toContain('2 inputs joined into 700 cells');
    expect(readFileSync(ct, 'utf8').trim().split('\n').length).toBe(701);
  }, 120_000);

  it('embed takes several inputs: X_scGPT for every joined cell in a fresh .h5ad', async () => {
    const out = f('embedded.h5ad');
    const model = join(__dirname, '../public/weights/scgpt-tiny-fixture');
    const r = await run(['embed', f('a.h5ad'), f('c.h5ad'), '--model', model, '--backend', 'cpu', '--max-length', '24', '--out', out]);
    expect(r.code, r.text).toBe(0);
    const s = readWithAnndata(out);
    expect(s.shape).toEqual([500, 700]);
    expect(s.obsm.X_scGPT[0]).toBe(500);
    expect(s.obs_categoricals.sample.categories).toEqual(['a', 'c']);
  }, 120_000);

  it('refuses a mix of counts and no counts before any work, naming both files', async () => {
    const r = await run(['analyze', f('a.h5ad'), f('nocounts.h5ad'), '--out', f('x.h5ad')]);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/error: .*a\.h5ad has raw counts .* nocounts\.h5ad has none/);
  });
});
