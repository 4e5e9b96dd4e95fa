// A pipeline run as scanpy stores it in an AnnData: the kNN graph as obsp/distances and
// obsp/connectivities (over every cell; filtered cells have no edges) with uns/neighbors, the HVG
// table as var columns, the markers as rank_genes_groups. Writing these with the embedding keeps a
// saved file consistent: sc.tl.leiden or sc.tl.umap on it use the graph that X_pca gave.
import type { CsrMatrix, NeighborsUns } from '../io/h5ad/graph.ts';
import type { PcaUns, RankGenesGroups } from '../io/h5ad/uns.ts';
import type { Column, Dataset } from '../io/types.ts';
import type { BatchedHvgResult } from './hvg-batch.ts';
import type { PipelineParams, PipelineResult } from './pipeline.ts';
import { qcSetColumns } from './qc.ts';
import { rankGenesGroups } from './rank-genes-groups.ts';

export interface ScanpyResults {
  obs: Column[];
  var: Column[];
  obsm: Record<string, { shape: [number, number]; data: Float32Array }>;
  obsp: Record<string, CsrMatrix>;
  neighbors: NeighborsUns;
  varm: Record<string, { shape: [number, number]; data: Float32Array }>;
  /** Paths of the input that these results make stale, left out of the export. */
  drop: string[];
  pca: PcaUns;
  rankGenesGroups: RankGenesGroups;
}

/** Rows of kept cells (in kept order) spread back over all n cells. */
function spread(keep: Uint8Array, rows: (r: number) => { cols: ArrayLike<number>; vals: ArrayLike<number> }, exclude?: (r: number, c: number) => boolean): CsrMatrix {
  const n = keep.length;
  const full = new Int32Array(n);
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) full[kept.push(i) - 1] = i;
  const indptr = new Float64Array(n + 1);
  const indices: number[] = [];
  const data: number[] = [];
  let r = 0;
  for (let i = 0; i < n; i++) {
    if (keep[i]) {
      const { cols, vals } = rows(r);
      const pairs = Array.from(cols, (c, t) => [full[c], vals[t]] as const).filter(([, v], t) => !exclude?.(r, cols[t]) && v !== 0);
      pairs.sort((a, b) => a[0] - b[0]);
      for (const [c, v] of pairs) {
        indices.push(c);
        data.push(v);
      }
      r++;
    }
    indptr[i + 1] = indices.length;
  }
  return { shape: [n, n], indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

export function scanpyResults(ds: Dataset, r: PipelineResult, params: PipelineParams): ScanpyResults {
  const { knn, graph, rep } = r.neighbors;
  const k = knn.k;
  // scanpy's distances: the k-1 nearest other cells of each cell, self excluded.
  const distances = spread(r.keep, (row) => ({ cols: knn.indices.subarray(row * k, (row + 1) * k), vals: knn.distances.subarray(row * k, (row + 1) * k) }), (row, c) => c === row);
  const connectivities = spread(r.keep, (row) => ({ cols: graph.indices.subarray(graph.indptr[row], graph.indptr[row + 1]), vals: graph.data.subarray(graph.indptr[row], graph.indptr[row + 1]) }));
  const nCells = r.nCells;
  const kPcs = r.pca.nComps;
  const pcs = new Float32Array(nCells * kPcs).fill(NaN);
  for (let i = 0, row = 0; i < nCells; i++) if (r.keep[i]) pcs.set(r.pca.scores.subarray(row * kPcs, (row++ + 1) * kPcs), i * kPcs);
  // HVG columns describe the main var's genes; a counts matrix with its own genes (raw/X) has none here.
  const hvg = r.hvg;
  const mainVar = r.geneNames.length === ds.var.index.length && r.geneNames.every((g, i) => g === ds.var.index[i]);
  // varm/PCs: loadings of the HVGs the PCA ran on, zero for the other genes (use_highly_variable).
  const loadings = new Float32Array(ds.var.index.length * kPcs);
  if (mainVar) hvg.genes.forEach((g, j) => {
    for (let c = 0; c < kPcs; c++) loadings[g * kPcs + c] = r.pca.components[c * hvg.genes.length + j];
  });
  const varColumns: Column[] =
    mainVar
      ? [
          { kind: 'categorical', name: 'highly_variable', codes: Int32Array.from(hvg.highlyVariable), categories: ['False', 'True'], ordered: false, dtype: 'bool' },
          { kind: 'numeric', name: 'means', values: Float64Array.from(hvg.means), dtype: 'float32' },
          { kind: 'numeric', name: hvg.flavor === 'seurat' ? 'dispersions' : 'variances', values: Float64Array.from(hvg.dispersions), dtype: 'float32' },
          { kind: 'numeric', name: hvg.flavor === 'seurat' ? 'dispersions_norm' : 'variances_norm', values: Float64Array.from(hvg.dispersionsNorm), dtype: 'float32' },
          ...batchHvgColumns(hvg),
          // scanpy's tutorial marks its QC gene sets in var: adata.var["mt"], ["ribo"], ["hb"].
          ...r.qc.geneSets.map((set): Column => {
            const codes = new Int32Array(r.geneNames.length);
            for (const g of set.genes) codes[g] = 1;
            return { kind: 'categorical', name: set.key, codes, categories: ['False', 'True'], ordered: false, dtype: 'bool' };
          }),
        ]
      : [];
  return {
    obs: [
      { kind: 'categorical', name: 'leiden', codes: r.leiden, categories: Array.from({ length: r.nClusters }, (_, i) => String(i)), ordered: false, dtype: 'category' },
      { kind: 'numeric', name: 'total_counts', values: r.qc.total_counts, dtype: 'float64' },
      { kind: 'numeric', name: 'n_genes_by_counts', values: r.qc.n_genes_by_counts, dtype: 'int64' },
      // scanpy's qc_vars columns, for the sets with genes: total_counts_mt, pct_counts_mt, ..._ribo, ..._hb.
      ...qcSetColumns(r.qc).map((c): Column => ({ kind: 'numeric', name: c.name, values: c.values, dtype: 'float64' })),
      { kind: 'categorical', name: 'passes_qc', codes: Int32Array.from(r.keep), categories: ['False', 'True'], ordered: false, dtype: 'bool' },
    ],
    var: varColumns,
    obsm: { X_pca: { shape: [nCells, kPcs], data: pcs }, X_umap: { shape: [nCells, 2], data: r.umap }, ...integratedObsm(r) },
    obsp: { distances, connectivities },
    varm: mainVar ? { PCs: { shape: [ds.var.index.length, kPcs], data: loadings } } : {},
    pca: { variance: r.pca.variance, varianceRatio: r.pca.varianceRatio },
    neighbors: { nNeighbors: params.neighbors.nNeighbors, method: 'umap', metric: 'euclidean', useRep: rep, randomState: params.leiden.seed },
    rankGenesGroups: rankGenesGroups(r.markers, r.geneNames, 'leiden', params.markers.method, r.countsKey),
    // The file's own loadings belong to another PCA (a Seurat object's, say) when ours ran on raw/X's genes.
    drop: mainVar ? [] : ['varm/PCs'],
  };
}

/** What highly_variable_genes(batch_key=...) adds to var: nbatches, and intersection (seurat) or rank (seurat_v3). */
function batchHvgColumns(hvg: PipelineResult['hvg']): Column[] {
  const b = (hvg as Partial<BatchedHvgResult>).batch;
  if (!b) return [];
  const out: Column[] = [];
  if (b.rank) out.push({ kind: 'numeric', name: 'highly_variable_rank', values: Float64Array.from(b.rank), dtype: 'float32' });
  out.push({ kind: 'numeric', name: 'highly_variable_nbatches', values: Float64Array.from(b.nbatches), dtype: 'int64' });
  if (b.intersection) out.push({ kind: 'categorical', name: 'highly_variable_intersection', codes: Int32Array.from(b.intersection), categories: ['False', 'True'], ordered: false, dtype: 'bool' });
  return out;
}

/** harmony_integrate's obsm/<basis>_harmony over every cell (NaN rows for filtered cells, as X_pca). */
export function integratedObsm(r: PipelineResult): Record<string, { shape: [number, number]; data: Float32Array }> {
  const h = r.integration;
  if (!h) return {};
  const data = new Float32Array(r.nCells * h.dim).fill(NaN);
  for (let i = 0, row = 0; i < r.nCells; i++) if (r.keep[i]) data.set(h.coords.subarray(row * h.dim, (row++ + 1) * h.dim), i * h.dim);
  return { [h.key]: { shape: [r.nCells, h.dim], data } };
}
