// One display symbol per gene of a matrix. CELLxGENE files (and most Ensembl-indexed files) keep
// Ensembl ids in the var index and symbols in a var column; users search, read and export by
// symbol, so the explorer shows symbols everywhere and keeps the ids beside them in exports.
import { looksLikeEnsembl } from './names.ts';
import type { Column, Dataset } from './types.ts';

/** var columns that hold symbols, in the order the field's tools write them. */
export const SYMBOL_COLUMNS = ['feature_name', 'gene_symbols', 'gene_symbol', 'gene_name', 'gene_names', 'symbol', 'symbols'];

export interface GeneLabels {
  /** The matrix's own var names (what files and the pipeline index by). */
  ids: string[];
  /** What to show: the symbol when one is known, else the id. */
  symbols: string[];
  /** Where the symbols came from (`var/feature_name`, `the bundled GENCODE v44 map`), or null when the ids are symbols. */
  source: string | null;
}

/**
 * The var column holding symbols, when the index holds Ensembl ids. A column that is there but
 * empty (CELLxGENE files with feature_name all missing exist) is no source of symbols.
 */
export function symbolColumnName(ds: Pick<Dataset, 'var'>): string | null {
  if (!looksLikeEnsembl(ds.var.index)) return null;
  const col = ds.var.columns.find((c) => SYMBOL_COLUMNS.includes(c.name) && c.kind !== 'numeric' && filledShare(c) >= 0.5);
  return col ? col.name : null;
}

/** Share of genes with a symbol in this column (missing, empty and 'nan' do not count). */
export function filledShare(c: Column): number {
  if (c.kind === 'numeric') return 0;
  const n = c.kind === 'categorical' ? c.codes.length : c.values.length;
  let filled = 0;
  for (let i = 0; i < n; i++) {
    const v = c.kind === 'categorical' ? (c.codes[i] >= 0 ? c.categories[c.codes[i]] : '') : c.values[i];
    if (v && v.toLowerCase() !== 'nan') filled++;
  }
  return n ? filled / n : 0;
}

export function geneLabels(ds: Dataset, matrixKey: string, ensemblToSymbol?: Map<string, string>): GeneLabels {
  const ids = ds.varNamesOf(matrixKey);
  if (!looksLikeEnsembl(ids)) return { ids, symbols: ids, source: null };
  const byId = new Map<string, string>();
  const colName = symbolColumnName(ds);
  const col = colName ? ds.var.columns.find((c) => c.name === colName) : undefined;
  if (col && col.kind !== 'numeric') {
    // raw/X may have its own genes: they are found through the main var's index.
    ds.var.index.forEach((id, i) => {
      const s = col.kind === 'categorical' ? (col.codes[i] >= 0 ? col.categories[col.codes[i]] : '') : col.values[i];
      if (s) byId.set(id, s);
    });
  }
  let fromColumn = 0;
  let fromMap = 0;
  const symbols = ids.map((id) => {
    const s = byId.get(id);
    if (s) {
      fromColumn++;
      return s;
    }
    const m = ensemblToSymbol?.get(id.replace(/\.\d+$/, ''));
    if (m) {
      fromMap++;
      return m;
    }
    return id;
  });
  const sources = [fromColumn > 0 ? `var/${colName}` : null, fromMap > 0 ? 'the bundled GENCODE v44 Ensembl map' : null].filter(Boolean);
  return { ids, symbols, source: sources.length ? sources.join(' and ') : null };
}

/**
 * The gene a user typed, by symbol or id (case-insensitive), as an index into the matrix's genes;
 * -1 when there is none. Exact case wins over a case-insensitive match.
 */
export function findGene(labels: GeneLabels, text: string): number {
  const t = text.trim();
  if (!t) return -1;
  let i = labels.ids.indexOf(t);
  if (i < 0) i = labels.symbols.indexOf(t);
  if (i >= 0) return i;
  const u = t.toUpperCase();
  i = labels.symbols.findIndex((s) => s.toUpperCase() === u);
  return i >= 0 ? i : labels.ids.findIndex((s) => s.toUpperCase() === u);
}
