// Issue 23.1: after renaming or merging labels the legend and the plot must still agree. On the
// demo: Start from leiden, rename 3 -> NK and 4 -> B cell; each legend swatch is the colour the
// scatter draws for that category's cells, hiding "NK" hides exactly NK's cells, a merge gives the
// merged label the larger part's colour and leaves the others alone, and a reload keeps them.
import { expect, test, type Page } from '@playwright/test';
import { openDrawer, runPipeline, waitForAutosave } from './workspace.ts';

/** Legend name -> swatch colour (#rrggbb) and cell count. */
async function legend(page: Page): Promise<Record<string, { hex: string; count: number }>> {
  return page.getByTestId('legend-item').evaluateAll((items) =>
    Object.fromEntries(
      items.map((li) => {
        const rgb = getComputedStyle(li.querySelector('.swatch')!).backgroundColor.match(/\d+/g)!.slice(0, 3).map(Number);
        const hex = `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
        return [li.querySelector('.name')!.textContent!, { hex, count: Number(li.querySelector('.count')!.textContent!.replace(/,/g, '')) }];
      }),
    ),
  );
}

/** Category name -> the colour the scatter draws for its cells. */
async function drawn(page: Page): Promise<Record<string, string>> {
  return JSON.parse((await page.getByTestId('scatter').getAttribute('data-category-colors')) ?? '{}') as Record<string, string>;
}

async function expectLegendMatchesPlot(page: Page): Promise<Record<string, { hex: string; count: number }>> {
  const l = await legend(page);
  const d = await drawn(page);
  expect(Object.keys(d).sort()).toEqual(Object.keys(l).sort());
  for (const [name, { hex }] of Object.entries(l)) expect({ name, hex: d[name] }).toEqual({ name, hex });
  // One colour per category.
  expect(new Set(Object.values(l).map((e) => e.hex)).size).toBe(Object.keys(l).length);
  return l;
}

const item = (page: Page, name: string) => page.getByTestId('legend-item').filter({ has: page.locator('.name', { hasText: new RegExp(`^${name}$`) }) });

/** Waits until the browser's saved work has `label` in its workspace and its results. */
// In the results the label is a plain JSON string ("NK"); in the workspace, an escaped one inside a string.
const savedWith = (page: Page, label: string) => waitForAutosave(page, [JSON.stringify(JSON.stringify(label)).slice(1, -1), JSON.stringify(label)]);

test('legend and plot agree through rename, hide, merge and reload', async ({ page }, info) => {
  test.setTimeout(10 * 60_000);
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await runPipeline(page);
  await openDrawer(page, 'annotate');
  await page.getByTestId('labels-from').selectOption('leiden');
  await page.getByTestId('labels-start').click();
  await expect(page.getByTestId('color-select')).toHaveValue('user_label');
  const start = await expectLegendMatchesPlot(page);
  expect(Object.keys(start).length).toBeGreaterThanOrEqual(6);

  for (const [code, name] of [[3, 'NK'], [4, 'B cell']] as const) {
    await page.getByTestId(`label-${code}`).fill(name);
    await page.getByTestId(`label-${code}`).press('Enter');
    await expect(item(page, name)).toHaveCount(1);
  }
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-category-colors', /"B cell"/);
  for (const [w, h] of [[1280, 720], [1920, 1080]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: info.outputPath(`legend-${w}x${h}.png`) });
  }
  const renamed = await expectLegendMatchesPlot(page);
  // A renamed category keeps its colour.
  expect(renamed.NK.hex).toBe(start['3'].hex);
  expect(renamed['B cell'].hex).toBe(start['4'].hex);

  // Hiding "NK" hides NK's cells and nothing else.
  await item(page, 'NK').click();
  await expect(item(page, 'NK')).toHaveClass(/off/);
  await expect(page.getByTestId('shown-cells')).toHaveText(String(700 - renamed.NK.count));
  await page.getByTestId('clear-filters').click();
  await expect(page.getByTestId('shown-cells')).toHaveCount(0); // no filter: no count

  // Merge NK and B cell: the larger part's colour; every other category keeps its own.
  const larger = renamed.NK.count >= renamed['B cell'].count ? renamed.NK : renamed['B cell'];
  await page.getByLabel('select NK', { exact: true }).check();
  await page.getByLabel('select B cell', { exact: true }).check();
  await page.getByTestId('new-label').fill('Lymphoid');
  await page.getByTestId('merge').click();
  await expect(item(page, 'Lymphoid')).toHaveCount(1);
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-category-colors', /"Lymphoid"/);
  const merged = await expectLegendMatchesPlot(page);
  expect(merged.Lymphoid).toEqual({ hex: larger.hex, count: renamed.NK.count + renamed['B cell'].count });
  for (const name of Object.keys(merged).filter((n) => n !== 'Lymphoid')) expect({ name, hex: merged[name].hex }).toEqual({ name, hex: renamed[name].hex });

  // A reload restores the labels with the same colours.
  await savedWith(page, 'Lymphoid');
  await page.reload();
  await expect(page.getByTestId('session-note')).toContainText('Restored your work', { timeout: 60_000 });
  await expect(page.getByTestId('color-select')).toHaveValue('user_label');
  await expect(page.getByTestId('scatter')).toHaveAttribute('data-category-colors', /"Lymphoid"/);
  const restored = await expectLegendMatchesPlot(page);
  expect(restored).toEqual(merged);
});

test("a column the file colours (scanpy's uns/bulk_labels_colors) is drawn in the file's colours, legend and plot alike", async ({ page }, info) => {
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await page.getByTestId('color-select').selectOption('bulk_labels');
  await expect(page.getByTestId('legend-item')).toHaveCount(10);
  const l = await expectLegendMatchesPlot(page);
  // anndata: uns["bulk_labels_colors"] is matplotlib's tab10 in category order (scanpy's own palette differs from the third colour on).
  expect([l['CD4+/CD25 T Reg'].hex, l['CD4+/CD45RO+ Memory'].hex, l['CD34+'].hex, l.Dendritic.hex]).toEqual(['#1f77b4', '#2ca02c', '#7f7f7f', '#17becf']);
  await page.screenshot({ path: info.outputPath('file-colours.png') });
});
