// Every kind of .h5ad scWeb writes, opened by the real anndata 0.8 (Debian's python3-anndata):
// the app's export, `scweb analyze`, `annotate --out .h5ad` and `embed --out .h5ad`. Categoricals
// must carry h5py's boolean `ordered`, bools stay bool, int64 and float32 keep their width, uns
// keeps category colours, and rank_genes_groups is in scanpy's record-array layout.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rankGenesGroups } from '../src/analysis/rank-genes-groups.ts';
import { main } from '../src/cli/main.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { exportH5ad } from '../src/io/h5ad/export.ts';
import { openPaths } from '../src/io/node.ts';
import { fixturePath } from './model-fixtures.ts';
import { hasPythonAnndata, readWithAnndata, type AnndataSummary } from './python-anndata.ts';
import { shared } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'scweb-anndata-'));
const DEMO = join(__dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad');
const PBMC = shared('data/pbmc68k_reduced_with_counts.h5ad');
const CLI = join(__dirname, '../bin/scweb.mjs');

/** The pbmc68k columns as anndata wrote them, which must survive our writing. */
function expectPbmcTypes(a: AnndataSummary): void {
  expect(a.obs.bulk_labels).toBe('category');
  expect(a.obs_categoricals.bulk_labels.ordered).toBe(false);
  expect(a.obs.n_genes).toBe('int64');
  expect(a.obs.percent_mito).toBe('float32');
  expect(a.obs.n_counts).toBe('float32');
  expect(a.obs.phase).toBe('category');
}

function expectScanpyMarkers(a: AnndataSummary, groups: string[]): void {
  const r = a.rank_genes_groups!;
  expect(r).toBeDefined();
  expect(r.keys).toEqual(['logfoldchanges', 'names', 'pvals', 'pvals_adj', 'scores']);
  expect(r.groups).toEqual(groups);
  expect(r.dtypes).toEqual({ names: 'object', scores: 'float32', logfoldchanges: 'float32', pvals: 'float64', pvals_adj: 'float64' });
  expect(r.params).toMatchObject({ reference: 'rest', use_raw: false, corr_method: 'benjamini-hochberg' });
  for (const g of groups) expect(r.top[g].every((n) => n.length > 0)).toBe(true);
}

describe.skipIf(!hasPythonAnndata())('.h5ad files scWeb writes open in anndata 0.8 with their types', () => {
  it('the app export (exportH5ad): bools, int64, float32, colours, rank_genes_groups', async () => {
    const ds = await openPaths([DEMO]);
    const n = ds.nObs;
    ds.setColumn({ kind: 'categorical', name: 'passes_qc', codes: Int32Array.from({ length: n }, (_, i) => (i % 5 ? 1 : 0)), categories: ['False', 'True'], ordered: false, dtype: 'bool' });
    ds.setColumn({ kind: 'categorical', name: 'leiden', codes: Int32Array.from({ length: n }, (_, i) => i % 3), categories: ['0', '1', '2'], ordered: false, dtype: 'category' });
    ds.setColumn({ kind: 'categorical', name: 'grade', codes: Int32Array.from({ length: n }, (_, i) => i % 2), categories: ['low', 'high'], ordered: true, dtype: 'category' });
    ds.setColumn({ kind: 'numeric', name: 'n_umi', values: Float64Array.from({ length: n }, (_, i) => (i === 3 ? NaN : i * 1000)), dtype: 'Int64' });
    const genes = ds.varNamesOf('X');
    const stat = (g: number, k: number) => Float64Array.from({ length: genes.length }, (_, i) => (g + 1) * (genes.length - i) + k);
    const markers = ['0', '1', '2'].map((group, g) => ({ group, nCells: 1, order: Int32Array.from(genes.keys()), scores: stat(g, 0), pvals: stat(g, 1), pvalsAdj: stat(g, 2), logFoldChanges: stat(g, 3), pctIn: stat(g, 4), pctOut: stat(g, 5) }));
    const out = join(dir, 'export.h5ad');
    const { lib } = await nodeH5Runtime();
    await exportH5ad(lib, out, ds, { rankGenesGroups: rankGenesGroups(markers, genes, 'leiden', 'wilcoxon', 'X'), colors: { leiden: ['#ff0000', '#00ff00', '#0000ff'] } });
    ds.close();
    const a = readWithAnndata(out);
    expect(a.anndata.startsWith('0.8')).toBe(true);
    expectPbmcTypes(a);
    expect(a.obs.passes_qc).toBe('bool');
    expect(a.obs.n_umi).toBe('Int64');
    expect(a.obs_categoricals.grade).toEqual({ ordered: true, categories: ['low', 'high'] });
    expect(a.var.highly_variable).toBe('bool');
    expect(a.colors.leiden_colors).toEqual(['#ff0000', '#00ff00', '#0000ff']);
    expect(a.colors.bulk_labels_colors).toHaveLength(10);
    expectScanpyMarkers(a, ['0', '1', '2']);
    expect(a.rank_genes_groups!.n_genes).toBe(100);
    expect(a.rank_genes_groups!.top['1']).toEqual(genes.slice(0, 3));
    expect(a.rank_genes_groups!.scores_top['2']).toBeCloseTo(3 * genes.length, 3);
  }, 60_000);

  it('scweb analyze replaces X_pca, X_umap and rank_genes_groups and keeps everything else', async () => {
    const out = join(dir, 'analyzed.h5ad');
    expect(await main(['analyze', PBMC, '--out', out, '--backend', 'cpu'])).toBe(0);
    const a = readWithAnndata(out);
    expectPbmcTypes(a);
    expect(a.obs.leiden).toBe('category');
    expect(a.obs.passes_qc).toBe('bool');
    expect(a.obs.n_genes_by_counts).toBe('int64');
    expect(a.var.highly_variable).toBe('bool');
    expect(Object.keys(a.obsm).sort()).toEqual(['X_pca', 'X_umap']); // replaced, no *_scweb copies
    expect(a.obsm.X_pca).toEqual([700, 50]);
    expect(a.layers).toEqual(['counts']);
    expect(a.obsp.sort()).toEqual(['connectivities', 'distances']);
    expect(a.uns).toEqual(expect.arrayContaining(['bulk_labels_colors', 'louvain_colors', 'leiden_colors', 'neighbors', 'pca', 'rank_genes_groups']));
    expect(a.colors.leiden_colors).toHaveLength(a.obs_categoricals.leiden.categories.length);
    expectScanpyMarkers(a, a.obs_categoricals.leiden.categories);
    expect(a.rank_genes_groups!.params.groupby).toBe('leiden');
  }, 180_000);

  it('scweb annotate --out .h5ad', async () => {
    const out = join(dir, 'annotated.h5ad');
    expect(await main(['annotate', PBMC, '--reference', PBMC, '--label-col', 'bulk_labels', '--out', out])).toBe(0);
    const a = readWithAnndata(out);
    expectPbmcTypes(a);
    expect(a.obs.predicted_bulk_labels).toBe('category');
    expect(a.obs.predicted_bulk_labels_confidence).toMatch(/^float/);
    expect(a.colors.predicted_bulk_labels_colors).toHaveLength(a.obs_categoricals.predicted_bulk_labels.categories.length);
    expect(a.uns).toContain('rank_genes_groups'); // the input's own, copied
  }, 180_000);

  it('scweb embed --out .h5ad', () => {
    const out = join(dir, 'embedded.h5ad');
    const r = spawnSync(process.execPath, [CLI, 'embed', fixturePath('tiny', 'cells.h5ad'), '--model', fixturePath('tiny', 'checkpoint_flash'), '--out', out, '--backend', 'cpu'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const a = readWithAnndata(out);
    expect(a.obsm.X_scGPT).toEqual([16, 64]);
    for (const [name, c] of Object.entries(a.obs_categoricals)) expect(typeof c.ordered, name).toBe('boolean');
    // A 10x input becomes a fresh .h5ad; its categorical var column is written by us.
    const fromMtx = join(dir, 'embedded-mtx.h5ad');
    const r2 = spawnSync(process.execPath, [CLI, 'embed', shared('data/10x/v3_filtered_feature_bc_matrix'), '--model', fixturePath('tiny', 'checkpoint_flash'), '--out', fromMtx, '--backend', 'cpu'], { encoding: 'utf8' });
    expect(r2.status, r2.stderr).toBe(0);
    const b = readWithAnndata(fromMtx);
    expect(b.obsm.X_scGPT).toEqual([1107, 64]);
    expect(b.var.feature_types).toBe('category');
  }, 120_000);
});
