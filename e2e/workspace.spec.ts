// The workspace at the two window sizes users have (1280x720 laptops, 1920x1080 monitors), on the
// demo, a 10x Cell Ranger file and a CELLxGENE-style file: the embedding fills the window and is
// fully visible, no label or select is cut off, the plots render for the computed clusters, and a
// reload brings the work back. Screenshots of every state are attached to the report.
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasPythonAnndata } from '../test/python-anndata.ts';
import { closeDrawer, openDrawer, runPipeline, showTab, truncatedControls, waitForAutosave, type DrawerName } from './workspace.ts';

const shared = (p: string) => fileURLToPath(new URL(`../../shared/data/${p}`, import.meta.url));

interface Case {
  name: string;
  open(page: Page): Promise<void>;
  cells: string;
}

const CASES: Case[] = [
  { name: 'demo', open: (page) => page.getByTestId('demo').click(), cells: '700' },
  { name: '10x-v3-h5', open: (page) => page.getByTestId('file-input').setInputFiles(shared('10x/v3_filtered_feature_bc_matrix.h5')), cells: '1,107' },
  { name: 'cellxgene', open: (page) => page.getByTestId('file-input').setInputFiles(shared('format_variants/cellxgene_example_with_labels.h5ad')), cells: '320' },
];

const SIZES: [number, number][] = [
  [1280, 720],
  [1920, 1080],
];

/** The embedding's canvas covers at least half the window and lies wholly inside it. */
async function expectEmbeddingFillsWindow(page: Page, [w, h]: [number, number]) {
  const canvas = page.locator('.scatter canvas').first();
  await expect(canvas).toBeVisible();
  const box = (await canvas.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(w + 0.5);
  expect(box.y + box.height).toBeLessThanOrEqual(h + 0.5);
  expect(box.width * box.height).toBeGreaterThanOrEqual(0.5 * w * h);
  expect(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight && document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
}

/** Saved beside the test's other outputs (test-results/e2e/<test>/<name>.png) and attached to the report. */
async function shot(page: Page, info: TestInfo, name: string) {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await info.attach(name, { path, contentType: 'image/png' });
}

for (const size of SIZES) {
  for (const c of CASES) {
    test(`${c.name} at ${size[0]}x${size[1]}: fills the window, nothing cut off, plots for the clusters, reload restores`, async ({ page }, info) => {
      test.setTimeout(8 * 60_000);
      await page.setViewportSize({ width: size[0], height: size[1] });
      await page.goto('/');
      await c.open(page);
      await expect(page.getByTestId('n-obs')).toHaveText(c.cells);
      await shot(page, info, 'loaded');
      expect(await truncatedControls(page)).toEqual([]);

      await runPipeline(page);
      await expect(page.getByTestId('color-select')).toHaveValue('leiden');
      await expectEmbeddingFillsWindow(page, size);
      expect(await truncatedControls(page)).toEqual([]);
      const clusters = await page.getByTestId('legend-item').count();
      expect(clusters).toBeGreaterThanOrEqual(2);
      await expect(page.getByTestId('scatter')).toHaveAttribute('data-labels', String(clusters));
      await shot(page, info, 'analysed');

      // The top marker of cluster 0 colours the embedding, with its scale named.
      const top = page.getByTestId('markers-table').locator('tbody tr').first();
      const gene = (await top.locator('td.gene').textContent())!;
      await top.click();
      await expect(page.getByTestId('color-scale')).toContainText(gene);
      await expect(page.getByTestId('recent-gene')).toHaveText([gene]);
      await shot(page, info, 'gene');

      // Each drawer opens beside the embedding with nothing cut off.
      for (const d of ['analysis', 'embed', 'annotate', 'dataset'] as DrawerName[]) {
        await openDrawer(page, d);
        expect(await truncatedControls(page), `drawer ${d}`).toEqual([]);
        await shot(page, info, `drawer-${d}`);
      }
      await closeDrawer(page);

      await showTab(page, 'plots');
      await expect(page.getByTestId('dotplot')).toHaveAttribute('data-groups', String(clusters));
      const nGenes = Number(await page.getByTestId('dotplot').getAttribute('data-genes'));
      expect(nGenes).toBeGreaterThanOrEqual(2);
      await shot(page, info, 'dotplot');
      await page.getByTestId('plots-tab-violin').click();
      await expect(page.getByTestId('violin')).toHaveAttribute('data-groups', String(clusters));
      await shot(page, info, 'violin');
      await page.getByTestId('plots-tab-matrix').click();
      await expect(page.getByTestId('matrixplot')).toHaveAttribute('data-genes', String(nGenes));
      await shot(page, info, 'matrixplot');
      expect(await truncatedControls(page)).toEqual([]);

      await showTab(page, 'qc');
      await expect(page.getByTestId('qc-scatter')).toHaveAttribute('data-cells', c.cells.replace(',', ''));
      for (const m of ['total_counts', 'n_genes_by_counts']) await expect(page.getByTestId(`qc-${m}`)).toBeVisible();
      await shot(page, info, 'qc');

      // Back on the embedding, hide a cluster; a reload restores the clusters, the filter and the markers.
      await showTab(page, 'embedding');
      await page.getByTestId('color-select').selectOption('leiden');
      await page.getByTestId('legend-item').first().click();
      await expect(page.getByTestId('legend-item').first()).toHaveClass(/off/);
      const shown = await page.getByTestId('shown-cells').textContent();
      // The workspace is a JSON string inside the saved entry: its quotes arrive escaped.
      await waitForAutosave(page, ['\\"hidden\\":{\\"leiden\\":[']);
      await page.reload();
      if (c.name !== 'demo') {
        // Only the demo reopens by itself; a user's file comes back when it is opened again.
        await expect(page.getByTestId('last-session')).toBeVisible();
        await c.open(page);
      }
      await expect(page.getByTestId('session-note')).toContainText('Restored your work', { timeout: 60_000 });
      await expect(page.getByTestId('color-select')).toHaveValue('leiden');
      await expect(page.getByTestId('legend-item')).toHaveCount(clusters);
      await expect(page.getByTestId('legend-item').first()).toHaveClass(/off/);
      await expect(page.getByTestId('shown-cells')).toHaveText(shown!);
      await expect(page.getByTestId('markers-table')).toBeVisible();
      await expectEmbeddingFillsWindow(page, size);
      await shot(page, info, 'restored');
    });
  }
}

test('a user file comes back when opened again; "Save analysis" writes an .h5ad that restores the view in a fresh browser', async ({ page, browser }, info) => {
  test.setTimeout(8 * 60_000);
  const CXG = shared('format_variants/cellxgene_example_with_labels.h5ad');
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(CXG);
  await expect(page.getByTestId('n-obs')).toHaveText('320');
  await runPipeline(page);
  await page.getByTestId('gene-search').fill('MACF1');
  await page.getByTestId('gene-search').press('Enter');
  await expect(page.getByTestId('color-scale')).toContainText('MACF1');
  await waitForAutosave(page, ['\\"gene\\":\\"MACF1\\"']);
  await page.reload();
  await expect(page.getByTestId('last-session')).toContainText('cellxgene_example_with_labels.h5ad');
  await page.getByTestId('file-input').setInputFiles(CXG);
  await expect(page.getByTestId('session-note')).toContainText('Restored your work');
  await expect(page.getByTestId('color-scale')).toContainText('MACF1');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap_pca');
  // Saving the restored analysis says what the browser did not keep (the graph, loadings, markers).
  await page.getByTestId('export-menu').click();
  await Promise.all([page.waitForEvent('download'), page.getByTestId('export-h5ad').click()]);
  await expect(page.getByTestId('export-note')).toContainText('Saved without the neighbour graph (obsp)');
  // Start fresh forgets it: the file's own view again.
  await page.getByTestId('start-fresh').click();
  await expect(page.getByTestId('session-note')).toHaveCount(0);
  await expect(page.getByTestId('color-select')).not.toHaveValue('gene: MACF1');

  // Colour by leiden with a cluster hidden, then Save analysis.
  await runPipeline(page);
  await page.getByTestId('legend-item').nth(1).click();
  const hiddenName = (await page.getByTestId('legend-item').nth(1).locator('.name').textContent())!;
  await page.getByTestId('export-menu').click();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-h5ad').click()]);
  const saved = (await dl.path())!;
  if (hasPythonAnndata()) {
    const r = spawnSync('/usr/bin/python3', ['-c', 'import anndata, json, sys; a = anndata.read_h5ad(sys.argv[1]); print(json.loads(a.uns["scweb_session"])["view"]["colorBy"])', saved], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('leiden');
  }

  // A browser that has never seen it: the saved file opens on the same view.
  const fresh = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const other = await fresh.newPage();
  await other.goto('/');
  await other.getByTestId('file-input').setInputFiles({ name: 'shared_analysis.h5ad', mimeType: 'application/octet-stream', buffer: (await import('node:fs')).readFileSync(saved) });
  await expect(other.getByTestId('session-note')).toContainText('Restored the analysis saved in shared_analysis.h5ad');
  await expect(other.getByTestId('color-select')).toHaveValue('leiden');
  await expect(other.getByTestId('legend-item').nth(1)).toHaveClass(/off/);
  await expect(other.getByTestId('legend-item').nth(1).locator('.name')).toHaveText(hiddenName);
  await expect(other.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap');
  await other.screenshot({ path: info.outputPath('saved-analysis-reopened.png') });
  await fresh.close();
});
