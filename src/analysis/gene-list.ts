// The genes a user asks a dot or matrix plot for, as scanpy's var_names takes them: a plain list
// ("CD3E, MS4A1 NKG7" — commas, spaces, semicolons or new lines between symbols) or named groups,
// one per line ("T cells: CD3E CD3D"), which become the brackets over the columns
// (var_group_positions / var_group_labels). Symbols are resolved as the gene search resolves them
// (symbol or id, exact case first); "JCHAIN|IGJ" takes the first alias the data has.
import { findGene, type GeneLabels } from '../io/gene-symbols.ts';

export interface GeneGroup {
  /** The bracket's label; null for genes listed without a group. */
  label: string | null;
  genes: string[];
}

/** Splits typed or pasted text into groups of gene names (blank lines and # comments skipped). */
export function parseGeneList(text: string): GeneGroup[] {
  const out: GeneGroup[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([^:]+):(.*)$/s.exec(line);
    const label = m ? m[1].trim() : null;
    const genes = (m ? m[2] : line).split(/[,;\s]+/).filter(Boolean);
    if (genes.length === 0) continue;
    const last = out[out.length - 1];
    // Ungrouped lines run together into one unlabelled group.
    if (label === null && last && last.label === null) last.genes.push(...genes);
    else out.push({ label: label || null, genes });
  }
  return out;
}

export interface ResolvedGenes {
  /** Matrix var names to ask the worker for, in order, each once. */
  ids: string[];
  /** Their display symbols. */
  symbols: string[];
  /** Brackets over the columns: [first, last] index into ids, inclusive, and the label. */
  brackets: { label: string; start: number; end: number }[];
  /** What was asked for and is not in the data, as typed. */
  unknown: string[];
}

/** Resolves parsed groups against the dataset's genes; a gene listed twice is plotted once (where first listed). */
export function resolveGeneList(groups: GeneGroup[], labels: Pick<GeneLabels, 'ids' | 'symbols'>): ResolvedGenes {
  const full: GeneLabels = { ...labels, source: null };
  const ids: string[] = [];
  const symbols: string[] = [];
  const brackets: ResolvedGenes['brackets'] = [];
  const unknown: string[] = [];
  const seen = new Set<number>();
  for (const group of groups) {
    const start = ids.length;
    for (const name of group.genes) {
      const i = name
        .split('|')
        .map((alias) => findGene(full, alias))
        .find((k) => k >= 0);
      if (i === undefined) {
        if (!unknown.includes(name)) unknown.push(name);
        continue;
      }
      if (seen.has(i)) continue;
      seen.add(i);
      ids.push(labels.ids[i]);
      symbols.push(labels.symbols[i]);
    }
    if (group.label !== null && ids.length > start) brackets.push({ label: group.label, start, end: ids.length - 1 });
  }
  return { ids, symbols, brackets, unknown };
}

/** A marker set as one line of the list ("B cells: MS4A1, CD79A"). */
export function geneGroupLine(label: string, genes: string[]): string {
  return `${label.replace(/:/g, ' ')}: ${genes.join(', ')}`;
}
