import { expect, test } from '@playwright/test';
import { openDrawer } from './workspace.ts';

test('the demo is embedded with the bundled scGPT fixture model in the worker (CPU: the only GPU here is software)', async ({ page }, info) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  // The threads setting reaches the WebAssembly encoder (threaded build: the page is cross-origin isolated).
  await openDrawer(page, 'analysis');
  await page.getByTestId('param-threads').fill('2');
  await openDrawer(page, 'embed');
  await expect(page.getByTestId('model-select')).toHaveValue('scgpt-tiny-fixture');
  await expect(page.getByTestId('embed-device')).toHaveValue('auto');
  await page.getByTestId('embed').click();
  await expect(page.getByTestId('embed-progress')).toBeVisible();
  await page.screenshot({ path: info.outputPath('embedding-progress.png'), fullPage: true });
  const stats = page.getByTestId('embed-stats');
  await expect(stats).toBeVisible({ timeout: 540_000 });
  await expect(stats).toContainText('695/765 genes in the vocabulary');
  // 'auto' never picks a software renderer (SwiftShader took 348 s here against 40 s on the CPU);
  // on the CPU it runs the float32 WebAssembly encoder (its wasm files served by the app).
  await expect(stats).toContainText(/CPU, WebAssembly float32 \(tfjs-backend-wasm, 2 threads\)|WebGPU \((?!.*software)/);
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_scGPT_pc');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-points', '700');
  await page.getByTestId('color-select').selectOption('bulk_labels');
  await expect(page.getByTestId('legend-item')).toHaveCount(10);
  await page.screenshot({ path: info.outputPath('embedded.png'), fullPage: true });
});
