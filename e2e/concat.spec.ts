// Two samples dropped together open as one dataset: the joined cell and gene counts, the samples in
// the summary, obs/sample to colour by, the other join on request, and an export anndata reads.
import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWithAnndata } from '../test/python-anndata.ts';
import { closeDrawer, dropFiles as drop, openDrawer, runPipeline, waitForAutosave } from './workspace.ts';

const DATA = fileURLToPath(new URL('../../shared/data', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../test/reference/concat_small.py', import.meta.url));

test('two samples dropped together: 400 cells, obs/sample in the summary and the colours, saved work found again, the pipeline, export, outer join on request', async ({ page }, info) => {
  const dir = info.outputPath('files');
  mkdirSync(dir, { recursive: true });
  const made = spawnSync('/usr/bin/python3', ['-W', 'ignore', SCRIPT, DATA, dir], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);

  await page.goto('/');
  // Dropped in the other order: the samples still come in name order.
  await drop(page, [join(dir, 'donor2.h5ad'), join(dir, 'donor1.h5ad')]);
  await expect(page.getByTestId('n-obs')).toHaveText('400');
  await expect(page.getByTestId('n-vars')).toHaveText('650');
  await expect(page.getByTestId('file-name')).toHaveText('donor1+donor2');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-points', '400');

  await openDrawer(page, 'dataset');
  const rows = page.getByTestId('sample-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('donor1');
  await expect(rows.nth(0)).toContainText('200');
  await expect(rows.nth(1)).toContainText('donor2');
  await expect(page.getByTestId('counts-source')).toContainText('X');
  await page.screenshot({ path: info.outputPath('samples.png'), fullPage: true });
  await closeDrawer(page);

  await page.getByTestId('color-select').selectOption('sample');
  const items = page.getByTestId('legend-item');
  await expect(items).toHaveCount(2);
  await expect(items.filter({ hasText: 'donor1' })).toContainText('200');
  await expect(items.filter({ hasText: 'donor2' })).toContainText('200');
  await page.screenshot({ path: info.outputPath('coloured-by-sample.png'), fullPage: true });

  // The work is saved for this set of files: dropped again (in the other order) after a reload, it comes back.
  await waitForAutosave(page, ['donor1+donor2', 'colorBy\\":\\"sample']);
  await page.reload();
  await drop(page, [join(dir, 'donor1.h5ad'), join(dir, 'donor2.h5ad')]);
  await expect(page.getByTestId('session-note')).toContainText('Restored your work on donor1+donor2');
  await expect(page.getByTestId('color-select')).toHaveValue('sample');
  await expect(page.getByTestId('legend-item')).toHaveCount(2);

  // The pipeline over both files (its passes over cells run on pool workers that open both files themselves).
  await runPipeline(page);
  await expect(page.getByTestId('analysis-report')).toContainText('400');
  await expect(page.getByTestId('color-select').locator('option[value="leiden"]')).toHaveCount(1);

  await page.getByTestId('export-menu').click();
  const [h5] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-h5ad').click()]);
  expect(h5.suggestedFilename()).toBe('donor1+donor2_scweb.h5ad');
  const a = readWithAnndata((await h5.path())!);
  expect(a.shape).toEqual([400, 650]);
  expect(a.obs_categoricals.sample.categories).toEqual(['donor1', 'donor2']);
  expect(a.obsm.X_umap).toEqual([400, 2]);
  expect(a.obsm.X_pca?.[0]).toBe(400);
  expect(a.obs.leiden).toBe('category');

  // All genes: the same files reopened with the outer join.
  await openDrawer(page, 'dataset');
  await page.getByTestId('join-select').selectOption('outer');
  await expect(page.getByTestId('n-vars')).toHaveText('765');
  await expect(page.getByTestId('n-obs')).toHaveText('400');
  await openDrawer(page, 'dataset');
  await expect(page.getByTestId('join-select')).toHaveValue('outer');
  await expect(page.getByTestId('samples')).toContainText('outer join: 765 genes');
});

test('a folder of samples picked with the folder picker: a 10x .h5 and a 10x folder, the rest left out', async ({ page }, info) => {
  const root = info.outputPath('samples');
  mkdirSync(join(root, 'donorB'), { recursive: true });
  copyFileSync(join(DATA, '10x', 'v3_filtered_feature_bc_matrix.h5'), join(root, 'donorA.h5'));
  for (const name of ['matrix.mtx.gz', 'features.tsv.gz', 'barcodes.tsv.gz']) copyFileSync(join(DATA, '10x', 'v3_filtered_feature_bc_matrix', name), join(root, 'donorB', name));
  writeFileSync(join(root, 'README.txt'), 'two donors\n');
  await page.goto('/');
  await page.getByTestId('folder-input').setInputFiles(root);
  // The same 1,107 barcodes in both: every cell is renamed barcode-sample.
  await expect(page.getByTestId('n-obs')).toHaveText('2,214');
  await expect(page.getByTestId('n-vars')).toHaveText('507');
  await page.getByTestId('color-select').selectOption('sample');
  await expect(page.getByTestId('legend-item')).toHaveCount(2);
  await expect(page.getByTestId('legend-item').filter({ hasText: 'donorA' })).toContainText('1,107');
  await expect(page.getByTestId('legend-item').filter({ hasText: 'donorB' })).toContainText('1,107');
  await openDrawer(page, 'dataset');
  await expect(page.getByTestId('summary')).toContainText('left out (not a dataset file): samples/README.txt');
  await expect(page.getByTestId('samples')).toContainText('donorB/matrix.mtx.gz');
  await page.screenshot({ path: info.outputPath('folder.png'), fullPage: true });
});

test('files that share few genes: the inner join says so on top of the page, not only in the Dataset panel', async ({ page }, info) => {
  await page.goto('/');
  await drop(page, ['pbmc68k_reduced_with_counts.h5ad', 'compocyte_tcells_861x1011_counts.h5ad', 'scimilarity_test_1000x1000_counts_nolabels.h5ad'].map((f) => join(DATA, f)));
  await expect(page.getByTestId('n-obs')).toHaveText('2,561');
  const warning = page.getByTestId('open-warnings');
  await expect(warning).toContainText(/^The files share only \d+ genes \(the join keeps .*\d+% of 765 in pbmc68k_reduced_with_counts\.h5ad/);
  await expect(warning).toContainText('Genes in the Dataset panel');
  await page.screenshot({ path: info.outputPath('few-shared-genes.png') });
  await warning.getByRole('button', { name: 'dismiss' }).click();
  await expect(warning).toHaveCount(0);
});
