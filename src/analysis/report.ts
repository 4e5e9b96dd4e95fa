// Compact, transferable summaries of pipeline results for the page and the CLI: marker tables
// (top genes per group), QC histograms with the filter thresholds, and the run's figures.
import { csvLines, csvNumber, csvText } from '../io/csv.ts';
import type { GroupMarkers } from './markers.ts';
import { qcGeneSummary } from './qc.ts';
import { proposeQcThresholds, type QcProposal } from './qc-thresholds.ts';
import type { BatchedHvgResult } from './hvg-batch.ts';
import type { Integration, PipelineParams, PipelineResult } from './pipeline.ts';

export interface MarkerTable {
  groupBy: string;
  method: string;
  /** Set when the table was read from the file (uns/rank_genes_groups) rather than computed here. */
  stored?: boolean;
  /** genes: display symbols; geneIds: the matrix's var names, when they differ (Ensembl ids). */
  groups: { group: string; nCells: number; genes: string[]; geneIds?: string[]; scores: number[]; logFoldChanges: number[]; pvalsAdj: number[]; pctIn: number[]; pctOut: number[] }[];
}

export interface Histogram {
  name: string;
  min: number;
  max: number;
  counts: number[];
  /** Filter thresholds to draw: values below `low` or above `high` are removed. */
  low?: number;
  high?: number;
}

export interface AnalysisReport {
  nCells: number;
  nKept: number;
  nGenesKept: number;
  nHvg: number;
  nClusters: number;
  umapKey: string;
  umapDevice: string;
  neighborsMethod: string;
  varianceRatio: number[];
  timings: Record<string, number>;
  histograms: Histogram[];
  /** Thresholds the data suggest (3 MADs), shown beside the filters and applied on request. */
  qcProposal: QcProposal;
  /** The QC gene sets (scanpy's qc_vars mt, ribo, hb) found by symbol, and from which column; absent in reports saved before them. */
  qcGenes?: { summary: string; source: string; sets: { key: string; label: string; prefixes: string; nGenes: number; genes: string[] }[] };
  markers: MarkerTable;
  /** The matrix the run read and as what (counts, or log-normalised values as stored). */
  input: { key: string; kind: string; reason: string };
  /** Set when the run integrated over batch keys: what over, and how Harmony ended. */
  integration?: IntegrationReport;
}

export type IntegrationReport = Omit<Integration, 'coords' | 'dim'> & {
  /** The key the HVGs were chosen per batch of (scanpy's batch_key), and how many were variable in every batch. */
  hvgBatchKey: string;
  nHvgInAllBatches: number | null;
  /** The UMAP of the corrected graph and the uncorrected one's name (computed on request). */
  umapKey: string;
  beforeUmapKey: string;
};

/** One line: what was integrated over and how Harmony ended. */
export function integrationLine(i: IntegrationReport): string {
  const over = i.keys.map((k) => `${k.key} (${k.batches.length} batches)`).join(' and ');
  const obj = i.objective.length > 1 ? ` (objective ${i.objective[0].toPrecision(5)} -> ${i.objective[i.objective.length - 1].toPrecision(5)})` : '';
  const end = i.converged ? `converged after ${i.iterations} of ${i.maxIterations} iterations` : `stopped after ${i.iterations} iterations without converging`;
  return `Harmony over ${over} on ${i.rep} -> ${i.key}: ${end}${obj}; HVGs per batch of ${i.hvgBatchKey}`;
}

export function markerTable(markers: GroupMarkers[], geneNames: string[], groupBy: string, method: string, top = 100, symbols?: string[]): MarkerTable {
  return {
    groupBy,
    method,
    groups: markers.map((m) => {
      const idx = Array.from(m.order.subarray(0, Math.min(top, m.order.length)));
      return {
        group: m.group,
        nCells: m.nCells,
        genes: idx.map((g) => symbols?.[g] ?? geneNames[g]),
        ...(symbols ? { geneIds: idx.map((g) => geneNames[g]) } : {}),
        scores: idx.map((g) => m.scores[g]),
        logFoldChanges: idx.map((g) => m.logFoldChanges[g]),
        pvalsAdj: idx.map((g) => m.pvalsAdj[g]),
        pctIn: idx.map((g) => m.pctIn[g]),
        pctOut: idx.map((g) => m.pctOut[g]),
      };
    }),
  };
}

/** CSV in scanpy's rank_genes_groups_df layout: group, names, scores, logfoldchanges, pvals_adj, pct_nz_*. */
export function markerTableCsv(t: MarkerTable): string {
  function* rows() {
    for (const g of t.groups) {
      for (let i = 0; i < g.genes.length; i++) {
        const numbers = [g.scores[i], g.logFoldChanges[i], g.pvalsAdj[i], g.pctIn[i], g.pctOut[i]].map((v) => csvNumber(v));
        yield [csvText(g.group), String(i + 1), csvText(g.genes[i]), csvText(g.geneIds?.[i] ?? g.genes[i]), ...numbers];
      }
    }
  }
  return csvLines([t.groupBy, 'rank', 'names', 'gene_ids', 'scores', 'logfoldchanges', 'pvals_adj', 'pct_nz_group', 'pct_nz_reference'], rows());
}

export function histogram(name: string, values: ArrayLike<number>, bins = 40, low?: number, high?: number): Histogram {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array<number>(bins).fill(0);
  const width = (max - min) / bins || 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  }
  return { name, min, max, counts, low, high };
}

/** `symbols`: display names per gene of the counts matrix, when its var names are ids. */
export function analysisReport(r: PipelineResult, params: PipelineParams, symbols?: string[]): AnalysisReport {
  const f = params.filter;
  const histograms = [
    histogram('total_counts', r.qc.total_counts, 40, f.minCounts > 0 ? f.minCounts : undefined),
    histogram('n_genes_by_counts', r.qc.n_genes_by_counts, 40, f.minGenes > 0 ? f.minGenes : undefined),
  ];
  if (r.qc.pct_counts_mt) histograms.push(histogram('pct_counts_mt', r.qc.pct_counts_mt, 40, undefined, f.maxPctMt < 100 ? f.maxPctMt : undefined));
  for (const s of r.qc.geneSets) if (s.key !== 'mt' && s.pct_counts) histograms.push(histogram(`pct_counts_${s.key}`, s.pct_counts, 40));
  return {
    nCells: r.nCells,
    nKept: r.nKept,
    nGenesKept: r.keepGenes.reduce((s, v) => s + v, 0),
    nHvg: r.hvg.genes.length,
    nClusters: r.nClusters,
    umapKey: r.umapKey,
    umapDevice: r.umapDevice,
    neighborsMethod: r.neighbors.method,
    varianceRatio: Array.from(r.pca.varianceRatio),
    timings: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v ?? 0)])),
    histograms,
    qcProposal: proposeQcThresholds(r.qc),
    qcGenes: {
      summary: qcGeneSummary(r.qc),
      source: r.qc.geneSource,
      sets: r.qc.geneSets.map((s) => ({ key: s.key, label: s.label, prefixes: s.prefixes, nGenes: s.nGenes, genes: s.names.slice(0, 200) })),
    },
    markers: markerTable(r.markers, r.geneNames, 'leiden', params.markers.method, 100, symbols),
    input: { key: r.input.key, kind: r.input.kind, reason: r.input.reason },
    ...(r.integration ? { integration: integrationReport(r) } : {}),
  };
}

function integrationReport(r: PipelineResult): IntegrationReport {
  const { keys, rep, key, clusters, iterations, maxIterations, converged, objective, theta, seconds } = r.integration!;
  const rest = { keys, rep, key, clusters, iterations, maxIterations, converged, objective, theta, seconds };
  const b = (r.hvg as Partial<BatchedHvgResult>).batch;
  return {
    ...rest,
    hvgBatchKey: b?.key ?? rest.keys[0].key,
    nHvgInAllBatches: b?.intersection ? r.hvg.genes.reduce((s, g) => s + b.intersection![g], 0) : null,
    umapKey: r.umapKey,
    beforeUmapKey: r.umapKey.replace(/_harmony$/, ''),
  };
}
