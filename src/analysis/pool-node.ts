// The worker pool on Node: worker_threads running the same task code as the browser's Web Workers.
// Memory is always shareable here.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { WorkerPool } from './pool.ts';

/**
 * Workers for `threads` (default: the machine's cores); null for one thread (everything inline).
 * shared false: typed arrays are copied to the workers, as in a browser page that is not
 * cross-origin isolated (tests run that path here).
 */
export function nodePool(threads = availableParallelism(), shared = true): WorkerPool | null {
  if (threads <= 1) return null;
  const entry = new URL('./pool-node-worker.mjs', import.meta.url);
  return new WorkerPool(threads, () => {
    const w = new Worker(entry);
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
