// scanpy's calculate_qc_metrics per cell, streamed over the counts matrix: total_counts,
// n_genes_by_counts, their log1p, and for the gene sets of scanpy's tutorial (qc_vars mt, ribo, hb)
// total_counts_<set> and pct_counts_<set>. The sets are found by gene symbol, as the tutorial does
// (`var_names.str.startswith("MT-")`): callers pass the display symbols (var/feature_name on
// CELLxGENE files, whose var index holds Ensembl ids), and name where they came from.
import type { Dataset } from '../io/types.ts';
import type { QcPartial } from './cell-chunks.ts';
import { addInto } from './cell-chunks.ts';
import { cellPass, type CellPassOptions } from './cell-pass.ts';

export type QcSetKey = 'mt' | 'ribo' | 'hb';

export interface QcGeneSet {
  /** scanpy's qc_vars name: the obs columns are total_counts_<key> and pct_counts_<key>. */
  key: QcSetKey;
  label: 'mitochondrial' | 'ribosomal' | 'haemoglobin';
  /** The prefixes found ("MT-", "mt-", "RPS/RPL", "HB"), or the rule when none matched. */
  prefixes: string;
  nGenes: number;
  /** Indices into the matrix's genes, and their names (symbols). */
  genes: Int32Array;
  names: string[];
  /** Counts in the set per cell; null when the set has no gene. */
  total_counts: Float64Array | null;
  /** 100 * total_counts_<key> / total_counts (0 for a cell without counts); null when the set has no gene. */
  pct_counts: Float64Array | null;
}

export interface QcMetrics {
  total_counts: Float64Array;
  n_genes_by_counts: Float64Array;
  log1p_total_counts: Float64Array;
  log1p_n_genes_by_counts: Float64Array;
  /** Percent of counts in mitochondrial genes; null when the dataset has none. */
  pct_counts_mt: Float64Array | null;
  nMitoGenes: number;
  /** mt, ribo, hb, in that order, found or not. */
  geneSets: QcGeneSet[];
  /** Where the names the sets were matched on came from: "var/feature_name", "var_names", ... */
  geneSource: string;
  /** Per gene: cells with a non-zero count (scanpy's n_cells_by_counts, for filter_genes). */
  n_cells_by_counts: Float64Array;
}

/**
 * scanpy's tutorial rules, in human (MT-, RPS/RPL, HB but not HBP) and mouse case (mt-, Rps/Rpl,
 * Hb but not Hbp). `^HB[^(P)]` is the tutorial's regex as written: it also takes HBEGF and HBS1L.
 */
const RULES: { key: QcSetKey; label: QcGeneSet['label']; rule: string; forms: string[]; match: (g: string) => string | null }[] = [
  { key: 'mt', label: 'mitochondrial', rule: 'MT- or mt-', forms: ['MT-', 'mt-', 'Mt-'], match: (g) => /^(MT|mt|Mt)-/.exec(g)?.[0] ?? null },
  { key: 'ribo', label: 'ribosomal', rule: 'RPS/RPL or Rps/Rpl', forms: ['RPS', 'RPL', 'Rps', 'Rpl'], match: (g) => /^(RPS|RPL|Rps|Rpl)/.exec(g)?.[0] ?? null },
  { key: 'hb', label: 'haemoglobin', rule: 'HB or Hb, not HBP', forms: ['HB', 'Hb'], match: (g) => (/^(HB[^(P)]|Hb[^(p)])/.test(g) ? g.slice(0, 2) : null) },
];

export function isMitochondrial(gene: string): boolean {
  return RULES[0].match(gene) !== null;
}

/** Per gene, bit s set when the gene is in set s (mt, ribo, hb); with each set's genes and prefixes. */
export function qcGeneSets(geneNames: string[]): { bits: Uint8Array; sets: { key: QcSetKey; label: QcGeneSet['label']; prefixes: string; genes: Int32Array; names: string[] }[] } {
  const bits = new Uint8Array(geneNames.length);
  const sets = RULES.map((rule, s) => {
    const genes: number[] = [];
    const found = new Set<string>();
    geneNames.forEach((g, i) => {
      const p = rule.match(g);
      if (p === null) return;
      bits[i] |= 1 << s;
      genes.push(i);
      found.add(p);
    });
    return { key: rule.key, label: rule.label, prefixes: found.size ? rule.forms.filter((f) => found.has(f)).join('/') : rule.rule, genes: Int32Array.from(genes), names: genes.map((i) => geneNames[i]) };
  });
  return { bits, sets };
}

/** "13 mitochondrial genes (MT-), 94 ribosomal genes (RPS/RPL) and 6 haemoglobin genes (HB) found in var/feature_name". */
export function qcGeneSummary(qc: Pick<QcMetrics, 'geneSets' | 'geneSource'>): string {
  const parts = qc.geneSets.map((s) => (s.nGenes > 0 ? `${s.nGenes.toLocaleString('en-US')} ${s.label} ${s.nGenes === 1 ? 'gene' : 'genes'} (${s.prefixes})` : `no ${s.label} genes (${s.prefixes})`));
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts.join('');
  return `${list} found in ${qc.geneSource}`;
}

/**
 * `geneNames`: the names the gene sets are matched on (symbols), one per gene of the matrix;
 * `geneSource` says where they came from. `fromLog`: the matrix holds
 * log1p(normalize_total(counts)); expm1 restores values proportional to each cell's counts, so
 * n_genes_by_counts and the percentages are exact and total_counts is the normalisation target.
 */
export async function qcMetrics(ds: Dataset, matrixKey: string, geneNames: string[], opts: CellPassOptions & { fromLog?: boolean; geneSource?: string } = {}): Promise<QcMetrics> {
  const fromLog = opts.fromLog === true;
  const n = ds.nObs;
  const { bits, sets } = qcGeneSets(geneNames);
  const total = new Float64Array(n);
  const genes = new Float64Array(n);
  const inSets = sets.map(() => new Float64Array(n));
  const geneCells = new Float64Array(geneNames.length);
  let at = 0;
  await cellPass<QcPartial>(ds, matrixKey, { kind: 'qc', fromLog, sets: bits, nSets: sets.length }, (p) => {
    const rows = p.total.length;
    total.set(p.total, at);
    genes.set(p.genes, at);
    inSets.forEach((a, s) => a.set(p.inSets.subarray(s * rows, (s + 1) * rows), at));
    at += rows;
    addInto(geneCells, p.geneCells);
  }, opts);
  const geneSets: QcGeneSet[] = sets.map((s, t) => {
    const found = s.genes.length > 0;
    const counts = inSets[t];
    return {
      ...s,
      nGenes: s.genes.length,
      total_counts: found ? counts : null,
      pct_counts: found ? counts.map((m, i) => (total[i] > 0 ? (100 * m) / total[i] : 0)) : null,
    };
  });
  const mt = geneSets[0];
  return {
    total_counts: total,
    n_genes_by_counts: genes,
    log1p_total_counts: total.map(Math.log1p),
    log1p_n_genes_by_counts: genes.map(Math.log1p),
    pct_counts_mt: mt.pct_counts,
    nMitoGenes: mt.nGenes,
    geneSets,
    geneSource: opts.geneSource ?? 'var_names',
    n_cells_by_counts: geneCells,
  };
}

/** The obs columns scanpy's calculate_qc_metrics(qc_vars=[...]) adds per found set: total_counts_<key>, pct_counts_<key>. */
export function qcSetColumns(qc: QcMetrics): { name: string; values: Float64Array }[] {
  return qc.geneSets.flatMap((s) =>
    s.total_counts && s.pct_counts
      ? [
          { name: `total_counts_${s.key}`, values: s.total_counts },
          { name: `pct_counts_${s.key}`, values: s.pct_counts },
        ]
      : [],
  );
}
