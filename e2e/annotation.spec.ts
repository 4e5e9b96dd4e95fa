// Annotation end to end on the demo: pipeline, map bulk_labels from a stratified half onto the
// other half, confidence colouring, marker suggestions, rename / merge / undo of labels, and the
// CSV and .h5ad exports.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasPythonAnndata, readWithAnndata } from '../test/python-anndata.ts';
import { openDrawer, runPipeline } from './workspace.ts';

const DEMO = fileURLToPath(new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url));

test('demo -> pipeline -> map bulk_labels (half) -> suggestions -> rename, merge, undo -> exports', async ({ page }, info) => {
  test.setTimeout(10 * 60_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await runPipeline(page);
  await openDrawer(page, 'annotate');

  // Map bulk_labels: a stratified half is the reference, the other half the query.
  await page.getByTestId('map-label').selectOption('bulk_labels');
  await page.getByTestId('map-reference').selectOption('half');
  await page.getByTestId('run-map').click();
  await expect(page.getByTestId('map-accuracy')).toBeVisible({ timeout: 120_000 });
  const acc = Number((await page.getByTestId('map-accuracy').textContent())!.match(/accuracy ([0-9.]+)%/)![1]);
  expect(acc).toBeGreaterThan(60);
  await expect(page.getByTestId('color-select')).toHaveValue('predicted_bulk_labels');
  await expect(page.getByTestId('legend-item').filter({ hasText: 'CD14+ Monocyte' })).toHaveCount(1);
  await page.getByTestId('color-select').selectOption('predicted_bulk_labels_confidence');
  await expect(page.getByTestId('color-scale')).toContainText('predicted_bulk_labels_confidence');
  await page.screenshot({ path: info.outputPath('mapping.png'), fullPage: true });

  // Marker-set suggestions for the Leiden clusters.
  await page.getByTestId('suggest').click();
  await expect(page.getByTestId('suggestions').locator('tr')).not.toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('suggestions')).toContainText(/NK|B|Monocyte|T/);

  // Hand labels from the Leiden clusters: rename, merge, undo.
  await page.getByTestId('labels-start').click();
  await expect(page.getByTestId('color-select')).toHaveValue('user_label');
  const before = await page.getByTestId('legend-item').count();
  await page.getByTestId('label-0').fill('T cells');
  await page.getByTestId('label-0').press('Enter');
  await expect(page.getByTestId('legend-item').filter({ hasText: 'T cells' })).toHaveCount(1);
  await page.getByLabel('select 1', { exact: true }).check();
  await page.getByLabel('select 2', { exact: true }).check();
  await page.getByTestId('new-label').fill('Myeloid');
  await page.getByTestId('merge').click();
  await expect(page.getByTestId('legend-item').filter({ hasText: 'Myeloid' })).toHaveCount(1);
  await expect(page.getByTestId('legend-item')).toHaveCount(before - 1);
  await page.getByTestId('undo').click();
  await expect(page.getByTestId('legend-item').filter({ hasText: 'Myeloid' })).toHaveCount(0);
  await expect(page.getByTestId('legend-item')).toHaveCount(before);
  await page.getByTestId('redo').click();
  await expect(page.getByTestId('legend-item').filter({ hasText: 'Myeloid' })).toHaveCount(1);
  await page.screenshot({ path: info.outputPath('labels.png'), fullPage: true });

  // CSV export: one row per cell with the cluster, prediction, confidence and hand label.
  await page.getByTestId('export-menu').click();
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const rows = readFileSync((await csv.path())!, 'utf8').trim().split('\n');
  expect(rows[0]).toBe('cell_id,leiden,predicted_bulk_labels,predicted_bulk_labels_confidence,predicted_bulk_labels_split,user_label');
  expect(rows.length).toBe(701);
  expect(rows.some((r) => r.endsWith(',T cells'))).toBe(true);
  expect(rows.some((r) => r.endsWith(',Myeloid'))).toBe(true);

  // .h5ad export: an HDF5 file.
  await page.getByTestId('export-menu').click();
  const [h5] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-h5ad').click()]);
  const bytes = readFileSync((await h5.path())!);
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(bytes.length).toBeGreaterThan(100_000);
  // ... that anndata 0.8 (Debian's) opens, with scanpy's types and layouts.
  if (hasPythonAnndata()) {
    const a = readWithAnndata((await h5.path())!);
    expect(a.shape).toEqual([700, 765]);
    expect(a.obs.passes_qc).toBe('bool');
    expect(a.obs.n_genes_by_counts).toBe('int64');
    expect(a.obs.predicted_bulk_labels_confidence).toBe('float32');
    expect(a.obs_categoricals.leiden.ordered).toBe(false);
    expect(a.colors.leiden_colors?.length).toBe(a.obs_categoricals.leiden.categories.length);
    expect(a.rank_genes_groups?.params.groupby).toBe('leiden');
    expect(a.rank_genes_groups?.groups).toEqual(a.obs_categoricals.leiden.categories);
    // The input is kept (layers, raw, the file's own uns) and our results replace scanpy's keys.
    expect(Object.keys(a.obsm).sort()).toEqual(['X_pca', 'X_umap']);
    expect(a.layers).toEqual(['counts']);
    expect(a.obsp.sort()).toEqual(['connectivities', 'distances']);
    expect(a.uns).toEqual(expect.arrayContaining(['neighbors', 'pca', 'louvain', 'bulk_labels_colors', 'rank_genes_groups', 'scweb_session']));
    expect(a.var.highly_variable).toBe('bool');
  }

  // A separate reference file (here the demo file itself) maps every cell of the loaded dataset.
  await page.getByTestId('reference-file').setInputFiles(DEMO);
  await expect(page.getByTestId('map-source')).toHaveValue('file');
  await page.getByTestId('map-label').selectOption('bulk_labels');
  await page.getByTestId('map-method').selectOption('knn');
  await page.getByTestId('run-map').click();
  await expect(page.getByTestId('map-report')).toContainText('700 query cells mapped from 700 reference cells on 765 shared HVGs', { timeout: 120_000 });
});
