// Sorting a marker group's rows by any column of the table; ties keep scanpy's rank order so the
// table is stable whatever was clicked before.
import type { MarkerTable } from '../../analysis/report.ts';

export type MarkerKey = 'rank' | 'gene' | 'score' | 'logfc' | 'padj' | 'pctIn' | 'pctOut';

export interface MarkerRow {
  rank: number;
  gene: string;
  id: string;
  score: number;
  logfc: number;
  padj: number;
  pctIn: number;
  pctOut: number;
}

export function markerRows(g: MarkerTable['groups'][number]): MarkerRow[] {
  return g.genes.map((gene, i) => ({ rank: i, gene, id: g.geneIds?.[i] ?? gene, score: g.scores[i], logfc: g.logFoldChanges[i], padj: g.pvalsAdj[i], pctIn: g.pctIn[i], pctOut: g.pctOut[i] }));
}

/** NaN (a log fold change with no expression on either side) sorts last in both directions. */
export function sortRows(rows: MarkerRow[], key: MarkerKey, descending: boolean): MarkerRow[] {
  const sign = descending ? -1 : 1;
  return rows.slice().sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (typeof x === 'string' && typeof y === 'string') return sign * x.localeCompare(y) || a.rank - b.rank;
    const xn = Number.isNaN(x as number);
    const yn = Number.isNaN(y as number);
    if (xn || yn) return xn === yn ? a.rank - b.rank : xn ? 1 : -1;
    return sign * ((x as number) - (y as number)) || a.rank - b.rank;
  });
}
