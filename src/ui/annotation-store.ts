// Annotation state on the page: reference-mapping parameters and report (logistic regression or
// kNN vote, or scGPT's classifier head trained in the worker, with its epochs as they come), marker-set suggestions,
// and the hand-edited label column (user_label) with undo/redo. Edits are pushed to the worker as
// an ordinary obs column, so colouring, markers and exports see them like any other.
import { create } from 'zustand';
import { assignCells, labelsFrom, mergeCategories, renameCategory, type GroupFate, type Labels } from '../analysis/label-edits.ts';
import { categoryColorMap } from './colors.ts';
import { DEFAULT_MAP_PARAMS, type MapMethod, type MapParams } from '../analysis/mapping.ts';
import { DEFAULT_HEAD_PARAMS } from '../analysis/scgpt-head.ts';
import { DEFAULT_CELLTYPIST_PARAMS, type CelltypistParams, type CelltypistReport } from '../analysis/celltypist.ts';
import { CELLTYPIST_ENDPOINT, type CelltypistEntry } from '../model/hub/celltypist-registry.ts';
import type { DatasetSummary } from '../io/summary.ts';
import type { DevicePreference } from '../model/backend.ts';
import type { HeadEpoch, HeadParams, HeadReport, MapReport, Suggestion } from '../workers/protocol.ts';
import { useAnalysis } from './analysis-store.ts';
import { download, exportName } from './download.ts';
import { annotationCsvColumns, annotationCsvName, fateNote, suggestionFates, USER_LABEL } from './label-helpers.ts';
import { setOnDatasetOpened, useApp, type Panel } from './store.ts';
import { dataClient } from './worker-client.ts';
import { votingRequest } from '../analysis/vote-predictions.ts';

export { USER_LABEL };

interface Job {
  id: number;
  fraction: number;
  message: string;
}

const CELLTYPIST_ENDPOINT_KEY = 'scweb.celltypistEndpoint';

/** Where CellTypist models are downloaded from: `?celltypist_endpoint=URL` (kept), else the saved one, else CellTypist's server. */
function initialCelltypistEndpoint(): string {
  try {
    const fromQuery = new URLSearchParams(globalThis.location?.search ?? '').get('celltypist_endpoint');
    if (fromQuery) localStorage.setItem(CELLTYPIST_ENDPOINT_KEY, fromQuery);
    return localStorage.getItem(CELLTYPIST_ENDPOINT_KEY) || CELLTYPIST_ENDPOINT;
  } catch {
    return CELLTYPIST_ENDPOINT;
  }
}

export type CelltypistChoice = { kind: 'file'; file: File } | { kind: 'registry'; name: string };

/** The mapping's methods, or scGPT's classifier head (trained on the chosen scGPT model's embeddings). */
export type AnnotationMethod = MapMethod | 'scgpt-head';

/** The head's own settings (label column, reference cells, threshold and seed are the mapping's). */
export type HeadSettings = Pick<HeadParams, 'epochs' | 'lr' | 'batchSize' | 'unfreezeLast' | 'holdout'> & { device: DevicePreference };

export const DEFAULT_HEAD_SETTINGS: HeadSettings = { epochs: DEFAULT_HEAD_PARAMS.epochs, lr: DEFAULT_HEAD_PARAMS.lr, batchSize: DEFAULT_HEAD_PARAMS.batchSize, unfreezeLast: false, holdout: DEFAULT_HEAD_PARAMS.holdout, device: 'auto' };

export interface AnnotationState {
  /** What the reference mapping runs: mapParams.method, or the head. */
  method: AnnotationMethod;
  setMethod(m: AnnotationMethod): void;
  headSettings: HeadSettings;
  setHeadSettings(h: HeadSettings): void;
  /** The running head's epochs so far (kept after it ends, until the next run). */
  headEpochs: HeadEpoch[];
  celltypistParams: CelltypistParams;
  celltypistReport: CelltypistReport | null;
  /** CellTypist's hosted models and which of them this browser has cached; null until listed. */
  celltypistModels: { registry: CelltypistEntry[]; cached: string[] } | null;
  celltypistEndpoint: string;
  setCelltypistParams(p: CelltypistParams): void;
  listCelltypistModels(): Promise<void>;
  /** Annotates the dataset with a picked .pkl or a registry model; columns join obs, coloured by the result. */
  runCelltypist(choice: CelltypistChoice): Promise<void>;
  mapParams: MapParams;
  mapReport: MapReport | HeadReport | null;
  /** A labelled reference file loaded for label transfer (its summary). */
  reference: DatasetSummary | null;
  useReference: boolean;
  loadReference(files: File[]): Promise<void>;
  setUseReference(on: boolean): void;
  job: Job | null;
  /**
   * `groups`: the column's categories when scored; suggestions for a column that changed since are
   * dropped. `cells`: the column's codes then, to find each group's cells among the labels.
   */
  suggestions: { groupBy: string; groups: string; cells: Pick<Labels, 'codes' | 'categories'> | null; table: { group: string; suggestions: Suggestion[] }[] } | null;
  userSets: string;
  labels: Labels | null;
  /** The column the labels were started from (suggestions for its groups rename its categories). */
  labelsFrom: string | null;
  past: Labels[];
  future: Labels[];
  setMapParams(p: MapParams): void;
  setUserSets(text: string): void;
  runMap(): Promise<void>;
  /** Stops the mapping (or other annotation job) under way. */
  cancelJob(): void;
  /** Saves the last mapping's trained model (logistic regression) as JSON or a CellTypist .pkl. */
  downloadModel(format: 'json' | 'pkl'): Promise<void>;
  /** Saves the last trained classifier head as a .pt (PyTorch's torch.load opens it; "Use a saved head" and the CLI's --head reuse it). */
  downloadHead(): Promise<void>;
  /** Annotates the dataset with a saved head (no training), on the chosen model, which must be the one it was trained on. */
  useSavedHead(file: File): Promise<void>;
  suggest(groupBy: string, useUserSets: boolean): Promise<void>;
  startLabels(from: string): Promise<void>;
  /** Takes up the user_label column already in the dataset (a restored session or a saved file) for further edits, with its saved colours. */
  resumeLabels(from: string | null, colors?: Record<string, string>): Promise<void>;
  rename(code: number, name: string): void;
  /** Names a group of `groupBy` after a suggestion, starting the labels from `groupBy` if needed. */
  applySuggestion(groupBy: string, group: string, name: string): Promise<void>;
  merge(codes: number[], name: string): void;
  assignSelection(name: string): void;
  undo(): void;
  redo(): void;
  exportCsv(): Promise<void>;
  /** `session`: the workspace JSON saved in uns/scweb_session. */
  exportH5ad(session?: string): Promise<void>;
  /** What the last .h5ad export could not hold (a restored session's graph and statistics), for the user. */
  exportNote: string | null;
  reset(): void;
}

const fail = (err: unknown, action: string, panel: Panel = 'labels') => useApp.getState().fail(err, panel, action);

async function pushLabels(labels: Labels): Promise<void> {
  const { done } = dataClient().request<'summary'>({ type: 'set-column', column: { kind: 'categorical', name: USER_LABEL, codes: labels.codes.slice(), categories: labels.categories } });
  const { summary } = await done;
  useApp.setState({ summary });
  await useApp.getState().setColorBy(USER_LABEL);
}

export const useAnnotation = create<AnnotationState>((set, get) => {
  const job = (message: string) => (id: number) => set({ job: { id, fraction: 0, message } });
  const progress = (fraction: number, message: string) => {
    const j = get().job;
    if (j) set({ job: { ...j, fraction, message } });
  };
  /** A mapping's result (any method) into the store and the plot, coloured by the vote when there is one, as CellTypist's majority_voting. */
  const showMapped = async (done: Promise<{ summary: DatasetSummary; report: MapReport | HeadReport }>, action: string) => {
    try {
      const { summary, report } = await done;
      set({ mapReport: report, job: null });
      useApp.setState({ summary });
      await useApp.getState().setColorBy(report.voting?.votedColumn ?? report.predictedColumn);
    } catch (err) {
      set({ job: null });
      fail(err, action, 'mapping');
    }
  };
  const edit = (fn: (l: Labels) => Labels) => {
    const cur = get().labels;
    if (!cur) return;
    try {
      const next = fn(cur);
      set({ labels: next, past: [...get().past, cur].slice(-50), future: [] });
      void pushLabels(next).catch((err) => fail(err, 'Label edit'));
    } catch (err) {
      fail(err, 'Label edit');
    }
  };
  return {
    celltypistParams: DEFAULT_CELLTYPIST_PARAMS,
    celltypistReport: null,
    celltypistModels: null,
    celltypistEndpoint: initialCelltypistEndpoint(),
    setCelltypistParams(celltypistParams) {
      set({ celltypistParams });
    },
    async listCelltypistModels() {
      try {
        const { registry, cached } = await dataClient().request<'celltypist-models'>({ type: 'celltypist-models' }).done;
        set({ celltypistModels: { registry, cached } });
      } catch (err) {
        fail(err, 'Listing the CellTypist models', 'celltypist');
      }
    },
    async runCelltypist(choice) {
      const source = choice.kind === 'file' ? choice : { ...choice, endpoint: get().celltypistEndpoint };
      const name = choice.kind === 'file' ? choice.file.name : choice.name;
      // A new try replaces the last one's error in this section.
      if (useApp.getState().error?.panel === 'celltypist') useApp.getState().dismissError();
      const { id, done } = dataClient().request<'celltypist-done'>({ type: 'celltypist', source, params: votingRequest(get().celltypistParams) }, progress);
      job(`CellTypist: ${name}`)(id);
      try {
        const { summary, report } = await done;
        set({ celltypistReport: report, job: null });
        useApp.setState({ summary });
        await useApp.getState().setColorBy(report.majorityColumn ?? report.predictedColumn);
        if (choice.kind === 'registry') void get().listCelltypistModels();
      } catch (err) {
        set({ job: null });
        fail(err, `Annotating with ${name}`, 'celltypist');
      }
    },
    mapParams: DEFAULT_MAP_PARAMS,
    method: DEFAULT_MAP_PARAMS.method,
    headSettings: DEFAULT_HEAD_SETTINGS,
    headEpochs: [],
    setMethod(method) {
      set(method === 'scgpt-head' ? { method } : { method, mapParams: { ...get().mapParams, method } });
    },
    setHeadSettings(headSettings) {
      set({ headSettings });
    },
    mapReport: null,
    reference: null,
    useReference: false,
    job: null,
    exportNote: null,
    suggestions: null,
    userSets: '',
    labels: null,
    labelsFrom: null,
    past: [],
    future: [],

    setMapParams(mapParams) {
      set({ mapParams });
    },
    setUserSets(userSets) {
      set({ userSets });
    },

    async loadReference(files) {
      if (files.length === 0) return;
      const { id, done } = dataClient().request<'reference'>({ type: 'open-reference', files }, progress);
      job(`reading ${files.map((f) => f.name).join(', ')}`)(id);
      try {
        const { summary } = await done;
        set({ reference: summary, useReference: true, job: null, mapParams: { ...get().mapParams, labelColumn: '' } });
      } catch (err) {
        set({ job: null });
        fail(err, 'Loading the reference', 'mapping');
      }
    },
    setUseReference(useReference) {
      set({ useReference, mapParams: { ...get().mapParams, labelColumn: '' } });
    },

    async runMap() {
      const fromReference = get().useReference && !!get().reference;
      const map = get().mapParams;
      const head = get().method === 'scgpt-head';
      let request: { id: number; done: Promise<{ summary: DatasetSummary; report: MapReport | HeadReport }> };
      if (head) {
        const model = useApp.getState().chosenSource();
        if (!model) {
          fail(new Error('choose a model first (scGPT embedding drawer): the classifier head is trained on its cell embeddings'), 'Training the classifier head', 'mapping');
          return;
        }
        const { device, ...h } = get().headSettings;
        const params: HeadParams = { ...DEFAULT_HEAD_PARAMS, ...h, labelColumn: map.labelColumn, reference: map.reference, minConfidence: map.minConfidence, seed: map.seed, voting: votingRequest(map.voting) };
        request = dataClient().request<'mapped'>({ type: 'annotate-head', model, params, fromReference, backend: device, threads: useAnalysis.getState().threads }, (fraction, message, _rate, epoch) => {
          progress(fraction, message);
          if (epoch) set({ headEpochs: [...get().headEpochs, epoch] });
        });
        set({ headEpochs: [] });
        job('loading the model')(request.id);
      } else {
        request = dataClient().request<'mapped'>({ type: 'map', params: { ...map, voting: votingRequest(map.voting) }, fromReference, threads: useAnalysis.getState().threads }, progress);
        job('mapping')(request.id);
      }
      await showMapped(request.done, head ? 'Training the classifier head' : 'Mapping');
    },

    cancelJob() {
      const j = get().job;
      if (j) dataClient().cancel(j.id);
      set({ job: null });
    },

    async downloadModel(format) {
      try {
        const name = exportName(useApp.getState().summary?.file, [get().mapReport?.labelColumn ?? 'labels', 'logreg'], format);
        if (format === 'json') {
          const { text } = await dataClient().request<'text'>({ type: 'map-model', format }).done;
          download(name, new Blob([text], { type: 'application/json' }));
        } else {
          const { bytes } = await dataClient().request<'file'>({ type: 'map-model', format }).done;
          download(name, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
        }
      } catch (err) {
        fail(err, 'Model download', 'mapping');
      }
    },

    async downloadHead() {
      try {
        const name = exportName(useApp.getState().summary?.file, [get().mapReport?.labelColumn ?? 'labels', 'scgpt_head'], 'pt');
        const { bytes } = await dataClient().request<'file'>({ type: 'head-file' }).done;
        download(name, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      } catch (err) {
        fail(err, 'Saving the head', 'mapping');
      }
    },

    async useSavedHead(file) {
      const action = `Annotating with ${file.name}`;
      const model = useApp.getState().chosenSource();
      if (!model) {
        fail(new Error('choose the model the head was trained on first (the model select above): the head reads its cell embeddings'), action, 'mapping');
        return;
      }
      if (useApp.getState().error?.panel === 'mapping') useApp.getState().dismissError();
      const { device } = get().headSettings;
      const map = get().mapParams;
      const request = dataClient().request<'mapped'>({ type: 'annotate-saved-head', model, file, minConfidence: map.minConfidence, voting: votingRequest(map.voting), backend: device, threads: useAnalysis.getState().threads }, progress);
      set({ headEpochs: [] });
      job(`reading ${file.name}`)(request.id);
      await showMapped(request.done, action);
    },

    async suggest(groupBy, useUserSets) {
      const { id, done } = dataClient().request<'suggestions'>({ type: 'suggest', groupBy, userSets: useUserSets ? get().userSets : undefined }, progress);
      job(`scoring marker sets on ${groupBy}`)(id);
      try {
        const r = await done;
        const { column } = await dataClient().request<'column'>({ type: 'column', name: r.groupBy }).done;
        const cells = column.kind === 'categorical' ? { codes: column.codes, categories: column.categories } : null;
        set({ suggestions: { groupBy: r.groupBy, groups: categoriesSignature(r.groupBy), cells, table: r.table }, job: null });
      } catch (err) {
        set({ job: null });
        fail(err, 'Suggestions', 'suggestions');
      }
    },

    async resumeLabels(from, colors) {
      try {
        const { column } = await dataClient().request<'column'>({ type: 'column', name: USER_LABEL }).done;
        if (column.kind === 'categorical') set({ labels: labelsFrom(column.codes, column.categories, colors), labelsFrom: from, past: [], future: [] });
      } catch (err) {
        fail(err, 'Restoring the labels');
      }
    },

    async startLabels(from) {
      const { done } = dataClient().request<'column'>({ type: 'column', name: from });
      try {
        const { column } = await done;
        if (column.kind !== 'categorical') throw new Error(`"${from}" is not categorical`);
        // The labels start in the colours their column is drawn in (the hand labels' own when restarting from them).
        const cur = get().labels;
        const labels = labelsFrom(column.codes, column.categories, from === USER_LABEL && cur ? cur.colors : categoryColorMap(column.categories, useApp.getState().summary?.obs[from]?.colors));
        set({ labels, labelsFrom: from, past: [], future: [] });
        await pushLabels(labels);
      } catch (err) {
        fail(err, `Starting labels from ${from}`);
      }
    },

    rename(code, name) {
      edit((l) => renameCategory(l, code, name));
    },
    async applySuggestion(groupBy, group, name) {
      // Labels started from another column hold hand edits: never replaced behind the user's back.
      if (!get().labels) await get().startLabels(groupBy);
      if (get().labelsFrom !== groupBy) return;
      const fate = suggestionFate(group);
      if (fate?.kind === 'label') get().rename(fate.code, name);
      // A group merged away (or split by an assigned selection) is no label to rename: say so.
      else fail(new Error(fate ? fateNote(group, fate) : `group ${group} is no longer among the labels`), `Naming group ${group} "${name}"`, 'suggestions');
    },
    merge(codes, name) {
      edit((l) => mergeCategories(l, codes, name));
    },
    assignSelection(name) {
      const sel = useAnalysis.getState().selection;
      if (sel) edit((l) => assignCells(l, sel.mask, name));
    },
    undo() {
      const { past, labels, future } = get();
      if (!past.length || !labels) return;
      const prev = past[past.length - 1];
      set({ labels: prev, past: past.slice(0, -1), future: [labels, ...future] });
      void pushLabels(prev).catch((err) => fail(err, 'Undo'));
    },
    redo() {
      const { past, labels, future } = get();
      if (!future.length || !labels) return;
      const next = future[0];
      set({ labels: next, past: [...past, labels], future: future.slice(1) });
      void pushLabels(next).catch((err) => fail(err, 'Redo'));
    },

    async exportCsv() {
      const summary = useApp.getState().summary;
      const { columns, main } = annotationCsvColumns(summary ? Object.keys(summary.obs) : []);
      try {
        const { text } = await dataClient().request<'text'>({ type: 'export-csv', columns }).done;
        download(annotationCsvName(summary?.file, main), new Blob([text], { type: 'text/csv' }));
      } catch (err) {
        fail(err, 'CSV export');
      }
    },

    async exportH5ad(session) {
      const labels = get().labels;
      const colors = labels ? { [USER_LABEL]: labels.colors } : undefined;
      const { id, done } = dataClient().request<'file'>({ type: 'export-h5ad', session, colors }, progress);
      job('writing .h5ad')(id);
      try {
        const { name, bytes, left } = await done;
        set({ job: null, exportNote: left ?? null });
        download(name, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/x-hdf5' }));
      } catch (err) {
        set({ job: null });
        fail(err, '.h5ad export');
      }
    },

    reset() {
      set({ method: DEFAULT_MAP_PARAMS.method, mapReport: null, headEpochs: [], reference: null, useReference: false, job: null, exportNote: null, suggestions: null, labels: null, labelsFrom: null, past: [], future: [], mapParams: { ...DEFAULT_MAP_PARAMS, voting: { ...get().mapParams.voting, overClustering: null } }, celltypistReport: null, celltypistParams: { ...get().celltypistParams, overClustering: null } });
    },
  };
});

setOnDatasetOpened(() => useAnnotation.getState().reset());

function suggestionFate(group: string): GroupFate | null {
  const { suggestions, labels } = useAnnotation.getState();
  const fates = suggestionFates(suggestions, labels);
  if (fates) return fates.get(group) ?? { kind: 'empty' };
  // No cells to go by: the group is found by its name.
  const code = labels?.categories.indexOf(group) ?? -1;
  return code >= 0 ? { kind: 'label', code } : null;
}

/** A column's categories and their sizes, as the summary has them: changes when it is recomputed. */
function categoriesSignature(column: string): string {
  return JSON.stringify(useApp.getState().summary?.obs[column]?.categories ?? null);
}

// A re-run clustering (or any change of the scored column) makes old suggestions name the wrong
// cells: they are dropped, and the panel asks for new ones.
useApp.subscribe((s, prev) => {
  const sug = useAnnotation.getState().suggestions;
  if (sug && s.summary !== prev.summary && categoriesSignature(sug.groupBy) !== sug.groups) useAnnotation.setState({ suggestions: null });
});
// Same sizes are no proof of the same clusters: a new pipeline run always drops leiden's suggestions.
useAnalysis.subscribe((s, prev) => {
  if (s.report !== prev.report && useAnnotation.getState().suggestions?.groupBy === 'leiden') useAnnotation.setState({ suggestions: null });
});
