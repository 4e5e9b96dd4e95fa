import { defineConfig } from '@playwright/test';

// Debian's Chromium (apt-get install chromium); Playwright cannot download its own browser here.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results/e2e',
  use: {
    baseURL: 'http://localhost:4173',
    screenshot: 'on',
    trace: 'retain-on-failure',
    viewport: { width: 1400, height: 1000 },
    launchOptions: {
      executablePath,
      args: [
        '--enable-unsafe-webgpu',
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: {
    // The app as `make start` serves it: `scweb serve` (its CSP and headers, the share API), shares
    // kept under test-results/ so a run leaves the tracked tree unchanged.
    command: 'node bin/scweb.mjs serve --port 4173 --host localhost --data test-results/share-data',
    url: 'http://localhost:4173',
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
