// Where the worker pool starts to pay, step by step: each pooled kernel at growing sizes, inline
// (one thread) and on a warm pool of N workers, alternated, median of 3 wall-clock runs; and what
// a cold pool costs (spawning the workers and loading their code) before its first block. The
// thresholds in the steps (UMAP_POOL_MIN, KNN_POOL_MIN_WORK, NNDESCENT_POOL_MIN, ...) come from here.
// Run: node --import tsx bench/pool-small.ts [--threads 2]
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fuzzyConnectivities } from '../src/analysis/connectivities.ts';
import { exactKnnAsync } from '../src/analysis/knn.ts';
import { markerStatsAsync } from '../src/analysis/markers.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { pcaCsr } from '../src/analysis/pca.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { qcMetrics } from '../src/analysis/qc.ts';
import { planUmap, umapCpu } from '../src/analysis/umap.ts';
import { openPaths } from '../src/io/node.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { mulberry32 } from '../src/model/random.ts';
import { gaussianMixture } from './mixture.ts';
import { ensureSynthetic } from './synthetic.ts';
import { randomLogCsr } from './synthetic-cells.ts';

const i = process.argv.indexOf('--threads');
const threads = i >= 0 ? Number(process.argv[i + 1]) : 2;
const rng = mulberry32(7);
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

const csr = (n: number, p: number, density: number) => randomLogCsr(n, p, density, rng);

// Cold: a fresh pool's first (tiny) block, against the same block inline.
{
  const x = gaussianMixture(200, 50, 1);
  const t0 = performance.now();
  await exactKnnAsync(x, 200, 50, 15);
  const inline = performance.now() - t0;
  const cold = nodePool(threads)!;
  const t1 = performance.now();
  await exactKnnAsync(x, 200, 50, 15, { pool: cold, poolMinPoints: 0 });
  console.log(`cold pool of ${threads}: first block ${(performance.now() - t1).toFixed(0)} ms (inline ${inline.toFixed(0)} ms); load ${loadavg()[0].toFixed(1)}`);
  cold.terminate();
}

const pool = nodePool(threads)!;
async function sweep(name: string, sizes: number[], run: (size: number, pool: WorkerPool | null) => Promise<unknown>, prepare?: (size: number) => Promise<void>): Promise<void> {
  console.log(`\n${name} (load ${loadavg()[0].toFixed(1)})\n| size | inline (ms) | pool of ${threads} (ms) | inline / pool |\n|---|---|---|---|`);
  for (const size of sizes) {
    await prepare?.(size);
    const t: number[][] = [[], []];
    for (let r = 0; r < 3; r++) {
      for (const [k, p] of [[0, null], [1, pool]] as const) {
        const t0 = performance.now();
        await run(size, p);
        t[k].push(performance.now() - t0);
      }
    }
    const [a, b] = [median(t[0]), median(t[1])];
    console.log(`| ${size.toLocaleString('en-US')} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a / b).toFixed(2)}x |`);
  }
}

let x: Float32Array = new Float32Array(0);
await sweep('exact kNN (WASM), n points x 50, k 15', [500, 1000, 2000, 4000], (n, p) => exactKnnAsync(x, n, 50, 15, { pool: p, poolMinPoints: 0 }), async (n) => void (x = gaussianMixture(n, 50, 2)));
await sweep('NN-descent (WASM), n points x 50, k 15', [2000, 5000, 10000, 20000], (n, p) => nnDescent(x, n, 50, 15, { pool: p, seed: 0, poolMinPoints: 0 }), async (n) => void (x = gaussianMixture(n, 50, 3)));
let plan: Awaited<ReturnType<typeof planUmap>>;
await sweep(
  'UMAP (WASM), n points, 50 epochs',
  [2000, 4000, 8000, 16000],
  (_n, p) => umapCpu(plan, { pool: p, poolMinPoints: 0 }),
  async (n) => {
    const z = gaussianMixture(n, 20, 4);
    plan = await planUmap(fuzzyConnectivities(await nnDescent(z, n, 20, 15, { seed: 0 }), n), z, 20, { nEpochs: 50 });
  },
);
let m = csr(1, 1, 0);
let labels = new Int32Array(0);
await sweep('Wilcoxon markers, n cells x 2k genes, 8 groups', [1000, 3000, 10000], (_n, p) => markerStatsAsync('wilcoxon', m, labels, 8, { pool: p, poolMinValues: 0 }), async (n) => {
  m = csr(n, 2000, 0.05);
  labels = Int32Array.from({ length: n }, () => Math.floor(rng() * 8));
});
await sweep('PCA (covariance + Lanczos), n cells x 2k genes, 50 comps', [1000, 3000, 10000], (_n, p) => pcaCsr(m, 50, { pool: p, poolMinValues: 0, poolMinDims: 0 }), async (n) => void (m = csr(n, 2000, 0.05)));
// The Lanczos steps alone (three round trips each): 1,000 cells, so the covariance is small.
await sweep('PCA Lanczos steps, 1k cells x p genes, 50 comps', [256, 512, 1024, 2000], (_p, p) => pcaCsr(m, 50, { pool: p, poolMinDims: 0 }), async (p) => void (m = csr(1000, p, 0.05)));
await sweep('QC pass over a file, n cells x 20k genes (1,000 per cell)', [3000, 6000, 12000], async (n, p) => {
  const ds = await openPaths([join(import.meta.dirname, 'out', `synthetic_${n}x20000.h5ad`)]);
  try {
    await qcMetrics(ds, 'X', ds.varNamesOf('X'), { pool: p });
  } finally {
    ds.close();
  }
}, (n) => ensureSynthetic(join(import.meta.dirname, 'out', `synthetic_${n}x20000.h5ad`), { nCells: n, nGenes: 20000, genesPerCell: 1000, seed: 42 }));
console.log(`\nload at end ${loadavg()[0].toFixed(1)}`);
pool.terminate();
