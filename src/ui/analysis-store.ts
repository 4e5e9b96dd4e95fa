// The analysis side of the page: pipeline parameters and run state, the marker table on show,
// the lasso selection, and gene colouring. Heavy work happens in the worker; this only asks.
import { create } from 'zustand';
import type { MarkerMethod } from '../analysis/markers.ts';
import { DEFAULT_PARAMS, type PipelineParams, type StepEvent, type StepName } from '../analysis/pipeline.ts';
import type { AnalysisReport, MarkerTable } from '../workers/protocol.ts';
import { setOnDatasetOpened, useApp } from './store.ts';
import { WorkerRequestError, dataClient } from './worker-client.ts';

export interface AnalysisState {
  params: PipelineParams;
  job: { id: number; steps: Partial<Record<StepName, StepEvent>> } | null;
  report: AnalysisReport | null;
  markers: MarkerTable | null;
  markersJob: { id: number; message: string; fraction: number } | null;
  selection: { mask: Uint8Array; count: number; embedding: string } | null;
  lassoMode: boolean;
  /** Percentiles the numeric colour scale is clipped to. */
  clip: [number, number];
  setClip(clip: [number, number]): void;
  genes: string[];
  obsIndex: string[];
  setParams(p: PipelineParams): void;
  run(): Promise<void>;
  cancel(): void;
  computeMarkers(groupBy: string, method: MarkerMethod): Promise<void>;
  selectionMarkers(method: MarkerMethod): Promise<void>;
  lasso(embedding: string, polygon: number[]): Promise<void>;
  clearSelection(): void;
  setLassoMode(on: boolean): void;
  colorByGene(name: string): Promise<void>;
  loadLists(): Promise<void>;
  reset(): void;
}

function fail(err: unknown): void {
  const info = err instanceof WorkerRequestError ? err.info : { code: 'internal' as const, message: err instanceof Error ? err.message : String(err) };
  if (info.code !== 'cancelled') useApp.setState({ error: info });
}

export const useAnalysis = create<AnalysisState>((set, get) => ({
  params: DEFAULT_PARAMS,
  job: null,
  report: null,
  markers: null,
  markersJob: null,
  selection: null,
  lassoMode: false,
  clip: [0, 100],
  setClip(clip) {
    set({ clip });
  },
  genes: [],
  obsIndex: [],

  setParams(params) {
    set({ params });
  },

  async run() {
    const { id, done } = dataClient().request<'analyzed'>({ type: 'analyze', params: get().params }, undefined, (event) => {
      const job = get().job;
      if (job?.id === id) set({ job: { id, steps: { ...job.steps, [event.step]: event } } });
    });
    set({ job: { id, steps: {} } });
    useApp.setState({ error: null });
    try {
      const { summary, report } = await done;
      set({ report, markers: report.markers, job: null });
      useApp.setState({ summary });
      await Promise.all([useApp.getState().showEmbedding(report.umapKey), useApp.getState().setColorBy('leiden')]);
    } catch (err) {
      if (get().job?.id === id) set({ job: null });
      fail(err);
    }
  },

  cancel() {
    const job = get().job;
    if (job) dataClient().cancel(job.id);
    set({ job: null });
  },

  async computeMarkers(groupBy, method) {
    const { id, done } = dataClient().request<'markers'>({ type: 'markers', groupBy, method }, (fraction, message) => set({ markersJob: { id, fraction, message } }));
    set({ markersJob: { id, fraction: 0, message: `markers for ${groupBy}` } });
    try {
      set({ markers: (await done).table, markersJob: null });
    } catch (err) {
      set({ markersJob: null });
      fail(err);
    }
  },

  async selectionMarkers(method) {
    const sel = get().selection;
    if (!sel) return;
    const mask = sel.mask.slice();
    const { id, done } = dataClient().request<'markers'>({ type: 'markers', groupBy: 'selection', method, selection: mask }, (fraction, message) => set({ markersJob: { id, fraction, message } }));
    set({ markersJob: { id, fraction: 0, message: `markers of ${sel.count} selected cells vs the rest` } });
    try {
      set({ markers: (await done).table, markersJob: null });
    } catch (err) {
      set({ markersJob: null });
      fail(err);
    }
  },

  async lasso(embedding, polygon) {
    const { done } = dataClient().request<'lasso'>({ type: 'lasso', key: embedding, polygon });
    try {
      const { selection, count } = await done;
      set({ selection: { mask: selection, count, embedding }, lassoMode: false });
    } catch (err) {
      fail(err);
    }
  },

  clearSelection() {
    set({ selection: null });
  },

  setLassoMode(on) {
    set({ lassoMode: on });
  },

  async colorByGene(name) {
    const label = `gene: ${name}`;
    useApp.setState({ colorBy: label, hidden: new Set() });
    const { done } = dataClient().request<'column'>({ type: 'gene', name });
    try {
      const { column } = await done;
      if (useApp.getState().colorBy === label) useApp.setState({ colorColumn: { ...column, name: label } });
    } catch (err) {
      fail(err);
    }
  },

  async loadLists() {
    try {
      const [g, o] = await Promise.all([dataClient().request<'genes'>({ type: 'genes' }).done, dataClient().request<'obs-index'>({ type: 'obs-index' }).done]);
      set({ genes: g.names, obsIndex: o.names });
    } catch {
      set({ genes: [], obsIndex: [] });
    }
  },

  reset() {
    set({ job: null, report: null, markers: null, selection: null, lassoMode: false, genes: [], obsIndex: [] });
  },
}));

setOnDatasetOpened(() => {
  useAnalysis.getState().reset();
  void useAnalysis.getState().loadLists();
});
