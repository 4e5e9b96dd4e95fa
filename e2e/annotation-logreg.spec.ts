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

// Majority voting after logistic regression (the drawer's shared option): the held-out half is
// over-clustered on its own (CellTypist's Leiden over-clustering), each over-cluster takes its most
// frequent prediction; the voted column joins obs, colours the plot, and is evaluated beside the
// per-cell labels; then over an obs column (louvain) with a minimum proportion.
test('demo -> logistic regression -> majority voting: the voted column, its evaluation, an obs column as the over-clustering', async ({ page }, info) => {
  test.setTimeout(5 * 60_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await openDrawer(page, 'annotate');

  await page.getByTestId('map-label').selectOption('bulk_labels');
  await page.getByTestId('map-reference').selectOption('half');
  await expect(page.getByTestId('map-overclustering')).toHaveCount(0);
  await page.getByTestId('map-majority').check();
  await expect(page.getByTestId('map-overclustering')).toHaveValue('');
  await page.getByTestId('run-map').click();

  const voting = page.getByTestId('map-voting');
  await expect(voting).toContainText(/Majority voting over \d+ clusters \(Leiden at resolution 5 \(CellTypist's for 347 cells\) on 10 nearest neighbours in obsm X_pca \(50 components\) of the 347 query cells\): \d+ of 347 cells changed label/, { timeout: 120_000 });
  // Both columns in obs; the plot coloured by the vote.
  await expect(page.getByTestId('color-select')).toHaveValue('predicted_bulk_labels_majority_voting');
  await expect(page.getByTestId('color-select').locator('option[value="predicted_bulk_labels_over_clustering"]')).toHaveCount(1);
  await expect(page.getByTestId('legend-item').first()).toBeVisible();
  // The per-cell labels and the voted ones, each against the held-out half's bulk_labels.
  await expect(page.getByTestId('map-evaluation')).toContainText(/Against bulk_labels \(347 cells\): accuracy [0-9.]+%/);
  await expect(page.getByTestId('vote-evaluation')).toContainText(/Majority voting: Against bulk_labels \(347 cells\): accuracy [0-9.]+%, macro-F1 [0-9.]+/);
  await expect(page.getByTestId('vote-per-label').locator('tbody tr')).toHaveCount(10);
  await page.screenshot({ path: info.outputPath('logreg-majority-voting.png'), fullPage: true });
  await voting.getByTestId('map-color-predicted_bulk_labels_over_clustering').click();
  await expect(page.getByTestId('color-select')).toHaveValue('predicted_bulk_labels_over_clustering');

  // An obs column as the over-clustering, with min_prop: louvain's 11 groups.
  await page.getByTestId('map-overclustering').selectOption('louvain');
  await page.getByTestId('map-minprop').fill('0.9');
  await page.getByTestId('run-map').click();
  await expect(voting).toContainText(/Majority voting over 11 clusters \(obs column louvain\)/, { timeout: 120_000 });
  await expect(page.getByTestId('color-select')).toHaveValue('predicted_bulk_labels_majority_voting');
  // Off again: the next mapping leaves no voted column behind.
  await page.getByTestId('map-majority').uncheck();
  await page.getByTestId('run-map').click();
  await expect(page.getByTestId('color-select')).toHaveValue('predicted_bulk_labels', { timeout: 120_000 });
  await expect(voting).toHaveCount(0);
  await expect(page.getByTestId('color-select').locator('option[value="predicted_bulk_labels_majority_voting"]')).toHaveCount(0);
});
