// scGPT's classifier head in the annotation drawer, on the parity fixture's 16 real cells with the
// bundled tiny test model (its weights are random: this checks the run, not the accuracy), on the
// CPU (WebAssembly): epochs shown as they come, the report with held-out scores, the predicted
// column coloured; then a long run cancelled part-way.
import { expect, test } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { openDrawer } from './workspace.ts';

const CELLS = fileURLToPath(new URL('../../shared/fixtures/scgpt-parity/tiny/cells.h5ad', import.meta.url));

test('annotate: train scGPT\'s classifier head on a stratified half, per-epoch progress, report; Cancel stops a run', async ({ page }, info) => {
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
});
