// The explorer end to end on the demo: pipeline -> Leiden legend on the UMAP, cluster markers,
// a gene colour, a scripted lasso with markers of the selection, CSV and PNG exports.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { closeDrawer, openDrawer, showTab } from './workspace.ts';

test('demo -> pipeline -> Leiden UMAP, markers, gene colour, lasso markers, exports', async ({ page }, info) => {
  test.setTimeout(10 * 60_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await openDrawer(page, 'analysis');
  await page.getByTestId('run-analysis').click();
  await expect(page.getByTestId('step-qc')).toHaveAttribute('data-state', /running|done/, { timeout: 60_000 });
  await expect(page.getByTestId('analysis-report')).toBeVisible({ timeout: 8 * 60_000 });
  await expect(page.getByTestId('analysis-report')).toContainText('700 of 700 cells pass QC');
  // The drawer closed when the run ended; it still lists the steps.
  await expect(page.locator('.drawer')).toHaveCount(0);
  await openDrawer(page, 'analysis');
  for (const s of ['qc', 'filter', 'hvg', 'matrix', 'pca', 'neighbors', 'leiden', 'umap', 'markers']) await expect(page.getByTestId(`step-${s}`)).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap_pca');
  await expect(page.getByTestId('color-select')).toHaveValue('leiden');
  const clusters = await page.getByTestId('legend-item').count();
  expect(clusters).toBeGreaterThanOrEqual(5);
  await page.getByTestId('drawer-close').click();
  await page.screenshot({ path: info.outputPath('pipeline.png'), fullPage: true });

  // Cluster markers: the table shows, and another cluster has different top genes.
  const table = page.getByTestId('markers-table');
  // Every row of scanpy's top 100 per group, scrollable, sortable by any column.
  await expect(table.locator('tbody tr')).toHaveCount(100);
  const scores = (await table.locator('tbody tr td:nth-child(2)').allTextContents()).map(Number);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  await page.getByTestId('sort-pctOut').click();
  const pctOut = (await table.locator('tbody tr td:nth-child(7)').allTextContents()).map(Number);
  expect(pctOut).toEqual([...pctOut].sort((a, b) => b - a));
  await page.getByTestId('sort-score').click();
  const first = await table.locator('tbody tr td.gene').first().textContent();
  await page.getByTestId('markers-group').selectOption('1');
  await expect(table.locator('tbody tr td.gene').first()).not.toHaveText(first!);

  // CSV export of every cluster's markers downloads and parses.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('markers-csv').click()]);
  const text = readFileSync((await csv.path())!, 'utf8').trim().split('\n');
  expect(text[0]).toBe('leiden,rank,names,gene_ids,scores,logfoldchanges,pvals_adj,pct_nz_group,pct_nz_reference');
  expect(text.length).toBe(1 + clusters * 100);
  expect(Number.isFinite(Number(text[1].split(',')[4]))).toBe(true);

  // Dot plot of the top 3 markers per cluster (sc.pl.rank_genes_groups_dotplot's genes).
  await page.getByTestId('dotplot-button').click();
  await expect(page.getByTestId('plots-panel')).toHaveAttribute('data-groupby', 'leiden');
  const dot = page.getByTestId('dotplot');
  await expect(dot).toHaveAttribute('data-groups', String(clusters));
  const nGenes = Number(await dot.getAttribute('data-genes'));
  expect(nGenes).toBeGreaterThanOrEqual(3);
  expect(nGenes).toBeLessThanOrEqual(3 * clusters);
  await dot.screenshot({ path: info.outputPath('dotplot.png') });
  // Violins of a marker per cluster, and of a numeric obs column; the matrix plot of the markers.
  await page.getByTestId('plots-tab-violin').click();
  const violin = page.getByTestId('violin');
  await expect(violin).toHaveAttribute('data-groups', String(clusters));
  await expect(violin).toHaveAttribute('data-label', /log-normalised/);
  await page.getByTestId('violin-source').selectOption('column:n_genes_by_counts');
  await expect(violin).toHaveAttribute('data-label', /n_genes_by_counts/);
  await violin.screenshot({ path: info.outputPath('violin.png') });
  await page.getByTestId('plots-tab-matrix').click();
  const matrix = page.getByTestId('matrixplot');
  await expect(matrix).toHaveAttribute('data-groups', String(clusters));
  await expect(matrix).toHaveAttribute('data-genes', String(nGenes));
  await matrix.screenshot({ path: info.outputPath('matrixplot.png') });
  await showTab(page, 'embedding');

  // Colour by a gene from the search box.
  await page.getByTestId('gene-search').fill('CD3E');
  await expect(page.getByTestId('color-scale')).toContainText('CD3E');
  await expect(page.getByTestId('color-scale-unit')).toContainText('log-normalised counts');
  await expect(page.getByTestId('recent-gene')).toHaveText(['CD3E']);

  // A scripted lasso over the middle of the plot selects cells; their markers come back.
  await page.getByTestId('lasso-toggle').click();
  const box = (await page.getByTestId('lasso-overlay').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const r = Math.min(box.width, box.height) * 0.3;
  await page.mouse.move(cx - r, cy - r);
  await page.mouse.down();
  for (const [x, y] of [[cx + r, cy - r], [cx + r, cy + r], [cx - r, cy + r], [cx - r, cy - r]]) await page.mouse.move(x, y, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('selection-count')).toContainText('selected');
  const selected = Number((await page.getByTestId('selection-count').textContent())!.replace(/[^0-9]/g, ''));
  expect(selected).toBeGreaterThan(0);
  expect(selected).toBeLessThan(700);
  await page.getByTestId('selection-markers').click();
  await expect(page.getByTestId('markers-group')).toContainText(`selection (${selected} cells)`);
  await expect(table.locator('tbody tr')).toHaveCount(100);
  await page.screenshot({ path: info.outputPath('lasso.png'), fullPage: true });

  // QC thresholds suggested by the data (3 MADs) are drawn, and applied only on request.
  await showTab(page, 'qc');
  await expect(page.getByTestId('qc-total_counts')).toBeVisible();
  await expect(page.getByTestId('qc-scatter')).toHaveAttribute('data-cells', '700');
  await page.getByTestId('qc-panel').screenshot({ path: info.outputPath('qc.png') });
  const proposal = page.getByTestId('qc-proposal');
  await expect(proposal).toContainText('Suggested (3 MADs');
  const removed = Number((await proposal.textContent())!.match(/removes ([\d,]+) of/)![1].replace(/,/g, ''));
  // A bound that removes cells lies inside its histogram and is drawn there.
  if (removed > 0) await expect(page.locator('[data-testid^="qc-proposed-"]')).not.toHaveCount(0);
  // A metric whose MAD is 0 gets no bound (and says so); applying leaves its filter as it was.
  const proposalText = (await proposal.textContent())!;
  const minCounts = proposalText.match(/total_counts ≥ ([\d,]+)/)?.[1].replace(/,/g, '') ?? null;
  if (minCounts === null) expect(proposalText).toMatch(/no total_counts bound: /);
  await openDrawer(page, 'analysis');
  await expect(page.getByTestId('param-minCounts')).toHaveValue('0');
  await page.getByTestId('qc-apply').click();
  // Disabled while the re-run goes on; the drawer closes when it ends.
  await expect(page.getByTestId('qc-apply')).toBeEnabled({ timeout: 5 * 60_000 });
  await expect(page.locator('.drawer')).toHaveCount(0);
  await expect(page.getByTestId('analysis-report')).toContainText(`${700 - removed} of 700 cells pass QC`, { timeout: 5 * 60_000 });
  await openDrawer(page, 'analysis');
  await expect(page.getByTestId('param-minCounts')).toHaveValue(minCounts ?? '0');

  // PNG and SVG export of the view.
  await closeDrawer(page);
  await showTab(page, 'embedding');
  await page.getByTestId('export-menu').click();
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-png').click()]);
  const bytes = readFileSync((await png.path())!);
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  expect(bytes.length).toBeGreaterThan(5000);
  await page.getByTestId('export-menu').click();
  const [svg] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-svg').click()]);
  const svgText = readFileSync((await svg.path())!, 'utf8');
  expect(svgText.startsWith('<svg')).toBe(true);
  expect((svgText.match(/<circle /g) ?? []).length).toBe(700 - removed);
});
