// Moves around the workspace as a user does: drawers from the top bar, tabs over the centre.
import { expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';

export type DrawerName = 'analysis' | 'embed' | 'annotate' | 'dataset' | 'integration';

export async function openDrawer(page: Page, name: DrawerName): Promise<void> {
  const drawer = page.getByTestId(`drawer-${name}`);
  if (!(await drawer.isVisible())) await page.getByTestId(`open-${name}`).click();
  await expect(drawer).toBeVisible();
}

export async function showTab(page: Page, tab: 'embedding' | 'plots' | 'qc' | 'networks'): Promise<void> {
  await page.getByTestId(`tab-${tab}`).click();
  await expect(page.getByTestId(`tab-${tab}`)).toHaveAttribute('aria-selected', 'true');
}

export async function runPipeline(page: Page, timeout = 8 * 60_000): Promise<void> {
  await openDrawer(page, 'analysis');
  await page.getByTestId('run-analysis').click();
  // The report shows when the run is done; the drawer closes by itself then (or is closed here).
  await expect(page.getByTestId('analysis-report')).toBeVisible({ timeout });
  await closeDrawer(page);
}

/** Closes the open drawer, if one is open (the analysis drawer closes by itself after a run). */
export async function closeDrawer(page: Page): Promise<void> {
  if ((await page.locator('.drawer').count()) > 0) await page.getByTestId('drawer-close').click();
  await expect(page.locator('.drawer')).toHaveCount(0);
}

/**
 * Waits until the work this browser saved (IndexedDB, written a second after the last change)
 * holds an entry whose JSON contains every string of `contains`: the way to wait for the autosave
 * without a sleep.
 */
export async function waitForAutosave(page: Page, contains: string[]): Promise<void> {
  const saved = () =>
    page.evaluate(
      (contains) =>
        new Promise<boolean>((resolve) => {
          const open = indexedDB.open('keyval-store');
          open.onerror = () => resolve(false);
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('keyval')) return resolve(false);
            const all = db.transaction('keyval').objectStore('keyval').getAll();
            all.onerror = () => resolve(false);
            all.onsuccess = () => resolve(all.result.some((e: unknown) => contains.every((c) => JSON.stringify(e).includes(c))));
          };
        }),
      contains,
    );
  await expect.poll(saved, { timeout: 30_000 }).toBe(true);
}

/** Controls whose text does not fit: labels and buttons that overflow, selects whose chosen option is wider than the box. */
export async function truncatedControls(page: Page, within = 'body'): Promise<string[]> {
  return page.evaluate((within) => {
    const out: string[] = [];
    const ctx = document.createElement('canvas').getContext('2d')!;
    for (const el of document.querySelectorAll<HTMLElement>(`${within} :is(label, button, select, .obs-name, h2, h3)`)) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const what = `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 40)}"`;
      if (el.scrollWidth > el.clientWidth + 1) out.push(`${what}: content ${el.scrollWidth}px in ${el.clientWidth}px`);
      if (el instanceof HTMLSelectElement) {
        const cs = getComputedStyle(el);
        ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
        const text = el.selectedOptions[0]?.textContent ?? '';
        // Chromium draws the arrow in about 18 px at the right.
        const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 18;
        const width = ctx.measureText(text).width;
        if (width > room) out.push(`select showing "${text}": ${Math.round(width)}px in ${Math.round(room)}px`);
      }
    }
    return out;
  }, within);
}

/** Drops the files on the page as a user drags them from a file manager (onto `target`, a test id: the drop zone by default). */
export async function dropFiles(page: Page, paths: string[], target = 'dropzone'): Promise<void> {
  const files = paths.map((p) => ({ name: p.split('/').pop()!, b64: readFileSync(p).toString('base64') }));
  const dt = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    // A file manager's files keep their modification time from drop to drop (the saved work is found by it).
    for (const f of files) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { lastModified: 1_700_000_000_000 }));
    return dt;
  }, files);
  await page.getByTestId(target).dispatchEvent('drop', { dataTransfer: dt });
}
