// A worker_threads pool worker: the task code is TypeScript, loaded through tsx as the CLI is.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { servePoolTasks } = await import('./pool-tasks.ts');
const { setDatasetOpener } = await import('./cell-pass.ts');
const { openDataset } = await import('../io/open.ts');
const { nodeSource } = await import('../io/node.ts');
const { fromBlob } = await import('../io/source.ts');
const { nodeH5Runtime } = await import('../io/h5/node-runtime.ts');
// Passes over cells read the file here too: by path, or from the Blob a test opened in memory.
setDatasetOpener(async (files) => openDataset(await Promise.all(files.map((f) => (f.path ? nodeSource(f.path) : fromBlob(f.name, f.blob)))), nodeH5Runtime));
servePoolTasks({ postMessage: (m, t) => parentPort.postMessage(m, t), onMessage: (cb) => parentPort.on('message', cb) });
