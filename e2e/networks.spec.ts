import { expect, test } from '@playwright/test';
import { runPipeline, showTab } from './workspace.ts';

// The demo with the bundled test model (random weights: the networks carry no biology, the
// plumbing is what is tested here; the numbers are checked against scGPT in test/grn-*.test.ts).
test('gene programs and an attention GRN on the demo: network drawn, a program colours the cells, targets listed', async ({ page }, info) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await runPipeline(page);
  await showTab(page, 'networks');
  await expect(page.getByTestId('network-empty')).toBeVisible();

  // Programs over 300 HVGs at a resolution that gives a handful of programs on so few genes.
  await page.getByTestId('grn-param-nHvg').fill('300');
  await page.getByTestId('grn-param-resolution').fill('2');
  await page.getByTestId('grn-run-programs').click();
  const view = page.getByTestId('network-view');
  await expect(view).toBeVisible({ timeout: 300_000 });
  const nodes = Number(await view.getAttribute('data-nodes'));
  expect(nodes).toBeGreaterThan(200);
  expect(nodes).toBeLessThanOrEqual(300);
  expect(Number(await view.getAttribute('data-edges'))).toBeGreaterThan(0);
  const items = page.getByTestId('program-item');
  expect(await items.count()).toBeGreaterThan(1);
  await expect(page.getByTestId('programs-note')).toContainText('programs of');
  await page.screenshot({ path: info.outputPath('programs.png') });

  // A program colours the cells by its score, an obs column like any other.
  await items.first().click();
  await expect(page.getByTestId('color-scale')).toContainText('program_0_score');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-points', '700');

  // Find a gene: it is picked, its most similar genes are listed, the cells take its colour.
  const gene = (await items.first().getAttribute('title'))!.split(', ')[0];
  await page.getByTestId('network-search').fill(gene);
  await expect(view).toHaveAttribute('data-focus', gene);
  await expect(page.getByTestId('similar-genes').locator('li')).toHaveCount(10);
  await expect(page.getByTestId('color-scale')).toContainText(gene);

  // Programs by cluster.
  await page.getByTestId('programs-view-heatmap').click();
  await page.getByTestId('heatmap-groupby').selectOption('leiden');
  await page.getByTestId('heatmap-show').click();
  await expect(page.getByTestId('matrixplot')).toHaveAttribute('data-genes', String(await items.count()));

  // Cytoscape CSVs.
  await page.getByTestId('programs-view-network').click();
  const downloads: string[] = [];
  page.on('download', (d) => downloads.push(d.suggestedFilename()));
  await page.getByTestId('network-export-csv').click();
  await expect.poll(() => downloads.length).toBe(2);
  expect(downloads.sort()).toEqual(['pbmc68k_reduced_with_counts_gene_programs_edges.csv', 'pbmc68k_reduced_with_counts_gene_programs_nodes.csv']);

  // Attention GRN between two leiden clusters, regulator SPI1 first in the panel.
  await page.getByTestId('grn-mode-attention').click();
  await page.getByTestId('grn-groupby').selectOption('leiden');
  await page.getByTestId('grn-group-a').selectOption('0');
  await page.getByTestId('grn-group-b').selectOption('1');
  await page.getByTestId('grn-tfs').fill('SPI1');
  await page.getByTestId('grn-nhvg').fill('30');
  await page.getByTestId('grn-run-attention').click();
  const targets = page.getByTestId('grn-targets').locator('tbody tr');
  await expect(targets).toHaveCount(20, { timeout: 300_000 });
  await expect(page.getByTestId('grn-tf')).toHaveValue('SPI1');
  await expect(page.getByTestId('attention-note')).toContainText('layer');
  // 'auto' without a hardware GPU: the float32 WebAssembly path (a hardware GPU would take WebGPU).
  await expect(page.getByTestId('attention-note')).toContainText(/WASM \(float32|WebGPU \((?!.*software)/);
  await expect(view).toHaveAttribute('data-nodes', '21');
  await page.screenshot({ path: info.outputPath('attention.png') });
});
