// NN-descent and the fuzzy simplicial set with their serial parts on the pool: candidate lists,
// insertions and the random start split by owner of the receiving list, rows of the fuzzy set in
// blocks. Same bits for 1, 2 and 3 threads (shared memory or copied), and the same bits as the
// serial replay they replaced; recall against the exact neighbours.
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzyConnectivities, fuzzyConnectivitiesAsync } from '../src/analysis/connectivities.ts';
import { exactKnn } from '../src/analysis/knn.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { mulberry32 } from '../src/model/random.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';

const pools: (WorkerPool | null)[] = [null, nodePool(2), nodePool(3), nodePool(2, false)];
afterAll(() => pools.forEach((p) => p?.terminate()));

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const md5 = (...a: ArrayBufferView[]) => a.reduce((h, x) => h.update(bytes(x)), createHash('md5')).digest('hex');

/** n points in d dimensions around 6 centres (test/pool.test.ts's). */
function clustered(n: number, d: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const centres = Array.from({ length: 6 * d }, () => rng() * 10);
  const labels = Int32Array.from({ length: n }, () => Math.floor(rng() * 6));
  return Float32Array.from({ length: n * d }, (_, t) => centres[labels[Math.floor(t / d)] * d + (t % d)] + rng() - 0.5);
}

describe('NN-descent with its lists on the pool', () => {
  it.each(['js', 'wasm'] as const)('%s: the bits of the serial replay (main at a1c44b7) for 1, 2 and 3 threads, shared or copied', async (engine) => {
    const x = clustered(5000, 8, 9);
    for (const pool of pools) {
      const r = await nnDescent(x, 5000, 8, 10, { seed: 4, pool, engine, poolMinPoints: 0 });
      // md5 of indices and distances from the serial replay of every insertion, before this change.
      expect(md5(r.indices, r.distances)).toBe('c289e88c3601ea7426d2de523acce173');
    }
  });

  it('20 join blocks, 3 groups a pass (each group\'s insertions tighten the next one\'s filter): the bits of one thread on every pool', async () => {
    const n = 20000;
    const x = clustered(n, 4, 21);
    const runs = [];
    for (const pool of pools) runs.push(await nnDescent(x, n, 4, 8, { seed: 5, pool, poolMinPoints: 0 }));
    for (const r of runs.slice(1)) expect(md5(r.indices, r.distances)).toBe(md5(runs[0].indices, runs[0].distances));
  });

  it('15-NN in 50 dimensions: same bits on every pool, recall >= 0.95 against the exact neighbours', async () => {
    const n = 6000;
    const x = clustered(n, 50, 3);
    const runs = [];
    for (const pool of pools) runs.push(await nnDescent(x, n, 50, 15, { seed: 1, pool, poolMinPoints: 0 }));
    for (const r of runs.slice(1)) expect(md5(r.indices, r.distances)).toBe(md5(runs[0].indices, runs[0].distances));
    const exact = exactKnn(x, n, 50, 15);
    let hit = 0;
    for (let i = 0; i < n; i++) {
      const want = new Set(exact.indices.subarray(i * 15, (i + 1) * 15));
      for (let j = 0; j < 15; j++) if (want.has(runs[0].indices[i * 15 + j])) hit++;
    }
    // 0.9625 here (uniform noise filling all 50 dimensions is a hard case; pbmc68k's X_pca gives
    // >= 0.98, test/neighbors.test.ts).
    expect(hit / (n * 15)).toBeGreaterThanOrEqual(0.95);
  });
});

describe('fuzzy simplicial set in row blocks', () => {
  it('gives fuzzyConnectivities\' bits on every pool (duplicates, -1 and self in the lists)', async () => {
    const n = 9000; // three row blocks
    const x = clustered(n, 6, 5);
    const knn = await nnDescent(x, n, 6, 10, { seed: 2 });
    // A neighbour listed twice, a missing one, a zero distance: the cases the union must keep.
    knn.indices[5 * 10 + 3] = knn.indices[5 * 10 + 2];
    knn.indices[7 * 10 + 9] = -1;
    knn.distances[11 * 10 + 1] = 0;
    const ref = fuzzyConnectivities(knn, n);
    expect(ref.indptr[n]).toBeGreaterThan(n * 9);
    for (const pool of pools) {
      const g = await fuzzyConnectivitiesAsync(knn, n, { pool, poolMinPoints: 0 });
      expect(md5(g.indptr, g.indices, g.data)).toBe(md5(ref.indptr, ref.indices, ref.data));
    }
  });
});

describe('NN-descent progress', () => {
  it('reports within a pass (after every group of join blocks), fractions only growing', async () => {
    const n = 20000; // 20 join blocks: 3 groups a pass
    const x = clustered(n, 2, 11);
    const seen: [number, string][] = [];
    await nnDescent(x, n, 2, 5, { seed: 1, maxIterations: 1, onProgress: (f, m) => seen.push([f, m]) });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThanOrEqual(seen[i - 1][0]);
    expect(Math.max(...seen.map(([f]) => f))).toBeLessThan(1);
  });
});

describe('fuzzy simplicial set without a shared pool', () => {
  it('yields between row blocks and stops on a cancel (a long synchronous call before)', async () => {
    const n = 60000;
    const k = 15;
    const rng = mulberry32(13);
    const indices = new Int32Array(n * k);
    const distances = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      let d = 0;
      indices[i * k] = i;
      for (let j = 1; j < k; j++) {
        indices[i * k + j] = Math.floor(rng() * n);
        distances[i * k + j] = d += rng();
      }
    }
    const knn = { k, indices, distances };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    await expect(fuzzyConnectivitiesAsync(knn, n, { signal: controller.signal })).rejects.toThrow(/cancel/i);
    // Not cancelled: the same bits as the synchronous function.
    const g = await fuzzyConnectivitiesAsync(knn, n, { pool: pools[3] });
    const ref = fuzzyConnectivities(knn, n);
    expect(md5(g.indptr, g.indices, g.data)).toBe(md5(ref.indptr, ref.indices, ref.data));
  });
});
