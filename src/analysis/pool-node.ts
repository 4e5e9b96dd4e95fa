// The analysis's worker pool on Node: worker_threads that know every pooled step.
import { availableParallelism } from 'node:os';
import { spawnNodePool } from '../parallel/node-pool.ts';
import type { WorkerPool } from '../parallel/pool.ts';

/**
 * Workers for `threads` (default: the machine's cores); null for one thread (everything inline).
 * shared false: typed arrays are copied to the workers, as in a browser page that is not
 * cross-origin isolated (tests run that path here).
 */
export function nodePool(threads = availableParallelism(), shared = true): WorkerPool | null {
  return spawnNodePool(threads, [new URL('./pool-node-setup.ts', import.meta.url)], shared);
}
