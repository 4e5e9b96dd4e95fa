// The default single-cell pipeline with scanpy's names and defaults, as cached steps:
// qc -> filter -> hvg -> matrix (log-normalised HVGs, optionally scaled) -> pca -> harmony ->
// neighbors -> leiden / umap -> markers. Each step's cache key is its parameters plus the key of
// what it reads, so a changed parameter recomputes only the steps downstream of it. With batch keys
// the HVGs are chosen per batch (scanpy's batch_key, the first key) and Harmony corrects the
// representation (scanpy's harmony_integrate: X_pca -> X_pca_harmony) before the graph; without
// them the harmony step is skipped. DOM-free: the worker and the CLI both run it.
import type { CsrArrays } from '../io/csr.ts';
import { CancelledError, DatasetError } from '../io/errors.ts';
import { batchSizes, checkBatchKeys, checkFiniteRows, keptColumn, type BatchLabels } from './batch-keys.ts';
import { HARMONY_DEFAULTS, runHarmony, type HarmonyProgress } from './harmony.ts';
import { expressionInput, scaledRefusal, type ExpressionInput } from '../io/expression-input.ts';
import { geneLabels } from '../io/gene-symbols.ts';
import type { Column, Dataset } from '../io/types.ts';
import { fuzzyConnectivitiesAsync, type SparseGraph } from './connectivities.ts';
import { geneSums, logNormMatrix } from './expression.ts';
import type { HvgFlavor, HvgResult } from './hvg.ts';
import { datasetHvg } from './hvg-dataset.ts';
import { exactKnnAsync, type KnnResult } from './knn.ts';
import { exactKnnWebGPU } from './knn-webgpu.ts';
import { LEIDEN_BESIDE_MIN, leidenBeside, leidenRunsBeside } from './leiden-pool.ts';
import type { GroupMarkers, MarkerMethod } from './markers.ts';
import { datasetMarkers } from './markers-stream.ts';
import { nnDescent } from './nndescent.ts';
import { pcaCsr, type PcaResult } from './pca.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { qcMetrics, type QcMetrics } from './qc.ts';
import { scaleCsrInPlace } from './scale.ts';
import { planUmap, umapCpu, umapCpuEngine } from './umap.ts';
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
  /**
   * init: the starting layout, 'pca' (umap-learn's init='pca'; the default: as trustworthy on our
   * benches and far cheaper: the spectral start adds 2.3 s at 30k cells, 20-29 s at 100k) or
   * 'spectral' (scanpy's init_pos default, umap-spectral.ts). docs/analysis.md, "UMAP's starting layout".
   */
  umap: { minDist: number; spread: number; seed: number; init: 'spectral' | 'pca' };
  markers: { method: MarkerMethod };
  /**
   * Batch integration over categorical obs columns (none: off): HVGs per batch of the first key,
   * then Harmony over all keys on neighbors.useRep (X_pca -> X_pca_harmony), the graph, Leiden and
   * UMAP on the corrected embedding. theta, max_iter_harmony and the seed as harmonypy's.
   */
  batch: { keys: string[]; theta: number; maxIter: number; seed: number };
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
  umap: { minDist: 0.5, spread: 1, seed: 0, init: 'pca' },
  markers: { method: 'wilcoxon' },
  batch: { keys: [], theta: HARMONY_DEFAULTS.theta, maxIter: HARMONY_DEFAULTS.maxIterHarmony, seed: HARMONY_DEFAULTS.seed },
  device: 'auto',
};

export const STEPS = ['qc', 'filter', 'hvg', 'matrix', 'pca', 'harmony', 'neighbors', 'leiden', 'umap', 'markers'] as const;
export type StepName = (typeof STEPS)[number];

export interface StepEvent {
  step: StepName;
  /** skipped: not part of this run (harmony without batch keys). */
  state: 'cached' | 'running' | 'done' | 'skipped';
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
  /** Harmony's run when there were batch keys; the graph, Leiden and UMAP were built on its output. */
  integration: Integration | null;
  timings: Partial<Record<StepName, number>>;
}

export interface Integration {
  /** The batch keys, each with its batches and their cells (kept cells only). */
  keys: { key: string; batches: { name: string; cells: number }[] }[];
  /** The embedding corrected (X_pca, X_scGPT, ...) and the obsm name of the result (X_pca_harmony). */
  rep: string;
  key: string;
  /** Corrected coordinates of the kept cells, row-major [nKept, dim]. */
  coords: Float32Array;
  dim: number;
  /** harmonypy's K (soft clusters), iterations run, whether it converged, the objective per iteration (first: initial). */
  clusters: number;
  iterations: number;
  maxIterations: number;
  converged: boolean;
  objective: number[];
  theta: number;
  seconds: number;
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
  /** Fewest kept cells for which Leiden runs beside UMAP on a spare worker (default LEIDEN_BESIDE_MIN; tests lower it). */
  leidenBesideMin?: number;
}

interface Cached {
  key: string;
  value: unknown;
}

/** Results kept per step: the integrated run and its uncorrected graph and UMAP ("before") both stay cached. */
const SLOTS = 2;

/** A version per Column object: setColumn replaces the object, so an edited batch column misses the cache. */
const columnIds = new WeakMap<Column, number>();
let nextColumnId = 0;
function columnToken(c: Column | undefined): number {
  if (!c) return -1;
  let id = columnIds.get(c);
  if (id === undefined) columnIds.set(c, (id = ++nextColumnId));
  return id;
}

export interface UncorrectedUmap {
  rep: string;
  umapKey: string;
  /** [nCells, 2]; NaN for filtered cells. */
  umap: Float32Array;
  umapDevice: string;
}

/** Harmony's output name for an embedding, as harmony_integrate's adjusted_basis: X_pca_harmony, X_scGPT_harmony. */
export function harmonyKeyFor(rep: string): string {
  return `${rep}_harmony`;
}

/** UMAP obsm name for a representation: X_umap_pca, X_umap_scGPT, X_umap_pca_harmony, X_umap_<key>. */
export function umapKeyFor(rep: string): string {
  return rep === 'X_pca' ? 'X_umap_pca' : `X_umap_${rep.replace(/^X_/, '')}`;
}

export class Pipeline {
  private cache = new Map<StepName, Cached[]>();
  constructor(readonly ds: Dataset) {}

  /** Drops cached steps that read an obsm which changed (e.g. a new X_scGPT). */
  invalidateRep(rep: string): void {
    const reads = (s: StepName) => (this.cache.get(s) ?? []).some((c) => c.key.includes(JSON.stringify(rep)));
    if (!reads('neighbors') && !reads('harmony')) return;
    for (const s of ['harmony', 'neighbors'] as const) this.cache.set(s, (this.cache.get(s) ?? []).filter((c) => !c.key.includes(JSON.stringify(rep))));
    for (const s of ['leiden', 'umap', 'markers'] as const) this.cache.delete(s);
  }

  async run(params: PipelineParams, opts: RunOptions = {}): Promise<PipelineResult> {
    return this.named(() => this.runSteps(params, opts, 'full') as Promise<PipelineResult>);
  }

  /**
   * The graph and UMAP of the same run without Harmony (the "before" of an integration): the
   * steps up to PCA are the run's own (cached), the neighbours and UMAP are built on the
   * uncorrected representation. Kept cached next to the integrated ones.
   */
  async uncorrectedUmap(params: PipelineParams, opts: RunOptions = {}): Promise<UncorrectedUmap> {
    return this.named(() => this.runSteps(params, opts, 'uncorrected') as Promise<UncorrectedUmap>);
  }

  private async named<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      // Refusals on degenerate data (identical cells, no HVGs, too few cells) are plain Errors: name
      // the file they concern, as every reading error does. Reading errors already carry it.
      if (err instanceof Error && !(err instanceof DatasetError) && !err.message.startsWith(`${this.ds.fileName}: `)) {
        err.message = `${this.ds.fileName}: ${err.message}`;
      }
      throw err;
    }
  }

  private async runSteps(params: PipelineParams, opts: RunOptions, mode: 'full' | 'uncorrected'): Promise<PipelineResult | UncorrectedUmap> {
    const ds = this.ds;
    const batch = params.batch ?? DEFAULT_PARAMS.batch;
    // Refused before anything is computed: a missing, numeric, single-valued or tiny batch column.
    if (batch.keys.length) {
      checkBatchKeys(ds.obs.columns, batch.keys, null);
      if (params.neighbors.useRep !== 'X_pca' && !ds.embeddings.some((e) => e.key === params.neighbors.useRep)) {
        throw new Error(`obsm/${params.neighbors.useRep} is not in the dataset (it has ${ds.embeddings.map((e) => e.key).join(', ') || 'no obsm'}): Harmony corrects the representation the graph is built on`);
      }
    }
    const input: ExpressionInput | null = params.counts ? { key: params.counts, kind: 'counts', reason: `${params.counts}, chosen` } : expressionInput(ds);
    if (!input) throw new Error('no expression matrix to analyse: the pipeline needs raw counts or log-normalised values (X, raw/X or a layer)');
    if (input.kind === 'scaled') throw new Error(scaledRefusal(input, 'QC, highly variable genes and markers'));
    const fromLog = input.kind === 'log';
    if (fromLog && params.hvg.flavor === 'seurat_v3') throw new Error(`flavor seurat_v3 needs raw counts, but ${input.reason}; use flavor seurat`);
    const countsKey = input.key;
    const timings: Partial<Record<StepName, number>> = {};
    const pass = (step: StepName, signal = opts.signal) => ({
      signal,
      pool: opts.pool,
      onProgress: (fraction: number, message: string) => opts.onStep?.({ step, state: 'running', fraction, message }),
    });
    const step = async <T>(name: StepName, key: unknown[], compute: () => Promise<T>): Promise<{ key: string; value: T }> => {
      const k = JSON.stringify(key);
      const slots = this.cache.get(name) ?? [];
      const hit = slots.find((c) => c.key === k);
      if (hit) {
        // Most recently used first: the other slot is the one a new result replaces.
        this.cache.set(name, [hit, ...slots.filter((c) => c !== hit)]);
        opts.onStep?.({ step: name, state: 'cached', fraction: 1, message: 'unchanged' });
        return { key: k, value: hit.value as T };
      }
      if (opts.signal?.aborted) throw new CancelledError(name);
      opts.onStep?.({ step: name, state: 'running', fraction: 0, message: 'starting' });
      const t0 = performance.now();
      const value = await compute();
      const ms = performance.now() - t0;
      timings[name] = ms;
      this.cache.set(name, [{ key: k, value }, ...(this.cache.get(name) ?? [])].slice(0, SLOTS));
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
    // The QC filters may leave a batch too small (or only one batch): refused before the HVGs.
    let batchLabels: BatchLabels[] = [];
    if (batch.keys.length) {
      batchLabels = checkBatchKeys(ds.obs.columns, batch.keys, filter.value.keep);
      const rep = params.neighbors.useRep;
      if (rep !== 'X_pca') {
        const e = ds.readEmbedding(rep);
        checkFiniteRows(e.data, ds.nObs, e.shape[1], filter.value.keep, `obsm/${rep}`, (i) => ds.obs.index[i]);
      }
    }
    const batchTokens = batch.keys.map((k) => [k, columnToken(ds.obs.columns.find((c) => c.name === k))]);

    const h = params.hvg;
    // scanpy's highly_variable_genes takes one batch_key: the first.
    const hvgBatch = batchLabels[0] ?? null;
    const hvg = await step('hvg', [filter.key, h, hvgBatch ? batchTokens[0] : null], async () => {
      const { keep, keepGenes } = filter.value;
      const res = await datasetHvg({ ds, key: countsKey, keep, keepGenes, totals, fromLog, batch: hvgBatch }, h, pass('hvg'));
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

    const integrate = batchLabels.length > 0 && mode === 'full';
    let harmony: { key: string; value: Integration } | null = null;
    if (integrate) {
      const { keep, nKept } = filter.value;
      harmony = await step('harmony', [nb.useRep, repKey, batchTokens, batch.theta, batch.maxIter, batch.seed], async () => {
        const { coords, dim } = this.representation(nb.useRep, pca.value, keep, nKept);
        const t0 = performance.now();
        const name = nb.useRep === 'X_pca' ? 'X_pca (this run)' : `obsm/${nb.useRep}`;
        const progress = pass('harmony').onProgress;
        let r;
        try {
          r = await runHarmony(coords, nKept, dim, batchLabels.map((l) => keptColumn(l, keep, nKept)), {
            theta: batch.theta,
            maxIterHarmony: batch.maxIter,
            seed: batch.seed,
            signal: opts.signal,
            pool: opts.pool,
            embeddingName: name,
            onProgress: (p: HarmonyProgress) =>
              progress(p.fraction, p.kind === 'step' ? p.message : `iteration ${p.iteration}/${p.maxIterations} done: objective ${p.objective.toPrecision(6)}${p.converged ? ', converged' : ''}`),
          });
        } catch (err) {
          if (opts.signal?.aborted) throw new CancelledError(ds.fileName);
          throw err;
        }
        return {
          keys: batchLabels.map((l) => ({ key: l.key, batches: batchSizes(l, keep) })),
          rep: nb.useRep,
          key: harmonyKeyFor(nb.useRep),
          coords: Float32Array.from(r.zCorr),
          dim,
          clusters: r.K,
          iterations: r.iterations,
          maxIterations: batch.maxIter,
          converged: r.converged,
          objective: r.objectiveHarmony,
          theta: batch.theta,
          seconds: (performance.now() - t0) / 1000,
        } satisfies Integration;
      });
    } else {
      opts.onStep?.({ step: 'harmony', state: 'skipped', fraction: 1, message: mode === 'full' ? 'no batch key' : 'uncorrected' });
    }
    const graphRep = harmony ? harmony.value.key : nb.useRep;
    const neighbors = await step('neighbors', [harmony ? JSON.stringify(['harmony', harmony.key]) : repKey, { ...nb, useRep: graphRep }, !!device], async () => {
      const { coords, dim } = harmony ? { coords: harmony.value.coords, dim: harmony.value.dim } : this.representation(nb.useRep, pca.value, filter.value.keep, filter.value.nKept);
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
      return { rep: graphRep, method, knn, graph: await fuzzyConnectivitiesAsync(knn, n, pass('neighbors')), coords, dim };
    });

    const umapStep = (signal = opts.signal) => step('umap', [neighbors.key, params.umap, !!device], async () => {
      // Parameters saved before init existed lack it: they were computed from PCA.
      const plan = await planUmap(neighbors.value.graph, neighbors.value.coords, neighbors.value.dim, { ...params.umap, init: params.umap.init ?? 'pca', ...pass('umap', signal) });
      const coords = device ? await umapWebGPU(device, plan, pass('umap', signal)) : await umapCpu(plan, pass('umap', signal));
      // Last line of defence: a layout with NaN must fail loudly, not be written out.
      for (let i = 0; i < coords.length; i++) {
        if (!Number.isFinite(coords[i])) throw new Error(`umap: cell ${Math.floor(i / 2)} got a non-finite coordinate; the neighbour graph is degenerate (many identical cells?)`);
      }
      return { coords, device: device ? 'WebGPU' : umapCpuEngine(plan) === 'wasm' ? 'CPU (WebAssembly SIMD)' : 'CPU (JavaScript)' };
    });
    const spreadUmap = (coords: Float32Array) => {
      const out = new Float32Array(ds.nObs * 2).fill(NaN);
      for (let i = 0, r = 0; i < ds.nObs; i++) {
        if (!filter.value.keep[i]) continue;
        out[2 * i] = coords[2 * r];
        out[2 * i + 1] = coords[2 * r + 1];
        r++;
      }
      return out;
    };
    if (mode === 'uncorrected') {
      const um = await umapStep();
      return { rep: nb.useRep, umapKey: umapKeyFor(nb.useRep), umap: spreadUmap(um.value.coords), umapDevice: um.value.device } satisfies UncorrectedUmap;
    }
    // With a pool sharing memory, Leiden (serial) runs on a spare worker while the pool's workers
    // run UMAP's epochs: neither needs the other, and the cores would otherwise wait on Leiden.
    const besideMin = opts.leidenBesideMin ?? LEIDEN_BESIDE_MIN;
    const beside = leidenRunsBeside(opts.pool, filter.value.nKept, besideMin);
    const leidenStep = (signal = opts.signal) =>
      step('leiden', [neighbors.key, params.leiden], () => leidenBeside(opts.pool, neighbors.value.graph, { ...params.leiden, ...pass('leiden', signal), minNodes: besideMin }));
    let ld: Awaited<ReturnType<typeof leidenStep>>;
    let um: Awaited<ReturnType<typeof umapStep>>;
    if (beside) {
      // The first to fail stops the other (nothing is left running on the pool) and is the error
      // reported: the other one's is then only the cancel it was given.
      const pair = new AbortController();
      const signal = opts.signal ? AbortSignal.any([opts.signal, pair.signal]) : pair.signal;
      const failFirst = (err: unknown): never => {
        pair.abort();
        throw err;
      };
      const [l, u] = await Promise.allSettled([leidenStep(signal).catch(failFirst), umapStep(signal).catch(failFirst)]);
      const errors = [l, u].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (errors.length) throw errors.find((e) => !(e instanceof CancelledError)) ?? errors[0];
      [ld, um] = [(l as PromiseFulfilledResult<typeof ld>).value, (u as PromiseFulfilledResult<typeof um>).value];
    } else {
      ld = await leidenStep();
      um = await umapStep();
    }
    const markers = await step('markers', [ld.key, params.markers], () =>
      datasetMarkers(
        { ds, countsKey, keep: filter.value.keep, totals, codes: ld.value.labels, groups: Array.from({ length: ld.value.nClusters }, (_, i) => String(i)), method: params.markers.method, normalize: !fromLog },
        pass('markers'),
      ),
    );

    const { keep } = filter.value;
    const leidenFull = new Int32Array(ds.nObs).fill(-1);
    for (let i = 0, r = 0; i < ds.nObs; i++) if (keep[i]) leidenFull[i] = ld.value.labels[r++];
    const umapFull = spreadUmap(um.value.coords);
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
      umapKey: umapKeyFor(graphRep),
      umapDevice: um.value.device,
      markers: markers.value,
      geneNames,
      countsKey,
      input,
      integration: harmony?.value ?? null,
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
