// Two samples from two files, integrated as a user would: drop both files (their own batch effect
// in the counts: test/reference/batch_file.py's b0 and b1, gene-specific capture bias), colour by
// the `sample` column the join adds, pick `sample` as the batch key, run the pipeline with Harmony,
// and read the Integration drawer: iLISI rises towards 2 (the two samples mix) while the cell
// types stay apart.
import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeDrawer, dropFiles, openDrawer } from './workspace.ts';

const DATA = fileURLToPath(new URL('../../shared/data', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../test/reference/batch_file.py', import.meta.url));

test('two files opened as one dataset, integrated over sample, metrics before and after', async ({ page }, info) => {
  test.setTimeout(10 * 60_000);
  const dir = info.outputPath('files');
  mkdirSync(dir, { recursive: true });
  const made = spawnSync('/usr/bin/python3', ['-W', 'ignore', SCRIPT, DATA, dir, 'split'], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);

  await page.goto('/');
  await dropFiles(page, [join(dir, 'donorA.h5ad'), join(dir, 'donorB.h5ad')]);
  await expect(page.getByTestId('n-obs')).toHaveText('476');
  await page.getByTestId('color-select').selectOption('sample');
  await expect(page.getByTestId('legend-item')).toHaveCount(2);

  await openDrawer(page, 'analysis');
  await page.getByTestId('batch-key-sample').check();
  await expect(page.getByTestId('batch-keys')).toContainText('Harmony over sample corrects X_pca into X_pca_harmony');
  await page.getByTestId('run-analysis').click();
  await expect(page.getByTestId('analysis-report')).toBeVisible({ timeout: 8 * 60_000 });
  await expect(page.getByTestId('report-integration')).toContainText('Harmony over sample (2 batches) on X_pca -> X_pca_harmony');
  await expect(page.getByTestId('report-reading')).toContainText(/batches mix: median iLISI \d\.\d\d -> \d\.\d\d of 2; cell types kept apart: cLISI/, { timeout: 5 * 60_000 });

  await page.getByTestId('analysis-report-metrics').click();
  await expect(page.getByTestId('drawer-integration')).toBeVisible();
  const metric = async (id: string) => Number(await page.getByTestId(id).textContent());
  const before = await metric('metric-ilisi-before');
  const after = await metric('metric-ilisi-after');
  // The samples separate before (each cell's neighbours mostly from its own file) and mix after.
  expect(before).toBeLessThan(1.5);
  expect(after).toBeGreaterThan(before);
  expect(after).toBeLessThanOrEqual(2);
  await expect(page.getByTestId('violin-ilisi')).toHaveAttribute('data-groups', '2');
  await page.getByTestId('integration-panel').screenshot({ path: info.outputPath('metrics.png') });
  await closeDrawer(page);
});
