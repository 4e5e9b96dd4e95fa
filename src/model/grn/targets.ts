// Targets of a gene in an attention GRN: the gene's column (its token as the key) of the group
// means or of their difference, top k rows by value. The `<cls>` row and the gene itself are not
// targets. Equal scores keep panel order (the scores are rationals with small denominators, so
// exact ties happen).
import type { AttentionGrnResult } from './attention-grn.ts';

export interface Target {
  /** 1-based rank. */
  rank: number;
  target: string;
  /** meanA - meanB. */
  score: number;
  scoreA: number;
  scoreB: number;
}

export type TargetOrder = 'difference' | 'a' | 'b';

export function topTargets(r: Pick<AttentionGrnResult, 'panel' | 'm' | 'meanA' | 'meanB'>, tf: string, k: number, by: TargetOrder = 'difference'): Target[] {
  const col = r.panel.indexOf(tf) + 1;
  if (col === 0) throw new RangeError(`"${tf}" is not in the GRN's gene panel (${r.panel.slice(0, 5).join(', ')}${r.panel.length > 5 ? ', ...' : ''})`);
  const { m, meanA, meanB } = r;
  const rows: Target[] = [];
  for (let i = 1; i < m; i++) {
    if (i === col) continue;
    const a = meanA[i * m + col];
    const b = meanB[i * m + col];
    rows.push({ rank: 0, target: r.panel[i - 1], score: a - b, scoreA: a, scoreB: b });
  }
  const key = by === 'a' ? (t: Target) => t.scoreA : by === 'b' ? (t: Target) => t.scoreB : (t: Target) => t.score;
  // Array.prototype.sort is stable: ties stay in panel order.
  rows.sort((x, y) => key(y) - key(x));
  return rows.slice(0, k).map((t, i) => ({ ...t, rank: i + 1 }));
}
