// scGPT's classifier head in the annotation drawer, on the parity fixture's 16 real cells with the
// bundled tiny test model (its weights are random: this checks the run, not the accuracy), on the
// CPU (WebAssembly): epochs shown as they come, the report with held-out scores, the predicted
// column coloured; a long run cancelled part-way; then the head saved and used again on the
// dataset (a file that is not a head refused first).
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openDrawer } from './workspace.ts';

const CELLS = fileURLToPath(new URL('../../shared/fixtures/scgpt-parity/tiny/cells.h5ad', import.meta.url));

test('annotate: train scGPT\'s classifier head on a stratified half, per-epoch progress, report; save it and annotate with it; Cancel stops a run', async ({ page }, info) => {
  test.setTimeout(5 * 60_000);
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(CELLS);
  await expect(page.getByTestId('n-obs')).toHaveText('16');
  await openDrawer(page, 'annotate');
  await page.getByTestId('map-method').selectOption('scgpt-head');
  await expect(page.getByTestId('head-model-select')).toHaveValue('scgpt-tiny-fixture');
  await page.getByTestId('map-label').selectOption('bulk_labels');
  await page.getByTestId('map-reference').selectOption('half');
  await page.getByTestId('head-device').selectOption('wasm');
  await page.getByTestId('head-epochs-input').fill('4');
  await page.getByTestId('head-lr').fill('0.001');
  await expect(page.getByTestId('run-map')).toHaveText('Train and annotate');
  await page.getByTestId('run-map').click();

  const report = page.getByTestId('map-report');
  await expect(report).toBeVisible({ timeout: 180_000 });
  await expect(page.getByTestId('head-report')).toContainText('Classifier head on scGPT <cls>');
  await expect(page.getByTestId('head-report')).toContainText('trained on tfjs wasm, 4 epochs');
  await expect(report.getByTestId('head-epochs').locator('tbody tr')).toHaveCount(4);
  await expect(page.getByTestId('map-accuracy')).toContainText(/Held-out accuracy [0-9.]+%, macro-F1 [0-9.]+/);
  await expect(report).toContainText(/query cells annotated from \d+ reference cells/);
  await expect(page.getByTestId('color-select')).toHaveValue('predicted_bulk_labels');
  await page.screenshot({ path: info.outputPath('head-report.png'), fullPage: true });

  // A long run: the epochs table grows while it trains, Cancel stops it without an error and
  // leaves the last report in place.
  await page.getByTestId('head-epochs-input').fill('500');
  await page.getByTestId('run-map').click();
  const live = page.getByTestId('drawer-annotate').getByTestId('head-epochs').first();
  await expect(live.locator('tbody tr').first()).toBeVisible({ timeout: 120_000 });
  await expect(live).toContainText('/500');
  await page.screenshot({ path: info.outputPath('head-training.png'), fullPage: true });
  await page.getByTestId('map-cancel').click();
  await expect(page.getByTestId('map-progress')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('run-map')).toBeEnabled();
  await expect(page.getByTestId('drawer-annotate')).not.toContainText('failed');
  await expect(page.getByTestId('head-report')).toContainText('4 epochs');

  // Save the head (the 4-epoch one: the cancelled run left it), then annotate with it (no
  // training): its labels on every cell. A file that is not a head is refused with its name, and
  // the dataset stays as it was.
  const [saved] = await Promise.all([page.waitForEvent('download'), page.getByTestId('head-save').click()]);
  expect(saved.suggestedFilename()).toBe('cells_bulk_labels_scgpt_head.pt');
  const headPath = info.outputPath('head.pt');
  await saved.saveAs(headPath);
  expect(readFileSync(headPath).subarray(0, 2).toString()).toBe('PK');
  await page.getByTestId('head-file').setInputFiles(CELLS);
  await expect(page.getByTestId('error-mapping')).toContainText('cells.h5ad: not a ZIP archive');
  await expect(page.getByTestId('n-obs')).toHaveText('16');
  await page.getByTestId('head-file').setInputFiles(headPath);
  await expect(page.getByTestId('head-report')).toContainText('Saved head head.pt', { timeout: 120_000 });
  await expect(page.getByTestId('head-report')).toContainText('labels of bulk_labels, trained on cells.h5ad');
  await expect(page.getByTestId('error-mapping')).toHaveCount(0);
  await expect(report).toContainText('16 query cells annotated');
  await expect(page.getByTestId('color-select')).toHaveValue('predicted_bulk_labels');
  await expect(page.getByTestId('n-obs')).toHaveText('16');
  await page.screenshot({ path: info.outputPath('head-saved.png'), fullPage: true });
});
