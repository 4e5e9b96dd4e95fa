// What gene programs need from a dataset and a model: the HVGs that are in the model's
// vocabulary (as scGPT's Tutorial_GRN, which keeps the in-vocabulary genes and then takes 1,200
// HVGs among them), their embeddings LayerNorm(Embedding(id)), and the log-normalised values of
// those genes for scoring. The HVG choice is the pipeline's step (datasetHvg) with the
// out-of-vocabulary genes excluded as it excludes filtered genes.
import type { CsrArrays } from '../io/csr.ts';
import type { PassOptions } from '../io/iterate.ts';
import type { ExpressionInput } from '../io/expression-input.ts';
import type { Dataset } from '../io/types.ts';
import { geneTokenEmbeddings } from '../model/encoder-cpu.ts';
import { mapGenes, type Vocab } from '../model/vocab.ts';
import type { ScGPTWeights } from '../model/weights.ts';
import { logNormMatrix } from './expression.ts';
import type { GeneEmbeddingSet } from './gene-programs.ts';
import type { HvgFlavor } from './hvg.ts';
import { datasetHvg } from './hvg-dataset.ts';
import { qcMetrics } from './qc.ts';

export interface EmbeddedGenes {
  set: GeneEmbeddingSet;
  /** For each embedded gene, its position in the names given. */
  rows: Int32Array;
  /** Vocabulary id of each embedded gene. */
  ids: Int32Array;
  /** Names given that are not in the vocabulary (or repeat a vocabulary id already taken). */
  missing: string[];
  /** How names were matched (mapGenes' note). */
  source: string;
}

/** Gene embeddings of the named genes found in the vocabulary, in the order given; the first of two names for one id wins. */
export function embedGeneNames(weights: ScGPTWeights, vocab: Vocab, names: string[], opts: { source?: string; ensemblToSymbol?: Map<string, string> } = {}): EmbeddedGenes {
  const mapping = mapGenes(names, vocab, opts.source ?? 'gene names', opts.ensemblToSymbol);
  const seen = new Set<number>();
  const rows: number[] = [];
  const missing: string[] = [];
  names.forEach((name, i) => {
    const id = mapping.ids[i];
    if (id < 0 || seen.has(id)) missing.push(name);
    else {
      seen.add(id);
      rows.push(i);
    }
  });
  const ids = Int32Array.from(rows, (i) => mapping.ids[i]);
  const embeddings = geneTokenEmbeddings(weights, ids);
  return { set: { genes: rows.map((i) => names[i]), embeddings, d: weights.config.dModel }, rows: Int32Array.from(rows), ids, missing, source: mapping.source };
}

export interface ProgramGenesResult {
  /** Var positions (of the matrix read) of the HVGs, ascending. */
  genes: Int32Array;
  /** Per-cell totals for normalize_total, or null when the matrix is already log-normalised. */
  totals: Float64Array | null;
}

/**
 * The `nTop` most variable genes among those with `eligible[g]` (in the vocabulary), by the
 * pipeline's HVG step over every cell (genes in fewer than 3 cells excluded, as its min_cells).
 * scGPT's tutorial uses seurat_v3 on counts; the pipeline's default is seurat.
 */
export async function hvgAmong(ds: Dataset, input: ExpressionInput, eligible: Uint8Array, nTop: number, opts: PassOptions & { flavor?: HvgFlavor } = {}): Promise<ProgramGenesResult> {
  const fromLog = input.kind === 'log';
  const flavor = opts.flavor ?? 'seurat';
  if (fromLog && flavor === 'seurat_v3') throw new Error(`${ds.fileName}: flavor seurat_v3 needs raw counts, but ${input.reason}; use flavor seurat`);
  const names = ds.varNamesOf(input.key);
  const qc = await qcMetrics(ds, input.key, names, { ...opts, fromLog });
  const keepGenes = Uint8Array.from(names, (_, g) => (eligible[g] && qc.n_cells_by_counts[g] >= 3 ? 1 : 0));
  const hvg = await datasetHvg({ ds, key: input.key, keep: null, keepGenes, totals: qc.total_counts, fromLog }, { flavor, nTopGenes: nTop }, opts);
  if (hvg.genes.length === 0) throw new Error(`${ds.fileName}: no gene of the model's vocabulary varies across the cells`);
  return { genes: hvg.genes, totals: fromLog ? null : qc.total_counts };
}

/** log1p(normalize_total) of every cell for the given var positions (ascending): the values score_genes reads. */
export function logNormColumns(ds: Dataset, input: ExpressionInput, totals: Float64Array | null, genes: Int32Array, opts: PassOptions = {}): Promise<CsrArrays> {
  return logNormMatrix(ds, input.key, null, input.kind === 'log' ? null : totals, genes, opts);
}
