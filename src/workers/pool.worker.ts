// A pool worker in the browser (spawned by the data worker): the same task code as worker_threads.
// Passes over cells open the dropped File here with the worker's own HDF5 module (WORKERFS).
import { setDatasetOpener } from '../analysis/cell-pass.ts';
import '../analysis/pool-catalog.ts';
import { servePoolTasks } from '../parallel/serve.ts';
import { reopenSources } from '../io/open-many.ts';
import { fromBlob } from '../io/source.ts';
import { browserH5Runtime } from './h5-browser-runtime.ts';
import { setH5Watcher } from '../io/h5/watch.ts';
import { sharedWatcher } from '../io/h5/shared-watch.ts';

// The matrices are all a pass needs: obs and var columns stay unread.
setDatasetOpener((files, concat) => reopenSources(files.map((f) => fromBlob(f.name, f.blob!)), concat, browserH5Runtime));
const scope = self as unknown as { postMessage(msg: unknown, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent) => void) | null };
// The first message may be the page's HDF5 watch slot for this worker (browser-pool.ts).
const onMessage = (cb: (msg: unknown) => void) =>
  (scope.onmessage = (e) => {
    const m = e.data as { type?: string; buffer?: SharedArrayBuffer; slot?: number };
    if (m?.type === 'h5-watch' && m.buffer && m.slot !== undefined) setH5Watcher(sharedWatcher(m.buffer, m.slot));
    else cb(e.data);
  });
servePoolTasks({ postMessage: (m, t) => scope.postMessage(m, t), onMessage });
