// The analysis on the browser's worker pool at the sizes where every pooled path starts (20,500
// cells x 1,600 genes): the QC and matrix passes on Web Workers reading the dropped File, Lanczos's
// and UMAP's workers meeting at Atomics barriers, NN-descent and the fuzzy set on the pool, Leiden
// on a spare worker beside UMAP's epochs, the markers' blocks assembled by the workers. No real
// file in ../shared is that big, so the bench's clustered synthetic counts are written here. Two
// threads finish, also after a cancel in the middle of UMAP, and their saved .h5ad holds one
// thread's X_pca, X_umap and Leiden, bit for bit.
import { expect, test, type Browser, type Page, type TestInfo } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeSynthetic } from '../bench/synthetic.ts';
import { openPaths } from '../src/io/node.ts';
import { dropFiles, openDrawer, runPipeline } from './workspace.ts';

const N_CELLS = 20_500;

/** One analysis in a fresh browser context (nothing cached, nothing restored) on `threads`; the saved .h5ad's path. */
async function analyse(browser: Browser, info: TestInfo, file: string, threads: number, cancelFirst = false): Promise<{ saved: string; page: Page }> {
  const context = await browser.newContext({ baseURL: info.project.use.baseURL, viewport: info.project.use.viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await dropFiles(page, [file]);
  await expect(page.getByTestId('n-obs')).toHaveText(N_CELLS.toLocaleString('en-US'), { timeout: 60_000 });
  await openDrawer(page, 'analysis');
  await page.getByTestId('param-threads').fill(String(threads));
  if (cancelFirst) {
    // A cancel while UMAP's workers wait at their barrier and Leiden runs on the spare worker: the
    // pool is stopped, the steps before are kept, and the next run starts fresh workers.
    await page.getByTestId('run-analysis').click();
    await expect(page.getByTestId('step-umap')).toHaveAttribute('data-state', 'running', { timeout: 5 * 60_000 });
    await page.getByTestId('cancel-analysis').click({ timeout: 10_000 });
    await expect(page.getByTestId('step-umap')).toHaveAttribute('data-state', /cancelled|not-run/);
    await expect(page.getByTestId('step-neighbors')).toHaveAttribute('data-state', /done|cached/);
  }
  await runPipeline(page, 5 * 60_000);
  await openDrawer(page, 'analysis');
  for (const s of ['qc', 'filter', 'hvg', 'matrix', 'pca', 'neighbors', 'leiden', 'umap', 'markers']) await expect(page.getByTestId(`step-${s}`)).toHaveAttribute('data-state', /done|cached/);
  await expect(page.getByTestId('analysis-report')).toContainText(`${N_CELLS.toLocaleString('en-US')} of ${N_CELLS.toLocaleString('en-US')} cells pass QC`);
  await expect(page.getByTestId('analysis-report')).toContainText('NN-descent');
  await page.getByTestId('drawer-close').click();
  await page.getByTestId('export-menu').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-h5ad').click()]);
  const saved = join(info.outputPath(), `threads-${threads}.h5ad`);
  await download.saveAs(saved);
  expect(errors).toEqual([]);
  // Two threads: the pool's two workers and the spare one Leiden ran on beside UMAP; one thread: none.
  expect(page.workers().filter((w) => w.url().includes('pool.worker')).length).toBe(threads > 1 ? threads + 1 : 0);
  return { saved, page };
}

/** md5 of what the analysis computed, as the saved file holds it. */
async function resultsDigest(path: string): Promise<Record<string, string>> {
  const ds = await openPaths([path]);
  try {
    const md5 = (a: ArrayBufferView) => createHash('md5').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
    const leiden = ds.obs.columns.find((c) => c.name === 'leiden');
    if (leiden?.kind !== 'categorical') throw new Error(`${path}: obs/leiden is missing or not categorical`);
    return {
      X_pca: md5(ds.readEmbedding('X_pca').data),
      X_umap: md5(ds.readEmbedding('X_umap').data),
      leiden: md5(Int32Array.from(leiden.codes)),
      clusters: String(leiden.categories.length),
    };
  } finally {
    ds.close();
  }
}

test('20,500 cells on the browser pool: every pooled step finishes, after a cancel too, with one thread\'s bits', async ({ browser }, info) => {
  test.setTimeout(12 * 60_000);
  mkdirSync(info.outputPath(), { recursive: true });
  const file = join(info.outputPath(), 'clustered_20500x1600.h5ad');
  await writeSynthetic(file, { nCells: N_CELLS, nGenes: 1600, genesPerCell: 100, seed: 7, types: 8 });
  const two = await analyse(browser, info, file, 2, true);
  await expect(two.page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap_pca');
  await two.page.screenshot({ path: info.outputPath('two-threads.png') });
  const one = await analyse(browser, info, file, 1);
  const [a, b] = [await resultsDigest(two.saved), await resultsDigest(one.saved)];
  expect(Number(a.clusters)).toBeGreaterThanOrEqual(6);
  expect(a).toEqual(b);
});
