// UMAP of scanpy's stored graph on pbmc68k: trustworthiness (k 15, on X_pca) against the stored
// X_umap's 0.927 and the floor 0.907; a, b against umap-learn's fitted values.
import { describe, expect, it } from 'vitest';
import { trustworthiness } from '../src/analysis/metrics.ts';
import { findAB, planUmap, umapCpu, umapRanges } from '../src/analysis/umap.ts';
import { analysisDevice } from '../src/analysis/gpu-device.ts';
import { umapWebGPU } from '../src/analysis/umap-webgpu.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { readPca, readStoredGraph } from './graph-helpers.ts';
import { shared } from './helpers.ts';
import { openPaths } from '../src/io/node.ts';

describe('umap', () => {
  it('fits a and b as umap-learn does', () => {
    const { a, b } = findAB(1, 0.5);
    expect(a).toBeCloseTo(0.583030019995, 4);
    expect(b).toBeCloseTo(1.334166992455, 4);
    const t = findAB(1, 0.1);
    expect(t.a).toBeCloseTo(1.576943460405, 3);
    expect(t.b).toBeCloseTo(0.895060878123, 3);
  });

  it('lays out pbmc68k with trustworthiness >= 0.907 (k 15 on X_pca), deterministically', async () => {
    const file = shared('data/pbmc68k_reduced.h5ad');
    const graph = await readStoredGraph(file);
    const { n, data } = await readPca(file, 50);
    const plan = await planUmap(graph, data, 50, { seed: 0 });
    const layout = await umapCpu(plan);
    const tw = trustworthiness(data, 50, layout, 2, n, 15);
    console.log(`umap trustworthiness ${tw.toFixed(4)} (stored X_umap 0.9269)`);
    expect(tw).toBeGreaterThanOrEqual(0.907);
    const again = await umapCpu(await planUmap(graph, data, 50, { seed: 0 }));
    expect(Buffer.from(again.buffer).equals(Buffer.from(layout.buffer))).toBe(true);
    // Our trustworthiness against the figure sklearn gives for scanpy's stored X_umap.
    const ds = await openPaths([file]);
    const stored = ds.readEmbedding('X_umap');
    ds.close();
    expect(trustworthiness(data, 50, stored.data, 2, n, 15)).toBeCloseTo(0.9269, 3);
  });

  it('cuts the points into contiguous ranges of about equal epoch work, one per worker', async () => {
    const file = shared('data/pbmc68k_reduced.h5ad');
    const plan = await planUmap(await readStoredGraph(file), (await readPca(file, 50)).data, 50, { seed: 0 });
    const work = (from: number, to: number) => {
      let c = 0;
      for (let i = from; i < to; i++) {
        c += 1;
        for (let e = plan.indptr[i]; e < plan.indptr[i + 1]; e++) c += (1 + plan.negativeSampleRate) / plan.epochsPerSample[e];
      }
      return c;
    };
    for (const parts of [1, 2, 3, 7]) {
      const r = umapRanges(plan, parts);
      expect(r.length).toBe(parts);
      expect(r[0].from).toBe(0);
      expect(r[parts - 1].to).toBe(plan.n);
      for (let w = 1; w < parts; w++) expect(r[w].from).toBe(r[w - 1].to);
      // Each range's work is within two points' work of the even share (one at each cut).
      let heaviest = 0;
      for (let i = 0; i < plan.n; i++) heaviest = Math.max(heaviest, work(i, i + 1));
      const even = work(0, plan.n) / parts;
      for (const x of r) expect(Math.abs(work(x.from, x.to) - even)).toBeLessThanOrEqual(2 * heaviest + 1e-9);
    }
  });
});

describe('umap on WebGPU (Dawn; SwiftShader in CI)', () => {
  it('matches the CPU layout\'s quality on pbmc68k and is deterministic', async () => {
    await installNodeWebGPU();
    const device = await analysisDevice({ allowSoftware: true });
    if (!device) throw new Error('no WebGPU adapter in Node: run through `make unit` (it sets the SwiftShader environment)');
    const file = shared('data/pbmc68k_reduced.h5ad');
    const graph = await readStoredGraph(file);
    const { n, data } = await readPca(file, 50);
    const plan = await planUmap(graph, data, 50, { seed: 0 });
    const gpu = await umapWebGPU(device, plan);
    const tw = trustworthiness(data, 50, gpu, 2, n, 15);
    console.log(`umap WebGPU trustworthiness ${tw.toFixed(4)}`);
    expect(tw).toBeGreaterThanOrEqual(0.907);
    // Same plan, same kernel: identical bytes. The first epochs also agree with the CPU mirror.
    const again = await umapWebGPU(device, plan);
    expect(Buffer.from(again.buffer).equals(Buffer.from(gpu.buffer))).toBe(true);
    const short = { ...plan, nEpochs: 3 };
    const g3 = await umapWebGPU(device, short);
    const c3 = await umapCpu(short);
    let worst = 0;
    for (let i = 0; i < c3.length; i++) worst = Math.max(worst, Math.abs(g3[i] - c3[i]));
    expect(worst).toBeLessThan(1e-3);
  }, 120_000);
});
