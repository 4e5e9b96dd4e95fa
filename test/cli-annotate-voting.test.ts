// `scweb annotate --majority-voting` after logistic regression and kNN (pbmc68k_reduced, bulk_labels):
// the per-cell prediction, the over-clustering and the voted labels in CSV and in .h5ad (read back
// by Debian's python3-anndata), the vote checked against CellTypist's pandas code on what was
// written, both evaluations printed; and bad flags refused before anything is computed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { hasShared, shared } from './helpers.ts';
import { hasPythonAnndata } from './python-anndata.ts';

const PBMC = shared('data/pbmc68k_reduced_with_counts.h5ad');
const PYTHON = '/usr/bin/python3';

function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const spy2 = vi.spyOn(console, 'error').mockImplementation((s) => void (err += `${String(s)}\n`));
  return main(args)
    .then((code) => ({ code, err }))
    .finally(() => {
      spy.mockRestore();
      spy2.mockRestore();
    });
}

/** CellTypist's majority_vote (crosstab, idxmax, min_prop) over what we wrote; 'unassigned' cells do not vote, a cluster without votes stays 'unassigned'. */
const PANDAS_VOTE = `
import numpy as np, pandas as pd
def vote(pred, oc, min_prop):
    pred = pd.Series(np.where(pred == 'unassigned', None, pred), dtype='object').astype('category')
    oc = np.asarray(oc)
    votes = pd.crosstab(pred, oc)
    majority = votes.idxmax(axis=0).astype(str)
    freqs = (votes / votes.sum(axis=0).values).max(axis=0)
    majority[freqs < min_prop] = 'Heterogeneous'
    majority = majority.reindex(sorted(set(oc))).fillna('unassigned')
    return [majority[c] for c in oc]
`;

describe.skipIf(!hasShared)('scweb annotate --majority-voting', () => {
  it('logistic regression: CellTypist\'s over-clustering, three columns in the CSV, the vote as pandas makes it, both evaluations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-vote-'));
    const csv = join(dir, 'pred.csv');
    const r = await run(['annotate', PBMC, '--reference', PBMC, '--label-col', 'bulk_labels', '--method', 'logreg', '--min-confidence', '0.99', '--majority-voting', '--threads', '1', '--out', csv]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/majority voting over (\d+) clusters \(Leiden at resolution 5 \(CellTypist's for 700 cells\) on 10 nearest neighbours in obsm X_pca \(50 components\)\) into predicted_bulk_labels_majority_voting: \d+ of 700 cells changed label/);
    const perCell = Number(r.err.match(/scweb: against the query's "bulk_labels" \(700 cells\): accuracy ([01]\.\d+)/)![1]);
    const votedAcc = Number(r.err.match(/scweb: majority voting against the query's "bulk_labels" \(700 cells\): accuracy ([01]\.\d+), macro-F1 [01]\.\d+/)![1]);
    // Trained on the query itself, nearly every label is right but many fall below 0.99: 'unassigned'
    // counts as wrong, and the vote gives those cells their over-cluster's label.
    expect(votedAcc).toBeGreaterThan(perCell + 0.05);
    const rows = readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(','));
    expect(rows[0]).toEqual(['cell_id', 'predicted_bulk_labels', 'predicted_bulk_labels_confidence', 'predicted_bulk_labels_over_clustering', 'predicted_bulk_labels_majority_voting']);
    const body = rows.slice(1);
    expect(body.length).toBe(700);
    const nClusters = Number(r.err.match(/majority voting over (\d+) clusters/)![1]);
    expect(new Set(body.map((x) => x[3])).size).toBe(nClusters);
    // Cells below 0.99 are unassigned: they did not vote, and the log says how many.
    const unassigned = body.filter((x) => x[1] === 'unassigned').length;
    expect(unassigned).toBeGreaterThan(0);
    expect(r.err).toContain(`; ${unassigned} cells unassigned or without a prediction did not vote`);
    // The printed accuracy of the vote is that of the written column against bulk_labels.
    const ds = await openPaths([PBMC]);
    const truth = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    const ok = body.filter((x, i) => x[4] === truth.categories[truth.codes[i]]).length;
    ds.close();
    expect(votedAcc).toBeCloseTo(ok / 700, 3);
    const py = spawnSync(PYTHON, ['-c', `${PANDAS_VOTE}\nimport json, sys\nd = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)\nprint(json.dumps(vote(d.iloc[:, 1].values, d.iloc[:, 3].values, 0)))`, csv], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    expect(body.map((x) => x[4])).toEqual(JSON.parse(py.stdout));
  }, 180_000);

  it('kNN over an obs column with --min-prop: the .h5ad read back by anndata, categorical columns, the vote as pandas makes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-vote-'));
    const out = join(dir, 'pred.h5ad');
    const r = await run(['annotate', PBMC, '--reference', PBMC, '--label-col', 'bulk_labels', '--method', 'knn', '--majority-voting', '--over-clustering', 'louvain', '--min-prop', '0.6', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/majority voting over 11 clusters \(obs column louvain\) into predicted_bulk_labels_majority_voting/);
    expect(r.err).toMatch(/\d+ clusters Heterogeneous \(top label below --min-prop 0\.6\)/);
    const back = await openPaths([out]);
    const col = (n: string) => back.obs.columns.find((c) => c.name === n) as CategoricalColumn;
    const louvain = col('louvain');
    const over = col('predicted_bulk_labels_over_clustering');
    expect(Array.from(over.codes, (c) => over.categories[c])).toEqual(Array.from(louvain.codes, (c) => louvain.categories[c]));
    expect(col('predicted_bulk_labels_majority_voting').categories).toContain('Heterogeneous');
    back.close();
    if (hasPythonAnndata()) {
      const code = `${PANDAS_VOTE}
import anndata, json, sys
a = anndata.read_h5ad(sys.argv[1])
o = a.obs
want = vote(o['predicted_bulk_labels'].astype(str).values, o['predicted_bulk_labels_over_clustering'].astype(str).values, 0.6)
print(json.dumps({'dtypes': {c: str(o[c].dtype) for c in o if c.startswith('predicted_')}, 'same': list(o['predicted_bulk_labels_majority_voting'].astype(str)) == want, 'n': int(a.n_obs)}))`;
      const py = spawnSync(PYTHON, ['-c', code, out], { encoding: 'utf8' });
      expect(py.status, py.stderr).toBe(0);
      expect(JSON.parse(py.stdout)).toEqual({
        dtypes: { predicted_bulk_labels: 'category', predicted_bulk_labels_confidence: 'float32', predicted_bulk_labels_over_clustering: 'category', predicted_bulk_labels_majority_voting: 'category' },
        same: true,
        n: 700,
      });
    }
  }, 180_000);

  it('bad input: one message naming the flag or the column and the fix; nothing computed or written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-vote-'));
    const out = join(dir, 'never.csv');
    const base = ['annotate', PBMC, '--reference', PBMC, '--label-col', 'bulk_labels', '--out', out];
    let r = await run([...base, '--over-clustering', 'louvain']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--over-clustering louvain is for --majority-voting: add --majority-voting, or leave --over-clustering out/);
    r = await run([...base, '--method', 'knn', '--majority-voting', '--min-prop', '1.5']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--min-prop must be between 0 and 1 \(the share of an over-cluster's votes its top label needs\), got "1\.5"/);
    r = await run([...base, '--min-prop', '0.5']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--min-prop is for --majority-voting/);
    r = await run([...base, '--majority-voting', '--over-clustering', 'leiden']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--over-clustering "leiden": pbmc68k_reduced_with_counts\.h5ad has no such obs column; give a categorical obs column \(pbmc68k_reduced_with_counts\.h5ad has bulk_labels, phase, louvain\), or leave --over-clustering out/);
    expect(r.err).not.toMatch(/query cells from/);
    r = await run([...base, '--method', 'knn', '--majority-voting', '--over-clustering', 'n_genes']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--over-clustering "n_genes": this obs column of pbmc68k_reduced_with_counts\.h5ad holds numbers, not clusters/);
    expect(r.err).not.toMatch(/query cells from/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
