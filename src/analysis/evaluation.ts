// Predicted labels against known ones, matched by name (the query's own label column, or the
// held-out half of a dataset): accuracy, macro-F1 over the true labels present (as accuracyF1),
// per-label precision and recall, and the confusion matrix, true labels as rows and predicted
// labels (then "unassigned") as columns. "unassigned" counts as wrong.
import type { CategoricalColumn } from '../io/types.ts';

export interface LabelScore {
  label: string;
  /** Cells with this true label. */
  support: number;
  /** Cells predicted as this label. */
  predicted: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface MappingEvaluation {
  /** Column the truth was read from. */
  truthColumn: string;
  nCells: number;
  accuracy: number;
  macroF1: number;
  /** Confusion matrix rows: true labels with cells. */
  rows: string[];
  /** Columns: the predicted column's categories with cells, "unassigned" last when present. */
  columns: string[];
  /** counts[r * columns.length + c]. */
  counts: number[];
  perLabel: LabelScore[];
}

/**
 * truth and predicted are categorical columns over the same cells; cells with no true label (or
 * outside `cells`) are skipped; predicted code -1 or the category `unassigned` is unassigned.
 */
export function evaluatePredictions(truth: Pick<CategoricalColumn, 'name' | 'codes' | 'categories'>, predicted: Pick<CategoricalColumn, 'codes' | 'categories'>, cells: Uint8Array | null, unassigned = 'unassigned'): MappingEvaluation {
  const T = truth.categories.length;
  const P = predicted.categories.length;
  // Predicted categories in the truth's code space (by name), -1: a label the truth does not have.
  const truthIndex = new Map(truth.categories.map((c, i) => [c, i]));
  const asTruth = predicted.categories.map((c) => truthIndex.get(c) ?? -1);
  const unassignedCode = predicted.categories.indexOf(unassigned);
  const full = new Float64Array(T * (P + 1));
  for (let i = 0; i < truth.codes.length; i++) {
    if (cells && !cells[i]) continue;
    const t = truth.codes[i];
    if (t < 0) continue;
    const p = predicted.codes[i];
    full[t * (P + 1) + (p < 0 || p === unassignedCode ? P : p)]++;
  }
  const rowSum = (t: number) => {
    let s = 0;
    for (let c = 0; c <= P; c++) s += full[t * (P + 1) + c];
    return s;
  };
  const colSum = (c: number) => {
    let s = 0;
    for (let t = 0; t < T; t++) s += full[t * (P + 1) + c];
    return s;
  };
  const rowIdx = truth.categories.map((_, t) => t).filter((t) => rowSum(t) > 0);
  const colIdx = [...predicted.categories.map((_, c) => c).filter((c) => c !== unassignedCode), P].filter((c) => colSum(c) > 0);
  let n = 0;
  let ok = 0;
  const tp = new Float64Array(T);
  const predictedAs = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < P; c++) {
      const v = full[t * (P + 1) + c];
      if (c === unassignedCode || asTruth[c] < 0) continue;
      predictedAs[asTruth[c]] += v;
      if (asTruth[c] === t) {
        tp[t] += v;
        ok += v;
      }
    }
    n += rowSum(t);
  }
  const perLabel: LabelScore[] = rowIdx.map((t) => {
    const support = rowSum(t);
    const precision = predictedAs[t] > 0 ? tp[t] / predictedAs[t] : 0;
    const recall = support > 0 ? tp[t] / support : 0;
    const denom = support + predictedAs[t];
    return { label: truth.categories[t], support, predicted: predictedAs[t], precision, recall, f1: denom > 0 ? (2 * tp[t]) / denom : 0 };
  });
  return {
    truthColumn: truth.name,
    nCells: n,
    accuracy: n > 0 ? ok / n : 0,
    macroF1: perLabel.length ? perLabel.reduce((s, l) => s + l.f1, 0) / perLabel.length : 0,
    rows: rowIdx.map((t) => truth.categories[t]),
    columns: colIdx.map((c) => (c === P ? unassigned : predicted.categories[c])),
    counts: rowIdx.flatMap((t) => colIdx.map((c) => full[t * (P + 1) + c])),
    perLabel,
  };
}
