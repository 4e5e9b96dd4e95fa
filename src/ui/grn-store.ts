// Gene networks on the page: the programs of the model's gene embeddings and the attention GRN
// between two groups of cells, their parameters and run state. The worker computes; this asks,
// keeps the answers, and turns clicks into colourings of the cells.
import { create } from 'zustand';
import type { AttentionParams, AttentionResult, CellGroup, ProgramsParams, ProgramsResult } from '../workers/protocol.ts';
import type { GroupMeans } from '../analysis/group-stats.ts';
import { useAnalysis } from './analysis-store.ts';
import { setOnDatasetOpened, useApp } from './store.ts';
import { forgetColumns } from './view-store.ts';
import { WorkerRequestError, dataClient } from './worker-client.ts';

export type GrnMode = 'programs' | 'attention';

export const DEFAULT_PROGRAMS: ProgramsParams = { nHvg: 1200, k: 15, resolution: 40, minSize: 5, seed: 0, edgeThreshold: 0.5 };

export interface AttentionForm {
  /** Column whose categories are compared, or "selection" for the lasso selection against the rest. */
  groupBy: string;
  a: string;
  /** A category, or REST for every cell not in A. */
  b: string;
  tfs: string;
  nHvg: number;
  layer: number;
}

export const REST = '\u0000rest';
export const DEFAULT_ATTENTION: AttentionForm = { groupBy: '', a: '', b: REST, tfs: '', nHvg: 200, layer: -1 };

export interface GrnJob {
  id: number;
  kind: GrnMode;
  fraction: number;
  message: string;
}

export interface GrnState {
  mode: GrnMode;
  programsParams: ProgramsParams;
  attentionForm: AttentionForm;
  programs: ProgramsResult | null;
  attention: AttentionResult | null;
  job: GrnJob | null;
  /** Gene picked in the network (highlighted, and its similar genes or targets listed). */
  focus: string | null;
  similar: { gene: string; similar: { gene: string; cosine: number }[] } | null;
  heatmap: GroupMeans | null;
  setMode(m: GrnMode): void;
  setProgramsParams(p: ProgramsParams): void;
  setAttentionForm(f: AttentionForm): void;
  runPrograms(): Promise<void>;
  runAttention(): Promise<void>;
  cancel(): void;
  focusGene(gene: string | null): Promise<void>;
  colorByProgram(id: number): Promise<void>;
  loadHeatmap(groupBy: string): Promise<void>;
  reset(): void;
}

const fail = (err: unknown, action: string) => {
  if (err instanceof WorkerRequestError && err.info.code === 'cancelled') return;
  useApp.getState().fail(err, 'grn', action);
};

/** What the worker is sent for one side of the comparison, and how it is named. */
export function cellGroup(form: AttentionForm, side: 'a' | 'b', selection: Uint8Array | null): CellGroup {
  const value = side === 'a' ? form.a : form.b;
  if (form.groupBy === 'selection') {
    if (!selection) throw new Error('select cells with the lasso first, or compare two categories of a column');
    return side === 'a' ? { kind: 'selection', mask: selection } : { kind: 'rest' };
  }
  if (!form.groupBy) throw new Error('choose the column whose groups to compare');
  if (side === 'b' && value === REST) return { kind: 'rest' };
  if (!value) throw new Error(`choose group ${side.toUpperCase()}`);
  return { kind: 'category', column: form.groupBy, value };
}

/** Transcription factors typed as "SPI1, IRF8 FOS": split on commas and white space, each once. */
export function parseGeneList(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}

export const useGrn = create<GrnState>((set, get) => ({
  mode: 'programs',
  programsParams: DEFAULT_PROGRAMS,
  attentionForm: DEFAULT_ATTENTION,
  programs: null,
  attention: null,
  job: null,
  focus: null,
  similar: null,
  heatmap: null,
  setMode(mode) {
    set({ mode, focus: null, similar: null });
  },
  setProgramsParams(programsParams) {
    set({ programsParams });
  },
  setAttentionForm(attentionForm) {
    set({ attentionForm });
  },

  async runPrograms() {
    const model = useApp.getState().chosenSource();
    if (!model) {
      fail(new Error('choose a model first (scGPT embedding drawer): programs come from its gene embeddings'), 'Gene programs');
      return;
    }
    const { id, done } = dataClient().request<'grn-programs'>({ type: 'grn-programs', model, params: get().programsParams }, (fraction, message) => {
      if (get().job?.id === id) set({ job: { id, kind: 'programs', fraction, message } });
    });
    set({ job: { id, kind: 'programs', fraction: 0, message: 'loading the model' }, focus: null, similar: null, heatmap: null });
    useApp.setState({ error: null });
    try {
      const { summary, result } = await done;
      set({ programs: result, job: null });
      useApp.setState({ summary });
      forgetColumns();
    } catch (err) {
      if (get().job?.id === id) set({ job: null });
      fail(err, 'Gene programs');
    }
  },

  async runAttention() {
    const model = useApp.getState().chosenSource();
    const form = get().attentionForm;
    let params: AttentionParams;
    try {
      if (!model) throw new Error('choose a model first (scGPT embedding drawer): the attention is the model\'s');
      const selection = useAnalysis.getState().selection?.mask ?? null;
      params = { a: cellGroup(form, 'a', selection), b: cellGroup(form, 'b', selection), tfs: parseGeneList(form.tfs), nHvg: form.nHvg, layer: form.layer, backend: 'auto', seed: 0 };
    } catch (err) {
      fail(err, 'Attention GRN');
      return;
    }
    const { id, done } = dataClient().request<'grn-attention'>({ type: 'grn-attention', model: model!, params }, (fraction, message, rate) => {
      if (get().job?.id === id) set({ job: { id, kind: 'attention', fraction, message: rate ? `${message} · ${rate.cellsPerSecond.toFixed(1)} cells/s` : message } });
    });
    set({ job: { id, kind: 'attention', fraction: 0, message: 'loading the model' }, focus: params.tfs[0] ?? null });
    useApp.setState({ error: null });
    try {
      const { result } = await done;
      set({ attention: result, job: null, focus: get().focus ?? result.panel[0] });
    } catch (err) {
      if (get().job?.id === id) set({ job: null });
      fail(err, 'Attention GRN');
    }
  },

  cancel() {
    const job = get().job;
    if (job) dataClient().cancel(job.id);
    set({ job: null });
  },

  async focusGene(gene) {
    set({ focus: gene, similar: null });
    if (!gene) return;
    void useAnalysis.getState().colorByGene(gene);
    if (get().mode !== 'programs' || !get().programs) return;
    try {
      const { similar } = await dataClient().request<'grn-similar'>({ type: 'grn-similar', gene, k: 10 }).done;
      if (get().focus === gene) set({ similar: { gene, similar } });
    } catch (err) {
      fail(err, `Genes like ${gene}`);
    }
  },

  async colorByProgram(id) {
    const p = get().programs?.programs.find((x) => x.id === id);
    if (p) await useApp.getState().setColorBy(p.column);
  },

  async loadHeatmap(groupBy) {
    try {
      const { stats } = await dataClient().request<'grn-heatmap'>({ type: 'grn-heatmap', groupBy }).done;
      set({ heatmap: stats });
    } catch (err) {
      fail(err, 'Programs by group');
    }
  },

  reset() {
    set({ programsParams: DEFAULT_PROGRAMS, attentionForm: DEFAULT_ATTENTION, programs: null, attention: null, job: null, focus: null, similar: null, heatmap: null });
  },
}));

setOnDatasetOpened(() => useGrn.getState().reset());
