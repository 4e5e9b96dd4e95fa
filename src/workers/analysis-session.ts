// The worker's analysis state for the loaded dataset: the cached pipeline, per-cell totals for
// gene colouring and markers, and the requests that use them. One session per dataset.
import { forEachKeptRow, logNormMatrix } from '../analysis/expression.ts';
import { groupStats, type GroupStats } from '../analysis/group-stats.ts';
import { analysisDevice } from '../analysis/gpu-device.ts';
import { pointsInPolygon } from '../analysis/lasso.ts';
import type { GroupMarkers, MarkerMethod } from '../analysis/markers.ts';
import { datasetMarkers } from '../analysis/markers-stream.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { Pipeline, type PipelineParams, type PipelineResult, type StepEvent } from '../analysis/pipeline.ts';
import { analysisReport, markerTable, type AnalysisReport, type MarkerTable } from '../analysis/report.ts';
import { compareIntegration, type IntegrationMetricsReport } from '../analysis/integration-compare.ts';
import { DEFAULT_TARGET_SUM } from '../analysis/normalize.ts';
import type { Column, Dataset } from '../io/types.ts';
import type { File as H5File } from 'h5wasm';
import { qcMetrics, qcSetColumns } from '../analysis/qc.ts';
import { integratedObsm, scanpyResults } from '../analysis/scanpy-results.ts';
import { CancelledError } from '../io/errors.ts';
import type { H5Lib } from '../io/h5/runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { csrToCsc, type SnapshotContent } from '../io/h5ad/snapshot.ts';
import { annotationCsv, mapAcross, mapWithin, type MapParams, type MapReport } from '../analysis/mapping.ts';
import { logRegGpu } from '../analysis/logreg-engine.ts';
import type { SparseGraph } from '../analysis/connectivities.ts';
import { votingColumnNames } from '../analysis/vote-predictions.ts';
import { headAcross, headFromFile, headWithin, type HeadOptions, type HeadParams, type HeadReport } from '../analysis/scgpt-head.ts';
import { writeHeadFile, type SavedHead } from '../model/head-file.ts';
import type { VotingParams } from '../analysis/vote-predictions.ts';
import type { LoadedModel } from '../model/bundle.ts';
import type { CellEncoder } from '../model/embed.ts';
import { celltypistAnnotate, type CelltypistParams, type CelltypistReport } from '../analysis/celltypist.ts';
import type { LinearAnnotator } from '../analysis/linear-annotator.ts';
import { linearAnnotatorToJson, linearAnnotatorToPkl } from '../analysis/linear-annotator-json.ts';
import { parseMarkerSets, suggestCellTypes, type MarkerSet } from '../analysis/suggest.ts';
import { expressionInput, scaledRefusal, type ExpressionInput } from '../io/expression-input.ts';
import { findGene, geneLabels, type GeneLabels } from '../io/gene-symbols.ts';
import { parseEnsemblMap } from '../model/vocab.ts';
import type { ColumnData, SessionResults, SnapshotGenes, SnapshotRequest } from './protocol.ts';
import { violins, type ViolinResult, type ViolinSource } from '../analysis/violin.ts';

/** A gene the user asked for that the dataset does not have; the page shows it under the search box. */
export class GeneNotFoundError extends Error {
  constructor(name: string, nGenes: number, key: string) {
    super(`no gene "${name}" in this dataset (${nGenes.toLocaleString('en-US')} genes in ${key}; search by symbol or id)`);
  }
}

export interface SessionResources {
  ensemblMap(): Promise<Map<string, string>>;
  markerSets(): Promise<MarkerSet[]>;
}

/** The page's resources, fetched from the app's public folder once per worker. */
let ensemblMapLoad: Promise<Map<string, string>> | null = null;
export const browserResources: SessionResources = {
  ensemblMap() {
    ensemblMapLoad ??= fetch(`${import.meta.env.BASE_URL}gene_maps/GENCODEv44_Gene_id2name.csv`).then(async (r) => (r.ok ? parseEnsemblMap(await r.text()) : new Map()));
    return ensemblMapLoad;
  },
  async markerSets() {
    const r = await fetch(`${import.meta.env.BASE_URL}markers/cell-type-markers.json`);
    if (!r.ok) throw new Error(`the marker sets could not be loaded (HTTP ${r.status})`);
    return ((await r.json()) as { sets: MarkerSet[] }).sets;
  },
};

export class AnalysisSession {
  private readonly pipeline: Pipeline;
  private totals: { key: string; values: Float64Array } | null = null;
  private markerSets: Promise<MarkerSet[]> | null = null;
  private readonly markerCache = new WeakMap<Column, Map<MarkerMethod, GroupMarkers[]>>();

  private labels: { key: string; value: Promise<GeneLabels> } | null = null;
  private lastRun: { result: PipelineResult; params: PipelineParams } | null = null;
  /** What a restored session says of the run that made its results (the run itself is not kept). */
  private restoredRun: { umap?: string; fromRun: boolean } | null = null;
  /** obs columns and obsm keys this session computed: what an export writes over the input's. */
  private readonly added = new Set<string>();
  private readonly addedObsm = new Set<string>();
  /** The last mapping's trained model (logistic regression), for download. */
  private mapModel: LinearAnnotator | null = null;
  /** The last classifier head trained here, for "Save head". */
  private trainedHead: SavedHead | null = null;
  /** Workers for the CPU steps (the data worker sets it per request); null: one thread. */
  pool: WorkerPool | null = null;

  /**
   * `resources` loads what the page fetches from the app's public folder: the Ensembl -> symbol map
   * (for files whose genes are ids without a symbol column) and the shipped marker sets.
   */
  constructor(
    readonly ds: Dataset,
    private readonly resources: SessionResources = browserResources,
  ) {
    this.pipeline = new Pipeline(ds);
  }

  /** Runs the pipeline and stores its results as obs columns and obsm entries of the dataset. */
  async analyze(params: PipelineParams, signal: AbortSignal, onStep: (e: StepEvent) => void): Promise<AnalysisReport> {
    const device = params.device === 'cpu' ? null : await analysisDevice({ allowSoftware: params.device === 'webgpu' });
    // QC finds its gene sets by the symbols the gene search shows (the map, for ids without a symbol column).
    const ensemblToSymbol = await this.resources.ensemblMap().catch(() => new Map<string, string>());
    const r = await this.pipeline.run(params, { device, signal, onStep, pool: this.pool, ensemblToSymbol });
    const ds = this.ds;
    const leiden: Column = { kind: 'categorical', name: 'leiden', codes: r.leiden, categories: Array.from({ length: r.nClusters }, (_, i) => String(i)), ordered: false, dtype: 'category' };
    ds.setColumn(leiden);
    // The pipeline's cluster markers are this column's markers (filtered cells have no cluster).
    if (r.countsKey === this.expressionSource().key) this.remember(leiden, params.markers.method, r.markers);
    ds.setColumn({ kind: 'numeric', name: 'total_counts', values: Float64Array.from(r.qc.total_counts), dtype: 'float64' });
    ds.setColumn({ kind: 'numeric', name: 'n_genes_by_counts', values: Float64Array.from(r.qc.n_genes_by_counts), dtype: 'int64' });
    // total_counts_mt, pct_counts_mt, ..._ribo, ..._hb for the sets with genes (found by symbol).
    const setColumns = qcSetColumns(r.qc);
    for (const c of setColumns) ds.setColumn({ kind: 'numeric', name: c.name, values: Float64Array.from(c.values), dtype: 'float64' });
    ds.setColumn({ kind: 'categorical', name: 'passes_qc', codes: Int32Array.from(r.keep), categories: ['False', 'True'], ordered: false, dtype: 'bool' });
    const k = r.pca.nComps;
    const pcs = new Float32Array(ds.nObs * k).fill(NaN);
    for (let i = 0, row = 0; i < ds.nObs; i++) if (r.keep[i]) pcs.set(r.pca.scores.subarray(row * k, (row++ + 1) * k), i * k);
    ds.addEmbedding({ key: 'X_pca', shape: [ds.nObs, k], data: pcs });
    ds.addEmbedding({ key: r.umapKey, shape: [ds.nObs, 2], data: r.umap });
    const integrated = integratedObsm(r);
    for (const [key, e] of Object.entries(integrated)) {
      ds.addEmbedding({ key, shape: e.shape, data: e.data });
      this.addedObsm.add(key);
    }
    // What the previous run derived from its X_pca is stale now: the corrected PCs and their UMAP
    // when this run made none, and after an integrated run the plain UMAP (computed again on request).
    const made = new Set(['X_pca', r.umapKey, ...Object.keys(integrated)]);
    for (const key of ['X_pca_harmony', 'X_umap_pca_harmony', ...(r.integration ? ['X_umap_pca'] : [])]) if (!made.has(key)) this.forgetEmbedding(key);
    this.totals = { key: r.countsKey, values: r.qc.total_counts };
    // Saved with the export as scanpy stores a run: graphs, HVG table, rank_genes_groups.
    this.lastRun = { result: r, params };
    for (const name of ['leiden', 'total_counts', 'n_genes_by_counts', 'passes_qc', ...setColumns.map((c) => c.name)]) this.added.add(name);
    this.addedObsm.add('X_pca').add(r.umapKey);
    const labels = await this.geneLabels();
    return analysisReport(r, params, labels.source && this.expressionSource().key === r.countsKey ? labels.symbols : undefined);
  }

  /** Drops an embedding this session computed (never one of the file's own). */
  private forgetEmbedding(key: string): void {
    if (!this.addedObsm.has(key)) return;
    this.addedObsm.delete(key);
    const i = this.ds.embeddings.findIndex((e) => e.key === key);
    if (i >= 0) this.ds.embeddings.splice(i, 1);
  }

  /**
   * The "before" of the last integrated run: neighbours and UMAP on its uncorrected representation
   * (X_pca of the same run), stored as X_umap_pca. Returns its key.
   */
  async uncorrectedUmap(signal: AbortSignal, onStep: (e: StepEvent) => void): Promise<string> {
    const run = this.lastRun;
    if (!run?.result.integration) throw new Error('run the pipeline with a batch key first: the uncorrected UMAP is the integrated run\'s without Harmony');
    const device = run.params.device === 'cpu' ? null : await analysisDevice({ allowSoftware: run.params.device === 'webgpu' });
    const ensemblToSymbol = await this.resources.ensemblMap().catch(() => new Map<string, string>());
    const u = await this.pipeline.uncorrectedUmap(run.params, { device, signal, onStep, pool: this.pool, ensemblToSymbol });
    this.ds.addEmbedding({ key: u.umapKey, shape: [this.ds.nObs, 2], data: u.umap });
    this.addedObsm.add(u.umapKey);
    return u.umapKey;
  }

  /**
   * Batch-integration metrics of the last integrated run, before (the uncorrected representation,
   * X_pca) and after (X_pca_harmony), on the cells it analysed: LISI, scIB's ASWs, graph connectivity.
   */
  async integrationMetrics(labelKey: string | null, signal: AbortSignal, onProgress: (f: number, m: string) => void): Promise<IntegrationMetricsReport> {
    const run = this.lastRun?.result;
    if (!run?.integration) throw new Error('run the pipeline with a batch key first: the metrics compare the embedding before and after Harmony');
    const h = run.integration;
    const batchKey = h.keys[0].key;
    const before = this.ds.readEmbedding(h.rep);
    const after = this.ds.readEmbedding(h.key);
    return compareIntegration(this.ds, { batchKey, labelKey, before, after, keep: run.keep }, { signal, onProgress, pool: this.pool });
  }

  /** A new X_scGPT (or other obsm) invalidates graphs built on the old one. */
  embeddingChanged(key: string): void {
    this.addedObsm.add(key);
    if (key === 'X_scGPT') this.addedObsm.add('X_scGPT_pc');
    this.pipeline.invalidateRep(key);
  }

  private async cellTotals(key: string, signal?: AbortSignal): Promise<Float64Array> {
    // QC's pass gives the same totals (sums of the stored values), with the pool's readers.
    if (this.totals?.key !== key) this.totals = { key, values: (await qcMetrics(this.ds, key, this.ds.varNamesOf(key), { signal, pool: this.pool })).total_counts };
    return this.totals.values;
  }

  /**
   * The matrix markers and gene colours read: counts (log-normalised here), log-normalised values
   * as stored (raw/X of scanpy's processed files), or scaled X (colours only).
   */
  private expressionSource(): { key: string; normalize: boolean; input: ExpressionInput } {
    const input = expressionInput(this.ds);
    if (!input) throw new Error('this file has no expression matrix (no X, raw/X or layers)');
    return { key: input.key, normalize: input.kind === 'counts', input };
  }

  /** Ids and display symbols of the genes colours and markers use (computed once per matrix). */
  geneLabels(): Promise<GeneLabels> {
    const key = this.expressionSource().key;
    if (this.labels?.key !== key) {
      const value = this.resources
        .ensemblMap()
        .catch(() => new Map<string, string>())
        .then((map) => geneLabels(this.ds, key, map));
      this.labels = { key, value };
    }
    return this.labels.value;
  }

  /** log1p(normalize_total) expression of one gene (by symbol or id) per cell, or the stored values without counts. */
  async geneValues(name: string, signal?: AbortSignal): Promise<Float64Array> {
    const src = this.expressionSource();
    const labels = await this.geneLabels();
    const g = findGene(labels, name);
    if (g < 0) throw new GeneNotFoundError(name, labels.ids.length, src.key);
    const totals = src.normalize ? await this.cellTotals(src.key, signal) : null;
    const out = new Float64Array(this.ds.nObs);
    // Gene-major storage (a shared snapshot's CSC X) reads this gene's entries and nothing else.
    const column = this.ds.readColumn?.(src.key, g) ?? null;
    if (column) {
      for (let k = 0; k < column.rows.length; k++) {
        const cell = column.rows[k];
        const v = column.values[k];
        out[cell] = totals ? Math.log1p((v * DEFAULT_TARGET_SUM) / (totals[cell] || 1)) : v;
      }
      return out;
    }
    await forEachKeptRow(this.ds, src.key, null, (cell, chunk, r) => {
      for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) {
        if (chunk.indices[k] !== g) continue;
        const v = chunk.data[k];
        out[cell] = totals ? Math.log1p((v * DEFAULT_TARGET_SUM) / (totals[cell] || 1)) : v;
      }
    }, { signal });
    return out;
  }

  /**
   * Mean expression and fraction expressing of `genes` (symbols or ids) in each group of a
   * categorical column: the numbers of sc.pl.dotplot / matrixplot.
   */
  async groupStats(groupBy: string, genes: string[], signal?: AbortSignal): Promise<GroupStats> {
    const col = this.ds.obs.columns.find((c) => c.name === groupBy);
    if (!col || col.kind !== 'categorical') throw new Error(`"${groupBy}" is not a categorical obs column`);
    const src = this.expressionSource();
    if (src.input.kind === 'scaled') throw new Error(scaledRefusal(src.input, 'Dot plots'));
    const labels = await this.geneLabels();
    const idx = genes.map((g) => {
      const i = findGene(labels, g);
      if (i < 0) throw new GeneNotFoundError(g, labels.ids.length, src.key);
      return i;
    });
    const sorted = Int32Array.from(new Set(idx)).sort();
    const totals = src.normalize ? await this.cellTotals(src.key, signal) : null;
    const m = await logNormMatrix(this.ds, src.key, null, totals, sorted, { signal, pool: this.pool });
    const stats = groupStats(m, col.codes, col.categories, Array.from(sorted, (g) => labels.symbols[g]));
    // Back to the order asked for.
    const order = idx.map((g) => sorted.indexOf(g));
    const p = sorted.length;
    const pick = (a: Float64Array) => Float64Array.from({ length: col.categories.length * order.length }, (_, t) => a[Math.floor(t / order.length) * p + order[t % order.length]]);
    return { ...stats, genes: order.map((j) => stats.genes[j]), mean: pick(stats.mean), fraction: pick(stats.fraction), unit: src.normalize ? 'log1p normalised' : `${src.key} as stored` };
  }

  /**
   * sc.pl.violin's numbers: a gene's expression (as geneValues) or a numeric obs column, per group of
   * a categorical column (null: all cells as one group); `points`: values kept per group for a stripplot.
   */
  async violin(groupBy: string | null, source: ViolinSource, signal?: AbortSignal, points?: number): Promise<ViolinResult> {
    const columns = this.ds.obs.columns;
    let group: { codes: Int32Array; categories: string[] } | null = null;
    if (groupBy !== null) {
      const col = columns.find((c) => c.name === groupBy);
      if (!col) throw new Error(`no obs column "${groupBy}"`);
      if (col.kind !== 'categorical') throw new Error(`"${groupBy}" is a ${col.kind} column; violins are grouped by a categorical obs column`);
      group = col;
    }
    let values: ArrayLike<number>;
    let label: string;
    if (source.kind === 'column') {
      const col = columns.find((c) => c.name === source.name);
      if (!col) throw new Error(`no obs column "${source.name}"`);
      if (col.kind !== 'numeric') throw new Error(`"${source.name}" is a ${col.kind} column; a violin shows a numeric column or a gene`);
      values = col.values;
      label = source.name;
    } else {
      values = await this.geneValues(source.name, signal);
      const labels = await this.geneLabels();
      const src = this.expressionSource();
      const symbol = labels.symbols[findGene(labels, source.name)];
      label = `${symbol} (${src.normalize ? 'log-normalised counts' : `${src.key} as stored`})`;
    }
    return { groupBy, source, label, groups: violins(values, group?.codes ?? null, group?.categories ?? [], { allLabel: 'all cells', points }) };
  }

  /**
   * The file's own marker table (scanpy's uns/rank_genes_groups), shown by symbol; the fraction of
   * cells expressing is not stored there, so it is NaN.
   */
  async storedMarkers(): Promise<MarkerTable | null> {
    const stored = this.ds.storedMarkers?.() ?? null;
    if (!stored || stored.groups.length === 0) return null;
    const labels = await this.geneLabels();
    const index = new Map(labels.ids.map((id, i) => [id, i]));
    const col = this.ds.obs.columns.find((c) => c.name === stored.groupby);
    const sizes = new Map<string, number>();
    if (col?.kind === 'categorical') for (const code of col.codes) if (code >= 0) sizes.set(col.categories[code], (sizes.get(col.categories[code]) ?? 0) + 1);
    return {
      groupBy: stored.groupby || 'groups',
      method: stored.method || 'unknown',
      stored: true,
      groups: stored.groups.map((g) => {
        const symbols = g.names.map((n) => (index.has(n) ? labels.symbols[index.get(n)!] : n));
        const nan = g.names.map(() => NaN);
        return { group: g.group, nCells: sizes.get(g.group) ?? NaN, genes: symbols, ...(labels.source ? { geneIds: g.names } : {}), scores: g.scores, logFoldChanges: g.logfoldchanges, pvalsAdj: g.pvalsAdj, pctIn: nan, pctOut: nan };
      }),
    };
  }

  /** Markers for each group of a categorical obs column, or for a selection (1s) vs the rest. */
  async markers(groupBy: string, method: MarkerMethod, selection: Uint8Array | null, signal: AbortSignal, onProgress: (f: number, m: string) => void): Promise<MarkerTable> {
    const labels = await this.geneLabels();
    const table = (m: GroupMarkers[], by: string) => markerTable(m, labels.ids, by, method, 100, labels.source ? labels.symbols : undefined);
    if (selection) {
      const nSel = selection.reduce((a, b) => a + b, 0);
      if (nSel < 2 || nSel > this.ds.nObs - 2) throw new Error(`select at least 2 cells and leave at least 2 out (selected ${nSel})`);
      const result = await this.computeMarkers(Int32Array.from(selection, (v) => (v ? 0 : 1)), ['selection', 'rest'], method, signal, onProgress);
      return table(result.slice(0, 1), 'selection');
    }
    return table(await this.columnMarkers(groupBy, method, signal, onProgress), groupBy);
  }

  /**
   * Suggestions per group of a categorical column from the shipped marker sets (or the user's),
   * scored on that column's Wilcoxon markers over all genes.
   */
  async suggest(groupBy: string, userSets: string | undefined, signal: AbortSignal, onProgress: (f: number, m: string) => void) {
    const sets = userSets ? parseMarkerSets(userSets) : await this.shippedSets();
    const markers = await this.columnMarkers(groupBy, 'wilcoxon', signal, onProgress);
    return suggestCellTypes(markers, (await this.geneLabels()).symbols, sets, 3);
  }

  /**
   * Markers of a column's groups, computed once per column version and method: the cache is keyed
   * by the Column object, which setColumn replaces on every change. The pipeline seeds it for leiden.
   */
  private async columnMarkers(groupBy: string, method: MarkerMethod, signal: AbortSignal, onProgress: (f: number, m: string) => void): Promise<GroupMarkers[]> {
    const col = this.ds.obs.columns.find((c) => c.name === groupBy);
    if (!col || col.kind !== 'categorical') throw new Error(`"${groupBy}" is not a categorical obs column`);
    const cached = this.markerCache.get(col)?.get(method);
    if (cached) return cached;
    const result = await this.computeMarkers(col.codes, col.categories, method, signal, onProgress);
    this.remember(col, method, result);
    return result;
  }

  private remember(col: Column, method: MarkerMethod, result: GroupMarkers[]): void {
    const byMethod = this.markerCache.get(col) ?? new Map<MarkerMethod, GroupMarkers[]>();
    byMethod.set(method, result);
    this.markerCache.set(col, byMethod);
  }

  private async computeMarkers(codes: Int32Array, groups: string[], method: MarkerMethod, signal: AbortSignal, onProgress: (f: number, m: string) => void): Promise<GroupMarkers[]> {
    const src = this.expressionSource();
    if (src.input.kind === 'scaled') throw new Error(scaledRefusal(src.input, 'Marker genes'));
    const totals = src.normalize ? await this.cellTotals(src.key, signal) : new Float64Array(this.ds.nObs).fill(DEFAULT_TARGET_SUM);
    return datasetMarkers({ ds: this.ds, countsKey: src.key, keep: null, totals, codes, groups, method, normalize: src.normalize }, { signal, onProgress, pool: this.pool });
  }

  private shippedSets(): Promise<MarkerSet[]> {
    this.markerSets ??= this.resources.markerSets();
    return this.markerSets;
  }

  /** Maps from the labelled cells of this dataset, or (with `reference`) from another dataset. */
  async map(params: MapParams, reference: Dataset | null, signal: AbortSignal, onProgress: (f: number, m: string) => void): Promise<MapReport> {
    // Logistic regression's gradient on this worker's GPU where the choice and the size allow.
    const { gpu, detail } = params.method === 'logreg' ? await logRegGpu(params.logreg.device) : { gpu: null, detail: '' };
    const opts = { signal, onProgress, pool: this.pool, graph: this.fullGraph(), gpu, noGpu: detail };
    const { columns, report, model } = reference ? await mapAcross(reference, this.ds, params, opts) : await mapWithin(this.ds, params, opts);
    this.replaceColumns(columns, staleOfMapping(params.labelColumn));
    this.mapModel = model ?? null;
    return report;
  }

  /** Annotates with scGPT's classifier head trained on this dataset's labelled cells, or (with `reference`) on another dataset's. */
  async annotateHead(model: LoadedModel, encoder: CellEncoder, params: HeadParams, reference: Dataset | null, opts: HeadOptions): Promise<HeadReport> {
    const { columns, report, trained } = reference ? await headAcross(reference, this.ds, model, encoder, params, { ...opts, graph: this.fullGraph(), pool: this.pool }) : await headWithin(this.ds, model, encoder, params, { ...opts, graph: this.fullGraph(), pool: this.pool });
    this.replaceColumns(columns, staleOfMapping(params.labelColumn));
    this.trainedHead = trained ?? null;
    return report;
  }

  /** The last trained head as a .pt (model/head-file.ts). */
  headFile(): Uint8Array {
    if (!this.trainedHead) throw new Error('no trained head: train the scGPT classifier head first');
    return writeHeadFile(this.trainedHead);
  }

  /** Annotates this dataset with a saved head; its columns are set only once every cell is predicted. */
  async annotateSavedHead(model: LoadedModel, encoder: CellEncoder, saved: SavedHead, fileName: string, p: { minConfidence: number; voting: VotingParams }, opts: HeadOptions & { mismatchFix: string }): Promise<HeadReport> {
    const { columns, report } = await headFromFile(this.ds, model, encoder, saved, fileName, p, { ...opts, graph: this.fullGraph(), pool: this.pool });
    this.replaceColumns(columns, staleOfMapping(saved.labelColumn));
    return report;
  }

  /** The pipeline's neighbourhood graph when it covers every cell (majority voting over-clusters on it). */
  private fullGraph(): SparseGraph | null {
    const run = this.lastRun?.result;
    return run && run.nKept === this.ds.nObs ? run.neighbors.graph : null;
  }

  /** The last mapping's trained model as JSON (scweb-linear-annotator), for reuse. */
  mapModelJson(): string {
    return linearAnnotatorToJson(this.trainedModel());
  }

  /** The last mapping's trained model as a CellTypist .pkl. */
  mapModelPkl(): Uint8Array {
    return linearAnnotatorToPkl(this.trainedModel());
  }

  private trainedModel(): LinearAnnotator {
    if (!this.mapModel) throw new Error('no trained model: map labels by logistic regression first');
    return this.mapModel;
  }

  /**
   * CellTypist's prediction (and majority voting) with `model`; its columns replace those of an
   * earlier CellTypist run with the same prefix. The over-clustering uses the pipeline's graph when
   * it covers every cell. Columns are set only once all is computed: a failure changes nothing.
   */
  async celltypist(model: LinearAnnotator, modelName: string, params: CelltypistParams, signal: AbortSignal, onProgress: (f: number, m: string) => void): Promise<CelltypistReport> {
    const graph = this.fullGraph();
    const ensemblToSymbol = await this.resources.ensemblMap().catch(() => new Map<string, string>());
    const { columns, report } = await celltypistAnnotate(this.ds, model, params, { modelName, ensemblToSymbol, graph, signal, onProgress, pool: this.pool });
    const ours = new Set(['predicted_labels', 'over_clustering', 'majority_voting', 'conf_score'].map((n) => `${params.prefix}${n}`));
    this.replaceColumns(columns, (name) => ours.has(name));
    return report;
  }

  /** Computed columns join the obs and every export; earlier computed columns `stale` names are dropped. */
  replaceColumns(columns: Column[], stale: (name: string) => boolean): void {
    const obs = this.ds.obs.columns;
    for (let i = obs.length - 1; i >= 0; i--) {
      if (this.added.has(obs[i].name) && stale(obs[i].name)) {
        this.added.delete(obs[i].name);
        obs.splice(i, 1);
      }
    }
    for (const c of columns) {
      this.ds.setColumn(c);
      this.added.add(c.name);
    }
  }

  setColumn(c: ColumnData & { kind: 'categorical' }): void {
    this.added.add(c.name);
    this.ds.setColumn({ ...c, ordered: false, dtype: 'category' });
  }

  csv(columns: string[]): string {
    return annotationCsv(this.ds, columns);
  }

  /**
   * The dataset as an .h5ad, as scanpy would save it after this session's work: an .h5ad input is
   * copied whole (X, layers, raw, uns kept) with our results replacing keys of the same name; our
   * UMAP of X_pca becomes X_umap. `openInput` opens the input file read-only (the worker mounts the
   * user's File); other formats are written from what was read.
   */
  async h5ad(signal: AbortSignal, onProgress: (f: number, m: string) => void, openInput?: (lib: H5Lib) => { file: H5File; bytes: number; close(): void }, session?: string, colors?: Record<string, Record<string, string>>): Promise<{ bytes: Uint8Array; left?: string }> {
    const ds = this.ds;
    const run = this.lastRun && ds.obs.columns.some((c) => c.name === 'leiden') ? scanpyResults(ds, this.lastRun.result, this.lastRun.params) : null;
    const obsm: Record<string, { shape: [number, number]; data: Float32Array }> = {};
    const umapKey = this.graphUmap();
    for (const key of this.addedObsm) {
      if (!ds.embeddings.some((e) => e.key === key)) continue;
      const e = ds.readEmbedding(key);
      obsm[key === umapKey ? 'X_umap' : key] = { shape: e.shape, data: e.data };
    }
    const results = {
      obs: ds.obs.columns.filter((c) => this.added.has(c.name)),
      obsm,
      session,
      colors,
      ...(run ? { var: run.var, varm: run.varm, drop: run.drop, pca: run.pca, obsp: run.obsp, neighbors: run.neighbors, rankGenesGroups: run.rankGenesGroups } : {}),
    };
    // Loaded here, not at the top: the CLI uses this class and cannot load the browser runtime's wasm URLs.
    const { writeScratchFile } = await import('./h5-browser-runtime.ts');
    // Restored from the browser's storage, which keeps the cells' columns and embeddings only.
    const left = !run && this.restoredRun?.fromRun ? RESTORED_EXPORT_LEFT : undefined;
    const bytes = await writeScratchFile(async (lib, path) => {
      onProgress(0, 'writing .h5ad');
      const input = ds.format === 'h5ad' && openInput ? openInput(lib) : null;
      try {
        await writeWithResults(lib, input?.file ?? ds.fileName, ds, path, results, input?.bytes);
      } finally {
        input?.close();
      }
      if (signal.aborted) throw new CancelledError('export');
    });
    return { bytes, left };
  }

  /**
   * The UMAP of the graph a run saves with it (scanpy's X_umap): after an integrated run the
   * corrected one, the uncorrected keeping its own name. A restored session says which it was;
   * one saved before it did goes by the corrected UMAP being there.
   */
  private graphUmap(): string {
    if (this.lastRun) return this.lastRun.result.integration ? 'X_umap_pca_harmony' : 'X_umap_pca';
    return this.restoredRun?.umap ?? (this.addedObsm.has('X_umap_pca_harmony') ? 'X_umap_pca_harmony' : 'X_umap_pca');
  }


  /**
   * The genes a snapshot option stands for, as sorted indices into the expression matrix: what the
   * snapshot writes and what the share dialog counts (HVGs and markers overlap; a marker the
   * matrix lacks is not counted).
   */
  async snapshotGenes(genes: SnapshotGenes): Promise<Int32Array> {
    const labels = await this.geneLabels();
    const n = labels.ids.length;
    if (genes.kind === 'none') return new Int32Array(0);
    if (genes.kind === 'all') return Int32Array.from({ length: n }, (_, i) => i);
    const picked = new Set<number>();
    const names = genes.kind === 'list' ? genes.names : genes.markers;
    for (const name of names) {
      const g = findGene(labels, name);
      if (g >= 0) picked.add(g);
    }
    const run = this.lastRun?.result;
    if (genes.kind === 'hvg+markers' && run && run.countsKey === this.expressionSource().key) for (const g of run.hvg.genes) picked.add(g);
    else if (genes.kind === 'hvg+markers' && n === this.ds.var.index.length) {
      // No run here: a processed file's own HVG flags (scanpy's var/highly_variable).
      const flags = this.ds.var.columns.find((c) => c.name === 'highly_variable');
      if (flags?.kind === 'categorical') flags.codes.forEach((code, g) => flags.categories[code] === 'True' && picked.add(g));
    }
    return Int32Array.from(picked).sort();
  }

  /**
   * A shared analysis as an .h5ad (see io/h5ad/snapshot.ts): every obs column, the chosen
   * embeddings, and the chosen genes' log-normalised values by gene.
   */
  async snapshotContent(req: SnapshotRequest, signal: AbortSignal, onProgress: (f: number, m: string) => void): Promise<SnapshotContent> {
    const ds = this.ds;
    const src = this.expressionSource();
    if (src.input.kind === 'scaled' && req.genes.kind !== 'none') throw new Error(scaledRefusal(src.input, 'Sharing expression'));
    const genes = await this.snapshotGenes(req.genes);
    onProgress(0.05, `reading ${genes.length.toLocaleString('en-US')} genes`);
    const totals = src.normalize && genes.length ? await this.cellTotals(src.key, signal) : null;
    const m = genes.length ? await logNormMatrix(ds, src.key, null, totals, genes, { signal }) : { nRows: ds.nObs, nCols: 0, indptr: new Float64Array(ds.nObs + 1), indices: new Uint32Array(0), data: new Float32Array(0) };
    const X = csrToCsc(ds.nObs, genes.length, m.indptr, m.indices, m.data);
    const labels = await this.geneLabels();
    const obsm: SnapshotContent['obsm'] = {};
    // Under the app's names (X_umap_pca stays X_umap_pca): the workspace that travels with it names them so.
    for (const key of req.embeddings) {
      const e = ds.readEmbedding(key);
      obsm[key] = { shape: e.shape, data: e.data };
    }
    const run = this.lastRun && ds.obs.columns.some((c) => c.name === 'leiden') ? scanpyResults(ds, this.lastRun.result, this.lastRun.params) : null;
    return {
      obs: { index: ds.obs.index, columns: ds.obs.columns },
      genes: { ids: Array.from(genes, (g) => labels.ids[g]), symbols: labels.source ? Array.from(genes, (g) => labels.symbols[g]) : null },
      X,
      obsm,
      session: req.session,
      provenance: req.provenance,
      colors: req.colors,
      rankGenesGroups: run?.rankGenesGroups,
    };
  }

  /** Copies of the computed columns and embeddings (the page stores them; the dataset keeps its own). */
  results(): SessionResults {
    const ds = this.ds;
    const columns = ds.obs.columns.filter((c) => this.added.has(c.name));
    const obsm = [...this.addedObsm].filter((k) => ds.embeddings.some((e) => e.key === k)).map((k) => {
      const e = ds.readEmbedding(k);
      return { key: k, shape: e.shape, data: e.data.slice() };
    });
    return { columns, obsm, umap: this.graphUmap(), fromRun: !!this.lastRun || !!this.restoredRun?.fromRun };
  }

  /**
   * Puts back what an earlier visit computed on this same file. Checked like a file's content: the
   * page's storage can be stale or edited, and a wrong length would misalign every cell.
   */
  restore(r: SessionResults): void {
    const n = this.ds.nObs;
    for (const c of r.columns) {
      const len = c.kind === 'categorical' ? c.codes.length : c.values.length;
      if (len !== n) throw new Error(`the saved column "${c.name}" has ${len} values but the dataset has ${n} cells: the saved session is for another file`);
      if (c.kind === 'categorical' && c.codes.some((v) => v < -1 || v >= c.categories.length)) throw new Error(`the saved column "${c.name}" has codes outside its ${c.categories.length} categories`);
    }
    for (const e of r.obsm) {
      if (e.shape[0] !== n) throw new Error(`the saved embedding "${e.key}" has ${e.shape[0]} rows but the dataset has ${n} cells: the saved session is for another file`);
      if (e.data.length !== e.shape[0] * e.shape[1]) throw new Error(`the saved embedding "${e.key}" holds ${e.data.length} values, not ${e.shape.join(' x ')}: the saved session is damaged`);
    }
    for (const c of r.columns) {
      this.ds.setColumn(c);
      this.added.add(c.name);
    }
    for (const e of r.obsm) {
      this.ds.addEmbedding({ key: e.key, shape: e.shape, data: e.data });
      this.embeddingChanged(e.key);
    }
    // Saved before sessions said whether a run made them: a Leiden column says so.
    this.restoredRun = { umap: r.umap, fromRun: r.fromRun ?? r.columns.some((c) => c.name === 'leiden') };
  }

  lasso(key: string, polygon: number[]): Uint8Array {
    const e = this.ds.readEmbedding(key);
    return pointsInPolygon(e.data, e.shape[1], e.shape[0], polygon);
  }
}

/** What an export of a restored session leaves out, and how to get it back. */
export const RESTORED_EXPORT_LEFT =
  'Saved without the neighbour graph (obsp), PCA loadings (varm/PCs), highly variable genes and the markers (uns/rank_genes_groups): this analysis was restored from the browser, which keeps the cells\' columns and embeddings only. Run the pipeline again (the same parameters and seed give the same results) and save again to include them.';

/**
 * A new label transfer of `label` replaces the last one's half split and majority vote (a run
 * without them leaves none behind); other mappings' columns stay.
 */
function staleOfMapping(label: string): (name: string) => boolean {
  const v = votingColumnNames(`predicted_${label}_`);
  const stale = new Set([`predicted_${label}_split`, v.overClustering, v.voted]);
  return (name) => stale.has(name);
}
