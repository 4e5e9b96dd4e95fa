import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openDrawer, waitForAutosave } from './workspace.ts';

const DEMO = fileURLToPath(new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url));

test('the demo loads: summary, the CPU chosen over a software GPU, X_umap coloured by bulk_labels with 10 legend entries', async ({ page }, info) => {
  await page.goto('/');
  // COOP/COEP from the server: the analysis workers can share memory.
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await expect(page.getByTestId('n-vars')).toHaveText('765');
  await openDrawer(page, 'dataset');
  await expect(page.getByTestId('nnz')).toHaveText('174,400');
  await expect(page.getByTestId('counts-source')).toContainText('layers/counts');
  // Headless Chromium's WebGPU is SwiftShader, a software renderer slower than our CPU paths.
  await expect(page.getByTestId('backend')).toContainText(/^(CPU: the only WebGPU adapter is a software renderer|WebGPU: )/);
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-points', '700');
  await page.getByTestId('color-select').selectOption('bulk_labels');
  const items = page.getByTestId('legend-item');
  await expect(items).toHaveCount(10);
  await expect(items.filter({ hasText: 'Dendritic' })).toContainText('240');
  await expect(items.filter({ hasText: 'CD14+ Monocyte' })).toContainText('129');
  // The canvas really draws coloured points, not a blank view.
  const canvas = page.locator('.scatter canvas').first();
  await expect(canvas).toBeVisible();
  const shot = await canvas.screenshot();
  await info.attach('demo-umap', { body: shot, contentType: 'image/png' });
  await page.screenshot({ path: info.outputPath('demo.png'), fullPage: true });
  const colours = await page.evaluate(async (png) => {
    const img = await createImageBitmap(new Blob([new Uint8Array(png)], { type: 'image/png' }));
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, img.width, img.height).data;
    const seen = new Set<string>();
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 700) seen.add(`${d[i] >> 4},${d[i + 1] >> 4},${d[i + 2] >> 4}`);
    return seen.size;
  }, [...shot]);
  expect(colours).toBeGreaterThan(8);
});

test('a corrupt file shows a specific error and the loaded dataset stays', async ({ page }, info) => {
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  const whole = readFileSync(DEMO);
  await page.getByTestId('file-input').setInputFiles({ name: 'broken.h5ad', mimeType: 'application/octet-stream', buffer: whole.subarray(0, 100_000) });
  await expect(page.getByTestId('error')).toContainText('broken.h5ad');
  await expect(page.getByTestId('error')).toContainText('truncated');
  await expect(page.getByTestId('file-name')).toHaveText('pbmc68k_reduced_with_counts.h5ad');
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await expect(page.getByTestId('legend-item')).toHaveCount(10);
  await page.getByTestId('file-input').setInputFiles({ name: 'notes.h5ad', mimeType: 'text/plain', buffer: Buffer.from('cell,gene\n') });
  await expect(page.getByTestId('error')).toContainText('notes.h5ad: is not an HDF5 file');
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await page.screenshot({ path: info.outputPath('error-keeps-dataset.png'), fullPage: true });
});

test('a file that makes HDF5 loop: the worker is replaced, the error names the file, the dataset on screen is reopened with its saved view', async ({ page }, info) => {
  // Zeros over a record of a global heap collection: HDF5 1.14.6 loops forever inside one call
  // (test/fuzz/make_variants.py). The watch waits 3 s here instead of 30.
  await page.addInitScript(() => localStorage.setItem('scweb.h5-timeout-s', '3'));
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await page.getByTestId('color-select').selectOption('louvain');
  const louvain = await page.getByTestId('legend-item').count();
  expect(louvain).toBeGreaterThan(1);
  await waitForAutosave(page, ['louvain']);
  const whole = Buffer.from(readFileSync(DEMO));
  whole.fill(0, 4096, 4160);
  await page.getByTestId('file-input').setInputFiles({ name: 'heap-zeroed.h5ad', mimeType: 'application/octet-stream', buffer: whole });
  await expect(page.getByTestId('error')).toContainText('heap-zeroed.h5ad: HDF5 stopped responding while reading it at /');
  await expect(page.getByTestId('error')).toContainText('reopened with your saved work');
  await expect(page.getByTestId('file-name')).toHaveText('pbmc68k_reduced_with_counts.h5ad');
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await expect(page.getByTestId('color-select')).toHaveValue('louvain');
  await expect(page.getByTestId('legend-item')).toHaveCount(louvain);
  // The new worker answers: a column request goes through.
  await page.getByTestId('color-select').selectOption('bulk_labels');
  await expect(page.getByTestId('legend-item')).toHaveCount(10);
  await page.screenshot({ path: info.outputPath('hdf5-stuck-worker-replaced.png'), fullPage: true });
});

test('a label column stored as plain strings (scVI.jl, Julia) is a categorical: legend with counts, markers by it', async ({ page }, info) => {
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(fileURLToPath(new URL('../../shared/data/scvijl_pbmc_7480x200_counts.h5ad', import.meta.url)));
  await expect(page.getByTestId('n-obs')).toHaveText('7,480');
  await expect(page.getByTestId('obs-cell_type')).toContainText('8 categories');
  await page.getByTestId('color-select').selectOption('cell_type');
  await expect(page.getByTestId('legend-item')).toHaveCount(8);
  await expect(page.getByTestId('legend-item').filter({ hasText: 'CD8+ T-cells' })).toContainText('2,740');
  await expect(page.getByTestId('markers-groupby').locator('option', { hasText: 'cell_type' })).toHaveCount(1);
  await page.screenshot({ path: info.outputPath('plain-string-labels.png') });
});
