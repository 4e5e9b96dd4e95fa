// Integration metrics (issue 24): LISI against harmonypy's own compute_lisi output (the Harmony
// fixture), ASWs and graph connectivity against scIB's definitions run in Python
// (test/reference/integration_metrics.py: sklearn's silhouette_samples when installed, else the
// same definition in numpy/scipy), and `scweb metrics` on the demo dataset.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { batchAsw, computeLisi, graphConnectivity, integrationMetrics, knnGraphNeighbors, labelAsw, metricsReading, summarizeMetrics, type Labels } from '../src/analysis/integration-metrics.ts';
import { main } from '../src/cli/main.ts';
import { metricEmbedding, metricLabels } from '../src/cli/metrics.ts';
import { parseNpy } from '../src/io/npy.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { shared } from './helpers.ts';

const FIX = (f: string) => shared('fixtures/harmony', f);
const hasFixture = existsSync(FIX('pcs.npy'));
const PYTHON = '/usr/bin/python3';
const REF = fileURLToPath(new URL('reference/integration_metrics.py', import.meta.url));
const DEMO = fileURLToPath(new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url));

function npy(f: string) {
  return parseNpy(readFileSync(FIX(f)));
}

function meta(): { names: string[]; batch: Labels; label: Labels } {
  const rows = readFileSync(FIX('meta.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  // pandas.Categorical: categories sorted.
  const cat = (vals: string[]): Labels => {
    const categories = [...new Set(vals)].sort();
    return { codes: Int32Array.from(vals, (v) => categories.indexOf(v)), categories };
  };
  return { names: rows.map((r) => r[0]), batch: cat(rows.map((r) => r[1])), label: cat(rows.map((r) => r[2])) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function column(m: Float64Array, col: number, ncol: number): Float64Array {
  return Float64Array.from({ length: m.length / ncol }, (_, i) => m[i * ncol + col]);
}

function pythonReference(emb: string, batchCol: string, labelCol: string) {
  const r = spawnSync(PYTHON, [REF, emb, FIX('meta.csv'), batchCol, labelCol], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reference metrics failed (CI needs python3-numpy and python3-scipy):\n${r.stderr}`);
  return JSON.parse(r.stdout) as { silhouette_impl: string; batch_asw: number; label_asw: number; graph_connectivity: number };
}

describe.skipIf(!hasFixture && !process.env.CI)('integration metrics on the Harmony fixture', () => {
  const { batch, label } = meta();
  for (const [emb, lisiFile] of [
    ['pcs.npy', 'lisi_before.npy'],
    ['z_corr.npy', 'lisi_after.npy'],
  ] as const) {
    it(`LISI on ${emb} matches harmonypy's compute_lisi`, () => {
      const x = npy(emb);
      const [n, d] = x.shape;
      const t = performance.now();
      const [iLisi, cLisi] = computeLisi(x.data as Float32Array, n, d, [batch, label], 30);
      const ms = performance.now() - t;
      const ref = npy(lisiFile).data as Float64Array;
      const di = maxAbsDiff(iLisi, column(ref, 0, 2));
      const dc = maxAbsDiff(cLisi, column(ref, 1, 2));
      console.log(`LISI ${emb}: max |diff| batch ${di.toExponential(2)}, bulk_labels ${dc.toExponential(2)}; ${ms.toFixed(0)} ms for ${n} cells`);
      expect(di).toBeLessThan(1e-6);
      expect(dc).toBeLessThan(1e-6);
      // The same on a float64 copy of the embedding.
      const [i64] = computeLisi(Float64Array.from(x.data), n, d, [batch], 30);
      expect(maxAbsDiff(i64, iLisi)).toBeLessThan(1e-12);
    });

    it(`ASWs and graph connectivity on ${emb} match scIB's definitions (Python)`, () => {
      const x = npy(emb);
      const [n, d] = x.shape;
      const data = x.data as Float32Array;
      const ref = pythonReference(FIX(emb), 'batch', 'bulk_labels');
      const t = performance.now();
      const got = {
        batch_asw: batchAsw(data, d, batch, label).asw,
        label_asw: labelAsw(data, n, d, label),
        graph_connectivity: graphConnectivity(knnGraphNeighbors(data, n, d, 15), n, label).score,
      };
      const ms = performance.now() - t;
      console.log(
        `${emb} (reference silhouette: ${ref.silhouette_impl}): batch ASW ${got.batch_asw} vs ${ref.batch_asw}, label ASW ${got.label_asw} vs ${ref.label_asw}, graph connectivity ${got.graph_connectivity} vs ${ref.graph_connectivity}; ${ms.toFixed(0)} ms`,
      );
      // sklearn's Euclidean distances use |x|^2 + |y|^2 - 2xy (float64 here): a little looser.
      const tol = ref.silhouette_impl === 'sklearn' ? 1e-8 : 1e-9;
      expect(Math.abs(got.batch_asw - ref.batch_asw)).toBeLessThan(tol);
      expect(Math.abs(got.label_asw - ref.label_asw)).toBeLessThan(tol);
      expect(got.graph_connectivity).toBe(ref.graph_connectivity);
    });
  }

  it('summarises before/after with a one-line reading', async () => {
    const run = async (f: string) => {
      const x = npy(f);
      const m = await integrationMetrics(x.data as Float32Array, x.shape[0], x.shape[1], batch, label);
      console.log(`${f}: all metrics in ${m.seconds.lisi.toFixed(2)} s LISI + ${m.seconds.asw.toFixed(2)} s ASW + ${m.seconds.graph.toFixed(2)} s graph`);
      return summarizeMetrics(m);
    };
    const before = await run('pcs.npy');
    const after = await run('z_corr.npy');
    expect(before.iLisiMedian).toBeCloseTo(1.0, 2);
    expect(after.iLisiMedian).toBeCloseTo(1.983, 3);
    expect(after.nBatches).toBe(3);
    expect(after.nLabels).toBe(10);
    const line = metricsReading(after, before);
    console.log(line);
    expect(line).toMatch(/^batches mix: median iLISI 1\.00 -> 1\.98 of 3; cell types kept apart: cLISI \d\.\d\d -> \d\.\d\d$/);
    expect(metricsReading(before)).toMatch(/^batches stay apart: median iLISI 1\.00 of 3/);
  });
});

describe('scweb metrics', () => {
  it('writes per-cell LISI and a JSON summary for the demo dataset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-metrics-'));
    const csv = join(dir, 'per_cell.csv');
    let out = '';
    const log = console.log;
    console.log = (s: string) => (out += s);
    let rc: number;
    try {
      rc = await main(['metrics', DEMO, '--basis', 'X_pca', '--batch-key', 'phase', '--label-col', 'bulk_labels', '--out', csv]);
    } finally {
      console.log = log;
    }
    expect(rc).toBe(0);
    const json = JSON.parse(out);
    const ds = await openPaths([DEMO]);
    const emb = ds.readEmbedding('X_pca');
    const col = (name: string) => {
      const c = ds.obs.columns.find((k) => k.name === name) as CategoricalColumn;
      return { codes: c.codes, categories: c.categories };
    };
    const m = summarizeMetrics(await integrationMetrics(emb.data, emb.shape[0], emb.shape[1], col('phase'), col('bulk_labels')));
    expect(json).toMatchObject({ basis: 'X_pca', batchKey: 'phase', labelCol: 'bulk_labels', ...m });
    expect(json.reading).toMatch(/median iLISI \d\.\d\d of 3/);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('cell_id,lisi_phase,lisi_bulk_labels');
    expect(rows.length).toBe(701);
    const [iLisi, cLisi] = computeLisi(emb.data, emb.shape[0], emb.shape[1], [col('phase'), col('bulk_labels')]);
    rows.slice(1).forEach((r, i) => {
      const [name, a, b] = r.split(',');
      expect(name).toBe(ds.obs.index[i]);
      expect(Number(a)).toBe(iLisi[i]);
      expect(Number(b)).toBe(cLisi[i]);
    });
    ds.close();
    // --before: the reading compares the two bases.
    out = '';
    console.log = (s: string) => (out += s);
    try {
      rc = await main(['metrics', DEMO, '--basis', 'X_umap', '--before', 'X_pca', '--batch-key', 'louvain']);
    } finally {
      console.log = log;
    }
    expect(rc).toBe(0);
    const j2 = JSON.parse(out);
    expect(j2.before.iLisiMedian).toBeGreaterThan(0);
    expect(j2.reading).toMatch(/median iLISI \d\.\d\d -> \d\.\d\d of 11/);
  }, 120_000);

  it('refuses bad input with messages naming the column or matrix', async () => {
    const errors: string[] = [];
    const err = console.error;
    console.error = (s: string) => errors.push(s);
    const run = (...a: string[]) => main(['metrics', DEMO, ...a]);
    try {
      expect(await run('--basis', 'X_pca', '--batch-key', 'n_genes')).toBe(1);
      expect(errors.at(-1)).toMatch(/obs column "n_genes" is numeric/);
      expect(await run('--basis', 'X_pca', '--batch-key', 'nope')).toBe(1);
      expect(errors.at(-1)).toMatch(/no obs column "nope"/);
      expect(await run('--basis', 'X_nope', '--batch-key', 'phase')).toBe(1);
      expect(errors.at(-1)).toMatch(/no obsm\/X_nope/);
      expect(await run('--basis', 'X_pca', '--batch-key', 'phase', '--label-col', 'S_score')).toBe(1);
      expect(errors.at(-1)).toMatch(/--label-col: obs column "S_score" is numeric \(float32\)/);
      expect(await run('--batch-key', 'phase')).toBe(2);
    } finally {
      console.error = err;
    }
  });
});

describe('metrics input checks', () => {
  const cat = (codes: number[], categories: string[]) => ({ kind: 'categorical' as const, name: 'batch', codes: Int32Array.from(codes), categories, ordered: false, dtype: 'category' });
  it('refuses a batch key with one value, small categories and missing values', () => {
    expect(() => metricLabels(cat([0, 0, 0, 0], ['a', 'b']), 'batch', '--batch-key', { minDistinct: 2 })).toThrow('--batch-key: obs column "batch" has one value ("a"); the metrics need at least 2');
    expect(() => metricLabels(cat([0, 0, 0, 1, 1], ['a', 'b']), 'batch', '--batch-key', { minDistinct: 2 })).toThrow('obs column "batch" has categories with fewer than 3 cells: "b" (2)');
    expect(() => metricLabels(cat([0, 0, 0, 1, 1, 1, -1], ['a', 'b']), 'batch', '--batch-key', { minDistinct: 2 })).toThrow('obs column "batch" has 1 cell(s) without a value');
    // Empty categories are ignored; text columns become categories.
    expect(metricLabels(cat([0, 0, 0, 2, 2, 2], ['a', 'b', 'c']), 'batch', '--batch-key', { minDistinct: 2 }).categories).toEqual(['a', 'b', 'c']);
    expect(metricLabels({ kind: 'string', name: 's', values: ['y', 'x', 'y', 'x', 'y', 'x'], dtype: 'string' }, 's', '--label-col', { minDistinct: 2 })).toEqual({ codes: Int32Array.from([1, 0, 1, 0, 1, 0]), categories: ['x', 'y'] });
  });
  it('refuses NaN in the embedding, naming the matrix', () => {
    const data = new Float32Array(12).fill(1);
    data[7] = NaN;
    const ds = { embeddings: [{ key: 'X_pca', shape: [4, 3] as [number, number] }], readEmbedding: () => ({ key: 'X_pca', shape: [4, 3] as [number, number], data }) };
    expect(() => metricEmbedding(ds, 'X_pca', '--basis')).toThrow('--basis: obsm/X_pca has 1 NaN or infinite value(s) (first in cell 2)');
  });
});
