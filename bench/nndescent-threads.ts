// The neighbours step's two parts at one size and thread count, one run per process (so a driver
// can alternate code versions): NN-descent (k 15, 50 dims, 20-cluster Gaussian mixture, seed 0)
// and the fuzzy simplicial set. Wall and CPU seconds (CPU counts every thread), the load average
// before the run, an md5 of the kNN result (equal across thread counts and versions when the bits
// are), NN-descent's main-thread busy share (what stays serial), and with --recall the recall against the exact neighbours. The pool is warmed first, as
// the pipeline's is by the time it reaches this step.
// Run: node --import tsx bench/nndescent-threads.ts --n 30000 --threads 2 [--recall | --against FILE] [--write FILE]
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as connectivities from '../src/analysis/connectivities.ts';
import { exactKnnAsync, type KnnResult } from '../src/analysis/knn.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import type { SparseGraph } from '../src/analysis/connectivities.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { gaussianMixture } from './mixture.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const n = Number(arg('n', '30000'));
const threads = Number(arg('threads', '1'));
const label = arg('label', '');
const x = gaussianMixture(n, 50, n);
const write = arg('write', '');
if (write) {
  // The points for bench/pynndescent_knn.py and their exact 15 neighbours (FILE.exact.i32), then nothing else.
  writeFileSync(write, x);
  const exact = await exactKnnAsync(x, n, 50, 15, { pool: nodePool(threads) });
  writeFileSync(`${write}.exact.i32`, exact.indices);
  process.exit(0);
}
const against = arg('against', '');
const pool = nodePool(threads);
if (pool) {
  const w = gaussianMixture(4000, 50, 1);
  await nnDescent(w, 4000, 50, 15, { pool, poolMinPoints: 0, maxIterations: 1 });
}
// Main before this branch had only the one-thread fuzzy set.
const fuzzy = (knn: KnnResult, pool: WorkerPool | null): Promise<SparseGraph> | SparseGraph => {
  const async = (connectivities as Record<string, unknown>).fuzzyConnectivitiesAsync as ((k: KnnResult, n: number, o: { pool: WorkerPool | null }) => Promise<SparseGraph>) | undefined;
  return async ? async(knn, n, { pool }) : connectivities.fuzzyConnectivities(knn, n);
};
const load = loadavg()[0];
let c = process.cpuUsage();
let t = performance.now();
const elu0 = performance.eventLoopUtilization();
const knn = await nnDescent(x, n, 50, 15, { seed: 0, pool });
const nnWall = (performance.now() - t) / 1000;
// The main thread's busy share of the wall time: what still runs serially (1 for one thread).
const mainBusy = performance.eventLoopUtilization(elu0).utilization;
let u = process.cpuUsage(c);
const nnCpu = (u.user + u.system) / 1e6;
c = process.cpuUsage();
t = performance.now();
await fuzzy(knn, pool);
const fzWall = (performance.now() - t) / 1000;
u = process.cpuUsage(c);
const fzCpu = (u.user + u.system) / 1e6;
const md5 = createHash('md5').update(Buffer.from(knn.indices.buffer)).update(Buffer.from(knn.distances.buffer)).digest('hex').slice(0, 12);
let recall = '-';
if (process.argv.includes('--recall') || against) {
  // The exact neighbours, or (--against FILE) another method's int32 n x 15 indices.
  const exact = against ? { indices: new Int32Array(readFileSync(against).buffer.slice(0)) } : await exactKnnAsync(x, n, 50, 15, { pool });
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const want = new Set(exact.indices.subarray(i * 15, (i + 1) * 15));
    for (let j = 0; j < 15; j++) if (want.has(knn.indices[i * 15 + j])) hit++;
  }
  recall = (hit / (n * 15)).toFixed(4);
}
console.log(`| ${label} | ${n.toLocaleString('en-US')} | ${threads} | ${nnWall.toFixed(2)} (${nnCpu.toFixed(2)}) | ${fzWall.toFixed(2)} (${fzCpu.toFixed(2)}) | ${(nnWall + fzWall).toFixed(2)} | ${(100 * mainBusy).toFixed(0)}% | ${recall} | ${md5} | ${load.toFixed(2)} |`);
pool?.terminate();
