// Gene programs of a dataset, end to end, as scGPT's Tutorial_GRN runs them: the dataset's genes
// mapped to the model's vocabulary, the HVGs among them, their embeddings, programs from the
// embeddings' kNN graph, and each program's activity per cell. One function, so the CLI and the
// app's worker compute the same thing.
import { expressionInput, scaledRefusal, type ExpressionInput } from '../io/expression-input.ts';
import type { NumericColumn } from '../io/types.ts';
import type { Dataset } from '../io/types.ts';
import type { LoadedModel } from '../model/bundle.ts';
import { geneNames } from '../model/embed.ts';
import { mapGenes } from '../model/vocab.ts';
import { genePrograms, type GenePrograms } from './gene-programs.ts';
import { embedGeneNames, hvgAmong, logNormColumns, type EmbeddedGenes } from './program-inputs.ts';
import { programScores, type ProgramScore } from './program-scores.ts';

export interface ProgramsRunOptions {
  nHvg?: number;
  k?: number;
  resolution?: number;
  minSize?: number;
  seed?: number;
  flavor?: 'seurat' | 'seurat_v3';
  /** Matrix taken as counts; default the dataset's expression input (counts, else log values). */
  countsKey?: string;
  geneColumn?: string;
  ensemblToSymbol?: Map<string, string>;
  /** UMAP of the gene graph for drawing (default false: the CSV does not need it). */
  layout?: boolean;
  /** Score each program per cell (default true). */
  scores?: boolean;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface ProgramsRun {
  input: ExpressionInput;
  /** Genes of the dataset in the vocabulary, of all, and how they were matched. */
  vocab: { matched: number; total: number; source: string };
  embedded: EmbeddedGenes;
  programs: GenePrograms;
  /** `program_<id>_score` columns (min-max scaled) and what scored them; null when not asked for. */
  scores: { columns: NumericColumn[]; details: ProgramScore[] } | null;
}

export async function runGenePrograms(ds: Dataset, model: LoadedModel, opts: ProgramsRunOptions = {}): Promise<ProgramsRun> {
  const input: ExpressionInput | null = opts.countsKey ? { key: opts.countsKey, kind: 'counts', reason: `${opts.countsKey}, chosen` } : expressionInput(ds);
  if (!input) throw new Error(`${ds.fileName}: no expression matrix: gene programs need raw counts or log-normalised values (X, raw/X or a layer)`);
  if (input.kind === 'scaled') throw new Error(`${ds.fileName}: ${scaledRefusal(input, 'highly variable genes and program scores')}`);
  const { names, source } = geneNames(ds, input.key, opts.geneColumn);
  const mapping = mapGenes(names, model.vocab, source, opts.ensemblToSymbol);
  if (mapping.matched === 0) {
    throw new Error(`${ds.fileName}: none of the ${names.length} genes (${source}, e.g. ${names.slice(0, 3).join(', ')}) is in the model's vocabulary; pick the var column with gene symbols`);
  }
  const phase = (lo: number, hi: number) => (f: number, message: string) => opts.onProgress?.(lo + f * (hi - lo), message);
  const withScores = opts.scores ?? true;
  const hvg = await hvgAmong(ds, input, Uint8Array.from(mapping.ids, (id) => (id >= 0 ? 1 : 0)), opts.nHvg ?? 1200, { flavor: opts.flavor, signal: opts.signal, onProgress: phase(0, 0.3) });
  const embedded = embedGeneNames(model.weights, model.vocab, Array.from(hvg.genes, (g) => names[g]), { source, ensemblToSymbol: opts.ensemblToSymbol });
  const programs = await genePrograms(embedded.set, {
    k: opts.k,
    resolution: opts.resolution,
    minSize: opts.minSize,
    seed: opts.seed,
    layout: opts.layout ?? false,
    signal: opts.signal,
    onProgress: phase(0.3, withScores ? 0.8 : 1),
  });
  let scores: ProgramsRun['scores'] = null;
  if (withScores) {
    // Scored over the embedded genes, the pool scanpy draws controls from (the tutorial's HVG-subset AnnData).
    const cols = Array.from(embedded.rows, (row) => hvg.genes[row]).sort((a, b) => a - b);
    const matrix = await logNormColumns(ds, input, hvg.totals, Int32Array.from(cols), { signal: opts.signal, onProgress: phase(0.8, 0.9) });
    scores = await programScores({ matrix, genes: cols.map((g) => names[g]) }, programs.programs, { seed: opts.seed, signal: opts.signal, onProgress: phase(0.9, 1) });
  }
  return { input, vocab: { matched: mapping.matched, total: mapping.total, source: mapping.source }, embedded, programs, scores };
}
