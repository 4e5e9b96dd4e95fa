// Request/response over the data worker: each request gets an id; progress messages go to the
// request's callback; cancel aborts it in the worker.
import type { ErrorInfo } from '../io/errors.ts';
import { WatchReader, watchBuffer, type StuckCall } from '../io/h5/shared-watch.ts';
import type { HeadEpoch, Request, Response, StepEvent } from '../workers/protocol.ts';

type Payload<T extends Response['type']> = Extract<Response, { type: T }>;
type Outgoing = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class WorkerRequestError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

interface Pending {
  resolve(msg: Response): void;
  reject(err: Error): void;
  onProgress?: (fraction: number, message: string, rate?: { cellsPerSecond: number; secondsLeft: number }, epoch?: HeadEpoch) => void;
  onStep?: (event: StepEvent) => void;
}

/** Seconds one HDF5 read may take before the worker is taken for stuck (localStorage can lower it, for tests). */
const DEFAULT_H5_TIMEOUT_S = 30;
const TIMEOUT_KEY = 'scweb.h5-timeout-s';

/** The watch needs memory shared with the worker: a cross-origin isolated page. */
function canWatch(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

function h5TimeoutMs(): number {
  const v = Number(globalThis.localStorage?.getItem(TIMEOUT_KEY) ?? '');
  return (Number.isFinite(v) && v > 0 ? v : DEFAULT_H5_TIMEOUT_S) * 1000;
}

const restartListeners: ((info: ErrorInfo) => void)[] = [];
/** Called after the data worker was replaced (what it held is gone: the app reopens what was shown). */
export function onWorkerRestart(fn: (info: ErrorInfo) => void): void {
  restartListeners.push(fn);
}

export class DataClient {
  private worker!: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private watch: WatchReader | null = null;

  constructor() {
    this.start();
    // A damaged file can make HDF5 loop inside one call, and the worker never answers again
    // (src/io/h5/watch.ts). Where memory can be shared, the worker reports its HDF5 calls and a
    // call that does not return in time gets the worker replaced; without it, there is no watch.
    if (canWatch()) {
      setInterval(() => {
        const stuck = this.watch?.stuck(h5TimeoutMs());
        if (stuck) this.replace(stuck);
      }, 500);
    }
  }

  private start(): void {
    this.worker = new Worker(new URL('../workers/data.worker.ts', import.meta.url), { type: 'module', name: 'scweb-data' });
    this.worker.onmessage = (e: MessageEvent<Response>) => this.receive(e.data);
    this.worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(new WorkerRequestError({ code: 'internal', message: `the data worker failed: ${e.message}` }));
      this.pending.clear();
    };
    if (canWatch()) {
      const buffer = watchBuffer();
      this.watch = new WatchReader(buffer);
      this.worker.postMessage({ type: 'h5-watch', id: 0, buffer } satisfies Request);
    }
  }

  /** Ends a worker stuck in HDF5 (terminate stops WebAssembly mid-loop) and starts a fresh one. */
  private replace(stuck: StuckCall): void {
    this.worker.terminate();
    const info: ErrorInfo = {
      code: 'damaged',
      message: `${stuck.file}: HDF5 stopped responding while reading it at ${stuck.object}: the file is damaged (one read did not return in ${Math.round(h5TimeoutMs() / 1000)} s). Re-create it from its source (re-save it in Python, or download it again).`,
    };
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.start();
    for (const p of waiting) p.reject(new WorkerRequestError(info));
    for (const fn of restartListeners) fn(info);
  }

  /** Starts a request; returns its id (for cancel) and the answer. */
  request<T extends Response['type']>(msg: Outgoing, onProgress?: Pending['onProgress'], onStep?: Pending['onStep']): { id: number; done: Promise<Payload<T>> } {
    const id = this.nextId++;
    const done = new Promise<Payload<T>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (m: Response) => void, reject, onProgress, onStep });
    });
    // Files are cloned by reference (a File is a handle, not its bytes).
    this.worker.postMessage({ ...msg, id } as Request);
    return { id, done };
  }

  cancel(id: number): void {
    this.worker.postMessage({ type: 'cancel', id } satisfies Request);
  }

  private receive(msg: Response): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') {
      p.onProgress?.(msg.fraction, msg.message, msg.rate, msg.epoch);
      return;
    }
    if (msg.type === 'step') {
      p.onStep?.(msg.event);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === 'error') p.reject(new WorkerRequestError(msg.error));
    else p.resolve(msg);
  }
}

let client: DataClient | null = null;
export function dataClient(): DataClient {
  client ??= new DataClient();
  return client;
}
