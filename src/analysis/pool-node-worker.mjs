// A worker_threads pool worker: the task code is TypeScript, loaded through tsx as the CLI is.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { servePoolTasks } = await import('./pool-tasks.ts');
const { setDatasetOpener } = await import('./cell-pass.ts');
const { reopenSources } = await import('../io/open-many.ts');
const { nodeSource } = await import('../io/node.ts');
const { nodeH5Runtime } = await import('../io/h5/node-runtime.ts');
// Passes over cells read the file here too, by path (Node's HDF5 runtime always has one); the
// matrices are all they need, so obs and var columns stay unread.
setDatasetOpener(async (files, concat) => reopenSources(await Promise.all(files.map((f) => nodeSource(f.path))), concat, nodeH5Runtime));
servePoolTasks({ postMessage: (m, t) => parentPort.postMessage(m, t), onMessage: (cb) => parentPort.on('message', cb) });
