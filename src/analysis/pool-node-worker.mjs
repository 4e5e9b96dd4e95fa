// A worker_threads pool worker: the task code is TypeScript, loaded through tsx as the CLI is.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { servePoolTasks } = await import('./pool-tasks.ts');
servePoolTasks({ postMessage: (m, t) => parentPort.postMessage(m, t), onMessage: (cb) => parentPort.on('message', cb) });
