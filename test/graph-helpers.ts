// scanpy's stored neighbour graphs and X_pca from pbmc68k_reduced.h5ad, read for the graph tests.
import type { SparseGraph } from '../src/analysis/connectivities.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { readFloat64, requireDataset } from '../src/io/h5/read.ts';
import { openPaths } from '../src/io/node.ts';

export interface StoredCsr {
  indptr: Float64Array;
  indices: Float64Array;
  data: Float64Array;
}

/** obsp/<name> as float64 arrays. */
export async function readStoredCsr(file: string, name: string): Promise<StoredCsr> {
  const { lib } = await nodeH5Runtime();
  const f = new lib.File(file, 'r');
  try {
    const ctx = { lib, file: f, fileName: file };
    const read = (part: string) => readFloat64(ctx, requireDataset(ctx, `obsp/${name}/${part}`));
    return { indptr: read('indptr'), indices: read('indices'), data: read('data') };
  } finally {
    f.close();
  }
}

export async function readStoredGraph(file: string): Promise<SparseGraph> {
  const c = await readStoredCsr(file, 'connectivities');
  const n = c.indptr.length - 1;
  return { n, indptr: Int32Array.from(c.indptr), indices: Int32Array.from(c.indices), data: Float32Array.from(c.data) };
}

/** The first `d` columns of obsm/X_pca, row-major. */
export async function readPca(file: string, d: number): Promise<{ n: number; data: Float32Array }> {
  const ds = await openPaths([file]);
  const e = ds.readEmbedding('X_pca');
  const n = e.shape[0];
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) data.set(e.data.subarray(i * e.shape[1], i * e.shape[1] + d), i * d);
  ds.close();
  return { n, data };
}
