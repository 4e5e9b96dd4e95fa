// A worker_threads pool worker: the task code is TypeScript, loaded through tsx as the CLI is.
// It imports its caller's catalogue modules (which define the tasks and any set-up) in order.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
for (const url of workerData.modules) await import(url);
const { servePoolTasks } = await import('./serve.ts');
servePoolTasks({ postMessage: (m, t) => parentPort.postMessage(m, t), onMessage: (cb) => parentPort.on('message', cb) });
