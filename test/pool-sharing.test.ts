// One pool shared by several users at once (the data worker serves requests concurrently): a
// counts choice made after a pass, two passes at once, and a cancel beside a waiting pass.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { geneSums } from '../src/analysis/expression.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { qcMetrics } from '../src/analysis/qc.ts';
import { DatasetError } from '../src/io/errors.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { writeH5ad } from '../src/io/h5ad/write.ts';
import { openPaths } from '../src/io/node.ts';
import { mulberry32 } from '../src/model/random.ts';

const pool = nodePool(2)!;
afterAll(() => pool.terminate());
const dir = mkdtempSync(join(tmpdir(), 'scweb-review-'));
const P = 50;

/** X: clean counts; layers/alt: the same but one negative value in a row past the 4,096 the open samples. */
async function file(name: string, nCells: number, negativeAt: number): Promise<string> {
  const rng = mulberry32(3);
  const indptr = [0];
  const indices: number[] = [];
  const x: number[] = [];
  const alt: number[] = [];
  for (let i = 0; i < nCells; i++) {
    for (let j = 0; j < P; j++) {
      if (rng() < 0.2) {
        indices.push(j);
        const v = 1 + Math.floor(rng() * 20);
        x.push(v);
        alt.push(i === negativeAt && indices.length > indptr[i] + 1 ? -v : v);
      }
    }
    indptr.push(indices.length);
  }
  const path = join(dir, name);
  const { lib } = await nodeH5Runtime();
  await writeH5ad(lib, path, {
    obs: { index: Array.from({ length: nCells }, (_, i) => `c${i}`), columns: [] },
    var: { index: Array.from({ length: P }, (_, j) => `G${j}`), columns: [] },
    X: { kind: 'csr', shape: [nCells, P], indptr, indices: new Int32Array(indices), data: new Float32Array(x) },
    layers: { alt: { kind: 'csr', shape: [nCells, P], indptr, indices: new Int32Array(indices), data: new Float32Array(alt) } },
  });
  return path;
}

describe('a shared pool', () => {
  it('a counts matrix chosen after a pooled pass is checked as counts on the pool too (as inline)', async () => {
    const ds = await openPaths([await file('counts.h5ad', 5000, 4500)]);
    try {
      expect(ds.countsKey).toBe('X');
      // First pooled pass: each worker opens and caches the file with countsKey X.
      await qcMetrics(ds, 'X', ds.varNamesOf('X'), { pool, valuesPerChunk: 2000 });
      // The user picks layers/alt as counts (data.worker 'use-counts').
      ds.useCounts('layers/alt');
      const inline = await qcMetrics(ds, 'layers/alt', ds.varNamesOf('layers/alt'), { valuesPerChunk: 2000 }).then(() => null, (e: unknown) => e);
      expect(inline).toBeInstanceOf(DatasetError);
      const pooled = await qcMetrics(ds, 'layers/alt', ds.varNamesOf('layers/alt'), { pool, valuesPerChunk: 2000 }).then(() => null, (e: unknown) => e);
      // The workers opened the file before the choice; they must apply it too, or the negative count passes silently.
      expect(pooled).toBeInstanceOf(DatasetError);
    } finally {
      ds.close();
    }
  });

  it('two passes at once on one pool (analysis + group-stats / CPU embed in the data worker) both finish with the inline bits', async () => {
    const ds = await openPaths([await file('two.h5ad', 3000, -1)]);
    try {
      const o = { valuesPerChunk: 500 };
      const refQc = await qcMetrics(ds, 'X', ds.varNamesOf('X'), o);
      const refSums = await geneSums(ds, 'X', { kind: 'gene-cells', keep: null }, o);
      const both = Promise.all([qcMetrics(ds, 'X', ds.varNamesOf('X'), { ...o, pool }), geneSums(ds, 'X', { kind: 'gene-cells', keep: null }, { ...o, pool })]);
      const timeout = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000));
      const got = await Promise.race([both.catch((e: unknown) => e), timeout]);
      expect(got).not.toBe('hung');
      expect(got).toBeInstanceOf(Array);
      const [qc, sums] = got as [typeof refQc, typeof refSums];
      expect(Array.from(qc.total_counts)).toEqual(Array.from(refQc.total_counts));
      expect(Array.from(sums.sum)).toEqual(Array.from(refSums.sum));
    } finally {
      ds.close();
    }
  }, 30_000);

  it('a pool retired while a pass runs (another thread count chosen) finishes that pass, then stops', async () => {
    const ds = await openPaths([await file('retire.h5ad', 3000, -1)]);
    const old = nodePool(2)!;
    try {
      const o = { valuesPerChunk: 500 };
      const ref = await qcMetrics(ds, 'X', ds.varNamesOf('X'), o);
      const running = qcMetrics(ds, 'X', ds.varNamesOf('X'), { ...o, pool: old });
      // What browserPool does when the count changes.
      const retired = old.idle().then(() => old.terminate());
      expect(Array.from((await running).total_counts)).toEqual(Array.from(ref.total_counts));
      await retired;
    } finally {
      old.terminate();
      ds.close();
    }
  }, 20_000);

  it('cancelling one pass does not break another waiting on the same pool', async () => {
    const ds = await openPaths([await file('cancel.h5ad', 3000, -1)]);
    try {
      const o = { valuesPerChunk: 500 };
      const ref = await geneSums(ds, 'X', { kind: 'gene-cells', keep: null }, o);
      const ctl = new AbortController();
      const a = qcMetrics(ds, 'X', ds.varNamesOf('X'), { ...o, pool, signal: ctl.signal, onProgress: (f) => f > 0.1 && ctl.abort() }).then(() => null, (e: unknown) => e);
      const b = geneSums(ds, 'X', { kind: 'gene-cells', keep: null }, { ...o, pool });
      expect(await a).toBeInstanceOf(DatasetError);
      expect(Array.from((await b).sum)).toEqual(Array.from(ref.sum));
    } finally {
      ds.close();
    }
  }, 20_000);
});
