// Read-only share links end to end against `scweb serve` (the e2e web server): one browser analyses
// the demo, names a cluster and shares an encrypted link; another opens it and sees the same
// embedding, legend counts and a gene colouring, and cannot edit. A link without its key, a wrong
// key and a revoked share each say so. A snapshot whose category names are HTML shows them as text.
import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasPythonAnndata } from '../test/python-anndata.ts';
import { dropFiles, openDrawer, runPipeline, truncatedControls } from './workspace.ts';

test('analyse, label and share the demo; a second browser opens the link read-only with the same picture', async ({ page, browser }, info) => {
  test.setTimeout(8 * 60_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await runPipeline(page);
  await openDrawer(page, 'annotate');
  await page.getByTestId('labels-start').click();
  await expect(page.getByTestId('color-select')).toHaveValue('user_label');
  await page.getByTestId('label-0').fill('T cells');
  await page.getByTestId('label-0').press('Enter');
  await expect(page.getByTestId('legend-item').filter({ hasText: 'T cells' })).toHaveCount(1);
  const legend = await page.getByTestId('legend-item').allTextContents();
  await page.getByTestId('drawer-close').click();
  const gene = (await page.getByTestId('markers-table').locator('tbody tr td.gene').first().textContent())!;

  await page.getByTestId('open-share').click();
  await expect(page.getByTestId('share-estimate')).toContainText('MB will be uploaded, encrypted in this browser');
  await page.getByTestId('share-create').click();
  await expect(page.getByTestId('share-created')).toBeVisible({ timeout: 120_000 });
  const link = await page.getByTestId('share-link').inputValue();
  expect(link).toMatch(/\/s\/[A-Za-z0-9_-]{22}#k=[A-Za-z0-9_-]{43}$/);
  await expect(page.getByTestId('my-links').locator('tr')).toHaveCount(1);
  await page.screenshot({ path: info.outputPath('share-dialog.png') });

  const other = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  await other.goto(link);
  await expect(other.getByTestId('viewer-banner')).toContainText('pbmc68k_reduced_with_counts.h5ad');
  await expect(other.getByTestId('viewer-banner')).toContainText('end-to-end encrypted');
  await expect(other.getByTestId('n-obs')).toHaveText('700');
  await expect(other.getByTestId('color-select')).toHaveValue('user_label');
  await expect(other.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap_pca');
  await expect(other.getByTestId('scatter')).toHaveAttribute('data-points', '700');
  expect(await other.getByTestId('legend-item').allTextContents()).toEqual(legend);
  await other.getByTestId('gene-search').fill(gene);
  await other.getByTestId('gene-search').press('Enter');
  await expect(other.getByTestId('color-scale')).toContainText(gene);
  // Nothing to edit or re-run: no analysis, annotation, embedding or share actions.
  for (const id of ['open-analysis', 'open-annotate', 'open-embed', 'open-share']) await expect(other.getByTestId(id)).toHaveCount(0);
  await other.screenshot({ path: info.outputPath('viewer.png') });

  // The same link without its key, and with a wrong one.
  const bare = link.split('#')[0];
  await other.goto(bare);
  await expect(other.getByTestId('error')).toContainText('the link has no key');
  await other.goto(`${bare}#k=${'A'.repeat(43)}`);
  await expect(other.getByTestId('error')).toContainText('the key in the link does not open this share');
  // Nothing opened: nothing to download or copy.
  await expect(other.getByTestId('viewer-download')).toHaveCount(0);

  // Revoked by its owner: the link says there is no such share.
  await page.getByTestId('revoke-link').click();
  await expect(page.getByTestId('my-links')).toHaveCount(0);
  await other.goto(link);
  await expect(other.getByTestId('error')).toContainText('there is no such share');
  // Cut short when copied: the app says so (the server answers 404 with the app, not a line of JSON).
  await other.goto(link.slice(0, link.indexOf('/s/') + 12));
  await expect(other.getByTestId('error')).toContainText('this is not a whole share link');
});

test('the dialog counts the genes the snapshot holds; the viewer keeps the embedding names and says a left-out gene is not in the share; Revoke in full', async ({ page, browser }, info) => {
  test.setTimeout(6 * 60_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  // Fewer HVGs than the demo's 765 genes: HVGs and markers overlap, and the union is what is shared.
  await openDrawer(page, 'analysis');
  await page.getByTestId('param-nTopGenes').fill('200');
  await runPipeline(page);
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap_pca');

  // A link made earlier, from a file with a long name: the links table must not push Revoke out of the dialog.
  await page.evaluate(() =>
    localStorage.setItem(
      'scweb:my-links',
      JSON.stringify([{ id: 'AAAAAAAAAAAAAAAAAAAAAA', url: 'http://localhost/s/AAAAAAAAAAAAAAAAAAAAAA', ownerToken: 'x', expiresAt: '2030-01-01T00:00:00Z', encrypted: false, name: 'GSE000000_lab_pipeline_2024_11_03_pbmc_10k_v3_filtered_feature_bc_matrix_with_annotations.h5ad', createdAt: '2024-11-03T00:00:00Z' }]),
    ),
  );
  await page.getByTestId('open-share').click();
  const option = page.locator('label', { has: page.getByTestId('share-genes-hvg+markers') });
  await expect(option).toContainText(/\([\d,]+ genes\)/);
  const promised = Number((await option.textContent())!.match(/\(([\d,]+) genes\)/)![1].replace(/,/g, ''));
  await page.getByTestId('share-create').click();
  await expect(page.getByTestId('share-created')).toBeVisible({ timeout: 120_000 });
  // The links table keeps every button whole inside the dialog.
  const dialog = page.locator('.dialog.share');
  expect(await truncatedControls(page, '.dialog.share')).toEqual([]);
  expect(await dialog.evaluate((d) => d.scrollWidth <= d.clientWidth)).toBe(true);
  const box = (await dialog.boundingBox())!;
  for (const revoke of await page.getByTestId('revoke-link').all()) {
    const b = (await revoke.boundingBox())!;
    expect(b.x + b.width).toBeLessThanOrEqual(box.x + box.width);
  }
  await page.screenshot({ path: info.outputPath('share-dialog.png') });
  const link = await page.getByTestId('share-link').inputValue();

  // A gene of the demo that the share leaves out: one the autocomplete offers here but not there.
  const offered = async (p: typeof page, prefix: string) => {
    await p.getByTestId('gene-search').fill(prefix);
    return p.locator('#gene-options option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  };
  await page.getByTestId('share-close').click();
  const other = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  await other.goto(link);
  await expect(other.getByTestId('n-obs')).toHaveText('700');
  await expect(other.getByTestId('n-vars')).toHaveText(promised.toLocaleString('en-US'));
  // The app's embedding names, as the session that opens them uses them.
  await expect(other.getByTestId('scatter')).toHaveAttribute('data-embedding', 'X_umap_pca');
  await expect(other.getByTestId('embedding-select')).toHaveValue('X_umap_pca');
  let missing: string | undefined;
  for (const prefix of ['A', 'C', 'R', 'S', 'H', 'M', 'T', 'P', 'N', 'L', 'G', 'I', 'K', 'E', 'F', 'B', 'D', 'Z']) {
    const here = await offered(page, prefix);
    const there = new Set(await offered(other, prefix));
    missing = here.find((g) => !there.has(g));
    if (missing) break;
  }
  expect(missing).toBeDefined();
  await other.getByTestId('gene-search').fill(missing!);
  await other.getByTestId('gene-search').press('Enter');
  await expect(other.getByTestId('gene-error')).toContainText(`"${missing}" is not included in this share`);
  await other.screenshot({ path: info.outputPath('viewer-gene-not-shared.png') });
});

test('another dataset opened under an open share dialog closes it: no link of the last dataset beside the new one', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await page.getByTestId('open-share').click();
  await expect(page.getByTestId('share-dialog')).toBeVisible();
  // A drop lands anywhere on the page, the dialog included.
  await dropFiles(page, [fileURLToPath(new URL('../../shared/data/compocyte_tcells_861x1011_counts.h5ad', import.meta.url))], 'share-dialog');
  await expect(page.getByTestId('n-obs')).toHaveText('861');
  await expect(page.getByTestId('share-dialog')).toHaveCount(0);
  await page.getByTestId('open-share').click();
  await expect(page.getByTestId('share-dialog')).toBeVisible();
});

test('category names that are HTML are shown as text and run nothing', async ({ page }) => {
  test.skip(!hasPythonAnndata(), 'needs python3-anndata to write the hostile file');
  const dir = mkdtempSync(join(tmpdir(), 'scweb-xss-'));
  const file = join(dir, 'hostile.h5ad');
  const names = ['<img src=x onerror=alert(1)>', '</script><script>alert(2)</script>'];
  const py = `
import sys, numpy as np, pandas as pd, anndata, scipy.sparse as sp
n = 40
obs = pd.DataFrame({'cell_type': pd.Categorical([sys.argv[2] if i % 2 else sys.argv[3] for i in range(n)])}, index=[f'c{i}' for i in range(n)])
a = anndata.AnnData(X=sp.csr_matrix(np.random.default_rng(0).poisson(1.0, (n, 30)).astype(np.float32)), obs=obs)
a.obsm['X_umap'] = np.random.default_rng(1).normal(size=(n, 2)).astype(np.float32)
a.write_h5ad(sys.argv[1])`;
  const w = spawnSync('/usr/bin/python3', ['-c', py, file, ...names], { encoding: 'utf8' });
  expect(w.stderr).not.toMatch(/Error/);
  const made = spawnSync(process.execPath, ['bin/scweb.mjs', 'share', 'create', file, '--server', 'http://localhost:4173', '--public', '--name', '<b>bold</b>.h5ad'], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  const { url } = JSON.parse(made.stdout) as { url: string };
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await page.goto(url);
  await expect(page.getByTestId('viewer-name')).toHaveText('<b>bold</b>.h5ad');
  await page.getByTestId('color-select').selectOption('cell_type');
  await expect(page.getByTestId('legend-item').locator('.name')).toHaveText(names.slice().sort());
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  expect(dialogs).toBe(0);
});

test('any .h5ad on the web opens by URL (/?url=…), read lazily with Range requests', async ({ page }) => {
  const ranged: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('.h5ad') && r.headers().range) ranged.push(r.headers().range);
  });
  await page.goto(`/?url=${encodeURIComponent('http://localhost:4173/demo/pbmc68k_reduced_with_counts.h5ad')}`);
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await expect(page.getByTestId('file-name')).toHaveText('pbmc68k_reduced_with_counts.h5ad');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-points', '700');
  await expect(page.getByTestId('viewer-banner')).toHaveCount(0);
  expect(ranged.length).toBeGreaterThan(0);
});
