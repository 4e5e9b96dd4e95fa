// The worker pool gives the bits of one thread: each parallel step run inline (no pool), on 2 and 3
// worker_threads sharing memory and on 2 that get copies (a page without cross-origin isolation),
// compared byte for byte; cancel stops the workers.
import { afterAll, describe, expect, it } from 'vitest';
import type { CsrArrays } from '../src/io/csr.ts';
import { CancelledError } from '../src/io/errors.ts';
import { fuzzyConnectivities } from '../src/analysis/connectivities.ts';
import { exactKnnAsync } from '../src/analysis/knn.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { geneMajor, markerStats, markerStatsAsync, type MarkerStats } from '../src/analysis/markers.ts';
import { pca, pcaCsr } from '../src/analysis/pca.ts';
import { topComponents, topComponentsAsync } from '../src/analysis/pca-small.ts';
import { cscToCsr } from '../src/io/csr.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { planUmap, umapCpu } from '../src/analysis/umap.ts';
import { mulberry32 } from '../src/model/random.ts';

const pools: (WorkerPool | null)[] = [null, nodePool(2), nodePool(3), nodePool(2, false)];
afterAll(() => pools.forEach((p) => p?.terminate()));

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = (a: ArrayBufferView, b: ArrayBufferView) => expect(bytes(a).equals(bytes(b))).toBe(true);

/** n points in d dimensions around 6 centres (so neighbours and groups mean something). */
function clustered(n: number, d: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const rng = mulberry32(seed);
  const centres = Array.from({ length: 6 * d }, () => rng() * 10);
  const labels = Int32Array.from({ length: n }, () => Math.floor(rng() * 6));
  const x = Float32Array.from({ length: n * d }, (_, t) => centres[labels[Math.floor(t / d)] * d + (t % d)] + rng() - 0.5);
  return { x, labels };
}

/** Sparse non-negative cells x genes with some group structure, as log-normalised data looks. */
function sparseCells(n: number, p: number, labels: Int32Array, seed: number): CsrArrays {
  const rng = mulberry32(seed);
  const indptr = new Float64Array(n + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      if (rng() < 0.15 + (j % 6 === labels[i] ? 0.4 : 0)) {
        idx.push(j);
        val.push(Math.fround(Math.log1p(1 + Math.floor(rng() * 5))));
      }
    }
    indptr[i + 1] = idx.length;
  }
  return { nRows: n, nCols: p, indptr, indices: Uint32Array.from(idx), data: Float32Array.from(val) };
}

describe('worker pool: identical results for 1, 2 and 3 workers, shared or copied memory', () => {
  it.each(['js', 'wasm'] as const)('exact kNN, %s (query blocks)', async (engine) => {
    const { x } = clustered(3000, 8, 1);
    const runs = await Promise.all(pools.map((pool) => exactKnnAsync(x, 3000, 8, 10, { pool, engine, poolMinPoints: 0 })));
    for (const r of runs.slice(1)) {
      same(r.indices, runs[0].indices);
      same(r.distances, runs[0].distances);
    }
  });

  it.each(['js', 'wasm'] as const)('NN-descent, %s (join blocks; insertions replayed in serial order)', async (engine) => {
    const { x } = clustered(5000, 8, 9);
    const runs = [];
    for (const pool of pools) runs.push(await nnDescent(x, 5000, 8, 10, { seed: 4, pool, engine, poolMinPoints: 0 }));
    for (const r of runs.slice(1)) {
      same(r.indices, runs[0].indices);
      same(r.distances, runs[0].distances);
    }
  });

  it.each(['js', 'wasm'] as const)('UMAP epochs, %s (points split across workers read the previous positions)', async (engine) => {
    const n = 6000; // two blocks of points
    const { x } = clustered(n, 5, 2);
    const knn = await exactKnnAsync(x, n, 5, 10, { pool: pools[1] });
    const plan = await planUmap(fuzzyConnectivities(knn, n), x, 5, { seed: 3, nEpochs: 12 });
    const runs: Float32Array[] = [];
    for (const pool of pools) runs.push(await umapCpu(plan, { pool, poolMinPoints: 0, engine }));
    for (const r of runs.slice(1)) same(r, runs[0]);
    // Below the pool's minimum the same pool runs inline: still the same bits.
    same(await umapCpu(plan, { pool: pools[1], engine }), runs[0]);
  });

  it.each(['wilcoxon', 't-test'] as const)('%s markers (gene blocks)', async (method) => {
    const { labels } = clustered(600, 2, 4);
    labels[5] = -1; // a cell in no group
    const m = sparseCells(600, 300, labels, 5);
    const ref = markerStats(method, m, labels, 6);
    const keys = ['scores', 'pvals', 'logFoldChanges', 'pctIn', 'pctOut'] as const;
    for (const pool of pools) {
      const st: MarkerStats = await markerStatsAsync(method, m, labels, 6, { pool, poolMinValues: 0 });
      same(st.nPer, ref.nPer);
      for (const key of keys) for (let g = 0; g < 6; g++) same(st[key][g], ref[key][g]);
    }
  });

  it('PCA: covariance rows, Lanczos steps (mat-vec, both Gram-Schmidt passes, Ritz vectors) and scores', async () => {
    const { labels } = clustered(800, 2, 6);
    const m = sparseCells(800, 600, labels, 7); // 600 genes: three blocks of Lanczos rows
    const targets = new Set<number>();
    const runs = [];
    for (const pool of pools) {
      runs.push(await pcaCsr(m, 10, { pool, poolMinValues: 0, poolMinDims: 0, onProgress: (_f, msg) => targets.add(Number(/\/ (\d+)/.exec(msg)?.[1])) }));
    }
    for (const r of runs.slice(1)) {
      same(r.components, runs[0].components);
      same(r.scores, runs[0].scores);
      same(r.variance, runs[0].variance);
    }
    // The basis outgrew its first size (60 vectors): the workers got the grown basis mid-run.
    expect(Math.max(...targets.values())).toBeGreaterThan(60);
    // Below the default sizes the same pool runs all of it inline: the same bits.
    const inline = await pcaCsr(m, 10, { pool: pools[1] });
    same(inline.components, runs[0].components);
    same(inline.scores, runs[0].scores);
  });

  it('PCA of dense rows (Gram matrix of 560 cells) on the Lanczos blocks', async () => {
    const { x } = clustered(560, 700, 15);
    const runs = [];
    for (const pool of pools) runs.push(await pca(x, 560, 700, 8, { pool, poolMinDims: 0 }));
    for (const r of runs.slice(1)) {
      same(r.components, runs[0].components);
      same(r.scores, runs[0].scores);
      same(r.variance, runs[0].variance);
    }
  });

  it('2-D preview of an embedding (covariance rows in blocks)', async () => {
    const { x } = clustered(900, 40, 18);
    for (let i = 0; i < 900; i += 50) x[i * 40] = NaN; // cells without an embedding
    const ref = topComponents(x, 900, 40, 2);
    for (const pool of pools) {
      const r = await topComponentsAsync(x, 900, 40, 2, { pool, poolMinWork: 0 });
      same(r.scores, ref.scores);
      same(r.variance, ref.variance);
    }
  });

  it('markers: the genes x cells matrix from blocks of cells (counts, then each block writes its cells) equals the transpose', async () => {
    const { labels } = clustered(9000, 2, 16); // three blocks of cells
    labels[3] = -1;
    const m = sparseCells(9000, 40, labels, 17);
    // Columns out of order in some rows, and a value float32 cannot hold (the matrix stays float64).
    const wide = { ...m, indices: Uint32Array.from(m.indices), data: Float64Array.from(m.data) };
    for (let i = 0; i < 9000; i += 7) {
      const a = wide.indptr[i];
      const b = wide.indptr[i + 1] - 1;
      if (b <= a) continue;
      [wide.indices[a], wide.indices[b]] = [wide.indices[b], wide.indices[a]];
      [wide.data[a], wide.data[b]] = [wide.data[b], wide.data[a]];
    }
    wide.data[5] = 1e-50;
    for (const mat of [m, wide]) {
      const want = cscToCsr(mat.nCols, mat.nRows, mat.indptr, mat.indices, mat.data);
      for (const pool of pools.filter((p) => p?.shared)) {
        const got = (await geneMajor(mat, pool))!;
        same(got.indptr, want.indptr);
        same(got.indices, want.indices);
        expect(got.data.constructor).toBe(want.data.constructor);
        same(got.data, want.data);
      }
      // Copied memory (and one thread) transpose on the caller's thread.
      expect(await geneMajor(mat, pools[3])).toBeUndefined();
      const ref = markerStats('wilcoxon', mat, labels, 6);
      for (const pool of pools) {
        const st = await markerStatsAsync('wilcoxon', mat, labels, 6, { pool, poolMinValues: 0 });
        for (let g = 0; g < 6; g++) {
          same(st.scores[g], ref.scores[g]);
          same(st.logFoldChanges[g], ref.logFoldChanges[g]);
        }
      }
    }
  });

  it('small steps run inline: no worker starts below a step\'s size (same bits as the pool)', async () => {
    const pool = nodePool(2)!;
    try {
      const { x, labels } = clustered(1000, 8, 12);
      const knn = await exactKnnAsync(x, 1000, 8, 10, { pool });
      await nnDescent(x, 1000, 8, 10, { seed: 1, pool });
      const plan = await planUmap(fuzzyConnectivities(knn, 1000), x, 8, { seed: 3, nEpochs: 5 });
      await umapCpu(plan, { pool });
      await markerStatsAsync('wilcoxon', sparseCells(1000, 50, labels, 13), labels, 6, { pool });
      await pcaCsr(sparseCells(1000, 50, labels, 14), 5, { pool });
      expect(pool.started).toBe(0);
      // Forced onto the pool, the same step starts the workers and gives the same bits.
      same((await exactKnnAsync(x, 1000, 8, 10, { pool, poolMinPoints: 0 })).indices, knn.indices);
      expect(pool.started).toBe(2);
    } finally {
      pool.terminate();
    }
  });

  it('cancel stops every worker and the pool works again afterwards', async () => {
    const { x } = clustered(6000, 16, 8);
    const pool = pools[2]!;
    const ctl = new AbortController();
    const run = exactKnnAsync(x, 6000, 16, 10, { pool, signal: ctl.signal, onProgress: () => ctl.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const again = await exactKnnAsync(x, 600, 16, 5, { pool, poolMinPoints: 0 });
    same(again.indices, (await exactKnnAsync(x, 600, 16, 5)).indices);
  });

  it('cancel during UMAP\'s epochs (workers meeting at a barrier between them) stops them; the next layout is the inline one', async () => {
    const { x } = clustered(1500, 8, 9);
    const knn = await exactKnnAsync(x, 1500, 8, 10);
    const plan = await planUmap(fuzzyConnectivities(knn, 1500), x, 8, { seed: 1 });
    const pool = pools[2]!;
    const ctl = new AbortController();
    let reports = 0;
    // The second report comes after the first ten epochs ran on the pool.
    const run = umapCpu(plan, { pool, poolMinPoints: 0, signal: ctl.signal, onProgress: () => ++reports === 2 && ctl.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    same(await umapCpu(plan, { pool, poolMinPoints: 0 }), await umapCpu(plan));
  });
});
