// What the user chose and what the worker returned. A failed or cancelled load only sets `error`
// and clears `loading`: the dataset already on screen is never touched by it.
import { create } from 'zustand';
import type { ErrorInfo } from '../io/errors.ts';
import type { DatasetSummary } from '../io/summary.ts';
import type { GeneJoin } from '../io/types.ts';
import type { DevicePreference } from '../model/backend.ts';
import { sortedPicked } from './picked-files.ts';
import type { BackendInfo, ColumnData, EmbedStats, ModelEntry, ModelSource, RegistryEntry } from '../workers/protocol.ts';
import { WorkerRequestError, dataClient, onWorkerRestart } from './worker-client.ts';

export interface Loading {
  id: number;
  fileName: string;
  fraction: number;
  message: string;
}

export interface EmbeddingView {
  key: string;
  n: number;
  /** Interleaved x, y per cell (the first two columns of the obsm entry). */
  positions: Float32Array;
}

export interface EmbedJob {
  id: number;
  fraction: number;
  message: string;
  cellsPerSecond?: number;
  secondsLeft?: number;
}

/** Where an error is shown: next to the panel whose action failed, or (no panel) under the drop zone for loads. */
export type Panel = 'analysis' | 'markers' | 'mapping' | 'celltypist' | 'suggestions' | 'labels' | 'model' | 'view' | 'grn' | 'integration';

export interface UiError extends ErrorInfo {
  panel?: Panel;
  /** What the user did, as the message's first words: "Mapping failed: ...". */
  action?: string;
}

export interface AppState {
  /** Increments with every dataset opened; panels are keyed by it so their local choices reset. */
  datasetId: number;
  models: ModelEntry[];
  /** Models the app can fetch from the hub (public/models.json). */
  registry: RegistryEntry[];
  /** Checkpoint or bundle files the user picked, offered as a model until another is picked. */
  pickedModel: File[] | null;
  modelChoice: string;
  embedJob: EmbedJob | null;
  embedStats: EmbedStats | null;
  loadModels(): Promise<void>;
  pickModelFiles(files: File[]): void;
  chooseModel(id: string): void;
  embed(options: { seed: number; backend: DevicePreference; geneColumn?: string; threads?: number }): Promise<void>;
  cancelEmbed(): void;
  /** What the embed request sends for the chosen model; null when none is chosen. */
  chosenSource(): ModelSource | null;
  backend: BackendInfo | null;
  loading: Loading | null;
  error: UiError | null;
  /** Shows an error next to the panel that caused it (cancellations are not errors). */
  fail(err: unknown, panel: Panel, action: string): void;
  summary: DatasetSummary | null;
  warnings: string[];
  embedding: EmbeddingView | null;
  colorBy: string | null;
  colorColumn: ColumnData | null;
  /**
   * Opens files as one dataset: a file, a 10x folder's files, or several datasets (with `paths`,
   * their places in dropped folders), joined with `join` (default inner).
   */
  openFiles(files: File[], opts?: { paths?: string[]; join?: GeneJoin }): Promise<void>;
  /** The files on show, as opened (a joined dataset is reopened from them with the other join). */
  opened: OpenedFiles | null;
  /** Read-only: set while a shared link is on show. */
  viewer: ViewerShare | null;
  openShare(share: ViewerShare): Promise<void>;
  /** Any .h5ad on the web whose server allows it (CORS and Range): read lazily, analysed like a dropped file. */
  openUrl(url: string): Promise<void>;
  loadDemo(): Promise<void>;
  cancelLoad(): void;
  dismissError(): void;
  showEmbedding(key: string): Promise<void>;
  setColorBy(name: string | null): Promise<void>;
  chooseCounts(key: string): Promise<void>;
  detectBackend(): Promise<void>;
}

export const DEMO_URL = `${import.meta.env.BASE_URL}demo/pbmc68k_reduced_with_counts.h5ad`;

/** Label columns users colour by first, when present; otherwise the first small categorical. */
const PREFERRED_COLUMNS = ['cell_type', 'celltype', 'bulk_labels', 'labels', 'leiden', 'louvain', 'cell_labels', 'groups'];

export function defaultColorBy(summary: DatasetSummary): string | null {
  const small = Object.entries(summary.obs).filter(([, c]) => (c.categories && Object.keys(c.categories).length <= 100) || (c.type === 'string' && (c.n_unique ?? 0) <= 100));
  const preferred = PREFERRED_COLUMNS.find((p) => small.some(([n]) => n === p));
  return preferred ?? small[0]?.[0] ?? null;
}

export function defaultEmbedding(summary: DatasetSummary): string | null {
  const keys = Object.entries(summary.obsm).filter(([, shape]) => shape[1] >= 2).map(([k]) => k);
  return keys.find((k) => k === 'X_umap') ?? keys.find((k) => /umap|tsne/i.test(k)) ?? keys[0] ?? null;
}

function asErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof WorkerRequestError) return err.info;
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

const PICKED = '__picked__';

// The analysis and annotation stores register here (they import this module, so the calls go
// this way round).
const openedListeners: (() => void)[] = [];
export function setOnDatasetOpened(fn: () => void): void {
  openedListeners.push(fn);
}
const onDatasetOpened = () => openedListeners.forEach((fn) => fn());

/** Files opened as one dataset, in the order the worker reads them, and how genes were joined. */
export interface OpenedFiles {
  files: File[];
  paths: string[];
  join: GeneJoin;
}

/** Runs once a file is open and its default view is set up (the session module restores work here). */
let afterOpen: ((opened: OpenedFiles) => Promise<void>) | null = null;
let afterOpenShare: (() => Promise<void>) | null = null;
export function setAfterOpen(fn: (opened: OpenedFiles) => Promise<void>, forShare: () => Promise<void>): void {
  afterOpen = fn;
  afterOpenShare = forShare;
}

/** A shared analysis opened read-only from a link (/s/<id>#k=...). */
export interface ViewerShare {
  id: string;
  snapshotUrl: string;
  key?: Uint8Array;
  name: string;
  createdAt: string;
  expiresAt: string;
}

/** Opens again what is on screen (files, a URL or a share), with its saved work: set by each successful open. */
let reopenShown: (() => Promise<boolean>) | null = null;

/**
 * The data worker was replaced because HDF5 stopped responding (worker-client.ts): it held the
 * dataset on screen, so that is opened again in the new one (the page still holds the File, and
 * the session store puts back the work saved a second after each change); the error stays shown.
 */
async function afterWorkerRestart(info: ErrorInfo): Promise<void> {
  const reopen = reopenShown;
  useApp.setState({ loading: null, error: info });
  if (!reopen) return;
  const reopened = await reopen();
  const failed = useApp.getState().error;
  useApp.setState({ error: { ...info, message: reopened ? `${info.message} The dataset you had open was reopened with your saved work.` : `${info.message} Reopening the dataset you had open failed: ${failed?.message ?? 'unknown error'}` } });
}

onWorkerRestart((info) => void afterWorkerRestart(info));

/** Opens a file or a share in the worker; on success the new dataset replaces the old, with its default view. */
type OpenRequest = { type: 'open'; files: File[]; paths: string[]; join: GeneJoin } | { type: 'open-url'; url: string; key?: Uint8Array; name?: string };

async function openWith(request: OpenRequest, fileName: string, after: () => Promise<void> | undefined): Promise<boolean> {
  const { get, set } = { get: useApp.getState, set: useApp.setState };
  const previous = get().loading;
  if (previous) dataClient().cancel(previous.id);
  const { id, done } = dataClient().request<'opened'>(request, (fraction, message) => {
    if (get().loading?.id === id) set({ loading: { id, fileName, fraction, message } });
  });
  set({ loading: { id, fileName, fraction: 0, message: 'starting' }, error: null });
  try {
    const { summary, warnings } = await done;
    const opened = request.type === 'open' ? { files: request.files, paths: request.paths, join: request.join } : null;
    set({ summary, warnings, loading: null, embedding: null, colorColumn: null, colorBy: null, embedStats: null, datasetId: get().datasetId + 1, opened });
    const viewer = get().viewer;
    reopenShown = () => {
      useApp.setState({ viewer });
      return openWith(request, fileName, after);
    };
    onDatasetOpened();
    const key = defaultEmbedding(summary);
    await Promise.all([key ? get().showEmbedding(key) : null, get().setColorBy(defaultColorBy(summary))]);
    await after();
    return true;
  } catch (err) {
    if (get().loading?.id === id) set({ loading: null });
    const info = asErrorInfo(err);
    if (info.code !== 'cancelled') set({ error: info });
    return false;
  }
}

export const useApp = create<AppState>((set, get) => ({
  viewer: null,
  datasetId: 0,
  models: [],
  registry: [],
  pickedModel: null,
  modelChoice: '',
  embedJob: null,
  embedStats: null,

  async loadModels() {
    const { done } = dataClient().request<'models'>({ type: 'models' });
    try {
      const { models, registry } = await done;
      const choice = get().modelChoice;
      // A deleted model is no longer offered: fall back to the first one.
      const keep = choice === PICKED || models.some((m) => m.id === choice);
      set({ models, registry, modelChoice: keep ? choice : (models[0]?.id ?? '') });
    } catch (err) {
      get().fail(err, 'model', 'Listing models');
    }
  },

  pickModelFiles(files) {
    if (files.length > 0) set({ pickedModel: files, modelChoice: PICKED });
  },

  chooseModel(id) {
    set({ modelChoice: id });
  },

  chosenSource() {
    const { modelChoice, pickedModel, models } = get();
    const entry = models.find((m) => m.id === modelChoice);
    return modelChoice === PICKED && pickedModel ? { kind: 'files', files: pickedModel } : entry?.source === 'bundled' ? { kind: 'bundled', id: entry.id, path: entry.path! } : entry ? { kind: 'cached', id: entry.id } : null;
  },

  async embed({ seed, backend, geneColumn, threads }) {
    const model = get().chosenSource();
    if (!model) {
      set({ error: { code: 'internal', message: 'choose a model first (a bundled one, or pick a checkpoint folder)', panel: 'model', action: 'Embedding' } });
      return;
    }
    const { id, done } = dataClient().request<'embedded'>({ type: 'embed', model, options: { seed, backend, geneColumn, threads, maxLength: 1200, batchSize: 64 } }, (fraction, message, rate) => {
      if (get().embedJob?.id === id) set({ embedJob: { id, fraction, message, ...rate } });
    });
    set({ embedJob: { id, fraction: 0, message: 'loading the model' }, error: null, embedStats: null });
    try {
      const { summary, stats } = await done;
      const modelName = get().models.find((m) => m.id === get().modelChoice)?.name;
      set({ summary, embedStats: { ...stats, modelName }, embedJob: null });
      if (stats.cachedAs) await get().loadModels();
      await get().showEmbedding('X_scGPT_pc');
    } catch (err) {
      if (get().embedJob?.id === id) set({ embedJob: null });
      get().fail(err, 'model', 'Embedding');
    }
  },

  cancelEmbed() {
    const job = get().embedJob;
    if (job) dataClient().cancel(job.id);
    set({ embedJob: null });
  },

  backend: null,
  loading: null,
  error: null,
  fail(err, panel, action) {
    const info = asErrorInfo(err);
    if (info.code !== 'cancelled') set({ error: { ...info, panel, action } });
  },
  summary: null,
  warnings: [],
  embedding: null,
  colorBy: null,
  colorColumn: null,

  opened: null,

  async openFiles(given, opts = {}) {
    if (given.length === 0) return;
    set({ viewer: null });
    const { files, paths } = sortedPicked(given, opts.paths);
    const opened: OpenedFiles = { files, paths, join: opts.join ?? 'inner' };
    const name = files.length <= 3 ? files.map((f) => f.name).join(', ') : `${files[0].name} and ${files.length - 1} more files`;
    await openWith({ type: 'open', ...opened }, name, () => afterOpen?.(opened));
  },

  async openUrl(url) {
    set({ viewer: null });
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'remote.h5ad');
    await openWith({ type: 'open-url', url, name }, name, () => afterOpenShare?.());
  },

  async openShare(share) {
    set({ viewer: share });
    await openWith({ type: 'open-url', url: share.snapshotUrl, key: share.key, name: share.name }, share.name, () => afterOpenShare?.());
    // A share that did not open (a wrong key) offers nothing to download or copy.
    if (get().viewer === share && get().error && !get().summary) set({ viewer: null });
  },

  async loadDemo() {
    const fileName = DEMO_URL.split('/').pop() ?? 'demo.h5ad';
    set({ loading: { id: -1, fileName, fraction: 0, message: 'downloading the demo dataset' }, error: null });
    try {
      const res = await fetch(DEMO_URL);
      if (!res.ok) throw new Error(`the demo dataset could not be fetched (HTTP ${res.status})`);
      // A fixed date, so the demo is the same file to the session store on every visit.
      const file = new File([await res.blob()], fileName, { lastModified: 0 });
      await get().openFiles([file]);
    } catch (err) {
      set({ loading: null, error: asErrorInfo(err) });
    }
  },

  cancelLoad() {
    const l = get().loading;
    if (l && l.id >= 0) dataClient().cancel(l.id);
    set({ loading: null });
  },

  dismissError() {
    set({ error: null });
  },

  async showEmbedding(key) {
    const { done } = dataClient().request<'embedding'>({ type: 'embedding', key });
    try {
      const e = await done;
      const [n, dim] = e.shape;
      const positions = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        positions[2 * i] = e.data[i * dim];
        positions[2 * i + 1] = e.data[i * dim + 1];
      }
      set({ embedding: { key, n, positions } });
    } catch (err) {
      get().fail(err, 'view', `Showing ${key}`);
    }
  },

  async setColorBy(name) {
    set({ colorBy: name });
    if (!name) {
      set({ colorColumn: null });
      return;
    }
    const { done } = dataClient().request<'column'>({ type: 'column', name });
    try {
      const { column } = await done;
      if (get().colorBy === name) set({ colorColumn: column });
    } catch (err) {
      get().fail(err, 'view', `Colouring by ${name}`);
    }
  },

  async chooseCounts(key) {
    const { done } = dataClient().request<'summary'>({ type: 'use-counts', key });
    try {
      set({ summary: (await done).summary, error: null });
    } catch (err) {
      get().fail(err, 'analysis', `Using ${key} as counts`);
    }
  },

  async detectBackend() {
    const { done } = dataClient().request<'backend'>({ type: 'backend' });
    try {
      set({ backend: (await done).backend });
    } catch (err) {
      set({ backend: { kind: 'cpu', detail: `backend detection failed: ${asErrorInfo(err).message}`, features: [] } });
    }
  },
}));

/**
 * Test hook: runs the encoder in the worker on given tokens (the parity e2e test feeds it the scGPT
 * fixture's tokens). It reads nothing from the page and changes no state.
 */
export async function encodeTokens(model: ModelSource, batch: import('../model/encoder-tfjs.ts').TokenBatch, backend: DevicePreference = 'auto') {
  const { done } = dataClient().request<'encoded'>({ type: 'encode-tokens', model, batch, backend });
  const r = await done;
  return { cls: Array.from(r.cls), encoder: r.encoder };
}
