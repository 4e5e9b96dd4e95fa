// The exact float64 CPU encoder spread over the worker pool, one cell per block. Cells are
// independent, so any number of workers gives the bits of one thread. The weights go to the
// workers once, in shared memory; a pool that would copy them (a page without cross-origin
// isolation) is not used: hundreds of MB per worker per batch would cost more than it saves.
import type { WorkerPool } from '../parallel/pool.ts';
import { runBlocks } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';
import { forwardCell } from './encoder-cpu.ts';
import type { TokenBatch } from './encoder-tfjs.ts';
import type { ScGPTWeights } from './weights.ts';

const sharedCopies = new WeakMap<ScGPTWeights, ScGPTWeights>();

/** The weights with every array in shared memory (made once per weights object). */
function sharedWeights(pool: WorkerPool, w: ScGPTWeights): ScGPTWeights {
  let s = sharedCopies.get(w);
  if (!s) {
    const shareArrays = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v instanceof Float32Array ? pool.share(v) : v])) as T;
    s = { ...shareArrays(w), layers: w.layers.map(shareArrays) };
    sharedCopies.set(w, s);
  }
  return s;
}

/** Whether `pool` can take the CPU encoder's cells. */
export function poolFitsEncoder(pool: WorkerPool | null | undefined): pool is WorkerPool {
  return !!pool && pool.size > 1 && pool.shared;
}

/** `<cls>` outputs [B, d] of a padded batch, cells on the pool's workers. */
export async function encodeBatchOnPool(pool: WorkerPool, w: ScGPTWeights, b: TokenBatch, signal?: AbortSignal): Promise<Float32Array> {
  const d = w.config.dModel;
  const cells = Array.from({ length: b.batch }, (_, c) => ({
    ids: b.ids.slice(c * b.seqLen, c * b.seqLen + b.lengths[c]),
    values: b.values.slice(c * b.seqLen, c * b.seqLen + b.lengths[c]),
  }));
  const cls = await runBlocks<Float32Array>(pool, 'encode-cell', { weights: sharedWeights(pool, w) }, cells, { signal });
  const out = new Float32Array(b.batch * d);
  cls.forEach((v, c) => out.set(v, c * d));
  return out;
}

/** One cell in a pool worker. */
export function encodeCellTask(ctx: { weights: ScGPTWeights }, cell: { ids: Int32Array; values: Float32Array }): { result: Float32Array; transfer: ArrayBuffer[] } {
  const { cls } = forwardCell(ctx.weights, cell.ids, cell.values, cell.ids.length);
  return { result: cls, transfer: [cls.buffer as ArrayBuffer] };
}

definePoolTask('encode-cell', encodeCellTask);
