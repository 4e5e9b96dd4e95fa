// Request/response over the data worker: each request gets an id; progress messages go to the
// request's callback; cancel aborts it in the worker.
import type { ErrorInfo } from '../io/errors.ts';
import type { Request, Response, StepEvent } from '../workers/protocol.ts';

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
  onProgress?: (fraction: number, message: string, rate?: { cellsPerSecond: number; secondsLeft: number }) => void;
  onStep?: (event: StepEvent) => void;
}

export class DataClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor() {
    this.worker = new Worker(new URL('../workers/data.worker.ts', import.meta.url), { type: 'module', name: 'scweb-data' });
    this.worker.onmessage = (e: MessageEvent<Response>) => this.receive(e.data);
    this.worker.onerror = (e) => {
      for (const p of this.pending.values()) p.reject(new WorkerRequestError({ code: 'internal', message: `the data worker failed: ${e.message}` }));
      this.pending.clear();
    };
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
      p.onProgress?.(msg.fraction, msg.message, msg.rate);
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
