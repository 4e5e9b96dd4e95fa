// The app's side of the model hub: the endpoint setting, a running download with progress and
// cancel, deleting a cached model, and how many of the dataset's genes a model knows.
import { create } from 'zustand';
import { DEFAULT_ENDPOINT } from '../model/hub/registry.ts';
import { useApp } from './store.ts';
import { dataClient } from './worker-client.ts';

const ENDPOINT_KEY = 'scweb.hfEndpoint';

/**
 * The hub endpoint: `?hf_endpoint=URL` in the page address sets it (and keeps it, so a mirror
 * needs to be given once), else the saved setting, else huggingface.co.
 */
export function initialEndpoint(): string {
  try {
    const fromQuery = new URLSearchParams(globalThis.location?.search ?? '').get('hf_endpoint');
    if (fromQuery) localStorage.setItem(ENDPOINT_KEY, fromQuery);
    return localStorage.getItem(ENDPOINT_KEY) || DEFAULT_ENDPOINT;
  } catch {
    return DEFAULT_ENDPOINT;
  }
}

export interface HubJob {
  id: number;
  spec: string;
  fraction: number;
  message: string;
}

export interface VocabOverlap {
  key: string;
  matched: number;
  total: number;
  source: string;
}

interface HubState {
  endpoint: string;
  setEndpoint(url: string): void;
  job: HubJob | null;
  fetchModel(spec: string): Promise<void>;
  cancel(): void;
  deleteModel(id: string): Promise<void>;
  overlap: VocabOverlap | null;
  refreshOverlap(geneColumn?: string): Promise<void>;
}

export const useHub = create<HubState>((set, get) => ({
  endpoint: initialEndpoint(),
  setEndpoint(url) {
    const endpoint = url.trim() || DEFAULT_ENDPOINT;
    try {
      localStorage.setItem(ENDPOINT_KEY, endpoint);
    } catch {
      // Private mode without storage: the setting lasts for this page only.
    }
    set({ endpoint });
  },
  job: null,
  async fetchModel(spec) {
    const app = useApp.getState();
    const { id, done } = dataClient().request<'hub-fetched'>({ type: 'hub-fetch', spec, endpoint: get().endpoint }, (fraction, message) => {
      if (get().job?.id === id) set({ job: { id, spec, fraction, message } });
    });
    set({ job: { id, spec, fraction: 0, message: `contacting ${get().endpoint}` } });
    useApp.setState({ error: null });
    try {
      const { modelId } = await done;
      await app.loadModels();
      app.chooseModel(modelId);
    } catch (err) {
      app.fail(err, 'model', 'Download');
    } finally {
      if (get().job?.id === id) set({ job: null });
    }
  },
  cancel() {
    const job = get().job;
    if (job) dataClient().cancel(job.id);
    set({ job: null });
  },
  async deleteModel(modelId) {
    const app = useApp.getState();
    try {
      await dataClient().request<'model-deleted'>({ type: 'model-delete', modelId }).done;
      await app.loadModels();
    } catch (err) {
      app.fail(err, 'model', 'Deleting the model');
    }
  },
  overlap: null,
  async refreshOverlap(geneColumn) {
    const app = useApp.getState();
    const model = app.chosenSource();
    if (!model || !app.summary) return set({ overlap: null });
    const key = `${app.datasetId}:${app.modelChoice}:${geneColumn ?? ''}`;
    if (get().overlap?.key === key) return;
    try {
      const r = await dataClient().request<'vocab-overlap'>({ type: 'vocab-overlap', model, geneColumn }).done;
      set({ overlap: { key, matched: r.matched, total: r.total, source: r.source } });
    } catch {
      // The embed itself reports what is wrong with a model; the card just omits the line.
      set({ overlap: null });
    }
  },
}));
