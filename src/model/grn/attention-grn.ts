// scGPT's attention GRN (its Tutorial_Attention_GRN, every choice in
// ../shared/fixtures/scgpt-grn/README.md): each cell of two groups is tokenised over a gene panel
// (zeros included, <cls> value 0), the chosen layer's raw per-head q k^T is rank-normalised (rows,
// then columns, stable ties), averaged over heads and over each group's cells. Cells stream in
// batches (constant memory), with progress and cancel; no Node API, so it runs in a worker.
import { CancelledError, DatasetError } from '../../io/errors.ts';
import type { Dataset } from '../../io/types.ts';
import type { LoadedModel } from '../bundle.ts';
import { resolveLayer } from '../encoder-cpu.ts';
import { TfjsEncoder } from '../encoder-tfjs.ts';
import { WasmEncoder } from '../encoder-wasm.ts';
import type { Uniform } from '../random.ts';
import { cellUniform } from '../random.ts';
import { checkCells, forEachCellRow, grnInput, unionCells } from './cell-rows.ts';
import { datasetGenes, resolvePanel } from './panel.ts';
import { panelPositions, panelTokens } from './panel-tokens.ts';
import type { GroupRanker } from './ranker.ts';
import { GROUP_A, GROUP_B, cpuRanker } from './ranker.ts';
import { webgpuRanker } from './ranker-webgpu.ts';
import { wasmRanker } from './ranker-wasm.ts';

export interface AttentionGrnOptions {
  /** Dataset row indices of each group (any order; a cell in both counts in both). */
  cellsA: Int32Array;
  cellsB: Int32Array;
  /** Gene names as the dataset has them, TFs first (see choosePanel). */
  panel: string[];
  /** Layer whose attention is read; negative counts from the end (default -1, the last). */
  layer?: number;
  /**
   * 'webgpu' needs tfjs's WebGPU backend set up (initTfjsWebGPU), 'wasm' (float32 on the CPU) its
   * wasm backend (initNodeWasm / initBrowserWasm); 'cpu' is the float64 reference.
   */
  backend: 'cpu' | 'webgpu' | 'wasm';
  /** A tfjs encoder of this model to reuse (its weights are on the GPU); made and disposed otherwise. */
  encoder?: TfjsEncoder;
  /** For 'wasm': an encoder of this model to reuse, made and disposed otherwise; and the backend's threads (for the result's `backend` text). */
  wasmEncoder?: WasmEncoder;
  threads?: number;
  /** Adapter description for the result's `backend` text. */
  adapter?: string;
  /** Matrix taken as counts (normalize_total + log1p); default the file's counts, else log values. */
  countsKey?: string;
  /** var column with gene symbols (default: as `scweb embed`). */
  geneColumn?: string;
  ensemblToSymbol?: Map<string, string>;
  /** Seed of the binning draws: each cell draws from (seed, its row index), so results do not depend on batching. */
  seed?: number;
  /** Uniform source per cell (tests inject scGPT's draws); default seeded per cell. */
  uniformFor?: (cell: number) => Uniform;
  signal?: AbortSignal;
  /** `done` may be fractional (within a cell) on the WASM path. */
  onProgress?(done: number, total: number, cellsPerSec: number): void;
}

export interface AttentionGrnResult {
  /** Panel genes; token t of the matrices is `<cls>` for t = 0, panel[t - 1] otherwise. */
  panel: string[];
  /** M = panel.length + 1. */
  m: number;
  /** Row-major [M, M]: mean over group A's cells of the head-averaged rank-normalised scores (row = query, column = key). */
  meanA: Float32Array;
  meanB: Float32Array;
  nA: number;
  nB: number;
  /** The layer used (0-based) and the model's heads. */
  layer: number;
  heads: number;
  /** Which matrix and transform were used, and what computed it. */
  input: string;
  backend: string;
  seconds: number;
}

/** A group's mean rank-normalised matrix from its integer rank sums over `n` cells. */
export function groupMean(sums: Float64Array, heads: number, m: number, n: number): Float32Array {
  return Float32Array.from(sums, (v) => v / (heads * m * n));
}

export async function attentionGrn(ds: Dataset, model: LoadedModel, opts: AttentionGrnOptions): Promise<AttentionGrnResult> {
  const started = performance.now();
  const w = model.weights;
  const layer = resolveLayer(w.config.nLayers, opts.layer ?? -1);
  checkCells(ds, opts.cellsA, 'group A');
  checkCells(ds, opts.cellsB, 'group B');
  if (opts.cellsA.length === 0 || opts.cellsB.length === 0) {
    throw new DatasetError('no-cells', ds.fileName, `group ${opts.cellsA.length === 0 ? 'A' : 'B'} has no cells: pick two groups that both hold cells`);
  }
  if (opts.panel.length === 0) throw new DatasetError('unknown-key', ds.fileName, 'the gene panel is empty');
  const input = grnInput(ds, opts.countsKey);
  const panel = resolvePanel(ds, datasetGenes(ds, input, model, opts.geneColumn, opts.ensemblToSymbol), opts.panel);
  const m = panel.genes.length + 1;
  const positions = panelPositions(panel, ds.varNamesOf(input.key).length);
  const cells = unionCells(opts.cellsA, opts.cellsB);
  const inA = new Set(opts.cellsA);
  const inB = new Set(opts.cellsB);
  const seed = opts.seed ?? 0;
  const uniformFor = opts.uniformFor ?? ((cell: number) => cellUniform(seed, cell));
  let ranker: GroupRanker;
  let ownEncoder: TfjsEncoder | WasmEncoder | null = null;
  if (opts.backend === 'webgpu') {
    let enc = opts.encoder;
    if (!enc) enc = ownEncoder = new TfjsEncoder(w, 'fused');
    ranker = webgpuRanker(enc, opts.adapter ?? 'tfjs', layer);
  } else if (opts.backend === 'wasm') {
    let enc = opts.wasmEncoder;
    if (!enc) enc = ownEncoder = new WasmEncoder(w);
    ranker = wasmRanker(enc, layer, opts.threads ?? 1);
  } else ranker = cpuRanker(w, layer);
  try {
    const B = ranker.batchSize(m);
    const ids = new Int32Array(B * m);
    const values = new Float32Array(B * m);
    const groups = new Uint8Array(B);
    let filled = 0;
    let done = 0;
    let lastReport = -Infinity; // the first batch reports at once
    // Within a long batch: progress (fractional cells), a cancel check, and a macrotask break so
    // that a worker sees a cancel message while one cell computes.
    const within = async (part: number) => {
      if (opts.signal?.aborted) throw new CancelledError(ds.fileName);
      const now = performance.now();
      if (now - lastReport > 250) {
        lastReport = now;
        opts.onProgress?.(done + part, cells.length, (done + part) / Math.max(1e-6, (now - started) / 1000));
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    };
    const flush = async () => {
      if (filled === 0) return;
      await ranker.add(ids, values, groups, filled, m, within);
      done += filled;
      filled = 0;
      if (opts.signal?.aborted) throw new CancelledError(ds.fileName);
      const now = performance.now();
      if (now - lastReport > 250 || done === cells.length) {
        lastReport = now;
        opts.onProgress?.(done, cells.length, done / Math.max(1e-6, (now - started) / 1000));
      }
    };
    await forEachCellRow(ds, input, cells, async (cell, indices, data) => {
      panelTokens(indices, data, panel, positions, w.config.clsId, uniformFor(cell), ids, values, filled * m);
      groups[filled] = (inA.has(cell) ? GROUP_A : 0) | (inB.has(cell) ? GROUP_B : 0);
      if (++filled === B) {
        await flush();
        // A macrotask break: a worker gets a cancel message even while the CPU path computes.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }, opts.signal);
    await flush();
    const sums = await ranker.sums();
    const heads = w.config.nHeads;
    return {
      panel: panel.genes,
      m,
      meanA: groupMean(sums.a, heads, m, inA.size),
      meanB: groupMean(sums.b, heads, m, inB.size),
      nA: inA.size,
      nB: inB.size,
      layer,
      heads,
      input: input.note,
      backend: ranker.name,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    ranker.dispose();
    ownEncoder?.dispose();
  }
}
