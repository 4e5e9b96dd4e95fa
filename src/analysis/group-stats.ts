// Per-group summaries of a few genes, the numbers behind scanpy's dotplot and matrixplot: the
// mean expression in each group (zeros included, as sc.pl.dotplot's colour) and the fraction of
// cells expressing (> 0, its dot size); optionally scaled per gene to [0, 1] (standard_scale='var').
import type { CsrArrays } from '../io/csr.ts';

/** Group means of some items (genes, or gene programs), what a matrix plot draws. */
export type GroupMeans = Pick<GroupStats, 'groups' | 'genes' | 'mean'>;

export interface GroupStats {
  groups: string[];
  genes: string[];
  /** [groups, genes] row-major. */
  mean: Float64Array;
  fraction: Float64Array;
  nCells: number[];
  /** What the means are in: 'log1p normalised' (normalize_total + log1p) or the stored matrix's name. */
  unit?: string;
}

/**
 * `m`: cells x genes (the requested genes only, log-normalised); `codes`: the group of each row,
 * -1 for rows left out.
 */
export function groupStats(m: CsrArrays, codes: Int32Array, groups: string[], genes: string[]): GroupStats {
  const G = groups.length;
  const p = m.nCols;
  const sum = new Float64Array(G * p);
  const expressed = new Float64Array(G * p);
  const nCells = new Array<number>(G).fill(0);
  for (let i = 0; i < m.nRows; i++) {
    const g = codes[i];
    if (g < 0 || g >= G) continue;
    nCells[g]++;
    for (let t = m.indptr[i]; t < m.indptr[i + 1]; t++) {
      const v = m.data[t];
      sum[g * p + m.indices[t]] += v;
      if (v > 0) expressed[g * p + m.indices[t]]++;
    }
  }
  const mean = new Float64Array(G * p);
  const fraction = new Float64Array(G * p);
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < p; j++) {
      mean[g * p + j] = nCells[g] ? sum[g * p + j] / nCells[g] : NaN;
      fraction[g * p + j] = nCells[g] ? expressed[g * p + j] / nCells[g] : NaN;
    }
  }
  return { groups, genes, mean, fraction, nCells };
}

/** scanpy's standard_scale='var': each gene's group means minus their minimum, divided by their range. */
export function scalePerGene(s: GroupMeans): Float64Array {
  const G = s.groups.length;
  const p = s.genes.length;
  const out = new Float64Array(G * p);
  for (let j = 0; j < p; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let g = 0; g < G; g++) {
      const v = s.mean[g * p + j];
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    for (let g = 0; g < G; g++) out[g * p + j] = hi > lo ? (s.mean[g * p + j] - lo) / (hi - lo) : 0;
  }
  return out;
}

/** The top `n` markers of every group, each gene once, in group order (scanpy's rank_genes_groups_dotplot). */
export function topMarkerGenes(groups: { genes: string[] }[], n: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const g of groups) {
    for (const gene of g.genes.slice(0, n)) {
      if (!seen.has(gene)) {
        seen.add(gene);
        out.push(gene);
      }
    }
  }
  return out;
}

/**
 * The top `n` markers of every group with the group they came from (each gene once, under the
 * first group that lists it): scanpy's var_names dict, whose keys label the brackets over the
 * columns (var_group_labels). Groups left with no gene get no bracket.
 */
export function topMarkerGroups(groups: { group: string; genes: string[] }[], n: number): { label: string; genes: string[] }[] {
  const seen = new Set<string>();
  const out: { label: string; genes: string[] }[] = [];
  for (const g of groups) {
    const genes = g.genes.slice(0, n).filter((gene) => !seen.has(gene));
    genes.forEach((gene) => seen.add(gene));
    if (genes.length) out.push({ label: g.group, genes });
  }
  return out;
}
