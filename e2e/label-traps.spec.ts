// Label-editing traps a new user hit on the demo (issue 23 items 4 and 7): "Labels from" silently
// took the first column, "Assign selection" took the merge box's text, a suggestion for a group that
// a merge took away did nothing, every CSV had one fixed name; the dataset drawer read the encoding
// version as an anndata version, numeric var columns were offered as gene names; no favicon.
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { closeDrawer, openDrawer, runPipeline } from './workspace.ts';

const STEM = 'pbmc68k_reduced_with_counts';

async function lasso(page: Page): Promise<void> {
  await page.getByTestId('lasso-toggle').click();
  const box = (await page.getByTestId('lasso-overlay').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const r = Math.min(box.width, box.height) * 0.25;
  await page.mouse.move(cx - r, cy - r);
  await page.mouse.down();
  for (const [x, y] of [[cx + r, cy - r], [cx + r, cy + r], [cx - r, cy + r], [cx - r, cy - r]]) await page.mouse.move(x, y, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('selection-count')).toContainText('selected');
}

async function shots(page: Page, info: TestInfo, name: string, drawer: 'annotate' | 'dataset' | 'embed', scrollTo?: string): Promise<void> {
  for (const [w, h] of [[1280, 720], [1920, 1080]]) {
    await page.setViewportSize({ width: w, height: h });
    await openDrawer(page, drawer);
    if (scrollTo) await page.getByTestId(scrollTo).scrollIntoViewIfNeeded();
    await page.screenshot({ path: info.outputPath(`${name}-${w}x${h}.png`) });
  }
  await page.setViewportSize({ width: 1400, height: 1000 });
}

test('a favicon: an SVG in public/, linked from index.html', async ({ page, request }, info) => {
  await page.goto('/');
  const href = await page.locator('link[rel="icon"]').getAttribute('href', { timeout: 5_000 });
  expect(href).toBe('/favicon.svg');
  const icon = await request.get(href!);
  expect(icon.ok()).toBe(true);
  expect(icon.headers()['content-type']).toContain('image/svg+xml');
  expect(await icon.text()).toContain('<circle');
  // Drawn at tab size and large.
  const src = new URL(href!, String(info.project.use.baseURL)).href;
  await page.setContent(`<div id="icons" style="display:inline-block;padding:8px;background:#f6f7f9"><img src="${src}" width="16"> <img src="${src}" width="128"></div>`);
  await expect(page.locator('img').nth(1)).toHaveJSProperty('naturalWidth', 32);
  await page.locator('#icons').screenshot({ path: info.outputPath('favicon.png') });
});

test('dataset drawer: the format names the AnnData encoding version, not an "anndata 0.1.0" that never existed', async ({ page }, info) => {
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await openDrawer(page, 'dataset');
  await expect(page.getByTestId('summary')).toContainText('AnnData encoding 0.1.0 (dataframe encoding 0.2.0)', { timeout: 5_000 });
  await expect(page.getByTestId('summary')).not.toContainText('anndata 0.1.0');
  await shots(page, info, 'dataset-drawer', 'dataset');
});

test('embed drawer: gene names come from text var columns only (the demo has numbers and a flag)', async ({ page }, info) => {
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await openDrawer(page, 'embed');
  const options = await page.getByTestId('gene-column').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(options).toEqual(['', 'index']);
  await shots(page, info, 'embed-drawer', 'embed', 'gene-column');
});

test('demo: labels from leiden, a suggestion for a merged group says so, assign asks its own name, downloads named after dataset and column', async ({ page }, info) => {
  test.setTimeout(6 * 60_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');

  // Before the pipeline no column is picked for the user (bulk_labels comes first); after it, leiden.
  await openDrawer(page, 'annotate');
  await expect.soft(page.getByTestId('labels-from')).toHaveValue('', { timeout: 5_000 });
  await expect.soft(page.getByTestId('labels-start')).toBeDisabled({ timeout: 5_000 });
  await page.getByTestId('labels-from').selectOption('bulk_labels');
  await expect(page.getByTestId('labels-start')).toHaveText('Start from bulk_labels');
  await runPipeline(page);
  await openDrawer(page, 'annotate');
  await expect(page.getByTestId('labels-from')).toHaveValue('leiden', { timeout: 5_000 });
  await expect(page.getByTestId('suggest-groupby')).toHaveValue('leiden');
  await closeDrawer(page);

  // A lasso selection, then labels from leiden.
  await lasso(page);
  await openDrawer(page, 'annotate');
  await page.getByTestId('suggest').click();
  await expect(page.getByTestId('suggestions').locator('tr')).not.toHaveCount(0, { timeout: 60_000 });
  await page.getByTestId('labels-start').click();
  await expect(page.getByTestId('color-select')).toHaveValue('user_label');

  // Merge groups 1 and 2: their suggestion chips say the group is gone, and how to name it now.
  await page.getByLabel('select 1', { exact: true }).check();
  await page.getByLabel('select 2', { exact: true }).check();
  await page.getByTestId('new-label').fill('Myeloid');
  // "Assign selection" does not take the merge box's text: it asks for its own.
  await expect.soft(page.getByTestId('assign-selection')).toBeDisabled({ timeout: 5_000 });
  await expect.soft(page.getByTestId('assign-label')).toHaveValue('', { timeout: 5_000 });
  await page.getByTestId('merge').click();
  await expect(page.getByTestId('legend-item').filter({ hasText: 'Myeloid' })).toHaveCount(1);
  const row1 = page.getByTestId('suggestions').locator('tr').filter({ has: page.locator('td:first-child', { hasText: /^1$/ }) });
  await expect.soft(row1.getByTestId('group-gone-1')).toHaveText('group 1 was merged into "Myeloid" and no longer exists on its own: rename "Myeloid" in the labels below instead', { timeout: 5_000 });
  for (const chip of await row1.locator('button.chip').all()) await expect.soft(chip).toBeDisabled({ timeout: 5_000 });

  // A group renamed by hand is still its group: its suggestion renames it again.
  await page.getByTestId('label-0').fill('my T cells');
  await page.getByTestId('label-0').press('Enter');
  await expect(page.getByTestId('legend-item').filter({ hasText: 'my T cells' })).toHaveCount(1);
  const row0 = page.getByTestId('suggestions').locator('tr').filter({ has: page.locator('td:first-child', { hasText: /^0$/ }) });
  const chip0 = row0.locator('button.chip').first();
  if ((await chip0.count()) > 0) {
    const name = (await chip0.textContent())!.replace(/\s[\d.]+$/, '');
    await chip0.click();
    await expect.soft(page.getByTestId('legend-item').filter({ hasText: name })).not.toHaveCount(0, { timeout: 5_000 });
    await expect.soft(page.getByTestId('legend-item').filter({ hasText: 'my T cells' })).toHaveCount(0, { timeout: 5_000 });
  }

  // Downloads: named after the dataset and what they hold.
  await page.getByTestId('export-menu').click();
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect.soft(csv.suggestedFilename()).toBe(`${STEM}_user_label_annotations.csv`);
  await page.getByTestId('export-menu').click();
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-png').click()]);
  expect.soft(png.suggestedFilename()).toBe(`${STEM}_X_umap_pca_coloured_by_user_label.png`);
  await closeDrawer(page);
  await page.getByTestId('markers-groupby').selectOption('leiden');
  await expect(page.getByTestId('markers-table')).toBeVisible();
  const [markers] = await Promise.all([page.waitForEvent('download'), page.getByTestId('markers-csv').click()]);
  expect.soft(markers.suggestedFilename()).toMatch(new RegExp(`^${STEM}_leiden_markers_[a-z_-]+\\.csv$`));

  // The selection gets its own name; the merge box's text stays where it was typed.
  await openDrawer(page, 'annotate');
  await page.getByTestId('assign-label').fill('Lassoed');
  await page.getByTestId('assign-selection').click();
  await expect(page.getByTestId('legend-item').filter({ hasText: 'Lassoed' })).toHaveCount(1);
  await expect(page.getByTestId('assign-label')).toHaveValue('');
  await page.getByTestId('new-label').fill('half-typed');
  await expect(page.getByTestId('assign-selection')).toBeDisabled();
  await shots(page, info, 'annotate-suggestions', 'annotate', 'suggestions');
  await shots(page, info, 'annotate-labels', 'annotate', 'assign-label');
});
