// Passes over cells (QC, gene counts, moments, the log-normalised matrix) give the same bits on
// this thread and on pool workers that open the file themselves, equal a plain row-by-row
// computation, and bring a worker's reading error back as the DatasetError this thread would raise.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geneSums, logNormMatrix } from '../src/analysis/expression.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { qcMetrics } from '../src/analysis/qc.ts';
import { CancelledError, DatasetError } from '../src/io/errors.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { writeH5ad } from '../src/io/h5ad/write.ts';
import { openPaths } from '../src/io/node.ts';
import type { Dataset } from '../src/io/types.ts';
import { mulberry32 } from '../src/model/random.ts';
import { shared } from './helpers.ts';

const pools: (WorkerPool | null)[] = [null, nodePool(2), nodePool(3), nodePool(2, false)];
afterAll(() => pools.forEach((p) => p?.terminate()));
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const dir = mkdtempSync(join(tmpdir(), 'scweb-cellpass-'));
const N = 2400;
const P = 300;
// ~40 rows per chunk: 60 chunks, several rounds of the pool.
const CHUNK = 1500;

/** Counts for N cells x P genes (MT- genes among them); `negativeAt` plants one bad count. */
async function countsFile(name: string, nCells = N, negativeAt?: number): Promise<string> {
  const rng = mulberry32(7);
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < nCells; i++) {
    for (let j = 0; j < P; j++) {
      if (rng() < 0.12) {
        indices.push(j);
        data.push(i === negativeAt && indices.length > indptr[i] + 2 ? -3 : 1 + Math.floor(rng() * rng() * 40));
      }
    }
    indptr.push(indices.length);
  }
  const path = join(dir, name);
  const { lib } = await nodeH5Runtime();
  await writeH5ad(lib, path, {
    obs: { index: Array.from({ length: nCells }, (_, i) => `cell${i}`), columns: [] },
    var: { index: Array.from({ length: P }, (_, j) => (j < 6 ? `MT-G${j}` : `G${j}`)), columns: [] },
    X: { kind: 'csr', shape: [nCells, P], indptr, indices: new Int32Array(indices), data: new Float32Array(data) },
    layers: { counts: { kind: 'csr', shape: [nCells, P], indptr, indices: new Int32Array(indices), data: new Float32Array(data) } },
  });
  return path;
}

let ds: Dataset;
const keep = Uint8Array.from({ length: N }, (_, i) => (i % 7 === 3 ? 0 : 1));
const genes = Int32Array.from({ length: 120 }, (_, j) => 2 * j + 1);

beforeAll(async () => {
  ds = await openPaths([await countsFile('cells.h5ad')]);
});

/** Every pass on one pool, the arrays it returns in a fixed order. */
async function allPasses(d: Dataset, key: string, pool: WorkerPool | null): Promise<ArrayBufferView[]> {
  const o = { pool, valuesPerChunk: CHUNK };
  const names = d.varNamesOf(key);
  const qc = await qcMetrics(d, key, names, o);
  const totals = qc.total_counts;
  const cells = await geneSums(d, key, { kind: 'gene-cells', keep }, o);
  const mom = await geneSums(d, key, { kind: 'moments', keep, normalizedBy: totals, fromLog: false }, o);
  const clip = Float64Array.from({ length: names.length }, (_, g) => 2 + (g % 5));
  const clipped = await geneSums(d, key, { kind: 'clipped-moments', keep, clip }, o);
  const m = await logNormMatrix(d, key, keep, totals, genes.filter((g) => g < names.length), o);
  // In shared memory (a pool that shares it): the workers' chunks, copied into the matrix by the workers.
  const ms = await logNormMatrix(d, key, keep, totals, genes.filter((g) => g < names.length), { ...o, shared: true });
  if (pool?.shared) for (const a of [ms.indptr, ms.indices, ms.data]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
  return [qc.total_counts, qc.n_genes_by_counts, qc.pct_counts_mt ?? new Float64Array(0), qc.n_cells_by_counts, cells.sum, mom.sum, mom.sumSq, clipped.sum, clipped.sumSq, m.indptr, m.indices, m.data, ms.indptr, ms.indices, ms.data];
}

describe('passes over cells on the pool', () => {
  it('give the same bits inline, on 2 and 3 workers sharing memory and on 2 copying', async () => {
    const ref = await allPasses(ds, 'layers/counts', null);
    // Count what this thread reads: with a pool the workers read every chunk themselves.
    let readsHere = 0;
    const readRows = ds.readRows.bind(ds);
    ds.readRows = (...a) => (readsHere++, readRows(...a));
    for (const pool of pools.slice(1)) {
      readsHere = 0;
      const got = await allPasses(ds, 'layers/counts', pool);
      expect(readsHere, `reads on this thread, pool of ${pool?.size}`).toBe(0);
      got.forEach((a, i) => expect(bytes(a).equals(bytes(ref[i])), `array ${i}, pool of ${pool?.size}`).toBe(true));
    }
    ds.readRows = readRows;
  });

  it('equal a plain computation over the whole matrix read at once', async () => {
    const [total, nGenes, pctMt, geneCells, cellsKept, sum, sumSq, , , indptr, indices, data] = await allPasses(ds, 'layers/counts', pools[2]) as Float64Array[];
    const x = ds.readRows('layers/counts', 0, N);
    let row = 0;
    const expSum = new Float64Array(P);
    const expCells = new Float64Array(P);
    for (let i = 0; i < N; i++) {
      let t = 0;
      let mt = 0;
      for (let k = x.indptr[i]; k < x.indptr[i + 1]; k++) {
        t += x.data[k];
        if (x.indices[k] < 6) mt += x.data[k];
      }
      expect(total[i]).toBe(t);
      expect(nGenes[i]).toBe(x.indptr[i + 1] - x.indptr[i]);
      expect(pctMt[i]).toBeCloseTo((100 * mt) / t, 12);
      if (!keep[i]) continue;
      const kept: [number, number][] = [];
      for (let k = x.indptr[i]; k < x.indptr[i + 1]; k++) {
        expSum[x.indices[k]] += (x.data[k] * 1e4) / t;
        expCells[x.indices[k]]++;
        const j = genes.indexOf(x.indices[k]);
        if (j >= 0) kept.push([j, Math.fround(Math.log1p(Math.fround(x.data[k]) * (1e4 / t)))]);
      }
      expect(indptr[row + 1] - indptr[row]).toBe(kept.length);
      kept.forEach(([j, v], t2) => {
        expect(indices[indptr[row] + t2]).toBe(j);
        expect(data[indptr[row] + t2]).toBe(v);
      });
      row++;
    }
    expect(row).toBe(indptr.length - 1);
    for (let g = 0; g < P; g++) {
      expect(geneCells[g]).toBeGreaterThanOrEqual(cellsKept[g]);
      expect(cellsKept[g]).toBe(expCells[g]);
      expect(Math.abs(sum[g] - expSum[g])).toBeLessThanOrEqual(1e-9 * Math.max(1, expSum[g]));
      expect(sumSq[g]).toBeGreaterThan(0);
    }
  });

  it('on a real file (pbmc68k counts layer) match this thread byte for byte', async () => {
    const real = await openPaths([shared('data', 'pbmc68k_reduced_with_counts.h5ad')]);
    try {
      const key = real.countsKey!;
      const ref = await allPasses(real, key, null);
      const got = await allPasses(real, key, pools[1]);
      got.forEach((a, i) => expect(bytes(a).equals(bytes(ref[i])), `array ${i}`).toBe(true));
    } finally {
      real.close();
    }
  });

  it("a worker's open (index only) skips obs and var columns and reads the same rows", async () => {
    const path = shared('data', 'pbmc68k_reduced_with_counts.h5ad');
    const [full, lean] = [await openPaths([path]), await openPaths([path], { indexOnly: true })];
    try {
      expect(full.obs.columns.length).toBeGreaterThan(0);
      expect(lean.obs.columns).toEqual([]);
      expect(lean.var.columns).toEqual([]);
      expect(lean.obs.index).toEqual(full.obs.index);
      expect(lean.countsKey).toBe(full.countsKey);
      const [a, b] = [full, lean].map((d) => d.readRows(full.countsKey!, 100, 180));
      expect(bytes(b.data).equals(bytes(a.data))).toBe(true);
      expect(bytes(b.indices).equals(bytes(a.indices))).toBe(true);
    } finally {
      full.close();
      lean.close();
    }
  });

  it('a dataset parsed into memory (MatrixMarket) runs on this thread with a pool given, same bits', async () => {
    const mtx = await openPaths([shared('data', '10x', 'v3_filtered_feature_bc_matrix')]);
    try {
      expect(mtx.sources ?? null).toBeNull();
      const key = mtx.countsKey!;
      const a = await qcMetrics(mtx, key, mtx.varNamesOf(key), { valuesPerChunk: 50_000 });
      const b = await qcMetrics(mtx, key, mtx.varNamesOf(key), { valuesPerChunk: 50_000, pool: pools[1] });
      expect(bytes(b.total_counts).equals(bytes(a.total_counts))).toBe(true);
      expect(bytes(b.n_cells_by_counts).equals(bytes(a.n_cells_by_counts))).toBe(true);
    } finally {
      mtx.close();
    }
  });

  it("a worker's reading error is the DatasetError this thread raises, naming the file, matrix and cell", async () => {
    // Past the rows the open samples (4,096), so the pass is the first to see it.
    const bad = await openPaths([await countsFile('bad.h5ad', 5000, 4500)]);
    try {
      const errs = [];
      for (const pool of [null, pools[1]]) {
        errs.push(await qcMetrics(bad, 'layers/counts', bad.varNamesOf('layers/counts'), { pool, valuesPerChunk: CHUNK }).then(() => null, (e: unknown) => e));
      }
      for (const e of errs) {
        expect(e).toBeInstanceOf(DatasetError);
        expect((e as DatasetError).code).toBe('bad-counts');
        expect((e as DatasetError).fileName).toBe('bad.h5ad');
        expect((e as Error).message).toContain('layers/counts');
      }
      expect((errs[1] as Error).message).toBe((errs[0] as Error).message);
    } finally {
      bad.close();
    }
  });

  it('cancel stops a pass on the pool', async () => {
    const ctl = new AbortController();
    const p = qcMetrics(ds, 'layers/counts', ds.varNamesOf('layers/counts'), {
      pool: pools[1],
      valuesPerChunk: CHUNK,
      signal: ctl.signal,
      onProgress: (f) => {
        if (f > 0.2) ctl.abort();
      },
    });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    // The pool starts afresh for the next pass.
    const again = await qcMetrics(ds, 'layers/counts', ds.varNamesOf('layers/counts'), { pool: pools[1], valuesPerChunk: CHUNK });
    expect(again.total_counts.length).toBe(N);
  });
});
