// Issue 23 item 2: on a CELLxGENE-style file (Ensembl ids in the var index, symbols in
// var/feature_name) the QC tab finds the mitochondrial, ribosomal and haemoglobin genes by symbol,
// says how many and from which column, and shows pct_counts_mt with its filter.
import { expect, test } from '@playwright/test';
import { cxgStyleFile } from './cxg-file.ts';
import { runPipeline, showTab } from './workspace.ts';


test('QC tab on a CELLxGENE-style file: 13 MT- genes from var/feature_name, pct_counts_mt violin and filter', async ({ page }, info) => {
  test.setTimeout(10 * 60_000);
  const file = cxgStyleFile(info);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByTestId('n-obs')).toHaveText('200');
  await runPipeline(page);
  await showTab(page, 'qc');
  await expect(page.getByTestId('qc-scatter')).toHaveAttribute('data-cells', '200');
  for (const [w, h] of [[1280, 720], [1920, 1080]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: info.outputPath(`qc-cxg-${w}x${h}.png`) });
  }
  await expect(page.getByTestId('qc-genes')).toHaveText('13 mitochondrial genes (MT-), 94 ribosomal genes (RPS/RPL) and 6 haemoglobin genes (HB) found in var/feature_name.');
  await expect(page.getByTestId('qc-pct_counts_mt')).toBeVisible();
  await expect(page.getByTestId('qc-pct_counts_ribo')).toBeVisible();
  await expect(page.getByTestId('qc-proposal')).not.toContainText('no mitochondrial');
  await expect(page.getByTestId('qc-proposal')).toContainText('pct_counts_mt ≤');
  // The obs panel lists scanpy's columns, and pct_counts_mt colours the cells like any column.
  await expect(page.getByTestId('obs-panel')).toContainText('pct_counts_mt');
});

test('QC tab on a file without counts (pbmc68k_reduced: log-normalised raw/X) says its metrics are not counts', async ({ page }, info) => {
  test.setTimeout(5 * 60_000);
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(new URL('../../shared/data/pbmc68k_reduced.h5ad', import.meta.url).pathname);
  await expect(page.getByTestId('n-obs')).toHaveText('700');
  await runPipeline(page);
  await showTab(page, 'qc');
  await expect(page.getByTestId('qc-not-counts')).toContainText('no raw counts: these metrics come from the log-normalised values in raw/X');
  await page.getByTestId('qc-panel').screenshot({ path: info.outputPath('qc-log-normalised.png') });
});
