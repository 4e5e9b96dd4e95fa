// A hub model into the cache: every file downloaded and verified, then converted once to our
// bundle. Where the bytes and the bundle live is the caller's (files under $SCWEB_CACHE in the
// CLI, the origin's private storage in the browser); a model is cached only when all of it
// verified and converted.
import type { LoadedModel } from '../bundle.ts';
import { isEncoderKey, makeBundle, modelFromStateDict } from '../bundle.ts';
import type { ArgsJson } from '../weights.ts';
import { readTorchStateDict } from '../checkpoint/torch.ts';
import type { ByteSink, DownloadProgress, Expected, Hasher } from './download.ts';
import { VerificationError, downloadFile, fileInfo, treeInfo } from './download.ts';
import type { HubRef, ModelCard } from './registry.ts';
import { resolveUrl } from './registry.ts';

export interface DownloadTarget {
  /** A sink for `file`, holding what an earlier, interrupted run left (with its hash so far). */
  open(file: string): Promise<{ sink: ByteSink; resume?: { bytes: number; hasher: Hasher } }>;
  /** The complete, verified bytes of `file`. */
  read(file: string): Promise<Uint8Array>;
  /** Forgets a file that failed verification, so no bad byte is reused. */
  discard(file: string): Promise<void>;
  /** Stores the bundle and its card as one step (all or nothing), then drops the downloads. */
  commit(bundle: Map<string, Uint8Array>, card: ModelCard): Promise<void>;
}

export interface FetchModelOptions {
  endpoint: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress & { fileIndex: number; fileCount: number }) => void;
  onStage?: (message: string) => void;
  wayOut: string;
  bundleDtype?: 'f32' | 'f16';
  retryDelayMs?: number;
}

export function parameterCount(model: LoadedModel, stateDict: Map<string, { data: ArrayLike<number> }>): number {
  let n = 0;
  for (const [k, t] of stateDict) if (isEncoderKey(k)) n += t.data.length;
  return n || model.weights.embedding.length;
}

export async function fetchModel(ref: HubRef, target: DownloadTarget, opts: FetchModelOptions): Promise<ModelCard> {
  let tree: Promise<Map<string, Expected>> | null = null;
  const listing = () => (tree ??= treeInfo(opts.endpoint, ref.repo, ref.revision, opts.signal));
  const got: ModelCard['files'] = [];
  let commit: string | undefined;
  for (const [i, f] of ref.files.entries()) {
    const url = resolveUrl(opts.endpoint, ref.repo, ref.revision, f.name);
    const expected = await fileInfo(url, listing, f.name, { signal: opts.signal, wayOut: opts.wayOut });
    commit ??= expected.commit;
    const { sink, resume } = await target.open(f.name);
    try {
      const done = await downloadFile(url, f.name, sink, expected, {
        signal: opts.signal,
        resume,
        wayOut: opts.wayOut,
        retryDelayMs: opts.retryDelayMs,
        onProgress: (p) => opts.onProgress?.({ ...p, fileIndex: i, fileCount: ref.files.length }),
      });
      got.push({ name: f.name, size: done.size, sha256: expected.sha256 ? done.sha256 : null });
    } catch (err) {
      // A wrong size or checksum: the bytes are bad, never resume from them. A drop or a cancel
      // keeps them for the next try.
      if (err instanceof VerificationError) await target.discard(f.name);
      throw err;
    }
  }
  opts.onStage?.('converting the checkpoint to a bundle');
  const text = async (name: string) => JSON.parse(new TextDecoder().decode(await target.read(name))) as unknown;
  // Parsed once: a 200 MB checkpoint is read whole, and a second copy would double the peak.
  const sd = await readTorchStateDict(await target.read('best_model.pt'));
  const model = modelFromStateDict(sd, (await text('args.json')) as ArgsJson, (await text('vocab.json')) as Record<string, number>);
  const dtype = opts.bundleDtype ?? 'f16';
  const bundle = makeBundle(model, sd, dtype, `hf:${ref.repo}@${ref.revision}`);
  const c = model.weights.config;
  const card: ModelCard = {
    repo: ref.repo,
    revision: ref.revision,
    commit,
    endpoint: opts.endpoint,
    downloadedAt: new Date().toISOString(),
    files: got,
    entry: ref.entry,
    parameters: parameterCount(model, sd),
    architecture: { layers: c.nLayers, dModel: c.dModel, heads: c.nHeads, dHid: c.dHid, vocab: c.vocabSize },
    bundleDtype: dtype,
  };
  opts.onStage?.('caching the bundle');
  await target.commit(bundle, card);
  return card;
}
