// Leiden on a worker of its own, so the pool's workers can run UMAP's epochs meanwhile: Leiden is
// serial (leidenalg's queue order) and UMAP does not need its clusters, so on two threads the two
// steps together take about their summed CPU time over two cores instead of Leiden's time plus
// UMAP's. The same code runs there as here: the same labels, bit for bit.
import { CancelledError } from '../io/errors.ts';
import { definePoolTask } from '../parallel/tasks.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import type { SparseGraph } from './connectivities.ts';
import { leiden, type LeidenOptions } from './leiden.ts';

type LeidenResult = Awaited<ReturnType<typeof leiden>>;
type LeidenParams = Omit<LeidenOptions, 'signal' | 'onProgress'>;

/**
 * Fewest nodes for which Leiden goes to a spare worker: below, it takes ~0.15 s or less (0.2-0.3 s
 * at 30,000 cells), not much more than starting one more worker costs in a browser.
 */
export const LEIDEN_BESIDE_MIN = 20000;

/** Whether leidenBeside sends a graph of n nodes to the pool's spare worker. */
export function leidenRunsBeside(pool: WorkerPool | null | undefined, n: number, minNodes = LEIDEN_BESIDE_MIN): pool is WorkerPool {
  return !!pool && pool.size > 1 && pool.shared && n >= minNodes;
}

/**
 * leiden(g, opts) on `pool`'s spare worker when the pool shares memory (the graph is read there in
 * place) and the graph has at least minNodes nodes (default LEIDEN_BESIDE_MIN), else here. Progress and
 * cancel as inline.
 */
export async function leidenBeside(pool: WorkerPool | null | undefined, g: SparseGraph, opts: LeidenOptions & { minNodes?: number } = {}): Promise<LeidenResult> {
  if (!leidenRunsBeside(pool, g.n, opts.minNodes)) return leiden(g, opts);
  const { signal, onProgress } = opts;
  // Only Leiden's own parameters travel (the caller's options may carry more, e.g. the pool).
  const params: LeidenParams = { resolution: opts.resolution, seed: opts.seed, iterations: opts.iterations };
  const graph: SparseGraph = { n: g.n, indptr: pool.share(g.indptr), indices: pool.share(g.indices), data: pool.share(g.data) };
  const job = pool.spare().open('leiden', { graph });
  try {
    const [r] = await job.run<LeidenResult>([params], { signal, onProgress });
    return r;
  } catch (err) {
    // Named as inline Leiden names its cancel (the pool names it 'analysis').
    throw err instanceof CancelledError ? new CancelledError('leiden') : err;
  } finally {
    job.close();
  }
}

definePoolTask('leiden', async (c: { graph: SparseGraph }, params: LeidenParams, progress) => {
  const result = await leiden(c.graph, { ...params, onProgress: progress });
  return { result, transfer: [result.labels.buffer as ArrayBuffer] };
});
