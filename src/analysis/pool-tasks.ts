// The functions pool workers run, by name: each reads a job's context and one block's arguments
// and returns that block's result. The same functions run inline when there is no pool.
import { encodeCellTask } from '../model/encoder-cpu-pool.ts';
import { cellPassTask } from './cell-pass.ts';
import { failureOf } from './pool.ts';
import { knnBlock } from './knn.ts';
import { markerGenes, type MarkerContext } from './markers.ts';
import { joinBlock, type JoinContext } from './nndescent.ts';
import { covarianceRows, matvecRows } from './pca.ts';
import { umapEpochBlocks, type UmapContext, type UmapEpochArgs } from './umap.ts';

type Range = { from: number; to: number };

export const poolTasks = {
  knn: (c: { data: Float32Array; n: number; d: number; k: number }, r: Range) => {
    const result = knnBlock(c.data, c.n, c.d, c.k, r.from, r.to);
    return { result, transfer: [result.indices.buffer, result.distances.buffer] };
  },
  'umap-epoch': (c: UmapContext, a: UmapEpochArgs) => {
    const result = umapEpochBlocks(c, a);
    return { result, transfer: result ? result.map((x) => x.buffer) : [] };
  },
  markers: (c: MarkerContext, r: Range) => {
    const result = markerGenes(c, r);
    return { result, transfer: Object.values(result).flatMap((rows: Float64Array[]) => rows.map((x) => x.buffer)) };
  },
  'nndescent-join': (c: JoinContext, r: Range & { worst?: Float64Array }) => {
    const result = joinBlock(c, r);
    return { result, transfer: [result.u.buffer, result.v.buffer, result.dd.buffer, result.mask.buffer] };
  },
  matvec: (c: Parameters<typeof matvecRows>[0], r: Parameters<typeof matvecRows>[1]) => {
    const result = matvecRows(c, r);
    return { result, transfer: [result.buffer] };
  },
  covariance: (c: Parameters<typeof covarianceRows>[0], r: Range) => {
    const result = covarianceRows(c, r);
    return { result, transfer: [result.buffer] };
  },
  'cell-pass': cellPassTask,
  'encode-cell': encodeCellTask,
};

export type TaskName = keyof typeof poolTasks;

type TaskResult = { result: unknown; transfer: ArrayBuffer[] };
type AnyTask = (ctx: unknown, args: unknown) => TaskResult | Promise<TaskResult>;

/** A pool worker's side of the protocol (pool.ts), whatever the platform's port. */
export function servePoolTasks(port: { postMessage(msg: unknown, transfer?: Transferable[]): void; onMessage(cb: (msg: unknown) => void): void }): void {
  const jobs = new Map<number, { task: AnyTask; ctx: unknown }>();
  port.onMessage((raw) => {
    const msg = raw as import('./pool.ts').PoolRequest;
    if (msg.type === 'open') jobs.set(msg.job, { task: poolTasks[msg.task] as AnyTask, ctx: msg.ctx });
    else if (msg.type === 'close') jobs.delete(msg.job);
    else {
      const job = jobs.get(msg.job);
      // Tasks that read a file are async; the pool sends a worker its next block only after this reply.
      Promise.resolve()
        .then(() => {
          if (!job) throw new Error(`no job ${msg.job}`);
          return job.task(job.ctx, msg.args);
        })
        .then(({ result, transfer }) => port.postMessage({ type: 'done', job: msg.job, block: msg.block, result }, transfer))
        // Also when the reply itself cannot be sent (a DataCloneError): the pool must hear back or it waits forever.
        .catch((err: unknown) => port.postMessage({ type: 'error', job: msg.job, block: msg.block, ...failureOf(err) }));
    }
  });
}
