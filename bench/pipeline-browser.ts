// The default pipeline in headless Chromium (Debian's), in the app's worker, on a synthetic file:
// per-step times as the page shows them, plus the worker's total. Uses the built app (`npx vite
// build` first) served on port 4175. The CPU device is chosen: on a machine without a GPU, WebGPU
// is SwiftShader and would measure a software rasteriser, not the code.
// --threads N sets the app's worker count (default: the browser's, navigator.hardwareConcurrency).
// Run: node --import tsx bench/pipeline-browser.ts [--cells 20000] [--gpu] [--threads N]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { ensureSynthetic } from './synthetic.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const nCells = Number(arg('cells', '20000'));
const useGpu = process.argv.includes('--gpu');
const threads = arg('threads', '');
const file = join(import.meta.dirname, 'out', `synthetic_${nCells}x20000.h5ad`);
await ensureSynthetic(file, { nCells, nGenes: 20000, genesPerCell: 1000, seed: 42 });
// Its own process group, so stopping it also stops the vite process npx starts.
const server = spawn('npx', ['vite', 'preview', '--port', '4175', '--strictPort'], { stdio: 'ignore', detached: true });
await new Promise((r) => setTimeout(r, 4000));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--enable-unsafe-webgpu', '--no-sandbox'] });
try {
  const page = await browser.newPage();
  await page.goto('http://localhost:4175/');
  const t0 = Date.now();
  await page.getByTestId('file-input').setInputFiles(file);
  await page.getByTestId('n-obs').waitFor({ timeout: 600_000 });
  console.log(`open: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The analysis parameters live in a drawer.
  if (!(await page.getByTestId('drawer-analysis').isVisible())) await page.getByTestId('open-analysis').click();
  if (!useGpu) await page.getByTestId('param-device').selectOption('cpu');
  if (threads) await page.getByTestId('param-threads').fill(threads);
  const isolated = await page.evaluate(() => crossOriginIsolated);
  console.log(`threads ${await page.getByTestId('param-threads').inputValue()}, cross-origin isolated (shared memory): ${isolated}`);
  const t1 = Date.now();
  await page.getByTestId('run-analysis').click();
  await page.getByTestId('analysis-report').waitFor({ timeout: 3_600_000 });
  const total = (Date.now() - t1) / 1000;
  const steps = await page.getByTestId('steps').locator('li').allInnerTexts();
  console.log(`pipeline in Chromium on ${nCells.toLocaleString('en-US')} cells (${useGpu ? 'WebGPU where available' : 'CPU'}): ${total.toFixed(1)} s`);
  console.log(steps.map((s) => s.replace(/\s+/g, ' ')).join(' | '));
  console.log(await page.getByTestId('analysis-report').innerText());
} finally {
  await browser.close();
  process.kill(-server.pid!);
}
