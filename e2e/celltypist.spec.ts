// "Annotate with a CellTypist model" end to end: the fixture query, its model.pkl picked as a file
// (majority voting over obs/over_cluster), the labels CellTypist gives, colouring by the result
// and its confidence, 'prob match' with 'Unassigned' in grey; a .pkl naming a foreign global
// refused with its name while the data stay; and a registry model from the (mock) CellTypist server.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openDrawer } from './workspace.ts';

const DIR = fileURLToPath(new URL('../../shared/fixtures/celltypist/', import.meta.url));
const HUB = `http://127.0.0.1:${process.env.PW_HUB_PORT ?? 4390}`;

/** celltypist.annotate's labels per cell (expected_predictions.csv): predicted_labels and majority_voting counts. */
function expectedCounts(column: 1 | 2): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(`${DIR}expected_predictions.csv`, 'utf8').trim().split('\n').slice(1)) {
    const v = line.split(',')[column];
    out.set(v, (out.get(v) ?? 0) + 1);
  }
  return out;
}

test('CellTypist: model.pkl on the fixture query, majority voting, confidence, prob match, a refused pickle, a registry model', async ({ page }, info) => {
  test.setTimeout(5 * 60_000);
  await page.goto(`/?celltypist_endpoint=${encodeURIComponent(HUB)}`);
  await page.getByTestId('file-input').setInputFiles(`${DIR}query.h5ad`);
  await expect(page.getByTestId('n-obs')).toHaveText('347');
  await openDrawer(page, 'annotate');
  const section = page.getByTestId('celltypist');
  await expect(section.getByTestId('celltypist-model')).toContainText('Immune_All_Low (98 types');

  await section.getByTestId('celltypist-majority').check();
  await section.getByTestId('celltypist-overclustering').selectOption('over_cluster');
  await section.getByTestId('celltypist-file').setInputFiles(`${DIR}model.pkl`);
  const report = page.getByTestId('celltypist-report');
  await expect(report).toContainText('347 cells annotated with model.pkl: 725 of its 765 genes in this dataset', { timeout: 60_000 });
  await expect(report).toContainText('Majority voting over 11 clusters (obs column over_cluster)');
  // The per-label table holds exactly celltypist.annotate's predicted_labels counts.
  const rows = page.getByTestId('celltypist-labels').locator('tbody tr');
  const want = expectedCounts(1);
  await expect(rows).toHaveCount(want.size);
  for (const [label, n] of want) await expect(rows.filter({ has: page.getByRole('cell', { name: label, exact: true }) })).toContainText(String(n));
  // Coloured by majority_voting, whose legend is CellTypist's.
  await expect(page.getByTestId('color-select')).toHaveValue('majority_voting');
  const mv = expectedCounts(2);
  await expect(page.getByTestId('legend-item')).toHaveCount(mv.size);
  for (const [label, n] of mv) await expect(page.getByTestId('legend-item').filter({ hasText: label })).toContainText(String(n));
  await page.screenshot({ path: info.outputPath('celltypist-majority.png'), fullPage: true });
  await page.getByTestId('celltypist-color-conf_score').click();
  await expect(page.getByTestId('color-select')).toHaveValue('conf_score');
  await expect(page.getByTestId('color-scale')).toContainText('conf_score');

  // 'prob match' at p 0.9: cells with no type that sure are 'Unassigned', drawn in grey.
  await section.getByTestId('celltypist-mode').selectOption('prob match');
  await section.getByTestId('celltypist-pthres').fill('0.9');
  await section.getByTestId('celltypist-majority').uncheck();
  await section.getByTestId('celltypist-file').setInputFiles(`${DIR}model.pkl`);
  await expect(report).toContainText('prob match (p > 0.9)', { timeout: 60_000 });
  await expect(page.getByTestId('color-select')).toHaveValue('predicted_labels');
  const unassigned = page.getByTestId('legend-item').filter({ hasText: 'Unassigned' });
  await expect(unassigned).toHaveCount(1);
  await expect(unassigned.locator('.swatch')).toHaveCSS('background-color', 'rgb(200, 200, 200)');
  // The earlier run's majority_voting column went with it: this run did not vote.
  await expect(page.getByTestId('color-select').locator('option[value="majority_voting"]')).toHaveCount(0);
  await page.screenshot({ path: info.outputPath('celltypist-prob-match.png'), fullPage: true });

  // A pickle that names os.system: refused with the file's name; nothing computed, nothing lost.
  const evil = Buffer.from('80049525000000000000008c05706f736978948c0673797374656d9493948c0a6563686f2070776e656494859452942e', 'hex');
  await section.getByTestId('celltypist-file').setInputFiles({ name: 'evil.pkl', mimeType: 'application/octet-stream', buffer: evil });
  await expect(page.getByTestId('error-celltypist')).toContainText('Annotating with evil.pkl failed: evil.pkl: refused the Python global posix.system');
  await expect(page.getByTestId('n-obs')).toHaveText('347');
  await expect(report).toContainText('prob match (p > 0.9)');
  await expect(page.getByTestId('color-select')).toHaveValue('predicted_labels');

  // A registry model from the CellTypist server (the mock serves the fixture as Adult_COVID19_PBMC).
  await section.getByTestId('celltypist-mode').selectOption('best match');
  await section.getByTestId('celltypist-model').selectOption('Adult_COVID19_PBMC');
  await section.getByTestId('celltypist-run').click();
  await expect(report).toContainText('347 cells annotated with Adult_COVID19_PBMC.pkl', { timeout: 60_000 });
  await expect(page.getByTestId('error-celltypist')).toHaveCount(0);
  await expect(section.getByTestId('celltypist-model').locator('option[value="Adult_COVID19_PBMC"]')).toHaveText(/, cached/);
  await page.screenshot({ path: info.outputPath('celltypist-registry.png'), fullPage: true });
});
