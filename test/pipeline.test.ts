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
