// Gene programs from gene embeddings, as scGPT's GeneEmbedding builds them (scgpt/tasks/grn.py,
// Tutorial_GRN): genes as observations, scanpy's neighbors(use_rep='X') (exact kNN, k 15,
// euclidean, umap's fuzzy simplicial set), Leiden on that graph (RBConfiguration, default
// resolution 40 as the tutorial), programs = clusters of at least 5 genes; and the gene UMAP the
// tutorial draws them on, which the network view uses for node positions. Reuses the cell
// pipeline's steps unchanged: the genes are simply the rows.
import { CancelledError } from '../io/errors.ts';
import { fuzzyConnectivities, type SparseGraph } from './connectivities.ts';
import { exactKnnAsync } from './knn.ts';
import { exactKnnWebGPU } from './knn-webgpu.ts';
import { leiden } from './leiden.ts';
import { planUmap, umapCpu } from './umap.ts';
import { umapWebGPU } from './umap-webgpu.ts';

export interface GeneEmbeddingSet {
  genes: string[];
  /** Row-major [genes.length, d]. */
  embeddings: Float32Array;
  d: number;
}

export interface GeneProgramsOptions {
  /** Neighbours per gene, the gene itself included (scanpy's n_neighbors); default 15. */
  k?: number;
  /** Leiden resolution; default 40 (scGPT's Tutorial_GRN). */
  resolution?: number;
  /** Smallest cluster kept as a program; default 5 (the tutorial keeps clusters of more than 4 genes). */
  minSize?: number;
  /** Seeds Leiden and the UMAP layout; default 0. */
  seed?: number;
  /** Compute the UMAP layout of the gene graph; default true. */
  layout?: boolean;
  /** Run the kNN search and the UMAP epochs on this WebGPU device (the pipeline's kernels); default the CPU. */
  device?: GPUDevice | null;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface GeneProgram {
  /** Program number: programs are numbered by size, largest first, from 0. */
  id: number;
  genes: string[];
  /** Rows of the input (indices into `genes`). */
  members: Int32Array;
}

export interface GenePrograms {
  genes: string[];
  /** Program id per gene; -1 for genes in a cluster smaller than minSize. */
  membership: Int32Array;
  /** Leiden cluster per gene (all clusters, largest first); programs are the clusters 0..programs.length-1. */
  clusters: Int32Array;
  programs: GeneProgram[];
  /** [genes.length, 2] UMAP of the gene graph; empty when `layout: false`. */
  layout: Float32Array;
  /** The symmetric fuzzy kNN graph the clusters and layout come from. */
  graph: SparseGraph;
  /** Milliseconds per step (neighbors, connectivities, leiden, umap). */
  timings: Record<string, number>;
}

export async function genePrograms(input: GeneEmbeddingSet, opts: GeneProgramsOptions = {}): Promise<GenePrograms> {
  const { genes, embeddings, d } = input;
  const n = genes.length;
  if (!(d > 0) || embeddings.length !== n * d) throw new Error(`gene programs: embeddings hold ${embeddings.length} values, expected ${n} genes x ${d}`);
  if (n < 2) throw new Error(`gene programs need at least 2 genes in the model's vocabulary, got ${n}`);
  for (let i = 0; i < embeddings.length; i++) {
    if (!Number.isFinite(embeddings[i])) throw new Error(`gene programs: the embedding of ${genes[Math.floor(i / d)]} has a non-finite value`);
  }
  const k = Math.min(opts.k ?? 15, n);
  const minSize = opts.minSize ?? 5;
  const seed = opts.seed ?? 0;
  const withLayout = opts.layout ?? true;
  // Share of the progress bar per step, by their measured cost at 1,200 genes.
  const spans: Record<string, [number, number]> = withLayout ? { neighbors: [0, 0.3], leiden: [0.3, 0.5], umap: [0.5, 1] } : { neighbors: [0, 0.6], leiden: [0.6, 1] };
  const pass = (step: string) => ({
    signal: opts.signal,
    onProgress: (f: number, message: string) => opts.onProgress?.(spans[step][0] + f * (spans[step][1] - spans[step][0]), `gene programs: ${message.replace(/cells/g, 'genes')}`),
  });
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    if (opts.signal?.aborted) throw new CancelledError('gene programs');
    const t0 = performance.now();
    const v = await f();
    timings[name] = performance.now() - t0;
    return v;
  };
  const device = opts.device ?? null;
  const knn = await timed('neighbors', () => (device ? exactKnnWebGPU(device, embeddings, n, d, k, pass('neighbors')) : exactKnnAsync(embeddings, n, d, k, pass('neighbors'))));
  const graph = await timed('connectivities', () => fuzzyConnectivities(knn, n));
  const ld = await timed('leiden', () => leiden(graph, { resolution: opts.resolution ?? 40, seed, ...pass('leiden') }));
  // leiden numbers clusters by size, so the programs are a prefix of the cluster ids.
  const sizes = new Int32Array(ld.nClusters);
  for (const c of ld.labels) sizes[c]++;
  let nPrograms = 0;
  while (nPrograms < ld.nClusters && sizes[nPrograms] >= minSize) nPrograms++;
  const membership = ld.labels.map((c) => (c < nPrograms ? c : -1));
  const programs: GeneProgram[] = Array.from({ length: nPrograms }, (_, id) => {
    const members = Int32Array.from(Array.from(ld.labels.keys()).filter((i) => ld.labels[i] === id));
    return { id, genes: Array.from(members, (i) => genes[i]), members };
  });
  let layout: Float32Array = new Float32Array(0);
  if (withLayout) {
    layout = await timed('umap', async () => {
      const plan = await planUmap(graph, embeddings, d, { seed });
      return device ? umapWebGPU(device, plan, pass('umap')) : umapCpu(plan, pass('umap'));
    });
  }
  opts.onProgress?.(1, `gene programs: ${nPrograms} programs of >= ${minSize} genes from ${ld.nClusters} clusters`);
  return { genes, membership, clusters: ld.labels, programs, layout, graph, timings };
}
