// Neighbours and UMAP connectivities against scanpy's own graph in pbmc68k_reduced.h5ad:
// obsp/distances (n_neighbors 10 on X_pca[:, :30], self excluded) and obsp/connectivities.
import { beforeAll, describe, expect, it } from 'vitest';
import { fuzzyConnectivities } from '../src/analysis/connectivities.ts';
import { exactKnn } from '../src/analysis/knn.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { readFloat64, requireDataset } from '../src/io/h5/read.ts';
import { openPaths } from '../src/io/node.ts';
import { shared } from './helpers.ts';

interface Csr {
  indptr: Float64Array;
  indices: Float64Array;
  data: Float64Array;
}

const FILE = shared('data/pbmc68k_reduced.h5ad');
let pca: Float32Array;
let n = 0;
let stored: { distances: Csr; connectivities: Csr };

beforeAll(async () => {
  const ds = await openPaths([FILE]);
  const e = ds.readEmbedding('X_pca');
  n = e.shape[0];
  pca = new Float32Array(n * 30);
  for (let i = 0; i < n; i++) pca.set(e.data.subarray(i * e.shape[1], i * e.shape[1] + 30), i * 30);
  ds.close();
  const { lib } = await nodeH5Runtime();
  const f = new lib.File(FILE, 'r');
  const ctx = { lib, file: f, fileName: 'pbmc68k_reduced.h5ad' };
  const read = (g: string): Csr => ({
    indptr: readFloat64(ctx, requireDataset(ctx, `obsp/${g}/indptr`)),
    indices: readFloat64(ctx, requireDataset(ctx, `obsp/${g}/indices`)),
    data: readFloat64(ctx, requireDataset(ctx, `obsp/${g}/data`)),
  });
  stored = { distances: read('distances'), connectivities: read('connectivities') };
  f.close();
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
