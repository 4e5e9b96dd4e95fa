// Runs the AnnData check (anndata-check.ts) on a worker thread, where a stuck check can be stopped.
// A damaged HDF5 file can make the HDF5 library loop forever inside one call; on the main thread
// that would hang the whole server for everyone, for good. Here the main thread only waits, with a
// time limit: past it the thread is terminated (V8 stops a thread even inside WebAssembly), the
// upload is refused with 400, and the next check gets a fresh thread.
//
// One thread, reused: a check takes a few milliseconds once h5wasm is loaded, and starting a
// thread (tsx, h5wasm) takes far longer. Checks wait their turn in a queue; the time limit counts
// from a check's start, not from its place in the queue.
import type { FastifyBaseLogger } from 'fastify';
import { Worker } from 'node:worker_threads';
import { WATCH_FD_ENV } from '../src/io/h5/node-watch.ts';
import { HttpError } from './errors.ts';

/** How long a fresh thread may take to load tsx and h5wasm before it counts as broken. */
const STARTUP_LIMIT_MS = 60_000;

interface Answer {
  status?: number;
  message?: string;
}

/** One checker thread and the check it is running. */
class CheckThread {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  /** Why the thread is gone (crashed, exited, terminated); null while it lives. */
  dead: Error | null = null;
  /** The HDF5 object a read call is in progress on, if one is. */
  inCall: string | null = null;
  private pending: { id: number; resolve(a: Answer): void; reject(err: Error): void } | null = null;
  private nextId = 0;
  private readyCallbacks!: { resolve(): void; reject(err: Error): void };

  constructor() {
    // The CLI's supervisor watches the HDF5 calls of every thread that inherits this variable and
    // would end the whole server for one it never sees return (this one's, once terminated): this
    // thread's calls are watched here instead.
    const env = { ...process.env };
    delete env[WATCH_FD_ENV];
    this.worker = new Worker(new URL('./check-worker.mjs', import.meta.url), { env });
    this.ready = new Promise<void>((resolve, reject) => (this.readyCallbacks = { resolve, reject }));
    this.ready.catch(() => {}); // a thread that dies before anyone waits for it is not an error yet
    this.worker.on('message', (m: { type: string; id?: number; object?: string } & Answer) => {
      if (m.type === 'ready') this.readyCallbacks.resolve();
      else if (m.type === 'enter') this.inCall = m.object ?? '/';
      else if (m.type === 'exit') this.inCall = null;
      else if (m.type === 'done' && this.pending && this.pending.id === m.id) {
        const p = this.pending;
        this.pending = null;
        this.inCall = null;
        p.resolve({ status: m.status, message: m.message });
      }
    });
    this.worker.on('error', (err) => this.die(err));
    this.worker.on('exit', (code) => this.die(new Error(`the AnnData checker thread exited with code ${code}`)));
    // An idle checker must not keep the process alive; the server (or a waiting request) does.
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.worker.unref();
  }

  check(path: string): Promise<Answer> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.pending = { id: ++this.nextId, resolve, reject };
      this.worker.postMessage({ id: this.nextId, path });
    });
  }

  terminate(): Promise<unknown> {
    this.die(new Error('the AnnData checker thread was stopped'));
    return this.worker.terminate();
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    this.readyCallbacks.reject(err);
    const p = this.pending;
    this.pending = null;
    p?.reject(err);
  }
}

/** Rejects with `onTimeout()` when `promise` has not settled in `ms`. */
function limit<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    // setTimeout takes at most 2^31-1 ms (about 24.8 days); past that Node fires at once.
    timer = setTimeout(() => reject(onTimeout()), Math.min(Math.max(ms, 1), 0x7fffffff));
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

export class AnnDataChecker {
  private thread: CheckThread | null = null;
  private queue: { path: string; resolve(): void; reject(err: unknown): void }[] = [];
  private running = false;
  private closed = false;

  constructor(
    /** Longest a check may run before its thread is stopped and the upload refused. */
    private readonly timeoutMs: number,
    private readonly log?: FastifyBaseLogger,
  ) {}

  /** Resolves when the staged file at `path` is a snapshot; else rejects with an HttpError (400: not one). */
  check(path: string): Promise<void> {
    if (this.closed) return Promise.reject(shuttingDown());
    return new Promise((resolve, reject) => {
      this.queue.push({ path, resolve, reject });
      void this.drain();
    });
  }

  /** Stops the thread; checks still waiting are refused with 503. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(shuttingDown());
    const t = this.thread;
    this.thread = null;
    await t?.terminate();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        try {
          await this.run(job.path);
          job.resolve();
        } catch (err) {
          job.reject(this.closed && !(err instanceof HttpError) ? shuttingDown() : err);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async run(path: string): Promise<void> {
    if (this.closed) throw shuttingDown();
    if (!this.thread || this.thread.dead) this.thread = new CheckThread();
    const t = this.thread;
    try {
      await limit(t.ready, STARTUP_LIMIT_MS, () => new Error(`the AnnData checker thread did not start in ${STARTUP_LIMIT_MS / 1000} s`));
    } catch (err) {
      this.discard(t);
      throw err instanceof Error ? new Error(`the AnnData checker thread could not start: ${err.message}`, { cause: err }) : err;
    }
    let answer: Answer;
    try {
      answer = await limit(t.check(path), this.timeoutMs, () => {
        const where = t.inCall;
        this.log?.warn({ path, object: where, timeoutMs: this.timeoutMs }, 'an upload check did not finish in time: its thread was stopped and will be replaced');
        return new HttpError(400, `not an AnnData file: HDF5 stopped responding while reading it${where ? ` at ${where}` : ''} (no answer in ${this.timeoutMs / 1000} s: the file is damaged)`);
      });
    } catch (err) {
      // Stuck (HttpError above) or crashed (the thread's error or exit): either way it is done for.
      this.discard(t);
      if (err instanceof HttpError) throw err;
      throw new Error(`the AnnData checker thread failed while checking an upload: ${(err as Error).message}`, { cause: err });
    }
    if (answer.status !== undefined) throw new HttpError(answer.status, answer.message ?? 'not an AnnData file');
  }

  private discard(t: CheckThread): void {
    if (this.thread === t) this.thread = null;
    t.terminate().catch((err) => this.log?.warn({ err }, 'stopping the AnnData checker thread failed'));
  }
}

function shuttingDown(): HttpError {
  return new HttpError(503, 'the server is shutting down; try again shortly');
}
