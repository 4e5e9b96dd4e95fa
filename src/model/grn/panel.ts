// The gene panel of an attention GRN: the user's genes (transcription factors) first, then either
// a given list or the in-vocabulary genes with the largest variance of log-normalised expression
// over the compared cells (scGPT's tutorial takes HVGs the same way). Every panel gene must be in
// the dataset and in the model's vocabulary; the error names those that are not.
import { DatasetError } from '../../io/errors.ts';
import type { Dataset } from '../../io/types.ts';
import type { LoadedModel } from '../bundle.ts';
import { geneNames } from '../embed.ts';
import { mapGenes } from '../vocab.ts';
import type { GrnInput } from './cell-rows.ts';
import { checkCells, forEachCellRow, grnInput, unionCells } from './cell-rows.ts';

export interface PanelGenes {
  /** Gene names as the dataset has them, panel order. */
  genes: string[];
  /** var column of each panel gene. */
  columns: Int32Array;
  /** Vocabulary id of each panel gene. */
  tokenIds: Int32Array;
}

/** The dataset's gene names and their vocabulary ids (-1: not in the vocabulary). */
export function datasetGenes(ds: Dataset, input: GrnInput, model: LoadedModel, geneColumn?: string, ensemblToSymbol?: Map<string, string>): { names: string[]; ids: Int32Array; source: string } {
  const { names, source } = geneNames(ds, input.key, geneColumn);
  const mapping = mapGenes(names, model.vocab, source, ensemblToSymbol);
  return { names, ids: mapping.ids, source: mapping.source };
}

/** Resolves panel names to var columns and token ids, refusing unknown and repeated genes. */
export function resolvePanel(ds: Dataset, genes: ReturnType<typeof datasetGenes>, panel: string[]): PanelGenes {
  const column = new Map<string, number>();
  genes.names.forEach((n, i) => {
    if (!column.has(n)) column.set(n, i);
  });
  const notInData = panel.filter((g) => !column.has(g));
  if (notInData.length > 0) {
    throw new DatasetError('unknown-key', ds.fileName, `${list(notInData)} not in the dataset's genes (${genes.source}); check the spelling or pick the var column with gene symbols`);
  }
  const notInVocab = panel.filter((g) => genes.ids[column.get(g)!] < 0);
  if (notInVocab.length > 0) throw new DatasetError('unknown-key', ds.fileName, `${list(notInVocab)} not in the model's vocabulary, so the model has no token for ${notInVocab.length > 1 ? 'them' : 'it'}`);
  const seen = new Set<number>();
  const repeated = panel.filter((g) => {
    const id = genes.ids[column.get(g)!];
    const dup = seen.has(id);
    seen.add(id);
    return dup;
  });
  if (repeated.length > 0) throw new DatasetError('unknown-key', ds.fileName, `the panel names ${list(repeated)} twice (one token per gene)`);
  const columns = Int32Array.from(panel, (g) => column.get(g)!);
  return { genes: panel.slice(), columns, tokenIds: Int32Array.from(columns, (c) => genes.ids[c]) };
}

function list(genes: string[]): string {
  const shown = genes.slice(0, 10).map((g) => `"${g}"`).join(', ');
  const more = genes.length > 10 ? ` and ${genes.length - 10} more` : '';
  return genes.length === 1 ? `gene ${shown} is` : `genes ${shown}${more} are`;
}

export interface ChoosePanelOptions {
  /** Genes that lead the panel (the transcription factors), in order. */
  tfs: string[];
  /** A given panel (e.g. a file's lines) to follow the TFs; genes already among the TFs are skipped. */
  genes?: string[];
  /** Without `genes`: how many top-variance in-vocabulary genes follow the TFs (default 1200 - TFs). */
  nHvg?: number;
  /** The two groups: the variance over their cells ranks the genes. */
  cellsA: Int32Array;
  cellsB: Int32Array;
  /** As attentionGrn's countsKey. */
  countsKey?: string;
  geneColumn?: string;
  ensemblToSymbol?: Map<string, string>;
  signal?: AbortSignal;
}

/**
 * The panel's gene names: TFs, then the given genes or the top-variance genes (ddof 1 variance of
 * the log-normalised values over both groups' cells; ties keep var order).
 */
export async function choosePanel(ds: Dataset, model: LoadedModel, opts: ChoosePanelOptions): Promise<string[]> {
  const input = grnInput(ds, opts.countsKey);
  const cells = unionCells(opts.cellsA, opts.cellsB);
  checkCells(ds, cells, 'panel cells');
  if (cells.length === 0) throw new DatasetError('no-cells', ds.fileName, 'the two groups hold no cells, so no gene variance can choose the panel');
  const genes = datasetGenes(ds, input, model, opts.geneColumn, opts.ensemblToSymbol);
  resolvePanel(ds, genes, opts.tfs);
  const lead = new Set(opts.tfs);
  if (opts.genes) {
    const panel = [...opts.tfs, ...opts.genes.filter((g) => !lead.has(g))];
    resolvePanel(ds, genes, panel);
    return panel;
  }
  const want = opts.nHvg ?? Math.max(0, 1200 - opts.tfs.length);
  const p = genes.names.length;
  const sum = new Float64Array(p);
  const sumSq = new Float64Array(p);
  await forEachCellRow(ds, input, cells, (_, indices, data) => {
    for (let k = 0; k < indices.length; k++) {
      sum[indices[k]] += data[k];
      sumSq[indices[k]] += data[k] * data[k];
    }
  }, opts.signal);
  const n = cells.length;
  const usedIds = new Set(opts.tfs.map((g) => genes.ids[genes.names.indexOf(g)]));
  const candidates: { g: number; v: number }[] = [];
  for (let g = 0; g < p; g++) {
    const id = genes.ids[g];
    if (id < 0 || usedIds.has(id)) continue;
    usedIds.add(id); // the first of repeated names (or of Ensembl ids mapped to one symbol) stands for the token
    const mean = sum[g] / n;
    candidates.push({ g, v: n > 1 ? Math.max(0, (sumSq[g] - n * mean * mean) / (n - 1)) : 0 });
  }
  candidates.sort((a, b) => b.v - a.v || a.g - b.g);
  return [...opts.tfs, ...candidates.slice(0, want).map((c) => genes.names[c.g])];
}
