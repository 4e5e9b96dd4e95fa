// A pool worker's side of the protocol: runs the blocks it is sent with the tasks its catalogue defined.
import { failureOf, type PoolRequest } from './pool.ts';
import { poolTask, type TaskName } from './tasks.ts';

/** A pool worker's side of the protocol (pool.ts), whatever the platform's port. */
export function servePoolTasks(port: { postMessage(msg: unknown, transfer?: Transferable[]): void; onMessage(cb: (msg: unknown) => void): void }): void {
  const jobs = new Map<number, { task: TaskName; ctx: unknown }>();
  port.onMessage((raw) => {
    const msg = raw as PoolRequest;
    if (msg.type === 'open') jobs.set(msg.job, { task: msg.task, ctx: msg.ctx });
    else if (msg.type === 'close') jobs.delete(msg.job);
    else {
      const job = jobs.get(msg.job);
      // Tasks that read a file are async; the pool sends a worker its next block only after this reply.
      Promise.resolve()
        .then(() => {
          if (!job) throw new Error(`no job ${msg.job}`);
          return poolTask(job.task)(job.ctx, msg.args, (fraction, message) => port.postMessage({ type: 'progress', job: msg.job, block: msg.block, fraction, message }));
        })
        .then(({ result, transfer }) => port.postMessage({ type: 'done', job: msg.job, block: msg.block, result }, transfer))
        // Also when the reply itself cannot be sent (a DataCloneError): the pool must hear back or it waits forever.
        .catch((err: unknown) => port.postMessage({ type: 'error', job: msg.job, block: msg.block, ...failureOf(err) }));
    }
  });
}
