// Leiden on scanpy's stored graph against obs/louvain and leidenalg's clusters (scanpy-reference).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SparseGraph } from '../src/analysis/connectivities.ts';
import { leiden } from '../src/analysis/leiden.ts';
import { adjustedRandIndex } from '../src/analysis/metrics.ts';
import { openPaths } from '../src/io/node.ts';
import { parseNpy } from '../src/io/npy.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { shared } from './helpers.ts';
import { readStoredGraph } from './graph-helpers.ts';

describe('leiden', () => {
  it('adjustedRandIndex agrees with hand-computed values', () => {
    expect(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0])).toBe(1);
    // sklearn: adjusted_rand_score([0,0,1,2],[0,0,1,1]) = 0.5714285714285715
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.5714285714285715, 12);
  });

  it('finds two cliques joined by one edge', async () => {
    const edges: [number, number][] = [];
    for (const off of [0, 5]) for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) edges.push([off + i, off + j]);
    edges.push([4, 5]);
    const g = graphOf(10, edges);
    const { labels, nClusters } = await leiden(g, { seed: 1 });
    expect(nClusters).toBe(2);
    expect(new Set(labels.subarray(0, 5)).size).toBe(1);
    expect(labels[0]).not.toBe(labels[9]);
  });

  it('reaches ARI >= 0.75 vs obs/louvain on obsp/connectivities, close to leidenalg, deterministically', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const g = await readStoredGraph(shared('data/pbmc68k_reduced.h5ad'));
    const louvain = ds.obs.columns.find((c) => c.name === 'louvain') as CategoricalColumn;
    ds.close();
    const res = await leiden(g, { resolution: 1, seed: 0 });
    const ari = adjustedRandIndex(res.labels, louvain.codes);
    const ref = parseNpy(readFileSync(shared('fixtures/scanpy-reference/pbmc68k_reduced/leiden_on_stored_graph.npy'))).data;
    const ariRef = adjustedRandIndex(res.labels, Array.from(ref));
    console.log(`leiden: ${res.nClusters} clusters, ARI vs louvain ${ari.toFixed(3)}, vs leidenalg ${ariRef.toFixed(3)}`);
    expect(ari).toBeGreaterThanOrEqual(0.75);
    expect(ariRef).toBeGreaterThanOrEqual(0.75);
    const again = await leiden(g, { resolution: 1, seed: 0 });
    expect(Array.from(again.labels)).toEqual(Array.from(res.labels));
  });

  it('by default runs passes until the quality stops improving (scanpy n_iterations=-1), progress only growing', async () => {
    const g = await readStoredGraph(shared('data/pbmc68k_reduced.h5ad'));
    const fractions: number[] = [];
    const untilStable = await leiden(g, { seed: 0, onProgress: (f) => fractions.push(f) });
    // leidenalg's rule: passes run while they improve; the last one, which gained nothing, is kept.
    expect(untilStable.passes).toBeGreaterThanOrEqual(2);
    const same = await leiden(g, { seed: 0, iterations: untilStable.passes });
    expect(Array.from(same.labels)).toEqual(Array.from(untilStable.labels));
    const beforeLast = await leiden(g, { seed: 0, iterations: untilStable.passes - 1 });
    expect(beforeLast.quality).toBeGreaterThanOrEqual(untilStable.quality - 1e-9 * Math.abs(untilStable.quality));
    const twoBefore = await leiden(g, { seed: 0, iterations: untilStable.passes - 2 });
    expect(twoBefore.quality).toBeLessThan(beforeLast.quality);
    expect(fractions.length).toBeGreaterThan(2);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]);
    expect(Math.max(...fractions)).toBeLessThan(1);
  });
});

function graphOf(n: number, edges: [number, number][]): SparseGraph {
  const rows: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) {
    rows[a].push(b);
    rows[b].push(a);
  }
  const indptr = new Int32Array(n + 1);
  rows.forEach((r, i) => (indptr[i + 1] = indptr[i] + r.length));
  return { n, indptr, indices: Int32Array.from(rows.flatMap((r) => r.sort((x, y) => x - y))), data: new Float32Array(indptr[n]).fill(1) };
}
