// Harmony and the integration metrics give the bits of one thread on the worker pool: inline, on 2
// and 3 worker_threads sharing memory, and on 2 that get copies (a page without cross-origin
// isolation), compared byte for byte; a cancelled run leaves the pool usable.
import { afterAll, describe, expect, it } from 'vitest';
import { runHarmony, type HarmonyResult } from '../src/analysis/harmony.ts';
import { CELL_BLOCK } from '../src/analysis/harmony-blocks.ts';
import { computeLisi, computeLisiAsync, integrationMetrics, type Labels } from '../src/analysis/integration-metrics.ts';
import { exactKnnAsync } from '../src/analysis/knn.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { CancelledError } from '../src/io/errors.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { mulberry32 } from '../src/model/random.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';

const pools: (WorkerPool | null)[] = [null, nodePool(2), nodePool(3), nodePool(2, false)];
afterAll(() => pools.forEach((p) => p?.terminate()));

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = (a: ArrayBufferView, b: ArrayBufferView) => expect(bytes(a).equals(bytes(b))).toBe(true);

/** n cells x d PCs: 5 cell types, each batch shifted by its own vector (a PCA with a batch effect). */
function batchedCells(n: number, d: number, nBatches: number, seed: number) {
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const types = Array.from({ length: 5 * d }, () => 4 * gauss());
  const shifts = Array.from({ length: nBatches * d }, () => 2 * gauss());
  const type = Int32Array.from({ length: n }, () => Math.floor(rng() * 5));
  const batch = Int32Array.from({ length: n }, () => Math.floor(rng() * nBatches));
  const x = Float32Array.from({ length: n * d }, (_, t) => {
    const i = Math.floor(t / d);
    const j = t % d;
    return types[type[i] * d + j] + shifts[batch[i] * d + j] + gauss();
  });
  const column = (name: string, codes: Int32Array, k: number): CategoricalColumn => ({ kind: 'categorical', name, codes, categories: Array.from({ length: k }, (_, c) => `${name}${c}`), ordered: false, dtype: 'category' });
  return { x, batch: column('batch', batch, nBatches), type: column('type', type, 5) };
}

describe('Harmony on the worker pool: identical results for 1, 2 and 3 workers, shared or copied memory', () => {
  const n = 2 * CELL_BLOCK + 500; // three blocks, the last one short
  const d = 12;
  const { x, batch, type } = batchedCells(n, d, 3, 11);

  const check = (runs: HarmonyResult[]) => {
    for (const r of runs.slice(1)) {
      same(r.zCorr, runs[0].zCorr);
      same(r.R, runs[0].R);
      same(r.rInit!, runs[0].rInit!);
      same(r.Y, runs[0].Y);
      expect(r.objectiveKmeans).toEqual(runs[0].objectiveKmeans);
      expect(r.kmeansRounds).toEqual(runs[0].kmeansRounds);
    }
  };

  it('k-means++ and Lloyd start, soft clustering, ridge correction', async () => {
    const runs: HarmonyResult[] = [];
    for (const pool of pools) runs.push(await runHarmony(x, n, d, [batch], { nClusters: 14, maxIterHarmony: 2, seed: 3, pool, keepInitialR: true }));
    check(runs);
    expect(runs[0].iterations).toBe(2);
  }, 60_000);

  it('two batch keys, theta per key', async () => {
    const lane: CategoricalColumn = { ...type, name: 'lane' };
    const runs: HarmonyResult[] = [];
    for (const pool of pools) runs.push(await runHarmony(x, n, d, [batch, lane], { nClusters: 9, theta: [2, 1], maxIterHarmony: 1, maxIterKmeans: 6, seed: 5, pool, keepInitialR: true }));
    check(runs);
  }, 60_000);

  it('a cancelled run rejects, and the pool runs Harmony again afterwards', async () => {
    const pool = pools[2]!;
    const ac = new AbortController();
    const run = runHarmony(x, n, d, [batch], { nClusters: 14, seed: 3, pool, signal: ac.signal, onProgress: (p) => p.kind === 'iteration' && ac.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const again = await runHarmony(x, n, d, [batch], { nClusters: 14, maxIterHarmony: 1, seed: 3, pool });
    same(again.zCorr, (await runHarmony(x, n, d, [batch], { nClusters: 14, maxIterHarmony: 1, seed: 3 })).zCorr);
  }, 60_000);
});

describe('integration metrics on the worker pool: identical results for 1, 2 and 3 workers', () => {
  const n = 1500;
  const d = 8;
  const { x, batch, type } = batchedCells(n, d, 3, 12);
  const labels = (c: CategoricalColumn): Labels => ({ codes: c.codes, categories: c.categories });

  it('LISI (kNN and perplexity bisection per block) equals the one-thread computeLisi', async () => {
    const ref = computeLisi(x, n, d, [labels(batch), labels(type)], 20);
    for (const pool of pools) {
      const got = await computeLisiAsync(x, n, d, [labels(batch), labels(type)], { perplexity: 20, pool });
      same(got.lisi[0], ref[0]);
      same(got.lisi[1], ref[1]);
    }
    // A subset of cells (neighbours among all): their values of the full computation, and their
    // first neighbours as the exact kNN has them.
    const cells = [7, 1499, 0, 640, 7];
    const sub = await computeLisiAsync(x, n, d, [labels(batch)], { perplexity: 20, pool: pools[1], cells, keepNeighbors: 14 });
    expect(Array.from(sub.lisi[0])).toEqual(cells.map((i) => ref[0][i]));
    const knn = await exactKnnAsync(x, n, d, 15);
    cells.forEach((i, t) => expect(Array.from(sub.neighbors!.indices.subarray(t * 14, (t + 1) * 14))).toEqual(Array.from(knn.indices.subarray(i * 15 + 1, (i + 1) * 15))));
  }, 60_000);

  it('all metrics (LISI, silhouettes, graph connectivity)', async () => {
    const runs = [];
    for (const pool of pools) runs.push(await integrationMetrics(x, n, d, labels(batch), labels(type), { pool }));
    for (const r of runs.slice(1)) {
      same(r.iLisi, runs[0].iLisi);
      same(r.cLisi!, runs[0].cLisi!);
      expect([r.batchAsw, r.labelAsw, r.graphConnectivity]).toEqual([runs[0].batchAsw, runs[0].labelAsw, runs[0].graphConnectivity]);
    }
  }, 60_000);
});
