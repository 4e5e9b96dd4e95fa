// "Get scGPT whole-human" against the mock hub (test/mock-hub-server.ts, started by the Playwright
// config), which serves the parity fixture's checkpoint as wanglab/scGPT-human: the endpoint is set
// with ?hf_endpoint=, the download resumes after a cut, the card describes what was fetched, the
// cached bundle reproduces scGPT, a reload downloads nothing, delete, a wrong checksum, offline.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseNpy } from '../src/io/npy.ts';
import { closeDrawer, openDrawer, showTab } from './workspace.ts';

const HUB = `http://127.0.0.1:${process.env.PW_HUB_PORT ?? 4390}`;
const EXPECTED = fileURLToPath(new URL('../../shared/fixtures/scgpt-parity/tiny/expected/', import.meta.url));
const npy = (name: string) => parseNpy(readFileSync(`${EXPECTED}${name}.npy`));
const CACHED_ID = 'wanglab--scGPT-human@main';

async function faults(page: Page, f: object) {
  expect((await page.request.post(`${HUB}/__faults`, { data: f })).status()).toBe(204);
}
const cdnLog = async (page: Page) => (await (await page.request.get(`${HUB}/__log`)).json()) as string[];

async function openDemo(page: Page, query = '') {
  await page.goto(`/${query}`);
  await page.getByTestId('demo').click();
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await openDrawer(page, 'embed');
}

test('scGPT whole-human from the (mock) hub: download, card, parity, reuse, delete, wrong checksum, offline', async ({ page }, info) => {
  test.setTimeout(300_000);
  await faults(page, { drop: { file: 'best_model.pt', afterBytes: 200000, times: 1 } });
  await openDemo(page, `?hf_endpoint=${encodeURIComponent(HUB)}`);
  await expect(page.getByTestId('hub-endpoint')).toHaveValue(HUB);
  // The bundled model says what it is, in the list and beside the button.
  await expect(page.getByTestId('model-select').locator('option:checked')).toContainText('test model: random weights');
  await expect(page.getByTestId('model-note')).toContainText('embeddings carry no biology');
  await expect(page.getByTestId('embed-uses')).toContainText('test model: random weights');
  await expect(page.getByTestId('model-card')).toContainText('its embeddings carry no biology');

  await page.getByTestId('hub-get-scgpt-human').click();
  const card = page.getByTestId('model-card');
  // No commit here: the browser cannot see the redirect that carries X-Repo-Commit.
  await expect(page.getByTestId('model-card-source')).toHaveText(`source: ${HUB}/wanglab/scGPT-human at main`, { timeout: 60_000 });
  await expect(page.getByTestId('model-select')).toHaveValue(CACHED_ID);
  await expect(page.getByTestId('model-card-licence')).toHaveText('licence: MIT');
  // The fixture's shape, read from what was downloaded, not the registry's.
  await expect(page.getByTestId('model-card-architecture')).toContainText('3 layers, d_model 64, 4 heads, feed-forward 96, vocabulary 698');
  await expect(page.getByTestId('model-card-mismatch')).toContainText('the registry lists 12 layers, d_model 512, vocabulary 60,697 for wanglab/scGPT-human: this endpoint served a different model');
  await expect(page.getByTestId('model-card-parameters')).toContainText(/encoder parameters: 0\.\d\d M/);
  await expect(page.getByTestId('model-card-size')).toContainText(/size on disk: 0\.\d MB \(f16 bundle/);
  await expect(page.getByTestId('model-card-genes')).toContainText('genes of this dataset in the vocabulary: 695 of 765');
  await expect(card).toContainText('best_model.pt SHA-256');
  await expect(page.getByTestId('embed-uses')).toContainText('scGPT whole-human (wanglab/scGPT-human@main');
  // The cut at 200 kB was resumed with Range, not restarted.
  expect((await cdnLog(page)).filter((r) => r.includes('best_model.pt'))).toEqual(['GET best_model.pt', 'GET best_model.pt bytes=200000-']);
  await page.screenshot({ path: info.outputPath('model-card.png'), fullPage: true });

  // The bundle in the browser's storage reproduces scGPT (f16 weights: the fixture's fp16 tolerance).
  const ids = npy('gene_ids');
  const values = npy('values');
  const mask = npy('padding_mask');
  const [n, L] = ids.shape;
  const lengths = Array.from({ length: n }, (_, c) => {
    let k = 0;
    while (k < L && !mask.data[c * L + k]) k++;
    return k;
  });
  const result = await page.evaluate(
    async ({ ids, values, lengths, n, L, id }) => {
      const hook = (globalThis as unknown as { __scweb: { encodeTokens(m: unknown, b: unknown, backend: string): Promise<{ cls: number[] }> } }).__scweb;
      return hook.encodeTokens({ kind: 'cached', id }, { ids: Int32Array.from(ids), values: Float32Array.from(values), lengths: Int32Array.from(lengths), batch: n, seqLen: L }, 'cpu');
    },
    { ids: Array.from(ids.data), values: Array.from(values.data), lengths, n, L, id: CACHED_ID },
  );
  const want = npy('cell_embedding_l2').data;
  let worst = 0;
  for (let c = 0; c < n; c++) {
    const v = result.cls.slice(c * 64, (c + 1) * 64);
    const norm = Math.hypot(...v);
    for (let k = 0; k < 64; k++) worst = Math.max(worst, Math.abs(v[k] / norm - want[c * 64 + k]));
  }
  expect(worst).toBeLessThan(2e-3);

  // A new visit finds it cached and downloads nothing; the endpoint setting was kept.
  await faults(page, {});
  await page.waitForTimeout(1500); // the autosave writes a second after the last change
  await page.goto('/');
  // The demo reopens by itself on a new visit.
  await expect(page.getByTestId('session-note')).toContainText('Restored your work', { timeout: 60_000 });
  await openDrawer(page, 'embed');
  await expect(page.getByTestId('hub-endpoint')).toHaveValue(HUB);
  await page.getByTestId('model-select').selectOption(CACHED_ID);
  await expect(page.getByTestId('model-card-source')).toContainText('wanglab/scGPT-human at main');
  await expect(page.getByTestId('hub-get-scgpt-human')).toHaveCount(0);
  expect(await cdnLog(page)).toEqual([]);

  await page.getByTestId('model-delete').click();
  await expect(page.getByTestId('hub-get-scgpt-human')).toBeVisible();
  await expect(page.getByTestId('model-select').locator(`option[value="${CACHED_ID}"]`)).toHaveCount(0);

  // Cancel while the connection keeps dropping at 200 kB: no error, nothing cached.
  await faults(page, { drop: { file: 'best_model.pt', afterBytes: 200000, times: 1000 } });
  await page.getByTestId('hub-get-scgpt-human').click();
  await expect(page.getByTestId('hub-progress')).toContainText(/best_model\.pt \(3\/3\): 0\.2 MB of 0\.\d MB, [\d.]+ MB\/s/);
  await page.getByTestId('hub-cancel').click();
  await expect(page.getByTestId('hub-progress')).toHaveCount(0);
  await expect(page.getByTestId('hub-get-scgpt-human')).toBeEnabled();
  // The worker stops retrying (it retries once a second while the connection drops).
  await page.waitForTimeout(1000);
  const requests = (await cdnLog(page)).length;
  await page.waitForTimeout(2500);
  expect((await cdnLog(page)).length).toBe(requests);
  await expect(page.getByTestId('error-model')).toHaveCount(0);
  await expect(page.getByTestId('model-select').locator(`option[value="${CACHED_ID}"]`)).toHaveCount(0);

  // A checksum that does not match: refused, nothing cached.
  await faults(page, { wrongChecksum: 'best_model.pt' });
  await page.getByTestId('hub-get-scgpt-human').click();
  await expect(page.getByTestId('model-panel')).toContainText(/best_model\.pt: SHA-256 [0-9a-f]{64} does not match the hub's/);
  await expect(page.getByTestId('model-select').locator(`option[value="${CACHED_ID}"]`)).toHaveCount(0);

  // Offline (nothing listens on port 9): the message names the URL and the folder picker.
  await page.getByTestId('hub-endpoint').fill('http://127.0.0.1:9');
  await page.getByTestId('hub-endpoint').blur();
  await page.getByTestId('hub-get-scgpt-human').click();
  await expect(page.getByTestId('model-panel')).toContainText('could not reach http://127.0.0.1:9/wanglab/scGPT-human/resolve/main/args.json');
  await expect(page.getByTestId('model-panel')).toContainText('Pick checkpoint files');
  await page.screenshot({ path: info.outputPath('offline.png'), fullPage: true });
});

test('the real model one click away comes first: the Embed drawer and the Networks tab offer the hub download, the test model second with its warning', async ({ page }, info) => {
  test.setTimeout(180_000);
  await faults(page, {});
  await page.setViewportSize({ width: 1280, height: 720 });
  await openDemo(page, `?hf_endpoint=${encodeURIComponent(HUB)}`);
  // The Embed drawer: the download is the first thing and the primary button; embedding with the test model is a plain one, after it.
  const first = page.getByTestId('model-first');
  await expect(first).toContainText('random weights');
  await expect(first.getByTestId('hub-get-scgpt-human')).toHaveClass(/primary/);
  await expect(page.getByTestId('hub-get-scgpt-human')).toHaveCount(1);
  const before = (what: string, other: string) => page.evaluate(([a, b]) => !!(document.querySelector(a)!.compareDocumentPosition(document.querySelector(b)!) & Node.DOCUMENT_POSITION_FOLLOWING), [what, other]);
  expect(await before('[data-testid="model-first"]', '[data-testid="model-select"]')).toBe(true);
  expect(await before('[data-testid="model-first"]', '[data-testid="embed"]')).toBe(true);
  await expect(page.getByTestId('embed')).not.toHaveClass(/primary/);
  await expect(page.getByTestId('embed')).toContainText('test model');
  await expect(page.getByTestId('model-note')).toContainText('embeddings carry no biology');
  await page.screenshot({ path: info.outputPath('embed-drawer.png') });
  await closeDrawer(page);

  // The Networks tab says the same before its form, and its button downloads the model.
  await showTab(page, 'networks');
  const grn = page.getByTestId('grn-model-first');
  await expect(grn).toContainText('random weights');
  await expect(grn.getByTestId('grn-hub-get-scgpt-human')).toHaveClass(/primary/);
  expect(await before('[data-testid="grn-model-first"]', '[data-testid="grn-model"]')).toBe(true);
  await page.screenshot({ path: info.outputPath('networks.png') });
  await grn.getByTestId('grn-hub-get-scgpt-human').click();
  await expect(page.getByTestId('grn-model')).toHaveValue(CACHED_ID, { timeout: 60_000 });
  await expect(grn).toHaveCount(0);
  // With the real model chosen, embedding is the primary action again.
  await openDrawer(page, 'embed');
  await expect(page.getByTestId('model-first')).toHaveCount(0);
  await expect(page.getByTestId('embed')).toHaveClass(/primary/);
});
