// The worker pool in the browser: Web Workers spawned from the data worker. Typed arrays are
// shared when the page is cross-origin isolated (the app's servers send COOP/COEP), copied otherwise.
import { WorkerPool } from '../parallel/pool.ts';
import { WATCH_SLOTS } from '../io/h5/shared-watch.ts';

let current: WorkerPool | null = null;
/** The page's HDF5 watch, when it has one: each pool worker writes its own slot (1, 2, ...). */
let watch: { buffer: SharedArrayBuffer; next: number } | null = null;

export function watchPoolWorkers(buffer: SharedArrayBuffer): void {
  watch = { buffer, next: 1 };
}

/** Workers when memory cannot be shared: each gets its own copy of a step's arrays (the markers' matrix block: up to ~240 MB). */
const MAX_COPYING_WORKERS = 4;

/** The pool for `threads` workers (kept while the count stays the same); null for one thread. */
export function browserPool(threads: number): WorkerPool | null {
  const shared = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const n = Math.min(shared ? Infinity : MAX_COPYING_WORKERS, Math.max(1, Math.floor(threads)));
  if (current?.size === n) return current;
  // Another count: the old pool finishes what it has queued (an analysis step in flight), then goes.
  const old = current;
  void old?.idle().then(() => old.terminate());
  current = null;
  if (n <= 1 || typeof Worker === 'undefined') return null;
  current = new WorkerPool(
    n,
    () => {
      const w = new Worker(new URL('./pool.worker.ts', import.meta.url), { type: 'module' });
      if (watch) {
        // Slots are reused round-robin when pools are replaced: a replaced pool has gone idle first.
        const slot = watch.next;
        watch.next = (watch.next % (WATCH_SLOTS - 1)) + 1;
        w.postMessage({ type: 'h5-watch', buffer: watch.buffer, slot });
      }
      return {
        postMessage: (m, t) => w.postMessage(m, t ?? []),
        onMessage: (cb) => (w.onmessage = (e) => cb(e.data)),
        onError: (cb) => (w.onerror = (e) => cb(new Error(e.message || 'pool worker failed to start'))),
        terminate: () => w.terminate(),
      };
    },
    shared,
  );
  return current;
}
