// Moves around the workspace as a user does: drawers from the top bar, tabs over the centre.
import { expect, type Page } from '@playwright/test';

export type DrawerName = 'analysis' | 'embed' | 'annotate' | 'dataset';

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
  await expect(page.getByTestId('analysis-report')).toBeVisible({ timeout });
  await closeDrawer(page);
}

export async function closeDrawer(page: Page): Promise<void> {
  await page.getByTestId('drawer-close').click();
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
