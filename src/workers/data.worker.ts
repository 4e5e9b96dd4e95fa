// The data worker: opens files, answers requests for columns and embeddings, reports progress and
// honours cancel. A failed open leaves the current dataset untouched.
import { MAX_CATEGORIES_FOR_STRINGS, categoricalFromStrings } from '../io/columns.ts';
import { datasetBaseName } from '../io/file-groups.ts';
import { DatasetError, toErrorInfo } from '../io/errors.ts';
import { openMany } from '../io/open-many.ts';
import { fromBlob } from '../io/source.ts';
import { lazyBlob, openRemote } from '../io/share/remote.ts';
import { summarize } from '../io/summary.ts';
import type { Dataset, GeneJoin } from '../io/types.ts';
import { detectBackend } from '../model/backend.ts';
import { topComponentsAsync } from '../analysis/pca-small.ts';
import type { LoadedModel } from '../model/bundle.ts';
import type { CellEncoder } from '../model/embed.ts';
import { cpuEncoder, embedDataset, wasmEncoder, webgpuEncoder } from '../model/embed.ts';
import { HeadFileError, MAX_HEAD_BYTES, readHeadFile } from '../model/head-file.ts';
import { TfjsEncoder, defaultGemmChoice, defaultKernels, initTfjsWebGPU } from '../model/encoder-tfjs.ts';
import { describeKernels, registerTfjsWebGPU } from '../model/tfjs-webgpu-device.ts';
import { WasmEncoder } from '../model/encoder-wasm.ts';
import { initBrowserWasm } from './wasm-backend.ts';
import { AnalysisSession, browserResources } from './analysis-session.ts';
import { GrnSession, type ModelDevice } from './grn-session.ts';
import { browserH5Runtime, writeScratchFile } from './h5-browser-runtime.ts';
import { browserPool, watchPoolWorkers } from './browser-pool.ts';
import { setH5Watcher } from '../io/h5/watch.ts';
import { sharedWatcher } from '../io/h5/shared-watch.ts';
import { writeSnapshot } from '../io/h5ad/snapshot.ts';
import { sha256OfBlob } from '../io/file-digest.ts';
import type { ModelSource } from './model-store.ts';
import { fetchHubModel, deleteCached, loadRegistry } from './hub-store.ts';
import { cachedCelltypist, celltypistModelBytes, loadCelltypistRegistry } from './celltypist-store.ts';
import { readCelltypistModel } from '../analysis/celltypist-model.ts';
import { MAX_PICKLE_BYTES } from '../io/pickle/unpickle.ts';
import type { CelltypistSource } from './protocol.ts';
import { listModels, loadModelFrom, modelVocab } from './model-store.ts';
import { geneNames } from '../model/embed.ts';
import { embeddingInput } from '../model/embedding-input.ts';
import { mapGenes, parseVocab } from '../model/vocab.ts';
import type { ColumnData, EmbedRequestOptions, Request, Response } from './protocol.ts';

const scope = self as unknown as { postMessage(msg: Response, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<Request>) => void) | null };
let current: Dataset | null = null;
/** The files the current dataset was read from (an export copies what it does not compute). */
let currentFiles: File[] = [];
let session: AnalysisSession | null = null;
let grn: GrnSession | null = null;
/** A labelled reference dataset for label transfer; kept apart from the analysed dataset. */
let reference: Dataset | null = null;
const running = new Map<number, AbortController>();

function post(msg: Response, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

scope.onmessage = (e) => {
  const req = e.data;
  if (req.type === 'cancel') {
    running.get(req.id)?.abort();
    return;
  }
  if (req.type === 'h5-watch') {
    setH5Watcher(sharedWatcher(req.buffer, 0));
    watchPoolWorkers(req.buffer);
    return;
  }
  handle(req).catch((err: unknown) => post({ type: 'error', id: req.id, error: toErrorInfo(err) }));
};

async function handle(req: Exclude<Request, { type: 'cancel' | 'h5-watch' }>): Promise<void> {
  switch (req.type) {
    case 'backend':
      post({ type: 'backend', id: req.id, backend: await detectBackend() });
      return;
    case 'open':
      return open(req.id, req.files, req.paths, req.join);
    case 'open-url':
      return openUrl(req.id, req.url, req.key, req.name);
    case 'embedding': {
      const e = requireDataset().readEmbedding(req.key);
      post({ type: 'embedding', id: req.id, key: e.key, shape: e.shape, data: e.data }, [e.data.buffer]);
      return;
    }
    case 'column':
      return sendColumn(req.id, req.name);
    case 'models':
      post({ type: 'models', id: req.id, models: await listModels(), registry: await loadRegistry() });
      return;
    case 'hub-fetch':
      return withCancel(req.id, async (signal) => {
        const modelId = await fetchHubModel(req.spec, req.endpoint, signal, (p) => post({ type: 'progress', id: req.id, fraction: p.fraction, message: p.message }));
        post({ type: 'hub-fetched', id: req.id, modelId });
      });
    case 'model-delete':
      if (loaded?.key === `cached:${req.modelId}`) {
        loaded.gpu?.dispose();
        loaded.wasm?.dispose();
        loaded = null;
      }
      await deleteCached(req.modelId);
      post({ type: 'model-deleted', id: req.id });
      return;
    case 'vocab-overlap': {
      const ds = requireDataset();
      const vocabJson = await modelVocab(req.model);
      const vocab = parseVocab(vocabJson);
      const key = (() => {
        try {
          return embeddingInput(ds).key;
        } catch {
          return ds.countsKey ?? ds.matrices[0]?.key ?? 'X';
        }
      })();
      const { names, source } = geneNames(ds, key, req.geneColumn);
      const m = mapGenes(names, vocab, source, await browserResources.ensemblMap());
      post({ type: 'vocab-overlap', id: req.id, matched: m.matched, total: m.total, vocabSize: vocab.size, source: m.source });
      return;
    }
    case 'embed':
      return embed(req.id, req.model, req.options);
    case 'encode-tokens': {
      await ensureModel(req.id, req.model);
      const encoder = await encoderFor({ backend: req.backend });
      const cls = await encoder.encode(req.batch);
      post({ type: 'encoded', id: req.id, cls, encoder: encoder.name }, [cls.buffer]);
      return;
    }
    case 'analyze':
      return withCancel(req.id, async (signal) => {
        const session = requireSession();
        session.pool = browserPool(req.threads ?? 1);
        const report = await session.analyze(req.params, signal, (event) => post({ type: 'step', id: req.id, event }));
        post({ type: 'analyzed', id: req.id, summary: summarize(requireDataset()), report });
      });
    case 'markers':
      return withCancel(req.id, async (signal) => {
        const session = requireSession();
        session.pool = browserPool(req.threads ?? 1);
        const table = await session.markers(req.groupBy, req.method, req.selection ?? null, signal, (fraction, message) => post({ type: 'progress', id: req.id, fraction, message }));
        post({ type: 'markers', id: req.id, table });
      });
    case 'umap-before':
      return withCancel(req.id, async (signal) => {
        const session = requireSession();
        session.pool = browserPool(req.threads ?? 1);
        const key = await session.uncorrectedUmap(signal, (e) => e.state === 'running' && post({ type: 'progress', id: req.id, fraction: e.step === 'umap' ? 0.3 + 0.7 * e.fraction : 0.3 * e.fraction, message: `${e.step}: ${e.message}` }));
        post({ type: 'umap-before', id: req.id, summary: summarize(requireDataset()), key });
      });
    case 'integration-metrics':
      return withCancel(req.id, async (signal) => {
        const session = requireSession();
        session.pool = browserPool(req.threads ?? 1);
        const report = await session.integrationMetrics(req.labelKey, signal, (fraction, message) => post({ type: 'progress', id: req.id, fraction, message }));
        post({ type: 'integration-metrics', id: req.id, report });
      });
    case 'gene':
      return withCancel(req.id, async (signal) => {
        const values = await requireSession().geneValues(req.name, signal);
        post({ type: 'column', id: req.id, column: { kind: 'numeric', name: req.name, values } }, [values.buffer]);
      });
    case 'group-stats':
      return withCancel(req.id, async (signal) => {
        const stats = await requireSession().groupStats(req.groupBy, req.genes, signal);
        post({ type: 'group-stats', id: req.id, stats });
      });
    case 'violin':
      return withCancel(req.id, async (signal) => {
        const result = await requireSession().violin(req.groupBy, req.source, signal, req.points);
        post({ type: 'violin', id: req.id, result });
      });
    case 'genes': {
      const labels = await requireSession().geneLabels();
      post({ type: 'genes', id: req.id, names: labels.ids, symbols: labels.symbols, source: labels.source });
      return;
    }
    case 'obs-index':
      post({ type: 'obs-index', id: req.id, names: requireDataset().obs.index });
      return;
    case 'lasso': {
      const selection = requireSession().lasso(req.key, req.polygon);
      const count = selection.reduce((a, b) => a + b, 0);
      post({ type: 'lasso', id: req.id, selection, count }, [selection.buffer]);
      return;
    }
    case 'map':
      return withCancel(req.id, async (signal) => {
        if (req.fromReference && !reference) throw new Error('load a reference dataset first');
        requireSession().pool = browserPool(req.threads ?? 1);
        const report = await requireSession().map(req.params, req.fromReference ? reference : null, signal, (fraction, message) => post({ type: 'progress', id: req.id, fraction, message }));
        post({ type: 'mapped', id: req.id, summary: summarize(requireDataset()), report });
      });
    case 'annotate-head':
      return withCancel(req.id, async (signal) => {
        if (req.fromReference && !reference) throw new Error('load a reference dataset first');
        await ensureModel(req.id, req.model);
        const encoder = await encoderFor({ backend: req.backend, threads: req.threads });
        // The exact float64 encoder uses no tfjs backend: the head trains on the WebAssembly one
        // where it starts (several times faster than tfjs's JavaScript cpu backend).
        if (req.backend === 'cpu') await initBrowserWasm(req.threads).catch(() => undefined);
        const report = await requireSession().annotateHead(loaded!.model, encoder, req.params, req.fromReference ? reference : null, {
          signal,
          ensemblToSymbol: await browserResources.ensemblMap(),
          modelName: modelName(req.model),
          createdBy: 'scWeb (browser)',
          onProgress: (fraction, message, epoch) => post({ type: 'progress', id: req.id, fraction, message, epoch }),
        });
        post({ type: 'mapped', id: req.id, summary: summarize(requireDataset()), report });
      });
    case 'head-file': {
      const bytes = requireSession().headFile();
      post({ type: 'file', id: req.id, name: 'head.pt', bytes }, [bytes.buffer]);
      return;
    }
    case 'annotate-saved-head':
      return withCancel(req.id, async (signal) => {
        const file = req.file;
        // The file first: one that is not a head is refused before the model is loaded.
        if (file.size > MAX_HEAD_BYTES) throw new HeadFileError(file.name, `${(file.size / 2 ** 20).toFixed(0)} MiB is far more than a classifier head: not a saved head`);
        post({ type: 'progress', id: req.id, fraction: 0, message: `reading ${file.name}` });
        const saved = await readHeadFile(new Uint8Array(await file.arrayBuffer()), file.name);
        await ensureModel(req.id, req.model);
        const encoder = await encoderFor({ backend: req.backend, threads: req.threads });
        if (req.backend === 'cpu') await initBrowserWasm(req.threads).catch(() => undefined);
        const report = await requireSession().annotateSavedHead(loaded!.model, encoder, saved, file.name, { minConfidence: req.minConfidence, voting: req.voting }, {
          signal,
          ensemblToSymbol: await browserResources.ensemblMap(),
          modelName: modelName(req.model),
          mismatchFix: `Choose the model it was trained on ("${saved.encoder.name}") in the model select, or train a new head on this model.`,
          onProgress: (fraction, message) => post({ type: 'progress', id: req.id, fraction, message }),
        });
        post({ type: 'mapped', id: req.id, summary: summarize(requireDataset()), report });
      });
    case 'open-reference':
      return withCancel(req.id, async (signal) => {
        const ds = await openMany(
          req.files.map((f) => ({ name: f.name, source: fromBlob(f.name, f) })),
          browserH5Runtime,
          { signal, onProgress: (fraction, message) => post({ type: 'progress', id: req.id, fraction, message }) },
        );
        reference?.close();
        reference = ds;
        post({ type: 'reference', id: req.id, summary: summarize(ds) });
      });
    case 'celltypist':
      return withCancel(req.id, async (signal) => {
        const progress = (fraction: number, message: string) => post({ type: 'progress', id: req.id, fraction, message });
        const ds = requireDataset();
        const session = requireSession();
        const { bytes, fileName, keep } = await celltypistBytes(req.source, signal, (f, m) => progress(0.2 * f, m));
        // A file that is no model (or names a foreign global) stops here, before the dataset is read.
        const { model } = readCelltypistModel(bytes, fileName);
        await keep();
        const report = await session.celltypist(model, fileName, req.params, signal, (f, m) => progress(0.2 + 0.8 * f, m));
        post({ type: 'celltypist-done', id: req.id, summary: summarize(ds), report });
      });
    case 'celltypist-models': {
      const registry = await loadCelltypistRegistry();
      post({ type: 'celltypist-models', id: req.id, registry, cached: await cachedCelltypist(registry) });
      return;
    }
    case 'suggest':
      return withCancel(req.id, async (signal) => {
        const table = await requireSession().suggest(req.groupBy, req.userSets, signal, (fraction, message) => post({ type: 'progress', id: req.id, fraction, message }));
        post({ type: 'suggestions', id: req.id, groupBy: req.groupBy, table });
      });
    case 'set-column':
      requireSession().setColumn(req.column);
      post({ type: 'summary', id: req.id, summary: summarize(requireDataset()) });
      return;
    case 'map-model':
      if (req.format === 'json') post({ type: 'text', id: req.id, text: requireSession().mapModelJson() });
      else {
        const bytes = requireSession().mapModelPkl();
        post({ type: 'file', id: req.id, name: 'model.pkl', bytes }, [bytes.buffer]);
      }
      return;
    case 'export-csv':
      post({ type: 'text', id: req.id, text: requireSession().csv(req.columns) });
      return;
    case 'export-h5ad':
      return withCancel(req.id, async (signal) => {
        // The input is opened again on a mount of its own, so the export copies what we do not compute.
        const rt = await browserH5Runtime();
        const openInput = () => {
          const source = fromBlob(currentFiles[0].name, currentFiles[0]);
          const file = rt.open(source);
          return {
            file,
            bytes: currentFiles[0].size,
            close() {
              file.close();
              rt.release(source);
            },
          };
        };
        const { bytes, left } = await requireSession().h5ad(signal, (fraction, message) => post({ type: 'progress', id: req.id, fraction, message }), currentFiles.length === 1 ? openInput : undefined, req.session, req.colors);
        const base = outputStem();
        post({ type: 'file', id: req.id, name: `${base}_scweb.h5ad`, bytes, ...(left ? { left } : {}) }, [bytes.buffer]);
      });
    case 'snapshot':
      return withCancel(req.id, async (signal) => {
        const progress = (fraction: number, message: string) => post({ type: 'progress', id: req.id, fraction, message });
        // Provenance names the exact input: its SHA-256, from the file the user opened (not for a remote one);
        // for several files joined, each file's.
        let provenance = req.request.provenance;
        const local = currentFiles.every((f) => f instanceof Blob);
        if (provenance && local && (currentFiles.length === 1 || current?.concat)) {
          const total = currentFiles.reduce((a, f) => a + f.size, 0);
          let before = 0;
          const digests: { name: string; bytes: number; sha256: string }[] = [];
          for (const file of currentFiles) {
            const sha256 = await sha256OfBlob(file, (done) => progress((0.3 * (before + done)) / Math.max(1, total), `checksum of ${file.name}: ${Math.round((100 * done) / Math.max(1, file.size))}%`), signal);
            digests.push({ name: file.name, bytes: file.size, sha256 });
            before += file.size;
          }
          const p = JSON.parse(provenance) as { source?: Record<string, unknown> };
          const source = currentFiles.length === 1 ? { ...p.source, sha256: digests[0].sha256 } : { ...p.source, files: digests, join: current?.concat?.join };
          provenance = JSON.stringify({ ...p, source });
        }
        const content = await requireSession().snapshotContent({ ...req.request, provenance }, signal, progress);
        progress(0.8, 'writing the snapshot');
        const bytes = await writeScratchFile((lib, path) => writeSnapshot(lib, path, content));
        if (signal.aborted) throw new DatasetError('cancelled', requireDataset().fileName, 'cancelled by the user');
        post({ type: 'file', id: req.id, name: `${outputStem()}_shared.h5ad`, bytes }, [bytes.buffer]);
      });
    case 'snapshot-genes': {
      const genes = await requireSession().snapshotGenes(req.genes);
      post({ type: 'snapshot-genes', id: req.id, count: genes.length });
      return;
    }
    case 'stored-markers': {
      const table = await requireSession().storedMarkers();
      post({ type: 'stored-markers', id: req.id, table });
      return;
    }
    case 'session-export': {
      const results = requireSession().results();
      post({ type: 'session-results', id: req.id, results }, results.obsm.map((e) => e.data.buffer));
      return;
    }
    case 'session-restore': {
      requireSession().restore(req.results);
      post({ type: 'summary', id: req.id, summary: summarize(requireDataset()) });
      return;
    }
    case 'grn-programs':
      return withCancel(req.id, async (signal) => {
        await ensureModel(req.id, req.model);
        const result = await requireGrn().programs(loaded!.model, req.params, signal, (fraction, message) => post({ type: 'progress', id: req.id, fraction, message }));
        post({ type: 'grn-programs', id: req.id, summary: summarize(requireDataset()), result }, [result.layout.buffer, result.edges.source.buffer, result.edges.target.buffer, result.edges.weight.buffer]);
      });
    case 'grn-similar':
      post({ type: 'grn-similar', id: req.id, gene: req.gene, similar: requireGrn().similar(req.gene, req.k) });
      return;
    case 'grn-heatmap':
      post({ type: 'grn-heatmap', id: req.id, stats: requireGrn().heatmap(req.groupBy) });
      return;
    case 'grn-attention':
      return withCancel(req.id, async (signal) => {
        await ensureModel(req.id, req.model);
        const device = await modelDevice(req.params.backend);
        const result = await requireGrn().attention(loaded!.model, req.params, device, signal, (fraction, message, rate) => post({ type: 'progress', id: req.id, fraction, message, rate }));
        post({ type: 'grn-attention', id: req.id, result }, [result.meanA.buffer, result.meanB.buffer]);
      });
    case 'use-counts': {
      const ds = requireDataset();
      ds.useCounts(req.key);
      post({ type: 'summary', id: req.id, summary: summarize(ds) });
      return;
    }
  }
}

async function celltypistBytes(source: CelltypistSource, signal: AbortSignal, onProgress: (f: number, m: string) => void) {
  if (source.kind === 'registry') return celltypistModelBytes(source.name, source.endpoint, signal, onProgress);
  const f = source.file;
  if (f.size > MAX_PICKLE_BYTES) throw new Error(`${f.name}: ${(f.size / 2 ** 20).toFixed(0)} MiB is more than a CellTypist model (read up to ${MAX_PICKLE_BYTES / 2 ** 20} MiB)`);
  return { bytes: new Uint8Array(await f.arrayBuffer()), fileName: f.name, keep: async () => {} };
}

async function open(id: number, files: File[], paths?: string[], join?: GeneJoin): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  const warnings: string[] = [];
  try {
    const ds = await openMany(
      files.map((f, i) => ({ name: f.name, path: paths?.[i], source: fromBlob(f.name, f) })),
      browserH5Runtime,
      {
        signal: controller.signal,
        onProgress: (fraction, message) => post({ type: 'progress', id, fraction, message }),
        onWarning: (m) => warnings.push(m),
        join,
        // Matches an Ensembl-indexed file without symbols to symbol-indexed ones.
        ensemblToSymbol: files.length > 1 ? await browserResources.ensemblMap().catch(() => undefined) : undefined,
      },
    );
    post({ type: 'progress', id, fraction: 0.9, message: 'summarising' });
    const summary = summarize(ds);
    if (controller.signal.aborted) {
      ds.close();
      throw new DatasetError('cancelled', ds.fileName, 'cancelled by the user');
    }
    current?.close();
    // Pool workers keep their own handle on the file they last read (passes over cells): let them go with it.
    session?.pool?.terminate();
    current = ds;
    currentFiles = files;
    session = new AnalysisSession(ds);
    grn = new GrnSession(session, browserResources.ensemblMap);
    post({ type: 'opened', id, summary, warnings });
  } finally {
    running.delete(id);
  }
}

/**
 * The remote file stands in for a dropped File: WORKERFS reads it through `slice`, which fetches
 * (and decrypts) the bytes synchronously, and an export reopens it the same way.
 */
async function openUrl(id: number, url: string, key: Uint8Array | undefined, name: string | undefined): Promise<void> {
  post({ type: 'progress', id, fraction: 0, message: 'contacting the server' });
  const remote = await openRemote(url, { key });
  const fileName = name ?? (decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || 'remote.h5ad');
  return open(id, [lazyBlob(remote, fileName) as unknown as File]);
}

/** The input's name without its extension, for files we write from it; saving a saved analysis again keeps one suffix. */
function outputStem(): string {
  return datasetBaseName(requireDataset().fileName).replace(/\.(h5ad|h5|mtx(\.gz)?)$/i, '').replace(/_scweb$/, '');
}

function requireGrn(): GrnSession {
  requireDataset();
  return grn!;
}

function requireSession(): AnalysisSession {
  requireDataset();
  return session!;
}

async function withCancel(id: number, fn: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  try {
    await fn(controller.signal);
  } finally {
    running.delete(id);
  }
}

function requireDataset(): Dataset {
  if (!current) throw new Error('no dataset is loaded');
  return current;
}

function sendColumn(id: number, name: string): void {
  const col = requireDataset().obs.columns.find((c) => c.name === name);
  if (!col) throw new Error(`no obs column "${name}"`);
  let column: ColumnData;
  if (col.kind === 'categorical') column = { kind: 'categorical', name, codes: col.codes.slice(), categories: col.categories };
  else if (col.kind === 'numeric') column = { kind: 'numeric', name, values: col.values.slice() };
  else if (new Set(col.values).size <= MAX_CATEGORIES_FOR_STRINGS) {
    const cat = categoricalFromStrings(name, col.values);
    column = { kind: 'categorical', name, codes: cat.codes, categories: cat.categories };
  } else column = { kind: 'string', name, values: col.values };
  const transfer = column.kind === 'categorical' ? [column.codes.buffer] : column.kind === 'numeric' ? [column.values.buffer] : [];
  post({ type: 'column', id, column }, transfer);
}

// One model and its GPU and WASM encoders stay loaded between runs; a different model replaces them.
let loaded: { key: string; model: LoadedModel; gpu: TfjsEncoder | null; wasm?: WasmEncoder; cachedAs?: string } | null = null;

/** What the user calls a model: its id, or the folder its files were picked from. */
function modelName(s: ModelSource): string {
  if (s.kind !== 'files') return s.id;
  const path = s.files[0]?.webkitRelativePath ?? '';
  return path.includes('/') ? path.split('/')[0] : s.files.map((f) => f.name).join(', ');
}

function sourceKey(s: ModelSource): string {
  return s.kind === 'files' ? `files:${s.files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join('|')}` : `${s.kind}:${s.id}`;
}

async function ensureModel(id: number, source: ModelSource): Promise<void> {
  const key = sourceKey(source);
  if (loaded?.key === key) return;
  loaded?.gpu?.dispose();
  loaded?.wasm?.dispose();
  const { model, cachedAs } = await loadModelFrom(source, (message) => post({ type: 'progress', id, fraction: 0, message }));
  loaded = { key, model, gpu: null, cachedAs };
}

/**
 * Where the loaded model runs (the embedding and the attention GRN alike): a usable WebGPU adapter
 * when asked for ('auto': a hardware one); else the float32 WASM path; the exact float64 one when
 * 'cpu' is asked for or WebAssembly cannot start.
 */
async function modelDevice(backend: EmbedRequestOptions['backend'], threads?: number): Promise<ModelDevice> {
  if (backend === 'cpu') return { backend: 'cpu' };
  if (backend !== 'wasm') {
    const info = await detectBackend(undefined, backend);
    // Our device request (subgroups, shader-f16 where present) before tfjs starts its backend.
    if (info.kind === 'webgpu') await registerTfjsWebGPU();
    if (info.kind === 'webgpu' && (await initTfjsWebGPU())) {
      loaded!.gpu ??= new TfjsEncoder(loaded!.model.weights, defaultKernels(info.software), defaultGemmChoice(loaded!.model.weights));
      return { backend: 'webgpu', encoder: loaded!.gpu, adapter: describeKernels(info.detail) };
    }
  }
  let wasmThreads: number;
  try {
    wasmThreads = await initBrowserWasm(threads);
  } catch (err) {
    if (backend === 'wasm') throw err;
    console.warn(`WebAssembly did not start (${String(err)}): the model runs on the exact float64 CPU path`);
    return { backend: 'cpu' };
  }
  loaded!.wasm ??= new WasmEncoder(loaded!.model.weights);
  return { backend: 'wasm', wasmEncoder: loaded!.wasm, threads: wasmThreads };
}

async function encoderFor(opts: Pick<EmbedRequestOptions, 'backend' | 'threads'>): Promise<CellEncoder> {
  const device = await modelDevice(opts.backend, opts.threads);
  if (device.backend === 'webgpu') return webgpuEncoder(device.encoder, device.adapter);
  if (device.backend === 'wasm') return wasmEncoder(device.wasmEncoder, device.threads);
  const pool = opts.threads ? browserPool(opts.threads) : (session?.pool ?? null);
  // The session follows the current count too, so it never keeps a retired pool.
  if (session && opts.threads) session.pool = pool;
  return cpuEncoder(loaded!.model, pool);
}

async function embed(id: number, source: ModelSource, opts: EmbedRequestOptions): Promise<void> {
  const ds = requireDataset();
  const controller = new AbortController();
  running.set(id, controller);
  try {
    await ensureModel(id, source);
    const encoder = await encoderFor(opts);
    post({ type: 'progress', id, fraction: 0, message: `embedding with ${encoder.name}` });
    const result = await embedDataset(ds, loaded!.model, encoder, {
      geneColumn: opts.geneColumn,
      seed: opts.seed,
      maxLength: opts.maxLength,
      batchSize: opts.batchSize,
      ensemblToSymbol: await browserResources.ensemblMap(),
      signal: controller.signal,
      onProgress: (p) =>
        post({ type: 'progress', id, fraction: p.done / p.total, message: `${p.done.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} cells`, rate: { cellsPerSecond: p.cellsPerSecond, secondsLeft: p.secondsLeft } }),
    });
    ds.addEmbedding({ key: 'X_scGPT', shape: [ds.nObs, result.dim], data: result.embeddings });
    const pcs = await topComponentsAsync(result.embeddings, ds.nObs, result.dim, 2, { pool: opts.threads ? browserPool(opts.threads) : (session?.pool ?? null), signal: controller.signal });
    ds.addEmbedding({ key: 'X_scGPT_pc', shape: [ds.nObs, 2], data: pcs.scores });
    session?.embeddingChanged('X_scGPT');
    post({
      type: 'embedded',
      id,
      summary: summarize(ds),
      stats: {
        model: loaded!.model.description,
        encoder: result.encoder,
        genesMatched: result.mapping.matched,
        genesTotal: result.mapping.total,
        geneSource: result.mapping.source,
        nEmpty: result.nEmpty,
        seconds: result.seconds,
        cachedAs: loaded!.cachedAs,
        input: result.input.note,
      },
    });
  } finally {
    running.delete(id);
  }
}
