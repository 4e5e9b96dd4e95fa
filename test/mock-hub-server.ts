// The mock hub as a process of its own, for the browser tests (Playwright's webServer):
// serves the parity fixture's checkpoint as wanglab/scGPT-human on PW_HUB_PORT (and the CDN on the
// port after it), with /__faults and /__log for the tests to steer and read it; and CellTypist's
// /models/ tree (test/mock-celltypist.ts) on the same port.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { startMockHub } from './mock-hub.ts';
import { celltypistHandler } from './mock-celltypist.ts';

const port = Number(process.env.PW_HUB_PORT ?? 4390);
// CellTypist's model server on the same port (/models/...): the fixture model as Adult_COVID19_PBMC,
// a registry model without a pinned checksum.
const celltypist = celltypistHandler(
  [{ path: 'COVID19_PBMC_Wilk/v1/Adult_COVID19_PBMC.pkl', bytes: new Uint8Array(readFileSync(fileURLToPath(new URL('../../shared/fixtures/celltypist/model.pkl', import.meta.url)))) }],
  { log: [], bytesSent: new Map() },
  () => `http://127.0.0.1:${port}`,
);
const hub = await startMockHub({
  extra: celltypist,
  repos: { 'wanglab/scGPT-human': fileURLToPath(new URL('../../shared/fixtures/scgpt-parity/tiny/checkpoint_flash', import.meta.url)) },
  files: ['args.json', 'vocab.json', 'best_model.pt'],
  port,
  cdnPort: port + 1,
  control: true,
});
console.log(`mock hub at ${hub.endpoint}`);
const stop = () => void hub.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
