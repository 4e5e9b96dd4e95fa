// `scweb annotate` (reference pbmc68k bulk_labels) and the app's .h5ad export, read back.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { exportH5ad } from '../src/io/h5ad/export.ts';
import { totalCountsPerCell } from '../src/io/iterate.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { shared } from './helpers.ts';

const PBMC = shared('data/pbmc68k_reduced_with_counts.h5ad');

describe('scweb annotate', () => {
  it('maps bulk_labels onto a query and writes CSV and .h5ad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-annotate-'));
    const csv = join(dir, 'pred.csv');
    expect(await main(['annotate', PBMC, '--reference', PBMC, '--label-col', 'bulk_labels', '--out', csv, '--k', '10'])).toBe(0);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('cell_id,predicted_bulk_labels,predicted_bulk_labels_confidence');
    expect(rows.length).toBe(701);
    // The query is the reference itself: each cell's nearest neighbour is itself, so most agree.
    const ds = await openPaths([PBMC]);
    const truth = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    let agree = 0;
    rows.slice(1).forEach((r, i) => r.split(',')[1] === truth.categories[truth.codes[i]] && agree++);
    expect(agree / 700).toBeGreaterThan(0.8);
    ds.close();
    const out = join(dir, 'pred.h5ad');
    expect(await main(['annotate', PBMC, '--reference', PBMC, '--label-col', 'bulk_labels', '--out', out, '--min-confidence', '0.9'])).toBe(0);
    const back = await openPaths([out]);
    const pred = back.obs.columns.find((c) => c.name === 'predicted_bulk_labels') as CategoricalColumn;
    expect(pred.categories.at(-1)).toBe('unassigned');
    expect(back.obs.columns.find((c) => c.name === 'predicted_bulk_labels_confidence')?.kind).toBe('numeric');
    back.close();
  }, 120_000);

  it('refuses a query with too few shared genes, and a missing label column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-annotate-'));
    const scvi = shared('data/scvijl_pbmc_7480x200_counts.h5ad');
    expect(await main(['annotate', scvi, '--reference', PBMC, '--label-col', 'bulk_labels', '--out', join(dir, 'x.csv')])).toBe(1);
    expect(await main(['annotate', PBMC, '--reference', PBMC, '--label-col', 'nope', '--out', join(dir, 'x.csv')])).toBe(1);
  });
});

describe('.h5ad export of the dataset as it stands', () => {
  it('writes obs (with computed columns), var, the counts as X and every obsm', async () => {
    const ds = await openPaths([PBMC]);
    ds.setColumn({ kind: 'categorical', name: 'user_label', codes: new Int32Array(700).fill(0), categories: ['T cells'], ordered: false, dtype: 'category' });
    ds.addEmbedding({ key: 'X_test', shape: [700, 2], data: new Float32Array(1400).fill(1) });
    const path = join(mkdtempSync(join(tmpdir(), 'scweb-export-')), 'out.h5ad');
    const { lib } = await nodeH5Runtime();
    await exportH5ad(lib, path, ds);
    const back = await openPaths([path]);
    expect(back.nObs).toBe(700);
    expect(back.nVars).toBe(765);
    expect(back.obs.columns.find((c) => c.name === 'user_label')?.kind).toBe('categorical');
    expect(back.obs.columns.find((c) => c.name === 'bulk_labels')?.kind).toBe('categorical');
    expect(back.readEmbedding('X_test').shape).toEqual([700, 2]);
    expect(back.readEmbedding('X_umap').shape).toEqual([700, 2]);
    const a = await totalCountsPerCell(ds, 'layers/counts');
    const b = await totalCountsPerCell(back, 'X');
    expect(Array.from(b)).toEqual(Array.from(a));
    ds.close();
    back.close();
  });
});
