// Cell-type suggestions per cluster from marker gene sets: a set's score in a cluster is the mean
// rank_genes_groups score (Wilcoxon z or t) of its genes found in the data, the way one reads a
// dot plot of markers; only positive scores are offered. Sets with fewer than 2 genes present (or under half their genes) are skipped.
import type { GroupMarkers } from './markers.ts';

export interface MarkerSet {
  name: string;
  species?: string;
  source?: string;
  genes: string[];
}

export interface Suggestion {
  name: string;
  score: number;
  found: string[];
  source?: string;
}

/** 'human' when most symbols are upper case (CD3E), 'mouse' when most are capitalised (Cd3e). */
export function guessSpecies(geneNames: string[]): 'human' | 'mouse' {
  let upper = 0;
  let title = 0;
  for (const g of geneNames) {
    if (!/[a-z]/i.test(g) || /^ENS/.test(g)) continue;
    if (g === g.toUpperCase()) upper++;
    else if (/^[A-Z][a-z0-9-]+$/.test(g)) title++;
  }
  return title > upper ? 'mouse' : 'human';
}

export function suggestCellTypes(markers: GroupMarkers[], geneNames: string[], allSets: MarkerSet[], top = 3): { group: string; suggestions: Suggestion[] }[] {
  const species = guessSpecies(geneNames);
  const sets = allSets.filter((s) => !s.species || s.species === species);
  const index = new Map<string, number>();
  geneNames.forEach((g, i) => index.set(g.toUpperCase(), i));
  const resolved = sets
    .map((s) => {
      // "JCHAIN|IGJ": the first of a gene's symbols that the data has.
      const idx = s.genes.map((g) => g.split('|').map((alias) => index.get(alias.toUpperCase())).find((i) => i !== undefined)).filter((i): i is number => i !== undefined);
      return { set: s, idx };
    })
    .filter(({ set, idx }) => idx.length >= Math.min(2, set.genes.length) && idx.length * 2 >= set.genes.length);
  return markers.map((m) => ({
    group: m.group,
    suggestions: resolved
      .map(({ set, idx }) => ({ name: set.name, score: idx.reduce((s, i) => s + m.scores[i], 0) / idx.length, found: idx.map((i) => geneNames[i]), source: set.source }))
      // A set whose genes are not up in the group (score <= 0) is no suggestion at all.
      .filter((x) => x.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, top),
  }));
}

/** Parses user marker sets: lines "name: GENE1, GENE2" or CSV rows "cell_type,gene" (header optional). */
export function parseMarkerSets(text: string): MarkerSet[] {
  const sets = new Map<string, string[]>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let name: string;
    let genes: string[];
    if (line.includes(':')) {
      const [n, rest] = line.split(/:(.*)/s, 2);
      name = n.trim();
      genes = rest.split(/[,\s;]+/).filter(Boolean);
    } else {
      const cells = line.split(/[,\t;]/).map((c) => c.trim().replace(/^"|"$/g, ''));
      if (cells.length < 2 || /^(cell_?type|name|label)$/i.test(cells[0])) continue;
      name = cells[0];
      genes = cells.slice(1).filter(Boolean);
    }
    if (!name || genes.length === 0) throw new Error(`marker sets: cannot read "${line}" (use "name: GENE1, GENE2" or "cell_type,gene")`);
    sets.set(name, [...(sets.get(name) ?? []), ...genes]);
  }
  if (sets.size === 0) throw new Error('marker sets: no sets found (use "name: GENE1, GENE2" or "cell_type,gene" lines)');
  return [...sets].map(([name, genes]) => ({ name, genes: [...new Set(genes)], source: 'user' }));
}
