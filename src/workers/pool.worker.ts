// A pool worker in the browser (spawned by the data worker): the same task code as worker_threads.
import { servePoolTasks } from '../analysis/pool-tasks.ts';

const scope = self as unknown as { postMessage(msg: unknown, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent) => void) | null };
servePoolTasks({ postMessage: (m, t) => scope.postMessage(m, t), onMessage: (cb) => (scope.onmessage = (e) => cb(e.data)) });
