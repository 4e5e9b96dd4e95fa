// Which matrix the analysis reads, and as what. Raw counts are log-normalised on the fly; files
// without counts but with log-normalised values (scanpy's own pbmc68k_reduced: X scaled, raw/X
// log1p(normalize_total)) are analysed from those values as stored, as scanpy's use_raw does;
// scaled values (negative entries) cannot give fold changes or QC and are refused where they matter.
import type { Dataset } from './types.ts';

/**
 * normalize_total's target (CP10k): the analysis, the GRN's cell rows and CellTypist all mean this
 * when they say log-normalised, so it lives here, below every room that normalises.
 */
export const DEFAULT_TARGET_SUM = 1e4;

export type ExpressionKind = 'counts' | 'log' | 'scaled';

export interface ExpressionInput {
  key: string;
  kind: ExpressionKind;
  /** One sentence for the summary and the CLI's log. */
  reason: string;
}

export function expressionInput(ds: Pick<Dataset, 'countsKey' | 'countsReason' | 'matrices'>): ExpressionInput | null {
  if (ds.countsKey) return { key: ds.countsKey, kind: 'counts', reason: ds.countsReason };
  const byKey = (k: string) => ds.matrices.find((m) => m.key === k);
  for (const key of ['raw/X', 'X']) {
    if (byKey(key)?.content === 'non-negative') {
      return { key, kind: 'log', reason: `${key} holds log-normalised values (non-negative, not integers) and the file has no raw counts: the analysis uses them as they are` };
    }
  }
  const scaled = byKey('X') ?? ds.matrices[0];
  if (scaled && scaled.content === 'signed') {
    return { key: scaled.key, kind: 'scaled', reason: `${scaled.key} holds scaled values (negative entries) and the file has neither counts nor log-normalised raw/X` };
  }
  return null;
}

/** The message for analyses that need counts or log expression but only have scaled values. */
export function scaledRefusal(input: ExpressionInput, what: string): string {
  return `${what} need log-normalised expression or counts, but ${input.reason}; fold changes and QC on scaled data would be meaningless. Load a file with raw counts (layers/counts, raw/X or X)`;
}
