// The analysis side of the page: pipeline parameters and run state, the marker table on show,
// the lasso selection, and gene colouring. Heavy work happens in the worker; this only asks.
import { create } from 'zustand';
import type { MarkerMethod } from '../analysis/markers.ts';
import { DEFAULT_PARAMS, type PipelineParams, type StepEvent, type StepName } from '../analysis/pipeline.ts';
import type { AnalysisReport, IntegrationMetricsReport, MarkerTable } from '../workers/protocol.ts';
import type { DatasetSummary } from '../io/summary.ts';
import { setOnDatasetOpened, useApp, type Panel } from './store.ts';
import { forgetColumns, useView } from './view-store.ts';
import { WorkerRequestError, dataClient } from './worker-client.ts';
import { findGene } from '../io/gene-symbols.ts';

export interface AnalysisState {
  params: PipelineParams;
  /** Workers for the CPU steps (results do not depend on it). */
  threads: number;
  setThreads(n: number): void;
  job: { id: number; steps: Partial<Record<StepName, StepEvent>> } | null;
  /** The steps of the last run that was cancelled or failed, kept on screen to show what finished. */
  stopped: { steps: Partial<Record<StepName, StepEvent>>; reason: 'cancelled' | 'failed' } | null;
  report: AnalysisReport | null;
  markers: MarkerTable | null;
  markersJob: { id: number; message: string; fraction: number } | null;
  /** Before/after metrics of the last integrated run, the label column they used, and the jobs making them. */
  integration: {
    metrics: IntegrationMetricsReport | null;
    labelKey: string | null;
    metricsJob: { id: number; message: string; fraction: number } | null;
    /** The uncorrected UMAP being computed (the before view). */
    beforeJob: { id: number; message: string; fraction: number } | null;
  };
  /** Computes the metrics with this label column (null: none; undefined: the one chosen). */
  computeMetrics(labelKey?: string | null): Promise<void>;
  cancelMetrics(): void;
  /** Shows the UMAP without Harmony, computing it first if needed. */
  showBefore(key: string): Promise<void>;
  cancelBefore(): void;
  selection: { mask: Uint8Array; count: number; embedding: string } | null;
  lassoMode: boolean;
  /** Percentiles the numeric colour scale is clipped to. */
  clip: [number, number];
  setClip(clip: [number, number]): void;
  /** The expression matrix's var names, their display symbols, and where the symbols came from. */
  genes: { ids: string[]; symbols: string[]; source: string | null };
  /** Why the last gene asked for could not be shown (under the search box). */
  geneError: string | null;
  obsIndex: string[];
  setParams(p: PipelineParams): void;
  run(): Promise<void>;
  cancel(): void;
  computeMarkers(groupBy: string, method: MarkerMethod): Promise<void>;
  /** Stops the marker computation under way (the table on show stays). */
  cancelMarkers(): void;
  selectionMarkers(method: MarkerMethod): Promise<void>;
  lasso(embedding: string, polygon: number[]): Promise<void>;
  clearSelection(): void;
  setLassoMode(on: boolean): void;
  colorByGene(name: string): Promise<void>;
  loadLists(): Promise<void>;
  reset(): void;
}

const fail = (err: unknown, panel: Panel, action: string) => useApp.getState().fail(err, panel, action);
const NO_GENES = { ids: [], symbols: [], source: null };
const NO_INTEGRATION: AnalysisState['integration'] = { metrics: null, labelKey: null, metricsJob: null, beforeJob: null };
/** Up to this many cells the metrics start by themselves after an integrated run (the ASWs grow as n^2). */
export const AUTO_METRICS_CELLS = 10000;

/** Cell-type labels for cLISI and the label ASW: an annotation column when there is one, else leiden. */
export function defaultLabelColumn(summary: DatasetSummary, batchKeys: string[]): string | null {
  const usable = Object.entries(summary.obs).filter(([name, c]) => !batchKeys.includes(name) && c.categories && Object.values(c.categories).filter((n) => n > 0).length >= 2);
  const names = usable.map(([n]) => n);
  const annotation = ['cell_type', 'celltype', 'cell_types', 'bulk_labels', 'labels', 'cell_labels', 'annotation', 'majority_voting', 'predicted_labels'].find((n) => names.includes(n));
  return annotation ?? names.find((n) => n.startsWith('predicted_') && !n.endsWith('_confidence')) ?? (names.includes('leiden') ? 'leiden' : (names[0] ?? null));
}

export const useAnalysis = create<AnalysisState>((set, get) => ({
  params: DEFAULT_PARAMS,
  threads: typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1,
  setThreads(threads) {
    set({ threads: Math.max(1, Math.floor(threads) || 1) });
  },
  job: null,
  stopped: null,
  report: null,
  markers: null,
  markersJob: null,
  integration: NO_INTEGRATION,
  selection: null,
  lassoMode: false,
  clip: [0, 100],
  setClip(clip) {
    set({ clip });
  },
  genes: NO_GENES,
  geneError: null,
  obsIndex: [],

  setParams(params) {
    set({ params });
  },

  async run() {
    const { id, done } = dataClient().request<'analyzed'>({ type: 'analyze', params: get().params, threads: get().threads }, undefined, (event) => {
      const job = get().job;
      if (job?.id === id) set({ job: { id, steps: { ...job.steps, [event.step]: event } } });
    });
    set({ job: { id, steps: {} }, stopped: null });
    useApp.setState({ error: null });
    try {
      const { summary, report } = await done;
      const keys = report.integration?.keys.map((k) => k.key) ?? [];
      set({ report, markers: report.markers, job: null, integration: { ...NO_INTEGRATION, labelKey: keys.length ? defaultLabelColumn(summary, keys) : null } });
      useApp.setState({ summary });
      useView.getState().runFinished();
      forgetColumns();
      await Promise.all([useApp.getState().showEmbedding(report.umapKey), useApp.getState().setColorBy('leiden')]);
      if (report.integration && report.nKept <= AUTO_METRICS_CELLS) void get().computeMetrics();
    } catch (err) {
      const job = get().job;
      if (job?.id === id) set({ job: null, stopped: { steps: job.steps, reason: 'failed' } });
      fail(err, 'analysis', 'Pipeline');
    }
  },

  cancel() {
    const job = get().job;
    if (job) dataClient().cancel(job.id);
    set({ job: null, stopped: job ? { steps: job.steps, reason: 'cancelled' } : null });
  },

  async computeMetrics(labelKey) {
    const label = labelKey === undefined ? get().integration.labelKey : labelKey;
    const previous = get().integration.metricsJob;
    if (previous) dataClient().cancel(previous.id);
    const { id, done } = dataClient().request<'integration-metrics'>({ type: 'integration-metrics', labelKey: label, threads: get().threads }, (fraction, message) => {
      if (get().integration.metricsJob?.id === id) set({ integration: { ...get().integration, metricsJob: { id, fraction, message } } });
    });
    set({ integration: { ...get().integration, labelKey: label, metricsJob: { id, fraction: 0, message: 'integration metrics' } } });
    try {
      const { report } = await done;
      if (get().integration.metricsJob?.id === id) set({ integration: { ...get().integration, metrics: report, metricsJob: null } });
    } catch (err) {
      if (get().integration.metricsJob?.id === id) set({ integration: { ...get().integration, metricsJob: null } });
      fail(err, 'integration', 'Integration metrics');
    }
  },

  cancelMetrics() {
    const job = get().integration.metricsJob;
    if (job) dataClient().cancel(job.id);
    set({ integration: { ...get().integration, metricsJob: null } });
  },

  async showBefore(key) {
    if (useApp.getState().summary?.obsm[key]) return useApp.getState().showEmbedding(key);
    if (get().integration.beforeJob) return;
    const { id, done } = dataClient().request<'umap-before'>({ type: 'umap-before', threads: get().threads }, (fraction, message) => {
      if (get().integration.beforeJob?.id === id) set({ integration: { ...get().integration, beforeJob: { id, fraction, message } } });
    });
    set({ integration: { ...get().integration, beforeJob: { id, fraction: 0, message: 'UMAP without Harmony' } } });
    try {
      const r = await done;
      if (get().integration.beforeJob?.id !== id) return;
      set({ integration: { ...get().integration, beforeJob: null } });
      useApp.setState({ summary: r.summary });
      await useApp.getState().showEmbedding(r.key);
    } catch (err) {
      if (get().integration.beforeJob?.id === id) set({ integration: { ...get().integration, beforeJob: null } });
      fail(err, 'view', 'UMAP without Harmony');
    }
  },

  cancelBefore() {
    const job = get().integration.beforeJob;
    if (job) dataClient().cancel(job.id);
    set({ integration: { ...get().integration, beforeJob: null } });
  },

  async computeMarkers(groupBy, method) {
    const { id, done } = dataClient().request<'markers'>({ type: 'markers', groupBy, method, threads: get().threads }, (fraction, message) => set({ markersJob: { id, fraction, message } }));
    set({ markersJob: { id, fraction: 0, message: `markers for ${groupBy}` } });
    try {
      set({ markers: (await done).table, markersJob: null });
    } catch (err) {
      if (err instanceof WorkerRequestError && err.info.code === 'cancelled') return;
      set({ markersJob: null });
      fail(err, 'markers', `Markers for ${groupBy}`);
    }
  },

  cancelMarkers() {
    const job = get().markersJob;
    if (job) dataClient().cancel(job.id);
    set({ markersJob: null });
  },

  async selectionMarkers(method) {
    const sel = get().selection;
    if (!sel) return;
    const mask = sel.mask.slice();
    const { id, done } = dataClient().request<'markers'>({ type: 'markers', groupBy: 'selection', method, selection: mask, threads: get().threads }, (fraction, message) => set({ markersJob: { id, fraction, message } }));
    set({ markersJob: { id, fraction: 0, message: `markers of ${sel.count} selected cells vs the rest` } });
    try {
      set({ markers: (await done).table, markersJob: null });
    } catch (err) {
      set({ markersJob: null });
      fail(err, 'markers', 'Markers of the selection');
    }
  },

  async lasso(embedding, polygon) {
    const { done } = dataClient().request<'lasso'>({ type: 'lasso', key: embedding, polygon });
    try {
      const { selection, count } = await done;
      set({ selection: { mask: selection, count, embedding }, lassoMode: false });
    } catch (err) {
      fail(err, 'view', 'Lasso selection');
    }
  },

  clearSelection() {
    set({ selection: null });
  },

  setLassoMode(on) {
    set({ lassoMode: on });
  },

  async colorByGene(name) {
    const { ids, symbols } = get().genes;
    // Shown by symbol whichever way it was typed; the worker accepts either.
    const i = ids.indexOf(name);
    const label = `gene: ${i >= 0 ? symbols[i] : name}`;
    set({ geneError: null });
    // A shared link carries some of the genes: one it lacks was left out when it was shared.
    if (useApp.getState().viewer && ids.length > 0 && findGene(get().genes, name) < 0) {
      set({ geneError: `"${name.trim()}" is not included in this share: it carries ${ids.length.toLocaleString('en-US')} genes, those chosen when it was shared (the full data stay with whoever shared it)` });
      return;
    }
    const { done } = dataClient().request<'column'>({ type: 'gene', name });
    try {
      const { column } = await done;
      useApp.setState({ colorBy: label, colorColumn: { ...column, name: label } });
      useView.getState().rememberGene(i >= 0 ? symbols[i] : name);
    } catch (err) {
      const info = err instanceof WorkerRequestError ? err.info : null;
      if (info?.code === 'cancelled') return;
      set({ geneError: info?.message ?? (err instanceof Error ? err.message : String(err)) });
    }
  },

  async loadLists() {
    try {
      const [g, o] = await Promise.all([dataClient().request<'genes'>({ type: 'genes' }).done, dataClient().request<'obs-index'>({ type: 'obs-index' }).done]);
      set({ genes: { ids: g.names, symbols: g.symbols, source: g.source }, obsIndex: o.names });
      // A processed file's own markers (uns/rank_genes_groups) are on show until others are computed.
      const { table } = await dataClient().request<'stored-markers'>({ type: 'stored-markers' }).done;
      if (table && !get().markers) set({ markers: table });
    } catch {
      set({ genes: NO_GENES, obsIndex: [] });
    }
  },

  /** A new dataset: its own parameters (the defaults), no results, no selection. */
  reset() {
    set({ params: DEFAULT_PARAMS, job: null, stopped: null, report: null, markers: null, markersJob: null, integration: NO_INTEGRATION, selection: null, lassoMode: false, genes: NO_GENES, geneError: null, obsIndex: [] });
  },
}));

setOnDatasetOpened(() => {
  useAnalysis.getState().reset();
  void useAnalysis.getState().loadLists();
});
