// The whole default pipeline on the demo (pbmc68k counts): clusters agree with the file's louvain
// labels, the UMAP is trustworthy, markers are sensible, a parameter change recomputes only the
// steps downstream of it, and the same parameters give identical bytes.
import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, trustworthiness } from '../src/analysis/metrics.ts';
import { DEFAULT_PARAMS, Pipeline, type StepEvent } from '../src/analysis/pipeline.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { shared } from './helpers.ts';

describe('pipeline on pbmc68k_reduced_with_counts (CPU)', () => {
  it('runs end to end, caches by parameters and is deterministic', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    const p = new Pipeline(ds);
    const events: StepEvent[] = [];
    const params = { ...DEFAULT_PARAMS, device: 'cpu' as const };
    const r = await p.run(params, { onStep: (e) => events.push(e) });
    expect(r.nKept).toBe(700);
    expect(r.pca.nComps).toBe(50);
    expect(r.nClusters).toBeGreaterThanOrEqual(5);
    const louvain = ds.obs.columns.find((c) => c.name === 'louvain') as CategoricalColumn;
    const ari = adjustedRandIndex(r.leiden, louvain.codes);
    const tw = trustworthiness(r.pca.scores, 50, r.umap, 2, 700, 15);
    console.log(`pipeline: ${r.nClusters} clusters, ARI vs louvain ${ari.toFixed(3)}, UMAP trustworthiness ${tw.toFixed(3)}, steps ms ${JSON.stringify(Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v!)])))}`);
    expect(ari).toBeGreaterThan(0.4);
    expect(tw).toBeGreaterThan(0.9);
    // Every cluster has markers with finite scores; the top marker is up in that cluster.
    for (const m of r.markers) {
      const top = m.order[0];
      expect(Number.isFinite(m.scores[top])).toBe(true);
      expect(m.logFoldChanges[top]).toBeGreaterThan(0);
    }
    expect(new Set(events.filter((e) => e.state === 'done').map((e) => e.step)).size).toBe(9);
    // A Leiden resolution change reruns leiden and markers only.
    events.length = 0;
    const r2 = await p.run({ ...params, leiden: { resolution: 0.5, seed: 0 } }, { onStep: (e) => events.push(e) });
    const done = events.filter((e) => e.state === 'done').map((e) => e.step);
    expect(done).toEqual(['leiden', 'markers']);
    expect(r2.nClusters).toBeLessThanOrEqual(r.nClusters);
    // A fresh pipeline with the original parameters reproduces the same bytes.
    const r3 = await new Pipeline(ds).run(params);
    expect(Array.from(r3.leiden)).toEqual(Array.from(r.leiden));
    expect(Buffer.from(r3.umap.buffer).equals(Buffer.from(r.umap.buffer))).toBe(true);
    ds.close();
  }, 180_000);
});

describe('pipeline on counts in raw/X with more genes than X', () => {
  it('uses raw/X\'s own 40 genes throughout (anndata 0.7.8 archive file)', async () => {
    const ds = await openPaths([shared('data/format_variants/anndata_archive_v0.7.8.h5ad')]);
    expect(ds.countsKey).toBe('raw/X');
    expect(ds.varNamesOf('raw/X').length).toBe(40);
    expect(ds.nVars).toBe(20);
    const r = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, filter: { ...DEFAULT_PARAMS.filter, minCells: 0 }, pca: { nComps: 10 }, neighbors: { ...DEFAULT_PARAMS.neighbors, nNeighbors: 5 }, device: 'cpu' });
    expect(r.keepGenes.length).toBe(40);
    expect(r.hvg.highlyVariable.length).toBe(40);
    // Some highly variable genes lie beyond X's 20 columns, and markers rank all 40 genes.
    expect(Math.max(...r.hvg.genes)).toBeGreaterThanOrEqual(20);
    expect(r.markers[0].scores.length).toBe(40);
    expect(r.geneNames.length).toBe(40);
    ds.close();
  }, 60_000);
});
