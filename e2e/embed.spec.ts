import { expect, test } from '@playwright/test';

test('the demo is embedded with the bundled scGPT fixture model on WebGPU in the worker', async ({ page }, info) => {
  // 700 cells on SwiftShader (a CPU emulation of a GPU) take 8-9 minutes on 2 cores: allow 2.5x.
  test.setTimeout(1_500_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await expect(page.getByTestId('model-select')).toHaveValue('scgpt-tiny-fixture');
  await page.getByTestId('embed').click();
  await expect(page.getByTestId('embed-progress')).toBeVisible();
  await page.screenshot({ path: info.outputPath('embedding-progress.png'), fullPage: true });
  const stats = page.getByTestId('embed-stats');
  await expect(stats).toBeVisible({ timeout: 1_380_000 });
  await expect(stats).toContainText('695/765 genes in the vocabulary');
  await expect(stats).toContainText('WebGPU');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_scGPT_pc');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-points', '700');
  await page.getByTestId('color-select').selectOption('bulk_labels');
  await expect(page.getByTestId('legend-item')).toHaveCount(10);
  await page.screenshot({ path: info.outputPath('embedded.png'), fullPage: true });
});
