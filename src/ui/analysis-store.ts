// The analysis side of the page: pipeline parameters and run state, the marker table on show,
// the lasso selection, and gene colouring. Heavy work happens in the worker; this only asks.
import { create } from 'zustand';
import type { MarkerMethod } from '../analysis/markers.ts';
import { DEFAULT_PARAMS, type PipelineParams, type StepEvent, type StepName } from '../analysis/pipeline.ts';
import type { AnalysisReport, MarkerTable } from '../workers/protocol.ts';
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
      set({ report, markers: report.markers, job: null });
      useApp.setState({ summary });
      useView.getState().runFinished();
      forgetColumns();
      await Promise.all([useApp.getState().showEmbedding(report.umapKey), useApp.getState().setColorBy('leiden')]);
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
    set({ params: DEFAULT_PARAMS, job: null, stopped: null, report: null, markers: null, markersJob: null, selection: null, lassoMode: false, genes: NO_GENES, geneError: null, obsIndex: [] });
  },
}));

setOnDatasetOpened(() => {
  useAnalysis.getState().reset();
  void useAnalysis.getState().loadLists();
});
