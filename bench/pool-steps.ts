// Each parallel kernel on synthetic inputs, inline (one thread) and on a pool of N worker_threads,
// alternated in one process: where the pool pays off and from what size. Prints the load average
// (a shared machine bounds the wall-clock ratio) and the process's CPU time (all threads): the work
// the pool adds over one thread, which contention does not change much.
// Run: node --import tsx bench/pool-steps.ts [--threads 2]
import { loadavg } from 'node:os';
import { fuzzyConnectivities } from '../src/analysis/connectivities.ts';
import { exactKnnAsync } from '../src/analysis/knn.ts';
import { markerStatsAsync } from '../src/analysis/markers.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { pcaCsr } from '../src/analysis/pca.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { planUmap, umapCpu } from '../src/analysis/umap.ts';
import { mulberry32 } from '../src/model/random.ts';
import { randomLogCsr } from './synthetic-cells.ts';

const i = process.argv.indexOf('--threads');
const threads = i >= 0 ? Number(process.argv[i + 1]) : 2;
const pool = nodePool(threads)!;
const rng = mulberry32(7);
const points = (n: number, d: number) => Float32Array.from({ length: n * d }, (_, t) => ((t / d) % 6) * 3 + rng());
const csr = (n: number, p: number, density: number) => randomLogCsr(n, p, density, rng);
/** Best wall-clock ms and CPU ms (all threads) of two runs each, inline then pool, alternated. */
async function time(f: (pool: WorkerPool | null) => Promise<unknown>): Promise<number[]> {
  const best = [Infinity, Infinity, Infinity, Infinity];
  for (let r = 0; r < 2; r++) {
    for (const [k, p] of [[0, null], [1, pool]] as const) {
      const c = process.cpuUsage();
      const t = performance.now();
      await f(p);
      best[k] = Math.min(best[k], performance.now() - t);
      const used = process.cpuUsage(c);
      best[k + 2] = Math.min(best[k + 2], (used.user + used.system) / 1000);
    }
  }
  return best;
}
console.log(`pool of ${threads}; load average ${loadavg()[0].toFixed(2)}\n| kernel | 1 thread (ms) | ${threads} threads (ms) | speed-up | CPU ms, 1 thread | CPU ms, ${threads} threads | pool's extra work |\n|---|---|---|---|---|---|---|`);
const row = (name: string, [a, b, ca, cb]: number[]) =>
  console.log(`| ${name} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a / b).toFixed(2)}x | ${ca.toFixed(0)} | ${cb.toFixed(0)} | ${(((cb - ca) / ca) * 100).toFixed(0)}% |`);
const x = points(5000, 50);
row('exact kNN, 5k x 50, k 15', await time((p) => exactKnnAsync(x, 5000, 50, 15, { pool: p, poolMinPoints: 0 })));
const y = points(20000, 50);
row('NN-descent, 20k x 50, k 15', await time((p) => nnDescent(y, 20000, 50, 15, { pool: p, seed: 0, poolMinPoints: 0 })));
for (const n of [2000, 8000, 30000]) {
  const z = points(n, 20);
  const knn = await nnDescent(z, n, 20, 15, { pool, seed: 0 });
  const plan = await planUmap(fuzzyConnectivities(knn, n), z, 20, { nEpochs: 30 });
  row(`UMAP, ${n.toLocaleString('en-US')} points, 30 epochs`, await time((p) => umapCpu(plan, { pool: p, poolMinPoints: 0 })));
}
const m = csr(10000, 2000, 0.05);
row('PCA (covariance + Lanczos), 10k x 2k sparse, 50 comps', await time((p) => pcaCsr(m, 50, { pool: p, poolMinValues: 0, poolMinDims: 0 })));
const labels = Int32Array.from({ length: 10000 }, () => Math.floor(rng() * 12));
const g = csr(10000, 4000, 0.05);
row('Wilcoxon markers, 10k x 4k, 12 groups', await time((p) => markerStatsAsync('wilcoxon', g, labels, 12, { pool: p, poolMinValues: 0 })));
row('t-test markers, 10k x 4k, 12 groups', await time((p) => markerStatsAsync('t-test', g, labels, 12, { pool: p, poolMinValues: 0 })));
console.log(`load average at end ${loadavg()[0].toFixed(2)}`);
pool.terminate();
