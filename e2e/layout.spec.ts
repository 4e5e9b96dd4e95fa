// The workspace's layout as a new user meets it at 1280x720 and 1920x1080 (issue 23, item 5): a
// drawer sits beside the embedding (which shrinks and refits) rather than over its toolbar and the
// genes panel; the drawer's run button is in view without scrolling; the top bar's buttons keep to
// one line; obs names wrap only between words (at "_"), never inside one; a click on an obs
// column's name opens it; the colour and reference selects show their choice in full; the analysis
// drawer closes after a run with its report left in view; the QC tab shows a spinner while its
// plots start.
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { openDrawer, showTab, truncatedControls } from './workspace.ts';

const CXG = fileURLToPath(new URL('../../shared/data/format_variants/cellxgene_example_with_labels.h5ad', import.meta.url));

const SIZES: [number, number][] = [
  [1280, 720],
  [1920, 1080],
];

/** Saved beside the test's other outputs and attached to the report. */
async function shot(page: Page, info: TestInfo, name: string) {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await info.attach(name, { path, contentType: 'image/png' });
}

/** Places where the text of `selector`'s elements goes on to a new line inside a word (not after a space, "_", "-", "/", "." or ":"). */
async function midWordBreaks(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((selector) => {
    const out: string[] = [];
    const range = document.createRange();
    for (const el of document.querySelectorAll<HTMLElement>(selector)) {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let prevTop: number | null = null;
      let prev = '';
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? '';
        for (let i = 0; i < text.length; i++) {
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const r = range.getClientRects()[0];
          if (!r || r.width === 0) continue;
          if (prevTop !== null && r.top > prevTop + 2 && !/[\s_\-/.:]/.test(prev)) out.push(`"${el.textContent}" breaks between "${prev}" and "${text[i]}"`);
          prevTop = r.top;
          prev = text[i];
        }
      }
    }
    return out;
  }, selector);
}

/** Top-bar buttons whose label takes more than one line. */
async function wrappedTopBarButtons(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.topbar button')]
      .filter((b) => {
        const range = document.createRange();
        range.selectNodeContents(b);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        return tops.size > 1;
      })
      .map((b) => (b.textContent ?? '').trim()),
  );
}

type Box = { x: number; y: number; width: number; height: number };
const right = (b: Box) => b.x + b.width;

for (const [w, h] of SIZES) {
  test(`layout at ${w}x${h}: a drawer beside the embedding, its run button in view, one-line top bar, obs names whole, selects in full`, async ({ page }, info) => {
    await page.setViewportSize({ width: w, height: h });
    await page.goto('/');
    await page.getByTestId('file-input').setInputFiles(CXG);
    await expect(page.getByTestId('n-obs')).toHaveText('320');
    await expect(page.locator('.scatter canvas').first()).toBeVisible();
    await shot(page, info, `${w}x${h}-loaded`);

    // The top bar on one line: no button's label wraps.
    expect(await wrappedTopBarButtons(page)).toEqual([]);

    // Long obs names (development_stage_ontology_term_id) wrap at "_", and nothing overflows.
    expect(await midWordBreaks(page, '.obs-name')).toEqual([]);
    expect(await truncatedControls(page, '.left')).toEqual([]);

    // The colour select shows a long column's name in full.
    await page.getByTestId('color-select').selectOption('development_stage_ontology_term_id');
    await expect(page.getByTestId('legend')).toBeVisible();
    expect(await truncatedControls(page, '.toolbar')).toEqual([]);

    // A click on a column's name opens it, as the ▸ does (CELLxGENE's obs panel).
    await page.getByTestId('obs-tissue').locator('.obs-name').click();
    await expect(page.getByTestId('categories-tissue')).toBeVisible();
    await page.getByTestId('obs-tissue').locator('.obs-name').click();
    await expect(page.getByTestId('categories-tissue')).toHaveCount(0);

    const canvas = page.locator('.scatter canvas').first();
    const before = (await canvas.boundingBox())!;
    await openDrawer(page, 'analysis');
    const drawer = (await page.getByTestId('drawer-analysis').boundingBox())!;
    // The embedding shrinks to the drawer's left edge (its canvas resized: the scatter refits)...
    await expect.poll(async () => right((await canvas.boundingBox())!)).toBeLessThanOrEqual(drawer.x + 0.5);
    expect((await canvas.boundingBox())!.width).toBeLessThan(before.width);
    // ...and the toolbar and the genes panel stay uncovered.
    expect(right((await page.getByTestId('toolbar').boundingBox())!)).toBeLessThanOrEqual(drawer.x + 0.5);
    expect(right((await page.getByTestId('genes-panel').boundingBox())!)).toBeLessThanOrEqual(drawer.x + 0.5);
    for (const id of ['fit-view', 'view-menu', 'gene-search']) {
      const b = (await page.getByTestId(id).boundingBox())!;
      expect(right(b), id).toBeLessThanOrEqual(drawer.x + 0.5);
    }
    // The run button is in the window without scrolling, and nothing lies over it.
    const run = (await page.getByTestId('run-analysis').boundingBox())!;
    expect(run.y).toBeGreaterThanOrEqual(0);
    expect(run.y + run.height).toBeLessThanOrEqual(h);
    expect(await page.getByTestId('run-analysis').evaluate((b) => {
      const r = b.getBoundingClientRect();
      return b.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
    })).toBe(true);
    expect(await truncatedControls(page, '.drawer')).toEqual([]);
    await shot(page, info, `${w}x${h}-drawer-analysis`);

    // The annotation drawer's selects, the longer reference choice included, show in full.
    await openDrawer(page, 'annotate');
    await page.getByTestId('map-reference').selectOption('half');
    expect(await truncatedControls(page, '.drawer')).toEqual([]);
    await shot(page, info, `${w}x${h}-drawer-annotate`);
  });
}

test('the analysis drawer closes after a run, its report in view; the QC tab shows a spinner while its plots start', async ({ page }, info) => {
  test.setTimeout(6 * 60_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await openDrawer(page, 'analysis');
  await page.getByTestId('run-analysis').click();
  // With the job's progress in the top bar too, its buttons keep to one line.
  await expect(page.getByTestId('cancel-analysis')).toBeVisible();
  expect(await wrappedTopBarButtons(page)).toEqual([]);
  await expect(page.getByTestId('analysis-report')).toContainText('700 of 700 cells pass QC', { timeout: 5 * 60_000 });
  await expect(page.locator('.drawer')).toHaveCount(0);
  await expect(page.getByTestId('color-select')).toHaveValue('leiden');
  await shot(page, info, 'after-run');
  // The report can be put away; the drawer keeps the steps.
  await page.getByTestId('analysis-report-details').click();
  await expect(page.getByTestId('step-umap')).toHaveAttribute('data-state', 'done');
  await page.getByTestId('analysis-report-dismiss').click();
  await expect(page.getByTestId('analysis-report')).toHaveCount(0);

  // Whether a spinner was ever on the page between the click on QC and the plots.
  await page.evaluate(() => {
    const w = window as unknown as { __qcSpinner: boolean };
    w.__qcSpinner = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="qc-starting"]')) w.__qcSpinner = true;
    }).observe(document.body, { childList: true, subtree: true });
  });
  await showTab(page, 'qc');
  await expect(page.getByTestId('qc-scatter')).toHaveAttribute('data-cells', '700');
  await expect(page.getByTestId('qc-starting')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __qcSpinner: boolean }).__qcSpinner)).toBe(true);
  await shot(page, info, 'qc');
});
