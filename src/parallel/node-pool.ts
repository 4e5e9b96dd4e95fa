// The worker pool on Node: worker_threads running the same task code as the browser's Web Workers.
// Memory is always shareable here. Each worker imports `modules` (the catalogue of tasks its
// caller will run) before serving, so the pool itself knows no step.
import { Worker } from 'node:worker_threads';
import { WorkerPool } from './pool.ts';

/**
 * Workers for `threads`; null for one thread (everything inline). shared false: typed arrays are
 * copied to the workers, as in a browser page that is not cross-origin isolated.
 */
export function spawnNodePool(threads: number, modules: URL[], shared = true): WorkerPool | null {
  if (threads <= 1) return null;
  const entry = new URL('./node-worker.mjs', import.meta.url);
  const workerData = { modules: modules.map(String) };
  return new WorkerPool(threads, () => {
    const w = new Worker(entry, { workerData });
    // An idle pool must not keep the process alive; a job in flight keeps it busy anyway.
    w.unref();
    return {
      postMessage: (m, t) => w.postMessage(m, t as never),
      onMessage: (cb) => w.on('message', cb),
      onError: (cb) => w.on('error', cb),
      terminate: () => void w.terminate(),
    };
  }, shared);
}
