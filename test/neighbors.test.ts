// Neighbours and UMAP connectivities against scanpy's own graph in pbmc68k_reduced.h5ad:
// obsp/distances (n_neighbors 10 on X_pca[:, :30], self excluded) and obsp/connectivities.
import { beforeAll, describe, expect, it } from 'vitest';
import { fuzzyConnectivities, smoothKnnDist } from '../src/analysis/connectivities.ts';
import { analysisDevice } from '../src/analysis/gpu-device.ts';
import { exactKnn, type KnnResult } from '../src/analysis/knn.ts';
import { exactKnnWebGPU } from '../src/analysis/knn-webgpu.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { shared } from './helpers.ts';
import { readPca, readStoredCsr, type StoredCsr } from './graph-helpers.ts';

const FILE = shared('data/pbmc68k_reduced.h5ad');
let pca: Float32Array;
let n = 0;
let stored: { distances: StoredCsr; connectivities: StoredCsr };

beforeAll(async () => {
  ({ n, data: pca } = await readPca(FILE, 30));
  stored = { distances: await readStoredCsr(FILE, 'distances'), connectivities: await readStoredCsr(FILE, 'connectivities') };
});

describe('neighbors on X_pca[:, :30], k = 10', () => {
  it('gives exactly scanpy\'s edges and distances', () => {
    const knn = exactKnn(pca, n, 30, 10);
    let edges = 0;
    for (let i = 0; i < n; i++) {
      expect(knn.indices[i * 10]).toBe(i);
      const ours = new Map<number, number>();
      for (let t = 1; t < 10; t++) ours.set(knn.indices[i * 10 + t], knn.distances[i * 10 + t]);
      const { indptr, indices, data } = stored.distances;
      expect(indptr[i + 1] - indptr[i]).toBe(9);
      for (let p = indptr[i]; p < indptr[i + 1]; p++) {
        expect(ours.has(indices[p]), `cell ${i} neighbour ${indices[p]}`).toBe(true);
        expect(ours.get(indices[p])!).toBeCloseTo(data[p], 4);
        edges++;
      }
    }
    expect(edges).toBe(n * 9);
  });

  it('UMAP connectivities agree with obsp/connectivities', () => {
    const g = fuzzyConnectivities(exactKnn(pca, n, 30, 10), n);
    const { indptr, indices, data } = stored.connectivities;
    let worst = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const ours = new Map<number, number>();
      for (let p = g.indptr[i]; p < g.indptr[i + 1]; p++) ours.set(g.indices[p], g.data[p]);
      expect(ours.size, `row ${i} size`).toBe(indptr[i + 1] - indptr[i]);
      for (let p = indptr[i]; p < indptr[i + 1]; p++) {
        worst = Math.max(worst, Math.abs((ours.get(indices[p]) ?? NaN) - data[p]));
        count++;
      }
    }
    console.log(`connectivities: ${count} entries, largest difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-3);
  });
});

describe('neighbors beyond the exact CPU scan', () => {
  it('the fuzzy union in typed arrays gives the bits of the Map-per-row version it replaced (duplicates, -1, self)', () => {
    const m = 400;
    const k = 6;
    let seed = 5;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const indices = Int32Array.from({ length: m * k }, (_, t) => (t % 13 === 0 ? -1 : t % 17 === 0 ? Math.floor(t / k) : Math.floor(rand() * m)));
    indices[7] = indices[8] = 3; // a neighbour listed twice
    const distances = new Float32Array(m * k);
    for (let i = 0; i < m; i++) {
      const row = Array.from({ length: k }, () => rand() * 3).sort((a, b) => a - b);
      distances.set(row, i * k);
    }
    const knn: KnnResult = { k, indices, distances };
    const { sigmas, rhos } = smoothKnnDist(knn, m);
    const rows: Map<number, number>[] = Array.from({ length: m }, () => new Map());
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) {
        const c = indices[i * k + j];
        if (c < 0 || c === i) continue;
        const dd = distances[i * k + j] - rhos[i];
        rows[i].set(c, Math.fround(dd <= 0 || sigmas[i] === 0 ? 1 : Math.exp(-(dd / sigmas[i]))));
      }
    }
    const union: Map<number, number>[] = Array.from({ length: m }, () => new Map());
    for (let i = 0; i < m; i++) {
      for (const [c, a] of rows[i]) {
        const b = rows[c].get(i) ?? 0;
        union[i].set(c, a + b - a * b);
        union[c].set(i, a + b - a * b);
      }
    }
    const g = fuzzyConnectivities(knn, m);
    for (let i = 0; i < m; i++) {
      const want = [...union[i]].sort((x, y) => x[0] - y[0]);
      expect(Array.from(g.indices.subarray(g.indptr[i], g.indptr[i + 1]))).toEqual(want.map((e) => e[0]));
      expect(Array.from(g.data.subarray(g.indptr[i], g.indptr[i + 1]))).toEqual(want.map((e) => Math.fround(e[1])));
    }
  });

  it('NN-descent recovers >= 98% of the exact 15-NN edges on pbmc68k X_pca (50 dims), seeded', async () => {
    const full = await readPca(FILE, 50);
    const exact = exactKnn(full.data, full.n, 50, 15);
    const approx = await nnDescent(full.data, full.n, 50, 15, { seed: 3 });
    const rate = recall(exact, approx, full.n, 15);
    console.log(`NN-descent recall ${rate.toFixed(4)}`);
    expect(rate).toBeGreaterThanOrEqual(0.98);
    const again = await nnDescent(full.data, full.n, 50, 15, { seed: 3 });
    expect(Array.from(again.indices)).toEqual(Array.from(approx.indices));
  });

  it('the WebGPU exact kernel gives the CPU\'s neighbours (k 10 on X_pca[:, :30])', async () => {
    await installNodeWebGPU();
    const device = await analysisDevice({ allowSoftware: true });
    if (!device) throw new Error('no WebGPU adapter in Node: run through `make unit` (it sets the SwiftShader environment)');
    const cpu = exactKnn(pca, n, 30, 10);
    const gpu = await exactKnnWebGPU(device, pca, n, 30, 10);
    expect(recall(cpu, gpu, n, 10)).toBe(1);
    let worst = 0;
    for (let i = 0; i < cpu.distances.length; i++) worst = Math.max(worst, Math.abs(cpu.distances[i] - gpu.distances[i]));
    expect(worst).toBeLessThan(1e-4);
  }, 120_000);
});

function recall(a: KnnResult, b: KnnResult, n: number, k: number): number {
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const s = new Set(a.indices.subarray(i * k, (i + 1) * k));
    for (let t = 0; t < k; t++) if (s.has(b.indices[i * k + t])) hit++;
  }
  return hit / (n * k);
}
