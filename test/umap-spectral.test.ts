// umap-learn's spectral initialisation (scanpy's init_pos='spectral') against umap-learn 0.5.3 on
// scanpy's pbmc68k graph (test/reference/umap_spectral.py made the reference): one component, the
// graph cut into 26 components, and the components' own layout; same bits for 1, 2 and 3 threads.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { SparseGraph } from '../src/analysis/connectivities.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { cutGraph, planUmap } from '../src/analysis/umap.ts';
import { componentLayout, connectedComponents, spectralLayout, spectralStart } from '../src/analysis/umap-spectral.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { readPca, readStoredGraph } from './graph-helpers.ts';
import { shared } from './helpers.ts';

const ref = JSON.parse(readFileSync(new URL('./reference/umap_spectral.json', import.meta.url), 'utf8')) as {
  n: number; single: number[]; multi: number[]; multi_meta: number[]; multi_components: number; multi_sizes: number[]; multi_labels: number[]; meta_scale10: number[];
};
const pools: (WorkerPool | null)[] = [null, nodePool(2), nodePool(3), nodePool(2, false)];
afterAll(() => pools.forEach((p) => p?.terminate()));

const file = shared('data/pbmc68k_reduced.h5ad');

/** The graph umap-learn lays out: weights under max / 500 removed (in float32, as umap-learn's arrays). */
function cut(g: SparseGraph, keepEdge?: (i: number, j: number) => boolean): SparseGraph {
  let max = 0;
  for (const w of g.data) max = Math.max(max, w);
  return cutGraph(g, Math.fround(max / 500), keepEdge);
}

/** |Pearson correlation| of column c of two [rows, 2] layouts over the given rows. */
function corr(a: ArrayLike<number>, b: ArrayLike<number>, c: number, rows: number[]): number {
  const m = rows.length;
  let ma = 0, mb = 0;
  for (const i of rows) { ma += a[2 * i + c] / m; mb += b[2 * i + c] / m; }
  let sab = 0, saa = 0, sbb = 0;
  for (const i of rows) {
    const x = a[2 * i + c] - ma, y = b[2 * i + c] - mb;
    sab += x * y; saa += x * x; sbb += y * y;
  }
  return Math.abs(sab / Math.sqrt(saa * sbb));
}

describe('umap spectral initialisation', () => {
  it('matches umap-learn spectral_layout on one component (pbmc68k), same bits on 1, 2 and 3 threads', async () => {
    const g = cut(await readStoredGraph(file));
    const { data } = await readPca(file, 30);
    expect(connectedComponents(g).count).toBe(1);
    const runs: Float64Array[] = [];
    for (const pool of pools) runs.push((await spectralLayout(g, data, 30, { pool, poolMinDims: 1 }))!);
    for (const r of runs.slice(1)) expect(Buffer.from(r.buffer).equals(Buffer.from(runs[0].buffer))).toBe(true);
    const all = Array.from({ length: g.n }, (_, i) => i);
    const c0 = corr(runs[0], ref.single, 0, all), c1 = corr(runs[0], ref.single, 1, all);
    console.log(`spectral vs umap-learn, one component: |corr| ${c0.toFixed(6)}, ${c1.toFixed(6)}`);
    expect(c0).toBeGreaterThan(0.999);
    expect(c1).toBeGreaterThan(0.999);
    // Unit eigenvectors, as ARPACK's: same scale, so the start's expansion matches too.
    let ours = 0, theirs = 0;
    for (let t = 0; t < 2 * g.n; t++) { ours = Math.max(ours, Math.abs(runs[0][t])); theirs = Math.max(theirs, Math.abs(ref.single[t])); }
    expect(ours / theirs).toBeCloseTo(1, 2);
  });

  it('lays out several components as umap-learn multi_component_layout', async () => {
    const full = await readStoredGraph(file);
    const { data } = await readPca(file, 30);
    const ds = await import('../src/io/node.ts').then((m) => m.openPaths([file]));
    const col = ds.obs.columns.find((c) => c.name === 'bulk_labels');
    ds.close();
    if (!col || col.kind !== 'categorical') throw new Error('bulk_labels missing');
    const codes = col.codes;
    const g = cut(full, (i, j) => codes[i] === codes[j]);
    const { count, labels } = connectedComponents(g);
    expect(count).toBe(ref.multi_components);
    expect(Array.from(labels)).toEqual(ref.multi_labels);
    const X = data.map((v) => v / 10);
    const meta = componentLayout(X, 30, labels, count);
    for (let t = 0; t < 2 * count; t++) expect(meta[t]).toBeCloseTo(ref.multi_meta[t], 4);
    const ours = (await spectralLayout(g, X, 30))!;
    for (let c = 0; c < count; c++) {
      const rows = Array.from(labels.keys()).filter((i) => labels[i] === c);
      let near = Infinity;
      for (let o = 0; o < count; o++) if (o !== c) near = Math.min(near, Math.hypot(meta[2 * o] - meta[2 * c], meta[2 * o + 1] - meta[2 * c + 1]));
      // Every cell in its component's box around the component's place.
      for (const i of rows) for (let axis = 0; axis < 2; axis++) expect(Math.abs(ours[2 * i + axis] - meta[2 * c + axis])).toBeLessThanOrEqual(near / 2 + 1e-9);
      // Components of 40+ cells: their own eigenvectors, as umap-learn's up to sign.
      if (rows.length >= 40) for (let axis = 0; axis < 2; axis++) expect(corr(ours, ref.multi, axis, rows)).toBeGreaterThan(0.99);
    }
  });

  it("places components by their centroids as umap-learn's component_layout", async () => {
    const { data } = await readPca(file, 30);
    const ds = await import('../src/io/node.ts').then((m) => m.openPaths([file]));
    const col = ds.obs.columns.find((c) => c.name === 'bulk_labels');
    ds.close();
    if (!col || col.kind !== 'categorical') throw new Error('bulk_labels missing');
    const meta = componentLayout(data.map((v) => v / 10), 30, Int32Array.from(col.codes), 10);
    for (let t = 0; t < 20; t++) expect(meta[t]).toBeCloseTo(ref.meta_scale10[t], 4);
  });

  it('starts UMAP in [0, 10] per axis, same seed same bits; pca still available', async () => {
    const g = await readStoredGraph(file);
    const { data } = await readPca(file, 30);
    const a = await planUmap(g, data, 30, { init: 'spectral', seed: 3 });
    const b = await planUmap(g, data, 30, { init: 'spectral', seed: 3 });
    expect(a.initMethod).toBe('spectral');
    expect(Buffer.from(a.init.buffer).equals(Buffer.from(b.init.buffer))).toBe(true);
    for (let c = 0; c < 2; c++) {
      const v = Array.from({ length: g.n }, (_, i) => a.init[2 * i + c]);
      expect(Math.min(...v)).toBe(0);
      expect(Math.max(...v)).toBeCloseTo(10, 5);
    }
    const p = await planUmap(g, data, 30, { init: 'pca', seed: 3 });
    expect(p.initMethod).toBe('pca');
    // Too few Lanczos vectors: the PCA start, and the plan says why.
    const f = await planUmap(g, data, 30, { init: 'spectral', seed: 3, spectralMaxVectors: 8 });
    expect(f.initMethod).toMatch(/^pca \(the spectral initialisation did not converge/);
    expect(Buffer.from(f.init.buffer).equals(Buffer.from(p.init.buffer))).toBe(true);
    const s = spectralStart(new Float64Array([0, 0, 1, 1]), 2, 0);
    expect(Array.from(s)).toEqual([0, 0, 10, 10]);
  });
});
