// `scweb annotate` (reference pbmc68k bulk_labels) and the app's .h5ad export, read back.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCelltypistModel } from '../src/analysis/celltypist-model.ts';
import { linearAnnotatorFromJson } from '../src/analysis/linear-annotator-json.ts';
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
    expect(await main(['annotate', PBMC, '--reference', PBMC, '--label-col', 'bulk_labels', '--out', csv, '--method', 'knn', '--k', '10'])).toBe(0);
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
    expect(await main(['annotate', scvi, '--reference', PBMC, '--label-col', 'bulk_labels', '--out', join(dir, 'x.csv'), '--method', 'knn'])).toBe(1);
    // Logistic regression needs shared genes, not shared HVGs: none between human PBMC and mouse.
    expect(await main(['annotate', shared('data/mouse/actinn_mouse_1000x14063_counts.h5ad'), '--reference', PBMC, '--label-col', 'bulk_labels', '--out', join(dir, 'x.csv'), '--method', 'logreg'])).toBe(1);
    expect(await main(['annotate', PBMC, '--reference', PBMC, '--label-col', 'nope', '--out', join(dir, 'x.csv')])).toBe(1);
  });
});

describe('scweb annotate --method logreg', () => {
  it('trains on the reference, prints calibration and the evaluation against the query\'s labels, writes the model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-annotate-'));
    const csv = join(dir, 'pred.csv');
    const model = join(dir, 'model.json');
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['annotate', PBMC, '--reference', PBMC, '--label-col', 'bulk_labels', '--out', csv, '--method', 'logreg', '--multi-class', 'multinomial', '--c', '0.5', '--feature-selection', '--top-genes', '50', '--model-out', model, '--threads', '2'])).toBe(0);
    } finally {
      process.stderr.write = write;
    }
    const log = err.join('');
    expect(log).toMatch(/700 query cells from 700 reference cells by logistic regression on 765 shared genes/);
    expect(log).toMatch(/trained \(lbfgs\) on 700 cells x \d+ genes .* converged .*then on all 700 reference cells from the 630-cell fit .*feature selection: \d+ of 765 genes/);
    expect(log).toMatch(/held-back reference cells \(70\): accuracy [01]\.\d+, macro-F1 [01]\.\d+, ECE \d\.\d+ -> \d\.\d+ at temperature \d+\.\d+/);
    const acc = Number(log.match(/against the query's "bulk_labels" \(700 cells\): accuracy ([01]\.\d+)/)![1]);
    expect(acc).toBeGreaterThan(0.85);
    expect(log).toMatch(/CD14\+ Monocyte: precision \d\.\d+, recall \d\.\d+ \(129 cells\)/);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('cell_id,predicted_bulk_labels,predicted_bulk_labels_confidence');
    const m = linearAnnotatorFromJson(readFileSync(model, 'utf8'), 'model.json');
    expect(m.multiClass).toBe('multinomial');
    expect(m.classes.length).toBe(10);
    expect(m.features.length).toBeLessThanOrEqual(500);
    expect(m.temperature).toBeGreaterThan(0);
  }, 120_000);

  it('--model-out MODEL.pkl writes a CellTypist model that --method celltypist reads back', async () => {
    const cxg = shared('data/format_variants/cellxgene_example_with_labels.h5ad');
    const dir = mkdtempSync(join(tmpdir(), 'scweb-annotate-'));
    const quiet = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['annotate', cxg, '--reference', cxg, '--label-col', 'cell_type', '--out', join(dir, 'a.csv'), '--multi-class', 'ovr', '--model-out', join(dir, 'm.pkl')])).toBe(0);
      expect(await main(['annotate', cxg, '--method', 'celltypist', '--celltypist', join(dir, 'm.pkl'), '--out', join(dir, 'b.csv')])).toBe(0);
    } finally {
      process.stderr.write = quiet;
    }
    const { model } = readCelltypistModel(new Uint8Array(readFileSync(join(dir, 'm.pkl'))), 'm.pkl');
    expect(model.classes).toEqual(['endothelial cell', 'fibroblast']);
    expect(model.multiClass).toBe('ovr');
    // The same labels from the model as trained (best match: the temperature changes no argmax).
    const ours = readFileSync(join(dir, 'a.csv'), 'utf8').trim().split('\n').slice(1).map((r) => r.split(',')[1]);
    const ct = readFileSync(join(dir, 'b.csv'), 'utf8').trim().split('\n');
    const col = ct[0].split(',').indexOf('predicted_labels');
    const theirs = ct.slice(1).map((r) => r.split(',')[col]);
    const assigned = ours.map((l, i) => [l, theirs[i]]).filter(([l]) => l !== 'unassigned');
    expect(assigned.length).toBeGreaterThan(250);
    for (const [a, b] of assigned) expect(b).toBe(a);
  }, 120_000);

  it('refuses options of the other method and bad values (usage errors, exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-annotate-'));
    const base = ['annotate', PBMC, '--reference', PBMC, '--label-col', 'bulk_labels', '--out', join(dir, 'x.csv')];
    const quiet = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main([...base, '--method', 'knn', '--multi-class', 'ovr'])).toBe(2);
      expect(await main([...base, '--method', 'logreg', '--k', '5'])).toBe(2);
      expect(await main([...base, '--method', 'svm'])).toBe(2);
      expect(await main([...base, '--c', '0'])).toBe(2);
      expect(await main([...base, '--multi-class', 'softmax'])).toBe(2);
      expect(await main([...base, '--backend', 'wasm'])).toBe(2);
      expect(await main([...base, '--method', 'knn', '--model-out', join(dir, 'm.json')])).toBe(2);
    } finally {
      process.stderr.write = quiet;
    }
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
