// Logistic regression's gradient on the worker's GPU (tfjs WebGPU; headless Chromium's adapter is
// SwiftShader, so "WebGPU" is chosen by name, and C 0.01 keeps the fit to a few dozen iterations):
// progress names the GPU, Cancel stops it, a second run finishes and the report names the engine.
import { expect, test } from '@playwright/test';
import { openDrawer } from './workspace.ts';

test('demo -> logistic regression with device WebGPU: progress on the GPU, cancel, run, engine in the report', async ({ page }) => {
  test.setTimeout(6 * 60_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await openDrawer(page, 'annotate');
  await page.getByTestId('map-label').selectOption('bulk_labels');
  await page.getByTestId('map-reference').selectOption('half');
  await page.getByTestId('map-c').fill('0.01');
  await expect(page.getByTestId('map-logreg-device')).toHaveValue('auto');
  await page.getByTestId('map-logreg-device').selectOption('webgpu');

  await page.getByTestId('run-map').click();
  await expect(page.getByTestId('map-progress')).toContainText('L-BFGS on the GPU', { timeout: 120_000 });
  await page.getByTestId('map-cancel').click();
  await expect(page.getByTestId('map-progress')).toBeHidden();
  await expect(page.getByTestId('map-report')).toBeHidden();

  await page.getByTestId('run-map').click();
  await expect(page.getByTestId('map-accuracy')).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId('map-engine')).toContainText(/on the WebGPU \(.*software renderer.*; tfjs, float32\), finished on the CPU \(\d+ threads?, float64\): WebGPU chosen/);
  const acc = Number((await page.getByTestId('map-accuracy').textContent())!.match(/accuracy ([0-9.]+)%/)![1]);
  expect(acc).toBeGreaterThan(60);
});
