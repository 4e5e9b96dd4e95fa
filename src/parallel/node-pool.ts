// The worker pool on Node: worker_threads running the same task code as the browser's Web Workers.
// Memory is always shareable here. Each worker imports `modules` (the catalogue of tasks its
// caller will run) before serving, so the pool itself knows no step. Workers start from a bundle
// of those modules when one can be made (node-worker-bundle.ts), else through tsx (node-worker.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { workerBundle } from './node-worker-bundle.ts';
import { WorkerPool, type PoolPort } from './pool.ts';

/**
 * Workers for `threads`; null for one thread (everything inline). shared false: typed arrays are
 * copied to the workers, as in a browser page that is not cross-origin isolated.
 */
export function spawnNodePool(threads: number, modules: URL[], shared = true): WorkerPool | null {
  if (threads <= 1) return null;
  // Started now, in esbuild's process, so it is usually ready by the first block.
  const bundle = process.env.SCWEB_POOL_BUNDLE === '0' ? Promise.resolve(null) : workerBundle(modules);
  const viaTsx = { url: new URL('./node-worker.mjs', import.meta.url), workerData: { modules: modules.map(String) } };
  // A bundle removed since it was made (another process's clean-up of old ones) is not used.
  const entry = () => bundle.then((url) => (url && existsSync(fileURLToPath(url)) ? { url, workerData: {} } : viaTsx));
  return new WorkerPool(threads, () => deferredPort(entry()), shared);
}

/**
 * A port whose worker starts once its entry is known: messages and listeners given before are
 * passed on then, in order; a terminate before then means it never starts.
 */
export function deferredPort(entry: Promise<{ url: URL; workerData: unknown }>): PoolPort {
  let worker: Worker | null = null;
  let ended = false;
  const queued: [unknown, Transferable[] | undefined][] = [];
  const onMessage: ((m: unknown) => void)[] = [];
  const onError: ((e: Error) => void)[] = [];
  void entry.then(({ url, workerData }) => {
    if (ended) return;
    let w: Worker;
    try {
      w = new Worker(url, { workerData });
    } catch (err) {
      // As a worker that died at once: its blocks fail (the pool hears it), nothing is left pending.
      ended = true;
      for (const cb of onError) cb(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    // An idle pool must not keep the process alive; a job in flight keeps it busy anyway.
    w.unref();
    for (const cb of onMessage) w.on('message', cb);
    for (const cb of onError) w.on('error', cb);
    for (const [m, t] of queued.splice(0)) w.postMessage(m, t as never);
    worker = w;
  });
  return {
    postMessage: (m, t) => (worker ? worker.postMessage(m, t as never) : queued.push([m, t])),
    onMessage: (cb) => (worker ? worker.on('message', cb) : onMessage.push(cb)),
    onError: (cb) => (worker ? worker.on('error', cb) : onError.push(cb)),
    terminate: () => {
      ended = true;
      void worker?.terminate();
    },
  };
}
