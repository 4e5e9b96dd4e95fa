// Neighbours and UMAP connectivities against scanpy's own graph in pbmc68k_reduced.h5ad:
// obsp/distances (n_neighbors 10 on X_pca[:, :30], self excluded) and obsp/connectivities.
import { beforeAll, describe, expect, it } from 'vitest';
import { fuzzyConnectivities } from '../src/analysis/connectivities.ts';
import { exactKnn } from '../src/analysis/knn.ts';
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
