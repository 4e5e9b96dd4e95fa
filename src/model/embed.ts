// scGPT cell embeddings for a whole dataset, streamed: cells are read and tokenised a window at a
// time, sorted by length inside the window, packed into batches padded to a bucket length (little
// padding, few distinct GPU buffer sizes), encoded, and written back in input order.
import type { WorkerPool } from '../parallel/pool.ts';
import { CancelledError, DatasetError } from '../io/errors.ts';
import { filledShare, symbolColumnName as geneSymbolsColumn } from '../io/gene-symbols.ts';
import type { Dataset } from '../io/types.ts';
import type { LoadedModel } from './bundle.ts';
import type { EmbeddingInput } from './embedding-input.ts';
import { checkNonNegative, embeddingInput } from './embedding-input.ts';
import { forwardCell, layerInput, resolveLayer } from './encoder-cpu.ts';
import { encodeBatchOnPool, poolFitsEncoder } from './encoder-cpu-pool.ts';
import type { TfjsEncoder, TokenBatch } from './encoder-tfjs.ts';
import type { WasmEncoder } from './encoder-wasm.ts';
import type { Uniform } from './random.ts';
import { cellUniform } from './random.ts';
import type { CellTokens } from './tokenize.ts';
import { tokenizeCell } from './tokenize.ts';
import type { GeneMapping } from './vocab.ts';
import { mapGenes } from './vocab.ts';

/** Runs the encoder on a padded batch and returns `<cls>` outputs [B, d]. */
export interface CellEncoder {
  name: string;
  /** signal: stops a batch part-way where the encoder can (the float64 one on the pool). */
  encode(batch: TokenBatch, signal?: AbortSignal): Promise<Float32Array>;
  /** Most tokens (batch x padded length) one batch may hold on this device. */
  tokenBudget?: number;
  /**
   * Per cell of the batch, the input of layer `layer` (negative: from the end) over its real
   * tokens, [length, d] row-major: where fine-tuning the last layer starts from.
   */
  layerInputs?(batch: TokenBatch, layer: number, signal?: AbortSignal): Promise<Float32Array[]>;
}

/** Cell by cell on the exact float64 path: the CPU encoders' layer inputs. */
function cpuLayerInputs(model: LoadedModel, b: TokenBatch, layer: number): Float32Array[] {
  return Array.from(b.lengths, (n, c) => layerInput(model.weights, b.ids.subarray(c * b.seqLen), b.values.subarray(c * b.seqLen), n, layer));
}

/** The exact float64 reference; with a pool that shares memory, its cells run on the workers (same bits). */
export function cpuEncoder(model: LoadedModel, pool?: WorkerPool | null): CellEncoder {
  const d = model.weights.config.dModel;
  const layerInputs = async (b: TokenBatch, layer: number) => cpuLayerInputs(model, b, layer);
  if (poolFitsEncoder(pool)) return { name: `CPU (exact float64 sums, ${pool.size} threads)`, encode: (b, signal) => encodeBatchOnPool(pool, model.weights, b, signal), layerInputs };
  return {
    name: 'CPU (exact float64 sums)',
    layerInputs,
    async encode(b) {
      const out = new Float32Array(b.batch * d);
      for (let c = 0; c < b.batch; c++) {
        out.set(forwardCell(model.weights, b.ids.subarray(c * b.seqLen), b.values.subarray(c * b.seqLen), b.lengths[c]).cls, c * d);
      }
      return out;
    },
  };
}

export function wasmEncoder(enc: WasmEncoder, threads: number): CellEncoder {
  return {
    name: `CPU, WebAssembly float32 (tfjs-backend-wasm, ${threads} thread${threads === 1 ? '' : 's'})`,
    encode: async (b) => (await enc.encode(b)).cls,
    tokenBudget: enc.tokenBudget(),
    async layerInputs(b, layer) {
      const li = resolveLayer(enc.weights.config.nLayers, layer);
      const out: Float32Array[] = [];
      for (let c = 0; c < b.batch; c++) out.push(await enc.layerInput(b.ids.subarray(c * b.seqLen, c * b.seqLen + b.lengths[c]), b.values.subarray(c * b.seqLen, c * b.seqLen + b.lengths[c]), li));
      return out;
    },
  };
}

export function webgpuEncoder(enc: TfjsEncoder, adapter: string): CellEncoder {
  return {
    name: `WebGPU (${adapter})`,
    encode: async (b) => (await enc.encode(b)).cls,
    tokenBudget: enc.tokenBudget(),
    async layerInputs(b, layer) {
      const t = enc.layerInput(b, layer);
      const all = (await t.data()) as Float32Array;
      t.dispose();
      const d = enc.weights.config.dModel;
      return Array.from(b.lengths, (n, c) => all.slice(c * b.seqLen * d, (c * b.seqLen + n) * d));
    },
  };
}

export interface EmbedProgress {
  done: number;
  total: number;
  cellsPerSecond: number;
  secondsLeft: number;
}

export interface EmbedOptions {
  maxLength?: number;
  /** Cells per batch at most; the token budget may lower it for long cells. */
  batchSize?: number;
  /** Tokens (batch x padded length) per batch at most: bounds GPU memory. */
  tokenBudget?: number;
  seed?: number;
  /** Uniform source per cell (binning ties, then gene subset); default: seeded per cell. */
  uniformFor?: (cell: number) => Uniform;
  /** var column with gene symbols; default: `feature_name` when present, else the var index. */
  geneColumn?: string;
  ensemblToSymbol?: Map<string, string>;
  matrixKey?: string;
  /**
   * Embed only cells [start, end) (a shard of a sharded run); the result holds those rows. Each
   * cell keeps its own random stream (seed, cell index), so shards concatenate to the whole run.
   */
  range?: { start: number; end: number };
  /**
   * false: the encoder's `<cls>` outputs as they are (what scGPT's classifier head reads); default
   * true: L2-normalised, as scGPT's embed_data returns them.
   */
  normalize?: boolean;
  /**
   * Batches are padded to a multiple of this many tokens (default 32): smaller steps pad less,
   * larger ones give the GPU more distinct shapes (a pipeline and buffer size each).
   */
  bucketStep?: number;
  /**
   * Default true: the next batch is read, tokenised and packed while the encoder works on this one.
   * false: one after the other (the order before; the same batches and bits).
   */
  overlap?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: EmbedProgress) => void;
}

export interface EmbedResult {
  /** Row-major [n_obs, d] (or the range's rows), L2-normalised unless asked otherwise; NaN rows for cells with no expressed in-vocab gene. */
  embeddings: Float32Array;
  dim: number;
  nEmpty: number;
  mapping: GeneMapping;
  encoder: string;
  seconds: number;
  /** The matrix embedded, and why. */
  input: EmbeddingInput;
  /** Share of the encoded token slots that were padding (0 when nothing was encoded). */
  padding: number;
}

const WINDOW = 2048;
const BUCKET = 32;

export function geneNames(ds: Dataset, matrixKey: string, column?: string): { names: string[]; source: string } {
  const useVar = matrixKey !== 'raw/X';
  // A feature_name column that is there but empty (CELLxGENE files exist with it all missing) names no gene.
  const feature = ds.var.columns.find((c) => c.name === 'feature_name');
  const pick = column ?? (useVar ? (feature && filledShare(feature) >= 0.5 ? 'feature_name' : geneSymbolsColumn(ds) ?? undefined) : undefined);
  if (!pick || pick === 'index') return { names: ds.varNamesOf(matrixKey), source: useVar ? 'var index' : 'raw/var index' };
  const col = ds.var.columns.find((c) => c.name === pick);
  if (!col) throw new DatasetError('unknown-key', ds.fileName, `no var column "${pick}" (have: ${ds.var.columns.map((c) => c.name).join(', ') || 'none'})`);
  if (!useVar) throw new DatasetError('unknown-key', ds.fileName, `a var column cannot name the genes of raw/X, which has its own var`);
  const names = col.kind === 'categorical' ? Array.from(col.codes, (c) => col.categories[c] ?? '') : col.kind === 'string' ? col.values : Array.from(col.values, String);
  return { names, source: `var/${pick}` };
}

/** What the encoder is fed for a dataset: its matrix, its genes in the vocabulary, and each cell's tokens. */
export interface DatasetTokenizer {
  input: EmbeddingInput;
  mapping: GeneMapping;
  maxLength: number;
  /** Tokens of cells [start, end) (at most a window's worth), null for a cell with no expressed in-vocab gene. */
  rows(start: number, end: number): (CellTokens | null)[];
}

export type DatasetTokenizeOptions = Pick<EmbedOptions, 'matrixKey' | 'geneColumn' | 'ensemblToSymbol' | 'maxLength' | 'seed' | 'uniformFor'>;

/** The tokenisation `embedDataset` uses, for callers that need the tokens themselves (fine-tuning). */
export function datasetTokenizer(ds: Dataset, model: LoadedModel, opts: DatasetTokenizeOptions = {}): DatasetTokenizer {
  const input = embeddingInput(ds, opts.matrixKey);
  const matrixKey = input.key;
  const { names, source } = geneNames(ds, matrixKey, opts.geneColumn);
  const mapping = mapGenes(names, model.vocab, source, opts.ensemblToSymbol);
  if (mapping.matched === 0) {
    throw new DatasetError('unknown-key', ds.fileName, `none of the ${names.length} genes (${source}, e.g. ${names.slice(0, 3).join(', ')}) is in the model's vocabulary; pick the var column with gene symbols`);
  }
  const cfg = model.weights.config;
  const maxLength = opts.maxLength ?? 1200;
  const seed = opts.seed ?? 0;
  const uniformFor = opts.uniformFor ?? ((cell: number) => cellUniform(seed, cell));
  return {
    input,
    mapping,
    maxLength,
    rows(start, end) {
      const chunk = ds.readRows(matrixKey, start, end);
      // Counts are checked by the reader in every row; another matrix was judged on a sample.
      if (matrixKey !== ds.countsKey) checkNonNegative(ds, matrixKey, chunk.data, start, chunk.indptr);
      return Array.from({ length: end - start }, (_, r) => {
        const [lo, hi] = [chunk.indptr[r], chunk.indptr[r + 1]];
        return tokenizeCell(chunk.indices.subarray(lo, hi), chunk.data.subarray(lo, hi), mapping.ids, uniformFor(start + r), { maxLength, clsId: cfg.clsId, padValue: cfg.padValue });
      });
    },
  };
}

/** Tokens of the cells where `keep` is set (all when null), read a window at a time; null for cells left out or with nothing expressed. */
export async function tokenizeDataset(ds: Dataset, model: LoadedModel, keep: Uint8Array | null, opts: DatasetTokenizeOptions & { signal?: AbortSignal } = {}): Promise<{ tokens: (CellTokens | null)[]; tokenizer: DatasetTokenizer }> {
  const tokenizer = datasetTokenizer(ds, model, opts);
  const tokens: (CellTokens | null)[] = new Array<CellTokens | null>(ds.nObs).fill(null);
  for (let start = 0; start < ds.nObs; start += WINDOW) {
    if (opts.signal?.aborted) throw new CancelledError(ds.fileName);
    const end = Math.min(ds.nObs, start + WINDOW);
    if (keep && !keep.subarray(start, end).some((v) => v)) continue;
    tokenizer.rows(start, end).forEach((t, r) => {
      if (!keep || keep[start + r]) tokens[start + r] = t;
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return { tokens, tokenizer };
}

export async function embedDataset(ds: Dataset, model: LoadedModel, encoder: CellEncoder, opts: EmbedOptions = {}): Promise<EmbedResult> {
  const started = performance.now();
  const tokenizer = datasetTokenizer(ds, model, opts);
  const { input, mapping, maxLength } = tokenizer;
  const cfg = model.weights.config;
  const tokenBudget = opts.tokenBudget ?? encoder.tokenBudget ?? 16_384;
  const maxBatch = opts.batchSize ?? 64;
  const d = cfg.dModel;
  const first = opts.range?.start ?? 0;
  const stop = opts.range?.end ?? ds.nObs;
  if (!(Number.isInteger(first) && Number.isInteger(stop) && first >= 0 && first <= stop && stop <= ds.nObs)) {
    throw new DatasetError('shape-mismatch', ds.fileName, `cell range [${first}, ${stop}) is outside the file's ${ds.nObs} cells`);
  }
  const total = stop - first;
  const out = new Float32Array(total * d).fill(NaN);
  const write = opts.normalize === false ? (at: number, v: Float32Array) => out.set(v, at) : (at: number, v: Float32Array) => writeNormalized(out, at, v);
  const bucketStep = opts.bucketStep ?? BUCKET;
  if (!(Number.isInteger(bucketStep) && bucketStep >= 1)) throw new Error(`bucketStep must be a positive integer (got ${bucketStep})`);
  const batches = embedBatches(tokenizer, first, stop, { maxLength, maxBatch, tokenBudget, bucketStep, padId: cfg.padId, padValue: cfg.padValue });
  const overlap = opts.overlap !== false;
  const cancelled = () => new CancelledError(ds.fileName);
  let nEmpty = 0;
  let done = 0;
  let padded = 0;
  let real = 0;
  const start = (item: PlannedBatch | undefined): Promise<Float32Array> | null => {
    if (!item?.batch) return null;
    const p = encoder.encode(item.batch, opts.signal);
    // It may fail (a cancelled pool batch) while this thread is between batches: marked handled
    // here so Node does not end the process for it; it is awaited and rethrown below.
    p.catch(() => undefined);
    return p;
  };
  // Leaves no encode running behind a throw: the caller may dispose the encoder (or the GPU) next.
  const settle = async (p: Promise<unknown> | null) => {
    await p?.catch(() => undefined);
  };
  if (opts.signal?.aborted) throw cancelled();
  let cur = batches.next().value as PlannedBatch | undefined;
  let pending = start(cur);
  while (cur) {
    // The overlap: the next batch is read, tokenised and packed on this thread while the encoder
    // (GPU queue, pool workers) works on this one. Batches are the same either way, so are the bits.
    let next: PlannedBatch | undefined;
    if (overlap) {
      try {
        next = batches.next().value as PlannedBatch | undefined;
      } catch (err) {
        await settle(pending);
        throw err;
      }
    }
    const cls = pending ? await pending : null;
    if (opts.signal?.aborted) throw cancelled();
    // Keeps the encoder busy while this batch's rows are written back; one encode at a time, so
    // memory stays that of one batch (plus the tokens of at most two windows).
    pending = overlap ? start(next) : null;
    if (cls && cur.batch) {
      cur.cells.forEach((c, k) => write(c * d, cls.subarray(k * d, (k + 1) * d)));
      padded += cur.batch.batch * cur.batch.seqLen;
      for (const n of cur.batch.lengths) real += n;
    }
    done += cur.cells.length;
    nEmpty += cur.empty;
    // A macrotask break: lets a worker receive a cancel message even when the encoder is the
    // synchronous CPU path (awaiting it only yields microtasks).
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (opts.signal?.aborted) {
      await settle(pending);
      throw cancelled();
    }
    const elapsed = (performance.now() - started) / 1000;
    const rate = (done + nEmpty) / Math.max(elapsed, 1e-6);
    opts.onProgress?.({ done: done + nEmpty, total, cellsPerSecond: rate, secondsLeft: (total - done - nEmpty) / rate });
    if (!overlap) {
      next = batches.next().value as PlannedBatch | undefined;
      pending = start(next);
    }
    cur = next;
  }
  const padding = padded > 0 ? 1 - real / padded : 0;
  return { embeddings: out, dim: d, nEmpty, mapping, encoder: encoder.name, seconds: (performance.now() - started) / 1000, input, padding };
}

/** One batch as planned: its cells (row offsets from the range start, in batch order) and the empty cells counted with it. */
interface PlannedBatch {
  cells: number[];
  batch: TokenBatch | null;
  /** Cells of the window with nothing to embed, counted with the window's first batch. */
  empty: number;
}

interface BatchPlan {
  maxLength: number;
  maxBatch: number;
  tokenBudget: number;
  bucketStep: number;
  padId: number;
  padValue: number;
}

/**
 * The batches of cells [first, stop), lazily: a window is read and tokenised only when its first
 * batch is asked for, so at most the tokens of the window in hand (and the batch still with the
 * encoder) are held. The plan depends on the data and options alone, never on timing.
 */
export function* embedBatches(tokenizer: DatasetTokenizer, first: number, stop: number, plan: BatchPlan): Generator<PlannedBatch, void, undefined> {
  const { maxLength, maxBatch, tokenBudget, bucketStep } = plan;
  const bucket = (n: number) => Math.min(maxLength, Math.ceil(n / bucketStep) * bucketStep);
  for (let start = first; start < stop; start += WINDOW) {
    const end = Math.min(stop, start + WINDOW);
    const cells: { index: number; tokens: CellTokens }[] = [];
    let empty = 0;
    tokenizer.rows(start, end).forEach((tokens, r) => {
      if (tokens) cells.push({ index: start - first + r, tokens });
      else empty++;
    });
    cells.sort((a, b) => a.tokens.ids.length - b.tokens.ids.length);
    if (cells.length === 0) yield { cells: [], batch: null, empty };
    for (let i = 0; i < cells.length; ) {
      // Sorted by length: a batch's last cell is its longest, so grow it while the padded size fits.
      let j = i + 1;
      while (j < cells.length && j - i < maxBatch && (j - i + 1) * bucket(cells[j].tokens.ids.length) <= tokenBudget) j++;
      const group = cells.slice(i, j);
      const L = bucket(group[group.length - 1].tokens.ids.length);
      yield { cells: group.map((c) => c.index), batch: packBatch(group.map((c) => c.tokens), L, plan.padId, plan.padValue), empty: i === 0 ? empty : 0 };
      i = j;
    }
  }
}

export function packBatch(cells: CellTokens[], seqLen: number, padId: number, padValue: number): TokenBatch {
  const B = cells.length;
  const ids = new Int32Array(B * seqLen).fill(padId);
  const values = new Float32Array(B * seqLen).fill(padValue);
  const lengths = new Int32Array(B);
  cells.forEach((c, k) => {
    ids.set(c.ids, k * seqLen);
    values.set(c.values, k * seqLen);
    lengths[k] = c.ids.length;
  });
  return { ids, values, lengths, batch: B, seqLen };
}

function writeNormalized(out: Float32Array, at: number, v: Float32Array): void {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s);
  for (let k = 0; k < v.length; k++) out[at + k] = v[k] * inv;
}
