// Counts stored as float64 keep their values: blocks that float32 would change are read as float64
// (tiny values such as 1e-40 or 5e-324, integers above 2^24), and QC totals equal numpy's. A
// float64 file of small integer counts still reads as float32 (the same arrays as before), and a
// 64-bit integer no double can hold is refused with the file, the dataset and the fix named.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { logNormMatrix } from '../src/analysis/expression.ts';
import { qcMetrics } from '../src/analysis/qc.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { exportH5ad } from '../src/io/h5ad/export.ts';
import { exactValues } from '../src/io/matrix-values.ts';
import { openPaths } from '../src/io/node.ts';
import { hasPythonAnndata } from './python-anndata.ts';

const dir = mkdtempSync(join(tmpdir(), 'scweb-f64-'));
const python = hasPythonAnndata();
let expected: { total_counts: number[]; n_genes_by_counts: number[]; mt_counts: number[] };

beforeAll(() => {
  if (!python) return;
  const script = fileURLToPath(new URL('reference/float64_counts.py', import.meta.url));
  const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', script, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`float64_counts.py failed:\n${r.stderr}`);
  expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
});

describe('exactValues', () => {
  it('narrows to float32 only when every value survives it', () => {
    expect(exactValues(Float64Array.of(0, 1, 2.5, 16777216))).toBeInstanceOf(Float32Array);
    for (const v of [1e-40, 5e-324, 16777217, 0.1, 1e39, NaN]) expect(exactValues(Float64Array.of(1, v))).toBeInstanceOf(Float64Array);
    expect(exactValues(Int32Array.of(16777217))).toEqual(Float64Array.of(16777217));
  });
});

describe.skipIf(!python)('float64 counts written by anndata', () => {
  for (const name of ['tiny.h5ad', 'dense.h5ad', 'csc.h5ad']) {
    it(`${name}: QC totals, genes and mitochondrial counts equal numpy's`, async () => {
      const ds = await openPaths([join(dir, name)]);
      expect(ds.matrices[0].dtype).toBe('float64');
      const qc = await qcMetrics(ds, 'X', ds.var.index);
      expect(Array.from(qc.total_counts)).toEqual(expected.total_counts);
      expect(Array.from(qc.n_genes_by_counts)).toEqual(expected.n_genes_by_counts);
      // Cell 1 holds only 5e-324 and 1e-46: float32 made its total 0 and dropped it from QC.
      expect(qc.total_counts[1]).toBeGreaterThan(0);
      const pct = expected.mt_counts.map((m, i) => (100 * m) / expected.total_counts[i]);
      expect(Array.from(qc.pct_counts_mt!)).toEqual(pct);
      ds.close();
    });
  }

  it('normalises from the stored values: a cell of tiny counts gets log1p(1e4 * share), not zeros', async () => {
    const ds = await openPaths([join(dir, 'tiny.h5ad')]);
    const qc = await qcMetrics(ds, 'X', ds.var.index);
    const m = await logNormMatrix(ds, 'X', null, qc.total_counts, Int32Array.from(ds.var.index.keys()));
    // Cell 0: 1e-40 in genes 0 and 2, of a total of 2e-40.
    expect(Array.from(m.indices.subarray(m.indptr[0], m.indptr[1]))).toEqual([0, 2]);
    expect(Array.from(m.data.subarray(m.indptr[0], m.indptr[1]))).toEqual([Math.fround(Math.log1p(5000)), Math.fround(Math.log1p(5000))]);
    // Cell 1: 1e-46 in gene 3 is nearly all of its counts.
    const row1 = new Map(Array.from(m.indices.subarray(m.indptr[1], m.indptr[2]), (g, k) => [g, m.data[m.indptr[1] + k]]));
    expect(row1.get(3)).toBe(Math.fround(Math.log1p((1e-46 * 1e4) / expected.total_counts[1])));
    ds.close();
  });

  it('keeps 16777217 and 1e-40 exactly in chunks and in one gene column', async () => {
    const ds = await openPaths([join(dir, 'csc.h5ad')]);
    const chunk = ds.readRows('X', 0, ds.nObs);
    expect(chunk.data).toBeInstanceOf(Float64Array);
    expect(Array.from(chunk.data)).toEqual(expect.arrayContaining([1e-40, 5e-324, 16777217, 0.1, 1e-46]));
    const col = ds.readColumn!('X', 0)!;
    expect(col.values).toBeInstanceOf(Float64Array);
    expect(col.values[0]).toBe(1e-40);
    ds.close();
  });

  it('exports float64 counts as float64, so the saved file holds the same values', async () => {
    const ds = await openPaths([join(dir, 'tiny.h5ad')]);
    const { lib } = await nodeH5Runtime();
    const out = join(dir, 'exported.h5ad');
    await exportH5ad(lib, out, ds);
    const before = ds.readRows('X', 0, ds.nObs);
    ds.close();
    const back = await openPaths([out]);
    expect(back.matrices[0].dtype).toBe('float64');
    expect(Array.from(back.readRows('X', 0, back.nObs).data)).toEqual(Array.from(before.data));
    back.close();
  });

  it('reads float64 small integer counts exactly, as float32 chunks like before', async () => {
    const ds = await openPaths([join(dir, 'plain.h5ad')]);
    const want = JSON.parse(readFileSync(join(dir, 'plain.json'), 'utf8')) as { data: number[]; indptr: number[] };
    const chunk = ds.readRows('X', 0, ds.nObs);
    expect(chunk.data).toBeInstanceOf(Float32Array);
    expect(Array.from(chunk.data)).toEqual(want.data);
    expect(Array.from(chunk.indptr)).toEqual(want.indptr);
    ds.close();
  });

  it('refuses an int64 count above 2^53, naming the file, the dataset and the fix', async () => {
    const ds = await openPaths([join(dir, 'huge.h5ad')]).catch((e: Error) => e);
    const err = ds instanceof Error ? ds : (() => {
      try {
        ds.readRows('X', 0, ds.nObs);
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err?.message).toMatch(/huge\.h5ad/);
    expect(err?.message).toMatch(/X\/data" holds 9007199254740993 at position 1/);
    expect(err?.message).toMatch(/astype\("float64"\)/);
  });
});
