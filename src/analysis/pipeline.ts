// The default single-cell pipeline with scanpy's names and defaults, as cached steps:
// qc -> filter -> hvg -> matrix (log-normalised HVGs, optionally scaled) -> pca -> neighbors ->
// leiden / umap -> markers. Each step's cache key is its parameters plus the key of what it reads,
// so a changed parameter recomputes only the steps downstream of it. DOM-free: the worker and the
// CLI both run it.
import type { CsrArrays } from '../io/csr.ts';
import { CancelledError, DatasetError } from '../io/errors.ts';
import { expressionInput, scaledRefusal, type ExpressionInput } from '../io/expression-input.ts';
import { geneLabels } from '../io/gene-symbols.ts';
import type { Dataset } from '../io/types.ts';
import { fuzzyConnectivities, type SparseGraph } from './connectivities.ts';
import { geneSums, logNormMatrix } from './expression.ts';
import type { HvgFlavor, HvgResult } from './hvg.ts';
import { datasetHvg } from './hvg-dataset.ts';
import { exactKnnAsync, type KnnResult } from './knn.ts';
import { exactKnnWebGPU } from './knn-webgpu.ts';
import { leiden } from './leiden.ts';
import type { GroupMarkers, MarkerMethod } from './markers.ts';
import { datasetMarkers } from './markers-stream.ts';
import { nnDescent } from './nndescent.ts';
import { pcaCsr, type PcaResult } from './pca.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { qcMetrics, type QcMetrics } from './qc.ts';
import { scaleCsrInPlace } from './scale.ts';
import { planUmap, umapCpu } from './umap.ts';
import { umapWebGPU } from './umap-webgpu.ts';

export interface PipelineParams {
  /** Counts matrix key; default: the dataset's detected counts. */
  counts?: string;
  filter: { minGenes: number; minCounts: number; maxPctMt: number; minCells: number };
  hvg: { flavor: HvgFlavor; nTopGenes: number };
  scale: { enabled: boolean; maxValue: number };
  pca: { nComps: number };
  /** useRep: 'X_pca' (this pipeline's PCA) or any obsm key such as X_scGPT. */
  neighbors: { useRep: string; nNeighbors: number; method: 'auto' | 'exact' | 'nndescent' };
  leiden: { resolution: number; seed: number };
  umap: { minDist: number; spread: number; seed: number };
  markers: { method: MarkerMethod };
  /** 'auto' and 'webgpu' run kNN and UMAP on WebGPU when a device is given (the caller picks it: hardware only for 'auto'). */
  device: 'auto' | 'webgpu' | 'cpu';
}

export const DEFAULT_PARAMS: PipelineParams = {
  filter: { minGenes: 0, minCounts: 0, maxPctMt: 100, minCells: 3 },
  hvg: { flavor: 'seurat', nTopGenes: 2000 },
  scale: { enabled: true, maxValue: 10 },
  pca: { nComps: 50 },
  neighbors: { useRep: 'X_pca', nNeighbors: 15, method: 'auto' },
  leiden: { resolution: 1, seed: 0 },
  umap: { minDist: 0.5, spread: 1, seed: 0 },
  markers: { method: 'wilcoxon' },
  device: 'auto',
};

export const STEPS = ['qc', 'filter', 'hvg', 'matrix', 'pca', 'neighbors', 'leiden', 'umap', 'markers'] as const;
export type StepName = (typeof STEPS)[number];

export interface StepEvent {
  step: StepName;
  state: 'cached' | 'running' | 'done';
  fraction: number;
  message: string;
  ms?: number;
}

export interface PipelineResult {
  nCells: number;
  nKept: number;
  keep: Uint8Array;
  keepGenes: Uint8Array;
  qc: QcMetrics;
  hvg: HvgResult;
  pca: PcaResult;
  neighbors: { rep: string; method: string; knn: KnnResult; graph: SparseGraph };
  /** Per cell of the dataset; -1 for filtered cells. */
  leiden: Int32Array;
  nClusters: number;
  /** [nCells, 2]; NaN for filtered cells. */
  umap: Float32Array;
  umapKey: string;
  umapDevice: string;
  /** Clusters vs rest, genes indexing the counts matrix's var. */
  markers: GroupMarkers[];
  geneNames: string[];
  countsKey: string;
  /** What the pipeline read: counts (log-normalised here) or log-normalised values as stored. */
  input: ExpressionInput;
  timings: Partial<Record<StepName, number>>;
}

export interface RunOptions {
  device?: GPUDevice | null;
  /** Workers for the CPU steps (pool-node.ts, or the data worker's); none: one thread. Same results either way. */
  pool?: WorkerPool | null;
  signal?: AbortSignal;
  onStep?: (e: StepEvent) => void;
  /**
   * Ensembl id -> symbol (the bundled GENCODE map), for files with ids and no symbol column: QC's
   * gene sets (MT-, RPS/RPL, HB) are found by the symbols the gene search shows.
   */
  ensemblToSymbol?: Map<string, string>;
}

interface Cached {
  key: string;
  value: unknown;
}

/** UMAP obsm name for a representation: X_umap_pca, X_umap_scGPT, X_umap_<key>. */
export function umapKeyFor(rep: string): string {
  return rep === 'X_pca' ? 'X_umap_pca' : `X_umap_${rep.replace(/^X_/, '')}`;
}

export class Pipeline {
  private cache = new Map<StepName, Cached>();
  constructor(readonly ds: Dataset) {}

  /** Drops cached steps that read an obsm which changed (e.g. a new X_scGPT). */
  invalidateRep(rep: string): void {
    const n = this.cache.get('neighbors');
    if (n && n.key.includes(JSON.stringify(rep))) for (const s of ['neighbors', 'leiden', 'umap', 'markers'] as const) this.cache.delete(s);
  }

  async run(params: PipelineParams, opts: RunOptions = {}): Promise<PipelineResult> {
    try {
      return await this.runSteps(params, opts);
    } catch (err) {
      // Refusals on degenerate data (identical cells, no HVGs, too few cells) are plain Errors: name
      // the file they concern, as every reading error does. Reading errors already carry it.
      if (err instanceof Error && !(err instanceof DatasetError) && !err.message.startsWith(`${this.ds.fileName}: `)) {
        err.message = `${this.ds.fileName}: ${err.message}`;
      }
      throw err;
    }
  }

  private async runSteps(params: PipelineParams, opts: RunOptions): Promise<PipelineResult> {
    const ds = this.ds;
    const input: ExpressionInput | null = params.counts ? { key: params.counts, kind: 'counts', reason: `${params.counts}, chosen` } : expressionInput(ds);
    if (!input) throw new Error('no expression matrix to analyse: the pipeline needs raw counts or log-normalised values (X, raw/X or a layer)');
    if (input.kind === 'scaled') throw new Error(scaledRefusal(input, 'QC, highly variable genes and markers'));
    const fromLog = input.kind === 'log';
    if (fromLog && params.hvg.flavor === 'seurat_v3') throw new Error(`flavor seurat_v3 needs raw counts, but ${input.reason}; use flavor seurat`);
    const countsKey = input.key;
    const timings: Partial<Record<StepName, number>> = {};
    const pass = (step: StepName) => ({
      signal: opts.signal,
      pool: opts.pool,
      onProgress: (fraction: number, message: string) => opts.onStep?.({ step, state: 'running', fraction, message }),
    });
    const step = async <T>(name: StepName, key: unknown[], compute: () => Promise<T>): Promise<{ key: string; value: T }> => {
      const k = JSON.stringify(key);
      const hit = this.cache.get(name);
      if (hit && hit.key === k) {
        opts.onStep?.({ step: name, state: 'cached', fraction: 1, message: 'unchanged' });
        return { key: k, value: hit.value as T };
      }
      if (opts.signal?.aborted) throw new CancelledError(name);
      opts.onStep?.({ step: name, state: 'running', fraction: 0, message: 'starting' });
      const t0 = performance.now();
      const value = await compute();
      const ms = performance.now() - t0;
      timings[name] = ms;
      this.cache.set(name, { key: k, value });
      opts.onStep?.({ step: name, state: 'done', fraction: 1, message: `${(ms / 1000).toFixed(2)} s`, ms });
      return { key: k, value };
    };
    const geneNames = ds.varNamesOf(countsKey);

    // The gene sets are matched on symbols: var/feature_name where the index holds Ensembl ids.
    const labels = geneLabels(ds, countsKey, opts.ensemblToSymbol);
    const qc = await step('qc', [countsKey, input.kind, labels.source], async () => {
      const metrics = await qcMetrics(ds, countsKey, labels.symbols, { ...pass('qc'), fromLog, geneSource: labels.source ?? (countsKey === 'raw/X' ? 'raw/var_names' : 'var_names') });
      return metrics;
    });
    const f = params.filter;
    const filter = await step('filter', [qc.key, f], async () => {
      const m = qc.value;
      const keep = Uint8Array.from({ length: ds.nObs }, (_, i) =>
        m.n_genes_by_counts[i] >= f.minGenes && m.total_counts[i] >= f.minCounts && m.total_counts[i] > 0 && (m.pct_counts_mt ? m.pct_counts_mt[i] <= f.maxPctMt : true) ? 1 : 0,
      );
      const nKept = keep.reduce((s, v) => s + v, 0);
      if (nKept < 10) throw new Error(`only ${nKept} cells pass the QC filters; loosen min_genes / min_counts / max_pct_mt`);
      // Genes are judged on the kept cells, as scanpy's filter_cells then filter_genes; when no cell
      // was removed, the QC pass already counted them.
      let cells = m.n_cells_by_counts;
      if (nKept < ds.nObs) {
        cells = (await geneSums(ds, countsKey, { kind: 'gene-cells', keep }, pass('filter'))).sum;
      }
      return { keep, keepGenes: Uint8Array.from(cells, (c) => (c >= f.minCells ? 1 : 0)), nKept };
    });
    const totals = qc.value.total_counts;

    const h = params.hvg;
    const hvg = await step('hvg', [filter.key, h], async () => {
      const { keep, keepGenes } = filter.value;
      const res = await datasetHvg({ ds, key: countsKey, keep, keepGenes, totals, fromLog }, h, pass('hvg'));
      if (res.genes.length === 0) {
        throw new Error('no highly variable genes: no gene varies across the kept cells (all cells identical after normalisation, or every gene filtered by min_cells)');
      }
      return res;
    });

    const matrix = await step('matrix', [hvg.key, params.scale], async () => {
      const m = await logNormMatrix(ds, countsKey, filter.value.keep, fromLog ? null : totals, hvg.value.genes, pass('matrix'));
      if (params.scale.enabled) scaleCsrInPlace(m, params.scale.maxValue);
      return m as CsrArrays;
    });
    // As scanpy: at most min(n_obs, n_vars) - 1 components (more have no variance to explain).
    const nComps = Math.max(1, Math.min(params.pca.nComps, matrix.value.nRows - 1, matrix.value.nCols - 1));
    const pca = await step('pca', [matrix.key, params.pca], () => pcaCsr(matrix.value, nComps, pass('pca')));

    const nb = params.neighbors;
    const device = params.device === 'cpu' ? null : (opts.device ?? null);
    const repKey = nb.useRep === 'X_pca' ? pca.key : JSON.stringify([nb.useRep, ds.embeddings.find((e) => e.key === nb.useRep)?.shape, filter.key]);
    const neighbors = await step('neighbors', [repKey, nb, !!device], async () => {
      const { coords, dim } = this.representation(nb.useRep, pca.value, filter.value.keep, filter.value.nKept);
      const n = filter.value.nKept;
      const k = Math.min(nb.nNeighbors, n);
      let knn: KnnResult;
      let method: string;
      if (device && nb.method !== 'nndescent') {
        knn = await exactKnnWebGPU(device, coords, n, dim, k, pass('neighbors'));
        method = 'exact (WebGPU)';
      } else if (nb.method === 'exact' || (nb.method === 'auto' && n <= 20000)) {
        knn = await exactKnnAsync(coords, n, dim, k, pass('neighbors'));
        method = 'exact (CPU)';
      } else {
        knn = await nnDescent(coords, n, dim, k, { ...pass('neighbors'), seed: params.leiden.seed });
        method = 'NN-descent (CPU)';
      }
      return { rep: nb.useRep, method, knn, graph: fuzzyConnectivities(knn, n), coords, dim };
    });

    const ld = await step('leiden', [neighbors.key, params.leiden], async () => {
      const r = await leiden(neighbors.value.graph, { ...params.leiden, ...pass('leiden') });
      return r;
    });
    const um = await step('umap', [neighbors.key, params.umap, !!device], async () => {
      const plan = await planUmap(neighbors.value.graph, neighbors.value.coords, neighbors.value.dim, { ...params.umap });
      const coords = device ? await umapWebGPU(device, plan, pass('umap')) : await umapCpu(plan, pass('umap'));
      // Last line of defence: a layout with NaN must fail loudly, not be written out.
      for (let i = 0; i < coords.length; i++) {
        if (!Number.isFinite(coords[i])) throw new Error(`umap: cell ${Math.floor(i / 2)} got a non-finite coordinate; the neighbour graph is degenerate (many identical cells?)`);
      }
      return { coords, device: device ? 'WebGPU' : 'CPU' };
    });
    const markers = await step('markers', [ld.key, params.markers], () =>
      datasetMarkers(
        { ds, countsKey, keep: filter.value.keep, totals, codes: ld.value.labels, groups: Array.from({ length: ld.value.nClusters }, (_, i) => String(i)), method: params.markers.method, normalize: !fromLog },
        pass('markers'),
      ),
    );

    const { keep } = filter.value;
    const leidenFull = new Int32Array(ds.nObs).fill(-1);
    const umapFull = new Float32Array(ds.nObs * 2).fill(NaN);
    for (let i = 0, r = 0; i < ds.nObs; i++) {
      if (!keep[i]) continue;
      leidenFull[i] = ld.value.labels[r];
      umapFull[2 * i] = um.value.coords[2 * r];
      umapFull[2 * i + 1] = um.value.coords[2 * r + 1];
      r++;
    }
    return {
      nCells: ds.nObs,
      nKept: filter.value.nKept,
      keep,
      keepGenes: filter.value.keepGenes,
      qc: qc.value,
      hvg: hvg.value,
      pca: pca.value,
      neighbors: neighbors.value,
      leiden: leidenFull,
      nClusters: ld.value.nClusters,
      umap: umapFull,
      umapKey: umapKeyFor(nb.useRep),
      umapDevice: um.value.device,
      markers: markers.value,
      geneNames,
      countsKey,
      input,
      timings,
    };
  }

  /** Kept cells' coordinates in the representation the graph is built on. */
  private representation(rep: string, pca: PcaResult, keep: Uint8Array, nKept: number): { coords: Float32Array; dim: number } {
    if (rep === 'X_pca') return { coords: pca.scores, dim: pca.nComps };
    const e = this.ds.readEmbedding(rep);
    const dim = e.shape[1];
    const coords = new Float32Array(nKept * dim);
    for (let i = 0, r = 0; i < this.ds.nObs; i++) {
      if (!keep[i]) continue;
      for (let t = 0; t < dim; t++) {
        const v = e.data[i * dim + t];
        if (!Number.isFinite(v)) throw new Error(`obsm "${rep}" has a missing value at cell ${i}: filter those cells first (e.g. cells with no expressed genes in the model's vocabulary)`);
        coords[r * dim + t] = v;
      }
      r++;
    }
    return { coords, dim };
  }
}
