// Label transfer by logistic regression within one dataset, end to end on the demo: a stratified
// half of bulk_labels trains, the other half is predicted; the drawer shows accuracy, the
// calibration on held-back reference cells, a confusion matrix whose squares select their cells,
// per-label precision/recall; "unassigned" is grey; the trained model downloads as JSON and as a
// CellTypist .pkl.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { openDrawer } from './workspace.ts';

test('demo -> logistic regression on a stratified half -> accuracy, calibration, confusion matrix selects cells, model download', async ({ page }, info) => {
  test.setTimeout(5 * 60_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await openDrawer(page, 'annotate');

  await expect(page.getByTestId('map-method')).toHaveValue('logreg');
  await page.getByTestId('map-label').selectOption('bulk_labels');
  await page.getByTestId('map-reference').selectOption('half');
  await page.getByTestId('map-multiclass').selectOption('multinomial');
  // kNN's own settings are not offered for logistic regression.
  await expect(page.getByText('distance-weighted')).toBeHidden();
  await page.getByTestId('run-map').click();

  await expect(page.getByTestId('map-accuracy')).toBeVisible({ timeout: 120_000 });
  const acc = Number((await page.getByTestId('map-accuracy').textContent())!.match(/accuracy ([0-9.]+)%/)![1]);
  expect(acc).toBeGreaterThan(65);
  await expect(page.getByTestId('map-report')).toContainText('by logistic regression on 765 shared genes');
  await expect(page.getByTestId('map-report')).toContainText('predicted_bulk_labels_split');
  // auto: headless Chromium's only adapter is SwiftShader, so the gradient ran on the CPU.
  await expect(page.getByTestId('map-engine')).toContainText(/on the CPU \(\d+ threads?, float64\)/);
  await expect(page.getByTestId('map-calibration')).toContainText(/held-back reference cells: accuracy [0-9.]+%, macro-F1 [0-9.]+, calibration error \(ECE\) [0-9.]+ → [0-9.]+ at temperature [0-9.]+/);
  await expect(page.getByTestId('map-evaluation')).toContainText(/Against bulk_labels \(347 cells\): accuracy [0-9.]+%/);
  await expect(page.getByTestId('map-per-label').locator('tbody tr')).toHaveCount(10);

  // The confusion matrix: 10 true labels; the CD14+ Monocyte row's diagonal square selects its cells.
  const matrix = page.getByTestId('confusion-matrix');
  await expect(matrix).toBeVisible();
  const row = await matrix.locator('text').evaluateAll((els, name) => els.filter((e) => e.getAttribute('text-anchor') === 'end').findIndex((e) => e.querySelector('title')?.textContent === name), 'CD14+ Monocyte');
  const col = await matrix.locator('text').evaluateAll((els, name) => els.filter((e) => e.getAttribute('transform')).findIndex((e) => e.querySelector('title')?.textContent === name), 'CD14+ Monocyte');
  expect(row).toBeGreaterThanOrEqual(0);
  expect(col).toBeGreaterThanOrEqual(0);
  const square = page.getByTestId(`confusion-${row}-${col}`);
  const n = Number(await square.locator('text').textContent());
  expect(n).toBeGreaterThan(30);
  await square.click();
  await expect(page.getByTestId('selection-count')).toHaveText(`${n} selected`);

  // Coloured by the prediction: the held-out half only, "unassigned" (if any) in grey.
  await expect(page.getByTestId('color-select')).toHaveValue('predicted_bulk_labels');
  const unassigned = page.getByTestId('legend-item').filter({ hasText: 'unassigned' });
  if ((await unassigned.count()) > 0) await expect(unassigned.locator('.swatch')).toHaveCSS('background-color', 'rgb(200, 200, 200)');
  await page.screenshot({ path: info.outputPath('logreg-half.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('map-model-download').click()]);
  expect(download.suggestedFilename()).toMatch(/bulk_labels_logreg\.json$/);
  const model = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(model.format).toBe('scweb-linear-annotator');
  expect(model.classes).toHaveLength(10);
  expect(model.multiClass).toBe('multinomial');
  expect(model.temperature).toBeGreaterThan(0);
  // ... and as a CellTypist model: a pickle (protocol 2 or later starts with 0x80).
  const [pkl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('map-model-pkl').click()]);
  expect(pkl.suggestedFilename()).toMatch(/bulk_labels_logreg\.pkl$/);
  expect(readFileSync((await pkl.path())!)[0]).toBe(0x80);
});
