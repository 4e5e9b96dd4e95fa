// A JSON-ready description of a Dataset: what `scweb inspect` prints and the UI's summary shows.
import { forEachChunk } from './iterate.ts';
import { expressionInput, type ExpressionInput } from './expression-input.ts';
import { symbolColumnName } from './gene-symbols.ts';
import type { Column, Dataset, MatrixInfo } from './types.ts';

export interface ColumnSummary {
  type: string;
  n_missing: number;
  /** Categorical columns: category -> number of cells, in category order. */
  categories?: Record<string, number>;
  /** Category -> #rrggbb where the file colours the column (uns/<column>_colors). */
  colors?: Record<string, string>;
  n_unique?: number;
  min?: number;
  max?: number;
}

export interface DatasetSummary {
  file: string;
  format: string;
  format_detail: string;
  n_obs: number;
  n_vars: number;
  /** Stored non-zeros of the counts matrix (or of the first matrix when there are no counts). */
  nnz: number | null;
  counts_source: string | null;
  counts_reason: string;
  /** What the analysis reads: counts, log-normalised values as stored, or (refused) scaled values. */
  analysis_input: ExpressionInput | null;
  matrices: { key: string; encoding: string; dtype: string; shape: [number, number]; nnz: number | null; content: string; notes: string[] }[];
  obs: Record<string, ColumnSummary>;
  var_columns: string[];
  /** var columns of text (strings or non-boolean categories): the ones that can name genes. */
  var_text_columns: string[];
  obsm: Record<string, [number, number]>;
  var_names: string[];
  /** var column with gene symbols when the index holds Ensembl ids (CELLxGENE's `feature_name`). */
  gene_symbols_column: string | null;
  /** scWeb's saved workspace in the file (JSON, unvalidated), or null. */
  saved_session: string | null;
  /** Several files joined as one: each file (its obs/sample value, cells, genes, counts matrix). */
  samples?: { sample: string; file: string; n_obs: number; n_vars: number; counts: string | null }[];
  /** How they were joined: gene matching, what was left out. */
  join_notes?: string[];
}

/** Dense matrices up to this many entries get their non-zeros counted for the summary. */
const DENSE_NNZ_LIMIT = 200_000_000;

export function summarize(ds: Dataset): DatasetSummary {
  const main = ds.matrices.find((m) => m.key === ds.countsKey) ?? ds.matrices[0];
  return {
    file: ds.fileName,
    format: ds.format,
    format_detail: ds.formatDetail,
    n_obs: ds.nObs,
    n_vars: ds.nVars,
    nnz: main ? matrixNnz(ds, main) : null,
    counts_source: ds.countsKey,
    counts_reason: ds.countsReason,
    analysis_input: expressionInput(ds),
    matrices: ds.matrices.map((m) => ({ key: m.key, encoding: m.encoding, dtype: m.dtype, shape: [m.nRows, m.nCols], nnz: matrixNnz(ds, m), content: m.content, notes: m.notes })),
    obs: Object.fromEntries(ds.obs.columns.map((c) => [c.name, withColors(summarizeColumn(c), ds.categoryColors?.[c.name])])),
    var_columns: ds.var.columns.map((c) => c.name),
    var_text_columns: textColumns(ds.var.columns),
    obsm: Object.fromEntries(ds.embeddings.map((e) => [e.key, e.shape])),
    var_names: ds.var.index.slice(0, 10),
    gene_symbols_column: symbolColumnName(ds),
    saved_session: ds.savedSession ?? null,
    ...(ds.concat
      ? {
          samples: ds.concat.parts.map((p) => ({ sample: p.label, file: p.fileName, n_obs: p.nObs, n_vars: p.nVars, counts: p.countsKey })),
          join_notes: ds.concat.notes,
        }
      : {}),
  };
}

/** Columns holding text: strings, or categories that are not booleans (numbers and flags name no gene). */
export function textColumns(columns: Column[]): string[] {
  return columns.filter((c) => c.kind === 'string' || (c.kind === 'categorical' && c.dtype !== 'bool' && c.dtype !== 'boolean')).map((c) => c.name);
}

function matrixNnz(ds: Dataset, m: MatrixInfo): number | null {
  if (m.nnz !== null) return m.nnz;
  if (m.nRows * m.nCols > DENSE_NNZ_LIMIT) return null;
  let nnz = 0;
  forEachChunk(ds, m.key, (chunk) => {
    nnz += chunk.data.length;
  });
  m.nnz = nnz;
  return nnz;
}

function withColors(s: ColumnSummary, colors: Record<string, string> | undefined): ColumnSummary {
  return colors && s.categories ? { ...s, colors } : s;
}

export function summarizeColumn(c: Column): ColumnSummary {
  if (c.kind === 'categorical') {
    const counts = new Array<number>(c.categories.length).fill(0);
    let missing = 0;
    for (const code of c.codes) if (code < 0 || code >= counts.length) missing++;
    else counts[code]++;
    return { type: c.dtype, n_missing: missing, categories: Object.fromEntries(c.categories.map((name, i) => [name, counts[i]])) };
  }
  if (c.kind === 'numeric') {
    let min = Infinity;
    let max = -Infinity;
    let missing = 0;
    for (const v of c.values) {
      if (Number.isNaN(v)) missing++;
      else {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    return { type: c.dtype, n_missing: missing, ...(missing < c.values.length ? { min, max } : {}) };
  }
  return { type: 'string', n_missing: c.values.filter((v) => v === '').length, n_unique: new Set(c.values).size };
}

export { symbolColumnName as geneSymbolsColumn } from './gene-symbols.ts';
