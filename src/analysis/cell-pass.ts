// Streamed passes over a matrix's cells, on the worker pool when there is one. Each pool worker
// opens the same file itself (an HDF5 file on disk or a dropped File; opened on first use, then
// kept) and reads, decompresses and reduces whole chunks, so the reading runs in parallel too.
// Without a pool, or for a dataset no worker can open (MatrixMarket text parsed in memory, a share
// link's remote file), this thread reads the same chunks. Partials are folded in chunk order, so
// the bits are the same either way.
import { chunkRanges, forEachChunkAsync, reportPass, type PassOptions } from '../io/iterate.ts';
import type { ConcatLayout, Dataset } from '../io/types.ts';
import { partialBuffers, reduceChunk, type CellPartial, type CellPassSpec } from './cell-chunks.ts';
import { openJob, poolFor, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';

export interface CellPassOptions extends PassOptions {
  pool?: WorkerPool | null;
}

/** Readers at once: each holds its own HDF5 module and one chunk in memory (~50-100 MB at the default size). */
export const MAX_READERS = 4;
/**
 * Fewest chunks for which a pass goes to the pool: one chunk cannot be split, and starting the
 * workers (each opens the file) costs more than a chunk takes here.
 */
export const CELL_PASS_POOL_MIN_CHUNKS = 2;
/** Chunks sent out per round: their partials are folded and dropped before the next round, bounding memory. */
const ROUND = 16;

/** How a worker finds the file again: a path in Node, the File (or Blob) itself in the browser. */
export interface ReopenSource {
  files: { name: string; size: number; path?: string; blob?: Blob }[];
  /** The counts matrix the user chose, so the worker checks the same rules when reading it. */
  counts: string | null;
  /** Names the Dataset object this thread opened: a worker reopens when it changes (a file replaced under the same name). */
  token: string;
  /** Several files joined as one (io/concat.ts): how the worker joins them the same way. */
  concat?: ConcatLayout;
}

interface Range {
  from: number;
  to: number;
}

/**
 * Runs `spec` over every chunk of `key` and hands each chunk's partial to `fold`, in chunk order
 * (index: the chunk's position).
 */
export async function cellPass<P extends CellPartial>(ds: Dataset, key: string, spec: CellPassSpec, fold: (partial: P, index: number) => void, opts: CellPassOptions = {}): Promise<void> {
  const nGenes = ds.varNamesOf(key).length;
  const source = reopenSource(ds);
  const ranges = [...chunkRanges(ds, key, opts)].map(([from, to]) => ({ from, to }));
  const pool = poolFor(opts.pool, ranges.length, CELL_PASS_POOL_MIN_CHUNKS);
  if (!pool || !source) {
    let i = 0;
    await forEachChunkAsync(ds, key, (chunk) => fold(reduceChunk(spec, chunk, nGenes) as P, i++), opts);
    return;
  }
  // One job for the whole pass: its context (the spec's per-cell arrays) reaches each worker once.
  const job = openJob(pool, 'cell-pass', { source, key, nGenes, spec: shareSpec(pool, spec) });
  try {
    for (let first = 0; first < ranges.length; first += ROUND) {
      const round = ranges.slice(first, first + ROUND);
      const parts = await job.run<P>(round, {
        signal: opts.signal,
        maxWorkers: MAX_READERS,
        // Chunks finish out of order: report as many cells as that many chunks hold.
        onBlock: (done) => reportPass(ds, key, ranges[first + done - 1].to, opts),
      });
      parts.forEach((p, j) => fold(p, first + j));
    }
  } finally {
    job.close();
  }
}

const tokens = new WeakMap<Dataset, string>();
let opens = 0;

/** The files a pool worker can open itself, or null when only this thread can read the dataset. */
function reopenSource(ds: Dataset): ReopenSource | null {
  if (!ds.sources?.length) return null;
  let token = tokens.get(ds);
  if (!token) tokens.set(ds, (token = `${Date.now()}-${++opens}`));
  const files = ds.sources.map((f) => (f.path ? { name: f.name, size: f.size, path: f.path } : { name: f.name, size: f.size, blob: f.blob }));
  return { files, counts: ds.countsKey, token, ...(ds.concat ? { concat: ds.concat } : {}) };
}

/** The spec with its big per-cell arrays in shared memory, so workers read them in place. */
function shareSpec(pool: WorkerPool, spec: CellPassSpec): CellPassSpec {
  const out: Record<string, unknown> = { ...spec };
  for (const [k, v] of Object.entries(spec)) if (v instanceof Float64Array || v instanceof Uint8Array || v instanceof Int32Array) out[k] = pool.share(v);
  return out as CellPassSpec;
}

// ---- the worker's side ----

type Opener = (files: ReopenSource['files'], concat?: ConcatLayout) => Promise<Dataset>;
let opener: Opener | null = null;
let opened: { id: string; ds: Promise<Dataset> } | null = null;

/** Set by the platform's pool worker entry: how to open files there (Node paths, browser Files). */
export function setDatasetOpener(fn: Opener): void {
  opener = fn;
}

/** Closes the file this worker holds (once it has finished opening, if it ever does). */
function forgetOpened(): void {
  const stale = opened;
  opened = null;
  stale?.ds.then((d) => d.close(), () => undefined);
}

async function workerDataset(src: ReopenSource): Promise<Dataset> {
  if (opened?.id !== src.token) {
    if (!opener) throw new Error('this pool worker cannot open files');
    forgetOpened();
    opened = { id: src.token, ds: opener(src.files, src.concat) };
  }
  const ds = await opened.ds;
  // Every pass, not only on opening: the user may choose another counts matrix after the file was
  // opened here, and the counts rules (non-negative in every row) must follow that choice.
  if (src.counts && ds.countsKey !== src.counts) ds.useCounts(src.counts);
  return ds;
}

/** One chunk in a pool worker: read it from the worker's own handle on the file, reduce it. */
export async function cellPassTask(ctx: { source: ReopenSource; key: string; nGenes: number; spec: CellPassSpec }, r: Range): Promise<{ result: CellPartial; transfer: ArrayBuffer[] }> {
  try {
    const ds = await workerDataset(ctx.source);
    const result = reduceChunk(ctx.spec, ds.readRows(ctx.key, r.from, r.to), ctx.nGenes);
    return { result, transfer: partialBuffers(result) };
  } catch (err) {
    // A failed open or an HDF5 trap can leave the handle unusable: the next chunk opens afresh.
    forgetOpened();
    throw err;
  }
}

definePoolTask('cell-pass', cellPassTask);
