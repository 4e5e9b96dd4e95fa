// A small pool of workers for the CPU-heavy analysis steps. The caller cuts its work into blocks
// whose size never depends on the number of workers and combines block results in block order, so
// 1, 2 or 16 workers (or none: `runBlocks` with no pool runs the same task code inline) give
// identical bits. Platform code only spawns the workers (node-pool.ts: worker_threads; the data
// worker: Web Workers); everything here is plain message passing. The pool knows tasks by name
// only: the steps define them (tasks.ts), so this room knows nothing of the rooms above it.
import { CancelledError, DatasetError, type DatasetErrorCode } from '../io/errors.ts';
import { poolTask, type TaskName } from './tasks.ts';

/** What the pool needs of a worker: Web Worker and worker_threads.Worker both fit behind it. */
export interface PoolPort {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
  onMessage(cb: (msg: unknown) => void): void;
  onError(cb: (err: Error) => void): void;
  terminate(): void;
}

/** Messages to a pool worker. */
export type PoolRequest =
  | { type: 'open'; job: number; task: TaskName; ctx: Record<string, unknown> }
  | { type: 'run'; job: number; block: number; args: unknown }
  | { type: 'close'; job: number };

/** Messages from a pool worker ('progress': a long block's own report, before its answer). */
export type PoolReply =
  | { type: 'done'; job: number; block: number; result: unknown }
  | { type: 'progress'; job: number; block: number; fraction: number; message: string }
  | { type: 'error'; job: number; block: number; message: string; dataset?: DatasetFailure };

/** A reading error in a worker, sent back so the caller gets the same DatasetError as from its own thread. */
export interface DatasetFailure {
  code: DatasetErrorCode;
  fileName: string;
  message: string;
  detail?: string;
}

export interface BlockOptions {
  signal?: AbortSignal;
  /** Called once per block, in completion order (progress). */
  onBlock?: (done: number, total: number) => void;
  /** Block i always runs on worker i % size: for tasks that keep per-block state in the worker between runs. */
  pinned?: boolean;
  /** Use at most this many of the pool's workers (steps whose workers each hold much memory). */
  maxWorkers?: number;
  /** What a block in flight reports of itself (tasks that are one long block: see `spare`). */
  onProgress?: (fraction: number, message: string) => void;
  /**
   * Buffers a block's message hands over instead of copying (the block's own arrays, not used here
   * after it is sent). Where the pool copies, and inline, blocks are passed as they are.
   */
  transfer?: (args: unknown) => Transferable[];
}

interface Slot {
  port: PoolPort;
  /** Jobs whose context this worker holds. */
  jobs: Set<number>;
  /** Resolves the block in flight. */
  settle?: (reply: PoolReply) => void;
  /** The block in flight's own progress reports. */
  progress?: (fraction: number, message: string) => void;
}

export class WorkerPool {
  private slots: Slot[] = [];
  private nextJob = 1;
  /** Open jobs' contexts: sent to a worker when a job first runs there (also on workers spawned after a cancel). */
  private readonly jobs = new Map<number, { task: TaskName; ctx: Record<string, unknown>; ran: boolean; pinned: boolean }>();
  /** One dispatch at a time: a worker answers one block at a time, and its reply settles whichever dispatch set `settle`. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Callers of `idle` waiting for the open jobs to close. */
  private idleWaiters: (() => void)[] = [];

  /**
   * size: number of workers. shared: typed arrays given to `share` live in SharedArrayBuffers
   * (workers read them in place) rather than being copied into every worker.
   */
  constructor(
    readonly size: number,
    private readonly spawn: () => PoolPort,
    readonly shared: boolean,
  ) {}

  private spareOne: WorkerPool | null = null;

  /**
   * A pool of one more worker beside this one, for a serial step that can run while this pool
   * works on another (Leiden beside UMAP's epochs): this pool runs one dispatch at a time. Made on
   * first use, stopped with this pool.
   */
  spare(): WorkerPool {
    return (this.spareOne ??= new WorkerPool(1, this.spawn, this.shared));
  }

  /**
   * Starts the workers now rather than with the first block: a caller that knows work is coming
   * (an analysis about to start) lets them load while it does something else (opens the file).
   */
  warm(): this {
    this.ensure();
    return this;
  }

  /** Workers running now (they start with the first block sent, or with warm()). */
  get started(): number {
    return this.slots.length;
  }

  /** A copy of `a` in shared memory when the platform allows it (else `a` itself: copied per worker when sent). */
  share<T extends Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array>(a: T): T {
    if (!this.shared || a.buffer instanceof SharedArrayBuffer) return a;
    const Ctor = a.constructor as new (buf: SharedArrayBuffer) => T;
    const out = new Ctor(new SharedArrayBuffer(a.byteLength));
    out.set(a as never);
    return out;
  }

  /** A zero-filled shared array (a plain one where memory cannot be shared). */
  alloc<T extends Float32Array | Float64Array | Int32Array>(Ctor: { new (n: number): T; new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T {
    return this.shared ? new Ctor(new SharedArrayBuffer(n * Ctor.BYTES_PER_ELEMENT)) : new Ctor(n);
  }

  private ensure(): Slot[] {
    while (this.slots.length < this.size) {
      const slot: Slot = { port: this.spawn(), jobs: new Set() };
      slot.port.onMessage((m) => {
        const reply = m as PoolReply;
        if (reply.type === 'progress') slot.progress?.(reply.fraction, reply.message);
        else slot.settle?.(reply);
      });
      slot.port.onError((err) => {
        // A dead worker would never answer again: fail its block, then start afresh next time. The
        // other workers' blocks fail with the same message (not "cancelled"), and a spare pool's
        // step (Leiden beside UMAP) goes on: it is not this pool's failure.
        slot.settle?.({ type: 'error', job: 0, block: -1, message: err.message });
        this.stopSlots(err.message);
      });
      this.slots.push(slot);
    }
    return this.slots;
  }

  /** A job over `ctx`, which reaches each worker when the job first runs there; it runs blocks until closed. */
  open(task: TaskName, ctx: Record<string, unknown>): PoolJob {
    const job = this.nextJob++;
    this.jobs.set(job, { task, ctx, ran: false, pinned: false });
    return new PoolJob(this, job);
  }

  /**
   * Resolves once no job is open and nothing is queued: for retiring a pool without cutting a step
   * short (a step is one job, possibly many dispatches).
   */
  idle(): Promise<void> {
    const own = this.jobs.size === 0 ? this.queue.then(() => undefined) : new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    // A step on the spare worker (Leiden beside UMAP) may outlast this pool's own jobs.
    return this.spareOne ? Promise.all([own, this.spareOne.idle()]).then(() => undefined) : own;
  }

  /** @internal Runs blocks on free workers, after any dispatch already running; results in block order. */
  dispatch(job: number, blocks: unknown[], opts: BlockOptions): Promise<unknown[]> {
    const run = this.queue.then(() => this.dispatchNow(job, blocks, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async dispatchNow(job: number, blocks: unknown[], opts: BlockOptions): Promise<unknown[]> {
    const open = this.jobs.get(job);
    if (!open) throw new Error(`worker pool: job ${job} is closed`);
    if (opts.signal?.aborted) throw new CancelledError('analysis');
    const slots = this.ensure().slice(0, Math.max(1, opts.maxWorkers ?? Infinity));
    for (const s of slots) {
      if (s.jobs.has(job)) continue;
      // Pinned blocks keep state in their worker between runs: a fresh worker would silently start over.
      if (open.ran && open.pinned) throw new Error('worker pool: the workers were restarted (a cancelled step?) during a step that keeps state in them; run it again');
      s.port.postMessage({ type: 'open', job, task: open.task, ctx: open.ctx } satisfies PoolRequest);
      s.jobs.add(job);
    }
    open.ran = true;
    open.pinned ||= !!opts.pinned;
    const results = new Array<unknown>(blocks.length);
    let next = 0;
    let done = 0;
    const queues = opts.pinned ? slots.map((_, w) => blocks.map((_, i) => i).filter((i) => i % slots.length === w)) : null;
    const take = (w: number): number => (queues ? (queues[w].shift() ?? -1) : next < blocks.length ? next++ : -1);
    let failure: Error | null = null;
    const onAbort = () => this.terminate();
    opts.signal?.addEventListener('abort', onAbort);
    try {
      await Promise.all(
        slots.map(async (slot, w) => {
          for (let i = take(w); i >= 0 && !failure; i = take(w)) {
            if (opts.signal?.aborted) throw new CancelledError('analysis');
            const reply = await new Promise<PoolReply>((resolve) => {
              slot.settle = resolve;
              slot.progress = opts.onProgress;
              if (opts.signal?.aborted) resolve({ type: 'error', job, block: i, message: 'cancelled' });
              else {
                try {
                  slot.port.postMessage({ type: 'run', job, block: i, args: blocks[i] } satisfies PoolRequest, opts.transfer?.(blocks[i]));
                } catch (err) {
                  // A block that cannot be sent (a DataCloneError) fails as a worker's error would.
                  resolve({ type: 'error', job, block: i, message: err instanceof Error ? err.message : String(err) });
                }
              }
            });
            slot.settle = undefined;
            slot.progress = undefined;
            if (reply.type === 'progress') throw new Error('worker pool: a progress report settled a block');
            if (reply.type === 'error') {
              failure ??= opts.signal?.aborted ? new CancelledError('analysis') : reply.dataset ? datasetError(reply.dataset) : new Error(`worker pool: ${reply.message}`);
              return;
            }
            results[i] = reply.result;
            opts.onBlock?.(++done, blocks.length);
          }
        }),
      );
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    if (opts.signal?.aborted) throw new CancelledError('analysis');
    if (failure) throw failure;
    return results;
  }

  /** @internal */
  closeJob(job: number): void {
    this.jobs.delete(job);
    if (this.jobs.size === 0) for (const wake of this.idleWaiters.splice(0)) void this.queue.then(wake);
    for (const s of this.slots) if (s.jobs.delete(job)) s.port.postMessage({ type: 'close', job } satisfies PoolRequest);
  }

  /** Stops every worker now (cancel): blocks in flight fail, the next job spawns fresh workers. */
  terminate(): void {
    this.spareOne?.terminate();
    this.stopSlots('cancelled');
  }

  /** Stops this pool's own workers; blocks in flight fail with `message`. */
  private stopSlots(message: string): void {
    const slots = this.slots;
    this.slots = [];
    for (const s of slots) {
      s.port.terminate();
      s.settle?.({ type: 'error', job: 0, block: -1, message });
    }
  }
}

function datasetError(f: DatasetFailure): DatasetError {
  return new DatasetError(f.code, f.fileName, f.message, f.detail);
}

/** The wire form of an error thrown in a worker. */
export function failureOf(err: unknown): { message: string; dataset?: DatasetFailure } {
  if (err instanceof DatasetError) return { message: err.message, dataset: { code: err.code, fileName: err.fileName, message: err.message.slice(err.fileName.length + 2), detail: err.detail } };
  return { message: err instanceof Error ? err.message : String(err) };
}

export class PoolJob {
  constructor(
    private readonly pool: WorkerPool,
    private readonly id: number,
  ) {}

  run<R>(blocks: unknown[], opts: BlockOptions = {}): Promise<R[]> {
    return this.pool.dispatch(this.id, blocks, opts) as Promise<R[]>;
  }

  close(): void {
    this.pool.closeJob(this.id);
  }
}

/**
 * A job on the pool, or the same task run inline (one block at a time, yielding between blocks
 * so a cancel gets through) when there is no pool: identical results either way.
 */
export function openJob(pool: WorkerPool | null | undefined, task: TaskName, ctx: Record<string, unknown>): Pick<PoolJob, 'run' | 'close'> {
  if (pool && pool.size > 1) return pool.open(task, ctx);
  const fn = poolTask(task);
  return {
    async run<R>(blocks: unknown[], opts: BlockOptions = {}): Promise<R[]> {
      const out: R[] = [];
      let last = performance.now();
      for (let i = 0; i < blocks.length; i++) {
        if (performance.now() - last > 50) {
          await new Promise((r) => setTimeout(r, 0));
          last = performance.now();
        }
        if (opts.signal?.aborted) throw new CancelledError('analysis');
        out.push((await fn(ctx, blocks[i], (f, m) => opts.onProgress?.(f, m))).result as R);
        opts.onBlock?.(i + 1, blocks.length);
      }
      return out;
    },
    close() {},
  };
}

/** Runs one task over its blocks (one job), results in block order. */
export async function runBlocks<R>(pool: WorkerPool | null | undefined, task: TaskName, ctx: Record<string, unknown>, blocks: unknown[], opts: BlockOptions = {}): Promise<R[]> {
  const job = openJob(pool, task, ctx);
  try {
    return await job.run<R>(blocks, opts);
  } finally {
    job.close();
  }
}

/**
 * The pool for a step of `work` units when that reaches `min`, else null (the step runs inline,
 * same bits). A pool's first block costs ~1.5 s of starting workers (bench/pool-small.ts): small
 * steps, and a whole small dataset, never pay it.
 */
export function poolFor(pool: WorkerPool | null | undefined, work: number, min: number): WorkerPool | null {
  return pool && pool.size > 1 && work >= min ? pool : null;
}

/** [from, to) ranges of `size` over n items: the fixed partition every parallel step uses. */
export function ranges(n: number, size: number): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (let from = 0; from < n; from += size) out.push({ from, to: Math.min(n, from + size) });
  return out;
}
