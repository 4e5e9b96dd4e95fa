// Batch integration end to end: a file with a batch column (pbmc68k's counts with a batch effect,
// test/reference/batch_file.py) coloured by batch; the batch key picked in the analysis drawer (the
// numeric column refused with its reason); the run integrates with Harmony; the Integration drawer
// shows before/after LISI, ASWs and connectivity with violins; the corrected embedding is in the
// picker, the before/after toggle switches PCA and UMAP (the uncorrected UMAP computed on asking);
// the exported .h5ad carries X_pca_harmony as anndata reads it. Any categorical column can be the
// key: the same run over `sample` (the concatenated-files column) is the final test's.
import { expect, test, type TestInfo } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasPythonAnndata } from '../test/python-anndata.ts';
import { closeDrawer, openDrawer } from './workspace.ts';

const DATA = fileURLToPath(new URL('../../shared/data', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../test/reference/batch_file.py', import.meta.url));

function batchFile(info: TestInfo): string {
  const dir = info.outputPath('files');
  mkdirSync(dir, { recursive: true });
  const made = spawnSync('/usr/bin/python3', ['-W', 'ignore', SCRIPT, DATA, dir], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  return join(dir, 'pbmc68k_batches.h5ad');
}

const number = async (page: import('@playwright/test').Page, id: string) => Number(await page.getByTestId(id).textContent());

test('a batch column -> Harmony from the drawer -> metrics before/after, corrected embedding, export', async ({ page }, info) => {
  test.setTimeout(10 * 60_000);
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(batchFile(info));
  await expect(page.getByTestId('n-obs')).toHaveText('700');

  // Colour by the batch column: three batches in the legend.
  await page.getByTestId('color-select').selectOption('batch');
  await expect(page.getByTestId('legend-item')).toHaveCount(3);

  await openDrawer(page, 'analysis');
  // A numeric column cannot be a batch key, and says why; a categorical one can.
  await expect(page.getByTestId('batch-key-n_counts_raw')).toBeDisabled();
  await expect(page.getByTestId('batch-key-refusal-n_counts_raw')).toContainText('numeric (float64): numbers are not batches');
  await expect(page.getByTestId('batch-key-batch')).toBeEnabled();
  // Any categorical column can be the key: `sample` (the column of files opened as one dataset) too.
  await expect(page.getByTestId('batch-key-sample')).toBeEnabled();
  await page.getByTestId('batch-key-batch').check();
  await expect(page.getByTestId('batch-keys')).toContainText('Harmony over batch corrects X_pca into X_pca_harmony');
  await page.getByTestId('run-analysis').click();
  await expect(page.getByTestId('analysis-report')).toBeVisible({ timeout: 8 * 60_000 });
  await expect(page.getByTestId('report-integration')).toContainText(/Harmony over batch \(3 batches\) on X_pca -> X_pca_harmony: (converged after \d+ of 10 iterations|stopped after 10)/);
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap_pca_harmony');
  await openDrawer(page, 'analysis');
  await expect(page.getByTestId('step-harmony')).toHaveAttribute('data-state', 'done');
  await closeDrawer(page);

  // The metrics start by themselves on a small dataset: before and after, side by side.
  await expect(page.getByTestId('report-reading')).toContainText(/batches mix: median iLISI \d\.\d\d -> \d\.\d\d of 3; cell types kept apart: cLISI/, { timeout: 5 * 60_000 });
  await page.getByTestId('analysis-report-metrics').click();
  await expect(page.getByTestId('drawer-integration')).toBeVisible();
  await expect(page.getByTestId('metrics-label')).toHaveValue('bulk_labels');
  const iBefore = await number(page, 'metric-ilisi-before');
  const iAfter = await number(page, 'metric-ilisi-after');
  expect(iBefore).toBeGreaterThanOrEqual(1);
  expect(iAfter).toBeGreaterThan(iBefore);
  expect(iAfter).toBeLessThanOrEqual(3);
  for (const id of ['batch-asw', 'clisi', 'label-asw', 'graph-connectivity']) {
    for (const side of ['before', 'after']) expect(Number.isFinite(await number(page, `metric-${id}-${side}`))).toBe(true);
  }
  await expect(page.getByTestId('violin-ilisi')).toHaveAttribute('data-groups', '2');
  await expect(page.getByTestId('violin-clisi')).toHaveAttribute('data-label', 'cLISI (bulk_labels)');
  await page.getByTestId('integration-panel').screenshot({ path: info.outputPath('metrics.png') });
  // Another label column recomputes them (with Cancel while it runs).
  await page.getByTestId('metrics-label').selectOption('leiden');
  await expect(page.getByTestId('violin-clisi')).toHaveAttribute('data-label', 'cLISI (leiden)', { timeout: 5 * 60_000 });
  await closeDrawer(page);

  // The corrected PCs are in the picker; before/after switches X_pca and X_pca_harmony.
  await page.getByTestId('embedding-select').selectOption('X_pca_harmony');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_pca_harmony');
  await page.getByTestId('show-before').click();
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_pca');
  // The UMAP without Harmony is computed on first asking (from the same run's X_pca).
  await page.getByTestId('embedding-select').selectOption('X_umap_pca_harmony');
  await page.getByTestId('color-select').selectOption('batch');
  await page.screenshot({ path: info.outputPath('after.png') });
  await page.getByTestId('show-before').click();
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap_pca', { timeout: 5 * 60_000 });
  await page.screenshot({ path: info.outputPath('before.png') });
  await page.getByTestId('show-after').click();
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap_pca_harmony');

  // The saved .h5ad: X_pca_harmony, X_umap from the corrected graph, the uncorrected UMAP by its name.
  await page.getByTestId('export-menu').click();
  const [h5] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-h5ad').click()]);
  if (hasPythonAnndata()) {
    const py = `
import sys, json, anndata
a = anndata.read_h5ad(sys.argv[1])
print(json.dumps({'obsm': sorted(a.obsm.keys()), 'use_rep': a.uns['neighbors']['params']['use_rep'], 'nbatches': str(a.var['highly_variable_nbatches'].dtype), 'harmony': list(a.obsm['X_pca_harmony'].shape)}))`;
    const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', '-c', py, (await h5.path())!], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ obsm: ['X_pca', 'X_pca_harmony', 'X_umap', 'X_umap_pca'], use_rep: 'X_pca_harmony', nbatches: 'int64', harmony: [700, 50] });
  }
});
