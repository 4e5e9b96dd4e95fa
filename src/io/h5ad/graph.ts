// obsp graphs and uns/neighbors as scanpy's pp.neighbors writes them.
import type { Group as H5Group } from 'h5wasm';
import { encode, writeScalar as scalar } from './write.ts';

export interface CsrMatrix {
  shape: [number, number];
  indptr: Float64Array;
  indices: Int32Array;
  data: Float32Array;
}

export interface NeighborsUns {
  nNeighbors: number;
  method: 'umap';
  metric: 'euclidean';
  useRep: string;
  randomState: number;
}

export function writeCsrMatrix(parent: H5Group, name: string, m: CsrMatrix): void {
  const g = parent.create_group(name);
  encode(g, 'csr_matrix', '0.1.0');
  g.create_attribute('shape', new Int32Array(m.shape), [2], '<i');
  g.create_dataset({ name: 'data', data: m.data });
  g.create_dataset({ name: 'indices', data: m.indices });
  g.create_dataset({ name: 'indptr', data: BigInt64Array.from(m.indptr, (v) => BigInt(v)) });
}


export function writeNeighborsUns(uns: H5Group, n: NeighborsUns, name = 'neighbors'): void {
  const g = uns.create_group(name);
  encode(g, 'dict', '0.1.0');
  scalar(g, 'connectivities_key', 'connectivities');
  scalar(g, 'distances_key', 'distances');
  const p = g.create_group('params');
  encode(p, 'dict', '0.1.0');
  scalar(p, 'n_neighbors', n.nNeighbors);
  scalar(p, 'method', n.method);
  scalar(p, 'metric', n.metric);
  scalar(p, 'random_state', n.randomState);
  if (n.useRep !== 'X_pca') scalar(p, 'use_rep', n.useRep);
}
