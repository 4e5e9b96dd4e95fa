// Issue 23 item 3, "Plots as complete as scanpy's": the dot plot's legends (colour bar with its
// unit, dot sizes as "Fraction of cells in group (%)"), group brackets over the genes, genes of the
// user's choice (typed list, marker sets; unknown ones reported), markers computed for the column
// picked, plots that fill the tab, violins with a seeded stripplot, axis titles, and symbols (not
// Ensembl ids) on a CELLxGENE-style file.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { cxgStyleFile } from './cxg-file.ts';
import { runPipeline, showTab } from './workspace.ts';

const SHOTS = process.env.PLOTS_SHOTS;

async function openDemoPlots(page: Page) {
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await showTab(page, 'plots');
}

/** How much of the plot body the plot covers, the larger of width and height shares. */
async function fillShare(plot: Locator, page: Page): Promise<number> {
  const p = (await plot.boundingBox())!;
  const b = (await page.locator('.plots-body').boundingBox())!;
  return Math.max(p.width / b.width, p.height / b.height);
}

async function shot(page: Page, name: string, path: string) {
  await page.screenshot({ path });
  if (SHOTS) copyFileSync(path, join(SHOTS, name));
}

test('dot plot of a column without markers: computed on choosing it, brackets, legends, axis titles, fills 1280x720 and 1920x1080', async ({ page }, info) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openDemoPlots(page);
  // louvain has no markers in the file: choosing it computes them (no "no markers yet").
  await page.getByTestId('plots-groupby').selectOption('louvain');
  const dot = page.getByTestId('dotplot');
  await expect(dot).toHaveAttribute('data-groups', '11');
  await expect(page.getByTestId('plots-markers-compute')).toHaveCount(0);
  await expect(page.getByTestId('markers-groupby')).toHaveValue('louvain');
  const nGenes = Number(await dot.getAttribute('data-genes'));
  expect(nGenes).toBeGreaterThanOrEqual(11);
  // One bracket per louvain group that contributed genes, labelled by the group, covering every column.
  const bracketText = (await dot.getAttribute('data-brackets'))!;
  const brackets = bracketText.split('|').map((b) => /^(.*):(\d+)-(\d+)$/.exec(b)!);
  expect(brackets.length).toBeGreaterThanOrEqual(5);
  expect(brackets[0][2]).toBe('0');
  expect(Number(brackets[brackets.length - 1][3])).toBe(nGenes - 1);
  await expect(dot).toHaveAttribute('data-colorbar', 'Mean expression in group (log1p normalised)');
  await expect(dot).toHaveAttribute('data-size-legend', 'Fraction of cells in group (%): 20 40 60 80 100');
  await expect(dot).toHaveAttribute('data-axes', 'gene / louvain');
  for (const [w, h] of [[1280, 720], [1920, 1080]]) {
    await page.setViewportSize({ width: w, height: h });
    await expect.poll(() => fillShare(dot, page)).toBeGreaterThan(0.85);
    await shot(page, `after-dotplot-${w}x${h}.png`, info.outputPath(`dotplot-${w}x${h}.png`));
  }
  // The matrix plot: same brackets and axis titles, the unit on its colour bar, fills the tab too.
  await page.getByTestId('plots-tab-matrix').click();
  const matrix = page.getByTestId('matrixplot');
  await expect(matrix).toHaveAttribute('data-brackets', bracketText);
  await expect(matrix).toHaveAttribute('data-axes', 'gene / louvain');
  await expect.poll(() => fillShare(matrix, page)).toBeGreaterThan(0.85);
  await shot(page, 'after-matrixplot-1920x1080.png', info.outputPath('matrixplot-1920x1080.png'));
  await page.setViewportSize({ width: 1280, height: 720 });
  await expect.poll(() => fillShare(matrix, page)).toBeGreaterThan(0.85);
  await shot(page, 'after-matrixplot-1280x720.png', info.outputPath('matrixplot-1280x720.png'));
});

test('violin with stripplot points (every cell, seeded jitter), axis titles, fills the tab', async ({ page }, info) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openDemoPlots(page);
  await page.getByTestId('plots-groupby').selectOption('bulk_labels');
  // The file's own markers of bulk_labels (as the "before" screenshots show them).
  await expect(page.getByTestId('dotplot')).toHaveAttribute('data-groups', '10');
  for (const [w, h] of [[1920, 1080], [1280, 720]]) {
    await page.setViewportSize({ width: w, height: h });
    await expect.poll(() => fillShare(page.getByTestId('dotplot'), page)).toBeGreaterThan(0.85);
    await shot(page, `after-plots-${w}x${h}.png`, info.outputPath(`plots-${w}x${h}.png`));
  }
  await page.getByTestId('plots-tab-violin').click();
  const violin = page.getByTestId('violin');
  await expect(violin).toHaveAttribute('data-groups', '10');
  await expect(violin).toHaveAttribute('data-label', /log-normalised/);
  await expect(violin).toHaveAttribute('data-x-title', 'bulk_labels');
  await expect(violin).toHaveAttribute('data-points', '0');
  await page.getByTestId('violin-stripplot').check();
  await expect(violin).toHaveAttribute('data-points', '700');
  for (const [w, h] of [[1280, 720], [1920, 1080]]) {
    await page.setViewportSize({ width: w, height: h });
    await expect.poll(() => fillShare(violin, page)).toBeGreaterThan(0.85);
    await shot(page, `after-violin-${w}x${h}.png`, info.outputPath(`violin-${w}x${h}.png`));
  }
});

test('genes of my choice: a typed list with unknown ones reported, name: lines as brackets, a marker set', async ({ page }) => {
  await openDemoPlots(page);
  await page.getByTestId('plots-groupby').selectOption('bulk_labels');
  await page.getByTestId('plots-genes-mode').selectOption('list');
  await page.getByTestId('plots-gene-list').fill('cd79a, MS4A1 NOTAGENE\nnkg7\nT cells: CD3D IL7R; CD3E');
  await page.getByTestId('plots-gene-list-apply').click();
  const dot = page.getByTestId('dotplot');
  await expect(dot).toHaveAttribute('data-genes', '6');
  await expect(dot).toHaveAttribute('data-brackets', 'T cells:3-5');
  await expect(page.getByTestId('plots-unknown-genes')).toContainText('NOTAGENE');
  await expect(page.getByTestId('plots-unknown-genes')).not.toContainText('MS4A1');
  // A shipped marker set adds its line; its genes are plotted under its name.
  await page.getByTestId('plots-gene-list').fill('');
  await page.getByTestId('plots-marker-set').selectOption('B');
  await expect(page.getByTestId('plots-gene-list')).toHaveValue(/^B: MS4A1/);
  await page.getByTestId('plots-gene-list-apply').click();
  await expect(dot).toHaveAttribute('data-brackets', /^B:0-\d+$/);
  // The violin offers the listed genes.
  await page.getByTestId('plots-tab-violin').click();
  await expect(page.getByTestId('violin-source').locator('optgroup[label="genes"] option').first()).toHaveText('MS4A1');
});

test('CELLxGENE-style file: the violin lists symbols, not Ensembl ids; a typed list resolves by symbol', async ({ page }, info) => {
  test.setTimeout(10 * 60_000);
  const file = cxgStyleFile(info);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByTestId('n-obs')).toHaveText('200');
  await runPipeline(page);
  await showTab(page, 'plots');
  await expect(page.getByTestId('dotplot')).toHaveAttribute('data-groups', /\d+/);
  await page.getByTestId('plots-tab-violin').click();
  const options = await page.getByTestId('violin-source').locator('optgroup[label="genes"] option').allTextContents();
  expect(options.length).toBeGreaterThan(0);
  for (const o of options) expect(o).not.toMatch(/^ENSG/);
  await expect(page.getByTestId('violin')).toHaveAttribute('data-label', new RegExp(`^${options[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
  await page.getByTestId('plots-genes-mode').selectOption('list');
  await page.getByTestId('plots-gene-list').fill('CD3D, MS4A1, LYZ, NKG7, MT-CO1');
  await page.getByTestId('plots-gene-list-apply').click();
  await page.getByTestId('plots-tab-dot').click();
  await expect(page.getByTestId('dotplot')).toHaveAttribute('data-genes', '5');
  await expect(page.getByTestId('plots-unknown-genes')).toHaveCount(0);
  await page.getByTestId('plots-tab-violin').click();
  await expect(page.getByTestId('violin-source').locator('optgroup[label="genes"] option')).toHaveText(['CD3D', 'MS4A1', 'LYZ', 'NKG7', 'MT-CO1']);
  await page.screenshot({ path: info.outputPath('cxg-violin.png') });
});
