// Messages between the page and the data worker. Everything is structured-clone friendly; large
// arrays travel as transferables.
import type { MarkerMethod } from '../analysis/markers.ts';
import type { PipelineParams, StepEvent } from '../analysis/pipeline.ts';
import type { GroupMeans, GroupStats } from '../analysis/group-stats.ts';
import type { ViolinResult, ViolinSource } from '../analysis/violin.ts';
import type { AnalysisReport, MarkerTable } from '../analysis/report.ts';
import type { IntegrationMetricsReport } from '../analysis/integration-compare.ts';
import type { MapParams, MapReport } from '../analysis/mapping.ts';
import type { HeadParams, HeadReport } from '../analysis/scgpt-head.ts';
import type { VotingParams } from '../analysis/vote-predictions.ts';
import type { HeadEpoch } from '../model/cls-train.ts';
import type { CelltypistParams, CelltypistReport } from '../analysis/celltypist.ts';
import type { CelltypistEntry } from '../model/hub/celltypist-registry.ts';
import type { Suggestion } from '../analysis/suggest.ts';
import type { ErrorInfo } from '../io/errors.ts';
import type { DatasetSummary } from '../io/summary.ts';
import type { GeneJoin } from '../io/types.ts';
import type { BackendInfo, DevicePreference } from '../model/backend.ts';
import type { TokenBatch } from '../model/encoder-tfjs.ts';
import type { AttentionGrnResult } from '../model/grn/attention-grn.ts';
import type { RegistryEntry } from '../model/hub/registry.ts';
import type { ModelEntry, ModelSource } from './model-store.ts';
import type { Column } from '../io/types.ts';

export type { ModelEntry, ModelSource, RegistryEntry };

export type { BackendInfo };

/** What this session computed (obs columns and obsm entries), as the browser keeps it between visits. */
export interface SessionResults {
  columns: Column[];
  obsm: { key: string; shape: [number, number]; data: Float32Array }[];
  /** The UMAP of the run's own graph (X_umap_pca_harmony after Harmony), which an export names X_umap. */
  umap?: string;
  /** Whether a pipeline run made these results (its graph, loadings and statistics are not kept with them). */
  fromRun?: boolean;
}

/** Which genes a shared snapshot carries (log-normalised, gene-major). */
export type SnapshotGenes = { kind: 'hvg+markers'; markers: string[] } | { kind: 'all' } | { kind: 'none' } | { kind: 'list'; names: string[] };

export interface SnapshotRequest {
  genes: SnapshotGenes;
  /** obsm keys to include (the embeddings on show; X_scGPT when asked). */
  embeddings: string[];
  session?: string;
  provenance?: string;
  /** #rrggbb by category name for columns coloured by the user (uns/<column>_colors). */
  colors?: Record<string, Record<string, string>>;
}

export type ColumnData =
  | { kind: 'categorical'; name: string; codes: Int32Array; categories: string[] }
  | { kind: 'numeric'; name: string; values: Float64Array }
  | { kind: 'string'; name: string; values: string[] };

export type Request =
  /** `paths`: each file's place in a dropped folder; several datasets are joined (genes by `join`). */
  | { type: 'open'; id: number; files: File[]; paths?: string[]; join?: GeneJoin }
  /** A file on a server read lazily with Range requests; `key` (32 bytes) decrypts an encrypted share. */
  | { type: 'open-url'; id: number; url: string; key?: Uint8Array; name?: string }
  | { type: 'cancel'; id: number }
  /** The page's HDF5 watch (src/io/h5/shared-watch.ts): this worker writes slot 0, its pool workers the next ones. No answer. */
  | { type: 'h5-watch'; id: number; buffer: SharedArrayBuffer }
  | { type: 'embedding'; id: number; key: string }
  | { type: 'column'; id: number; name: string }
  | { type: 'backend'; id: number }
  | { type: 'use-counts'; id: number; key: string }
  | { type: 'models'; id: number }
  /** Download a registry model (`scgpt-human`, or hf:OWNER/NAME[@REV]) from `endpoint` into the browser's cache. */
  | { type: 'hub-fetch'; id: number; spec: string; endpoint: string }
  | { type: 'model-delete'; id: number; modelId: string }
  | { type: 'vocab-overlap'; id: number; model: ModelSource; geneColumn?: string }
  | { type: 'embed'; id: number; model: ModelSource; options: EmbedRequestOptions }
  | { type: 'encode-tokens'; id: number; model: ModelSource; batch: TokenBatch; backend: DevicePreference }
  /** threads: workers for the CPU steps (the app's setting); results do not depend on it. */
  | { type: 'analyze'; id: number; params: PipelineParams; threads?: number }
  | { type: 'markers'; id: number; groupBy: string; method: MarkerMethod; selection?: Uint8Array; threads?: number }
  /** The last integrated run's graph and UMAP without Harmony (X_umap_pca): the "before" view. */
  | { type: 'umap-before'; id: number; threads?: number }
  /** LISI, ASWs and graph connectivity of the last integrated run, before (X_pca) and after (X_pca_harmony). */
  | { type: 'integration-metrics'; id: number; labelKey: string | null; threads?: number }
  | { type: 'gene'; id: number; name: string }
  | { type: 'genes'; id: number }
  | { type: 'group-stats'; id: number; groupBy: string; genes: string[] }
  | { type: 'violin'; id: number; groupBy: string | null; source: ViolinSource; /** Values kept per group as points (stripplot). */ points?: number }
  | { type: 'obs-index'; id: number }
  | { type: 'lasso'; id: number; key: string; polygon: number[] }
  | { type: 'map'; id: number; params: MapParams; fromReference?: boolean; threads?: number }
  /** The last mapping's trained model (logistic regression): JSON (a 'text' answer) or a CellTypist .pkl (a 'file'). */
  | { type: 'map-model'; id: number; format: 'json' | 'pkl' }
  /** scGPT's classifier head trained on the labelled cells (or the reference's) with `model` on `backend`. */
  | { type: 'annotate-head'; id: number; model: ModelSource; params: HeadParams; fromReference?: boolean; backend: DevicePreference; threads?: number }
  /** The last trained head as a .pt (a 'file' answer). */
  | { type: 'head-file'; id: number }
  /** Annotates the dataset with a saved head (no training) on `model`, which must be the encoder it was trained on. */
  | { type: 'annotate-saved-head'; id: number; model: ModelSource; file: File; minConfidence: number; voting: VotingParams; backend: DevicePreference; threads?: number }
  | { type: 'open-reference'; id: number; files: File[] }
  /** Annotate the dataset with a CellTypist model: a .pkl the user picked, or a registry model (cached, or downloaded from `endpoint`). */
  | { type: 'celltypist'; id: number; source: CelltypistSource; params: CelltypistParams }
  | { type: 'celltypist-models'; id: number }
  | { type: 'suggest'; id: number; groupBy: string; userSets?: string }
  | { type: 'set-column'; id: number; column: ColumnData & { kind: 'categorical' } }
  | { type: 'export-csv'; id: number; columns: string[] }
  /** `colors`: #rrggbb by category name for columns whose colours are the user's (uns/<column>_colors). */
  | { type: 'export-h5ad'; id: number; session?: string; colors?: Record<string, Record<string, string>> }
  | { type: 'session-export'; id: number }
  | { type: 'stored-markers'; id: number }
  | { type: 'snapshot'; id: number; request: SnapshotRequest }
  /** How many genes a snapshot with this choice would hold (the share dialog's count): the same function picks them. */
  | { type: 'snapshot-genes'; id: number; genes: SnapshotGenes }
  | { type: 'session-restore'; id: number; results: SessionResults }
  | { type: 'grn-programs'; id: number; model: ModelSource; params: ProgramsParams }
  | { type: 'grn-similar'; id: number; gene: string; k: number }
  | { type: 'grn-heatmap'; id: number; groupBy: string }
  | { type: 'grn-attention'; id: number; model: ModelSource; params: AttentionParams };

/** Gene-embedding programs (scGPT's GeneEmbedding recipe) as the page asks for them. */
export interface ProgramsParams {
  nHvg: number;
  k: number;
  resolution: number;
  minSize: number;
  seed: number;
  /** Cosine similarity above which two genes are joined in the network view (scGPT's tutorial: 0.5). */
  edgeThreshold: number;
  geneColumn?: string;
}

export interface ProgramsResult {
  /** Display symbols of the genes embedded (the network's nodes). */
  genes: string[];
  /** Program of each gene (numbered from 0 by size, as named in obs), -1 for a gene in no program. */
  program: Int32Array;
  programs: { id: number; genes: string[]; column: string }[];
  /** [genes, 2] node positions: a UMAP of the gene graph. */
  layout: Float32Array;
  edges: { source: Uint32Array; target: Uint32Array; weight: Float32Array };
  model: string;
  /** Where the genes came from, e.g. "1,200 highly variable genes (seurat_v3) in the vocabulary". */
  genesNote: string;
  seconds: number;
}

/** Cells of one side of an attention comparison: a category of a column, the lasso selection, or every other cell. */
export type CellGroup = { kind: 'category'; column: string; value: string } | { kind: 'selection'; mask: Uint8Array } | { kind: 'rest' };

export interface AttentionParams {
  a: CellGroup;
  b: CellGroup;
  /** Genes the user adds in front of the panel (transcription factors). */
  tfs: string[];
  nHvg: number;
  /** Layer whose attention is read; negative counts from the last. */
  layer: number;
  backend: DevicePreference;
  seed: number;
  geneColumn?: string;
}

/** The attention GRN's group means (see model/grn/attention-grn.ts) and how they were made. */
export type AttentionResult = Pick<AttentionGrnResult, 'panel' | 'm' | 'meanA' | 'meanB' | 'nA' | 'nB' | 'layer' | 'seconds'> & {
  labelA: string;
  labelB: string;
  encoder: string;
  model: string;
};

export interface EmbedRequestOptions {
  seed: number;
  maxLength: number;
  batchSize: number;
  backend: DevicePreference;
  /** var column naming the genes; default: feature_name when present, else the index. */
  geneColumn?: string;
  /** CPU threads for the WebAssembly encoder (the app's threads setting); fixed once that backend has started. */
  threads?: number;
}

export interface EmbedStats {
  model: string;
  /** The model as the panel lists it (the test model says so). */
  modelName?: string;
  encoder: string;
  genesMatched: number;
  genesTotal: number;
  geneSource: string;
  nEmpty: number;
  seconds: number;
  cachedAs?: string;
  /** The matrix embedded and why (counts, or non-negative values when the file has no counts). */
  input: string;
}

export type Response =
  | { type: 'progress'; id: number; fraction: number; message: string; rate?: { cellsPerSecond: number; secondsLeft: number }; epoch?: HeadEpoch }
  | { type: 'models'; id: number; models: ModelEntry[]; registry: RegistryEntry[] }
  | { type: 'hub-fetched'; id: number; modelId: string }
  | { type: 'model-deleted'; id: number }
  | { type: 'vocab-overlap'; id: number; matched: number; total: number; vocabSize: number; source: string }
  | { type: 'embedded'; id: number; summary: DatasetSummary; stats: EmbedStats }
  | { type: 'encoded'; id: number; cls: Float32Array; encoder: string }
  | { type: 'opened'; id: number; summary: DatasetSummary; warnings: string[] }
  | { type: 'summary'; id: number; summary: DatasetSummary }
  | { type: 'embedding'; id: number; key: string; shape: [number, number]; data: Float32Array }
  | { type: 'column'; id: number; column: ColumnData }
  | { type: 'backend'; id: number; backend: BackendInfo }
  | { type: 'error'; id: number; error: ErrorInfo }
  | { type: 'step'; id: number; event: StepEvent }
  | { type: 'analyzed'; id: number; summary: DatasetSummary; report: AnalysisReport }
  | { type: 'markers'; id: number; table: MarkerTable }
  | { type: 'umap-before'; id: number; summary: DatasetSummary; key: string }
  | { type: 'integration-metrics'; id: number; report: IntegrationMetricsReport }
  | { type: 'group-stats'; id: number; stats: GroupStats }
  | { type: 'violin'; id: number; result: ViolinResult }
  /** names: the var names (ids); symbols: what to show and search; source: where symbols came from, null when names are symbols. */
  | { type: 'genes'; id: number; names: string[]; symbols: string[]; source: string | null }
  | { type: 'obs-index'; id: number; names: string[] }
  | { type: 'lasso'; id: number; selection: Uint8Array; count: number }
  | { type: 'mapped'; id: number; summary: DatasetSummary; report: MapReport | HeadReport }
  | { type: 'reference'; id: number; summary: DatasetSummary }
  | { type: 'celltypist-done'; id: number; summary: DatasetSummary; report: CelltypistReport }
  /** `cached`: names of registry models in this browser's cache. */
  | { type: 'celltypist-models'; id: number; registry: CelltypistEntry[]; cached: string[] }
  | { type: 'suggestions'; id: number; groupBy: string; table: { group: string; suggestions: Suggestion[] }[] }
  | { type: 'text'; id: number; text: string }
  | { type: 'file'; id: number; name: string; bytes: Uint8Array; /** What the file could not hold, in a sentence for the user. */ left?: string }
  | { type: 'snapshot-genes'; id: number; count: number }
  | { type: 'session-results'; id: number; results: SessionResults }
  | { type: 'stored-markers'; id: number; table: MarkerTable | null }
  | { type: 'grn-programs'; id: number; summary: DatasetSummary; result: ProgramsResult }
  | { type: 'grn-similar'; id: number; gene: string; similar: { gene: string; cosine: number }[] }
  | { type: 'grn-heatmap'; id: number; stats: GroupMeans }
  | { type: 'grn-attention'; id: number; result: AttentionResult };

export type { HeadEpoch, HeadParams, HeadReport, MapParams, MapReport, Suggestion };

export type { CelltypistEntry, CelltypistParams, CelltypistReport };

export type CelltypistSource = { kind: 'file'; file: File } | { kind: 'registry'; name: string; endpoint: string };

export type { AnalysisReport, IntegrationMetricsReport, MarkerTable, PipelineParams, StepEvent };
