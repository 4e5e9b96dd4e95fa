// The mock hub as a process of its own, for the browser tests (Playwright's webServer):
// serves the parity fixture's checkpoint as wanglab/scGPT-human on PW_HUB_PORT (and the CDN on the
// port after it), with /__faults and /__log for the tests to steer and read it.
import { fileURLToPath } from 'node:url';
import { startMockHub } from './mock-hub.ts';

const port = Number(process.env.PW_HUB_PORT ?? 4390);
const hub = await startMockHub({
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
