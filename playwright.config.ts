import { defineConfig } from '@playwright/test';

// Debian's Chromium (apt-get install chromium); Playwright cannot download its own browser here.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// PW_PORT runs the app on another port (and never reuses a server someone else started there);
// PW_HUB_PORT places the mock model hub (and its CDN on the next port).
const port = Number(process.env.PW_PORT ?? 4173);
const hubPort = Number(process.env.PW_HUB_PORT ?? 4390);

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
    baseURL: `http://localhost:${port}`,
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
  webServer: [
    {
      // The app as `make start` serves it: `scweb serve` (its CSP and headers, the share API), shares
      // kept under test-results/ so a run leaves the tracked tree unchanged.
      command: `node bin/scweb.mjs serve --port ${port} --host localhost --data test-results/share-data`,
      url: `http://localhost:${port}`,
      reuseExistingServer: !process.env.CI && !process.env.PW_PORT,
      timeout: 60_000,
    },
    {
      command: 'npx tsx test/mock-hub-server.ts',
      env: { PW_HUB_PORT: String(hubPort) },
      url: `http://127.0.0.1:${hubPort}/__log`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
  ],
});
