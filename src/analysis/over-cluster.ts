// CellTypist's over-clustering for majority voting (classifier.py, Classifier.over_cluster): Leiden
// (flavor igraph, 2 iterations) on the query's neighbourhood graph at a resolution that grows with
// the number of cells. The graph is the query's own when it has one; otherwise it is built as
// CellTypist's _construct_neighbor_graph does: on X_pca when present, else genes in >= 5 cells,
// 2,500 seurat HVGs of the log1p(CP10k) expression, scale (max 10), 50 PCs, 10 neighbours.
// When the query is only some of a dataset's cells (the unlabelled ones, or a held-out half) it is
// over-clustered as CellTypist would over-cluster it alone: the graph restricted to those cells (or
// built from them only), the resolution for their number.
import type { Dataset } from '../io/types.ts';
import { totalCountsPerCell } from '../io/iterate.ts';
import { fuzzyConnectivitiesAsync, type SparseGraph } from './connectivities.ts';
import { geneSums, logNormMatrix } from './expression.ts';
import { datasetHvg } from './hvg-dataset.ts';
import { exactKnnAsync } from './knn.ts';
import { nnDescent } from './nndescent.ts';
import { leiden } from './leiden.ts';
import { pcaCsr } from './pca.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { scaleCsrInPlace } from './scale.ts';

/** The resolution CellTypist picks: 5, 10, 15, 20, 25, 30 below 5k, 20k, 40k, 100k, 200k cells and above. */
export function celltypistResolution(nCells: number): number {
  if (nCells < 5000) return 5;
  if (nCells < 20000) return 10;
  if (nCells < 40000) return 15;
  if (nCells < 100000) return 20;
  if (nCells < 200000) return 25;
  return 30;
}

export interface OverClusterInput {
  /** The expression matrix and what it holds (see celltypistInput). */
  key: string;
  kind: 'counts' | 'cp10k' | 'log1p';
}

export interface OverClusterOptions {
  /** The query's neighbourhood graph over all its cells (obsp connectivities), when it has one. */
  graph?: SparseGraph | null;
  resolution?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  pool?: WorkerPool | null;
  /** The query's cells when it is not the whole dataset; the others get no cluster (-1). */
  cells?: Uint8Array | null;
}

export interface OverClusterResult {
  /** Per cell of the dataset; -1 outside `cells`. */
  codes: Int32Array;
  nClusters: number;
  resolution: number;
  /** How the graph was had, for the report. */
  graphSource: string;
}

/** `input` is needed only when there is neither a graph nor X_pca: it may be given as a function, called then. */
export async function overCluster(ds: Dataset, input: OverClusterInput | (() => OverClusterInput), opts: OverClusterOptions = {}): Promise<OverClusterResult> {
  const cells = opts.cells ?? null;
  const rows = cells ? Int32Array.from(cells.keys()).filter((i) => cells[i] === 1) : null;
  const n = rows ? rows.length : ds.nObs;
  if (n === 0) throw new Error(`${ds.fileName}: no query cells to over-cluster`);
  const resolution = opts.resolution ?? celltypistResolution(n);
  const stage = (lo: number, hi: number) => (f: number, m: string) => opts.onProgress?.(lo + (hi - lo) * f, `over-clustering: ${m}`);
  let graph = opts.graph && opts.graph.n === ds.nObs ? opts.graph : null;
  let graphSource = rows ? `the neighbourhood graph restricted to the ${n.toLocaleString('en-US')} query cells` : "the query's neighbourhood graph";
  if (graph && rows) graph = inducedSubgraph(graph, rows);
  if (!graph) {
    const pcs = pcaOf(ds, rows);
    let coords: Float32Array;
    let dim: number;
    if (pcs) {
      ({ coords, dim } = pcs);
      graphSource = `10 nearest neighbours in obsm X_pca (${dim} components)`;
    } else {
      const e = await expressionPcs(ds, typeof input === 'function' ? input() : input, cells, { ...opts, onProgress: stage(0, 0.6) });
      ({ coords, dim } = e);
      graphSource = `10 nearest neighbours in ${dim} PCs of the ${e.nHvg.toLocaleString('en-US')} most variable genes (CellTypist's graph)`;
    }
    if (rows) graphSource += ` of the ${n.toLocaleString('en-US')} query cells`;
    // As the pipeline's neighbours step ('auto'): exact up to 20,000 cells, NN-descent beyond.
    const k = Math.min(10, n);
    const knn = n <= 20000 ? await exactKnnAsync(coords, n, dim, k, { signal: opts.signal, pool: opts.pool, onProgress: stage(0.6, 0.8) }) : await nnDescent(coords, n, dim, k, { seed: opts.seed ?? 0, signal: opts.signal, pool: opts.pool, onProgress: stage(0.6, 0.8) });
    graph = await fuzzyConnectivitiesAsync(knn, n, { pool: opts.pool, signal: opts.signal });
  }
  const r = await leiden(graph, { resolution, seed: opts.seed ?? 0, iterations: 2, signal: opts.signal, onProgress: stage(0.8, 1) });
  let codes = r.labels;
  if (rows) {
    codes = new Int32Array(ds.nObs).fill(-1);
    rows.forEach((row, j) => (codes[row] = r.labels[j]));
  }
  return { codes, nClusters: r.nClusters, resolution, graphSource };
}

/** The graph among `rows` only (edges to other cells dropped), renumbered 0..rows.length-1. */
export function inducedSubgraph(g: SparseGraph, rows: Int32Array): SparseGraph {
  const at = new Int32Array(g.n).fill(-1);
  rows.forEach((r, j) => (at[r] = j));
  const indptr = new Int32Array(rows.length + 1);
  const indices: number[] = [];
  const data: number[] = [];
  rows.forEach((r, j) => {
    for (let p = g.indptr[r]; p < g.indptr[r + 1]; p++) {
      const c = at[g.indices[p]];
      if (c < 0) continue;
      indices.push(c);
      data.push(g.data[p]);
    }
    indptr[j + 1] = indices.length;
  });
  return { n: rows.length, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

/** obsm X_pca's first 50 components of `rows` (all cells: null) when each has them (scanpy's neighbors n_pcs=50). */
function pcaOf(ds: Dataset, rows: Int32Array | null): { coords: Float32Array; dim: number } | null {
  if (!ds.embeddings.some((e) => e.key === 'X_pca')) return null;
  const e = ds.readEmbedding('X_pca');
  const dim = Math.min(50, e.shape[1]);
  const n = rows ? rows.length : ds.nObs;
  const coords = new Float32Array(n * dim);
  for (let j = 0; j < n; j++) {
    const i = rows ? rows[j] : j;
    for (let t = 0; t < dim; t++) {
      const v = e.data[i * e.shape[1] + t];
      if (!Number.isFinite(v)) return null;
      coords[j * dim + t] = v;
    }
  }
  return { coords, dim };
}

async function expressionPcs(ds: Dataset, input: OverClusterInput, keep: Uint8Array | null, opts: OverClusterOptions): Promise<{ coords: Float32Array; dim: number; nHvg: number }> {
  const pass = { signal: opts.signal, pool: opts.pool, onProgress: opts.onProgress };
  const fromLog = input.kind === 'log1p';
  // cp10k: already normalised, so "totals" of 1e4 leave the values as they are before log1p.
  const totals = input.kind === 'counts' ? await totalCountsPerCell(ds, input.key, pass) : input.kind === 'cp10k' ? new Float64Array(ds.nObs).fill(1e4) : null;
  const cells = (await geneSums(ds, input.key, { kind: 'gene-cells', keep }, pass)).sum;
  const keepGenes = Uint8Array.from(cells, (c) => (c >= 5 ? 1 : 0));
  const nGenes = keepGenes.reduce((s, v) => s + v, 0);
  if (nGenes < 2) throw new Error(`${ds.fileName}: only ${nGenes} genes are expressed in 5 or more cells; too few to over-cluster (give an over-clustering column instead)`);
  const hvg = await datasetHvg({ ds, key: input.key, keep, keepGenes, totals, fromLog }, { flavor: 'seurat', nTopGenes: Math.min(2500, nGenes) }, pass);
  const m = await logNormMatrix(ds, input.key, keep, fromLog ? null : totals, hvg.genes, pass);
  scaleCsrInPlace(m, 10);
  const nComps = Math.max(1, Math.min(50, m.nRows - 1, m.nCols - 1));
  const pca = await pcaCsr(m, nComps, pass);
  return { coords: pca.scores, dim: pca.nComps, nHvg: hvg.genes.length };
}
