// Pure helpers of the label editing (no store, no worker): the annotations CSV's columns and
// file name, and what a suggestion chip says when its group is gone from the labels.
import { groupFates, type GroupFate, type Labels } from '../analysis/label-edits.ts';
import { exportName } from './download.ts';

export const USER_LABEL = 'user_label';

/** CellTypist's columns behind any prefix (predicted_labels is a predicted_ column already). */
const CELLTYPIST_COLUMN = /(^|_)(conf_score|over_clustering|majority_voting)$/;
/** Annotation columns that are not labels: confidences, the half split, the over-clustering. */
const NOT_LABELS = /(_confidence|_split|(^|_)conf_score|(^|_)over_clustering)$/;

/**
 * The columns of the annotations CSV: leiden, every mapping made in this session (predicted_<col>
 * and its confidence, not only the last) and the hand labels; `main`, the one its file is named
 * after: the hand labels, else the last mapping, else the clusters.
 */
export function annotationCsvColumns(names: string[]): { columns: string[]; main: string | null } {
  // Label transfer's predicted_<label>* and CellTypist's columns (predicted_labels, conf_score,
  // over_clustering, majority_voting, each behind its prefix), as CellTypist's own CSV has them.
  const predicted = names.filter((n) => n.startsWith('predicted_') || CELLTYPIST_COLUMN.test(n));
  const columns = ['leiden', ...predicted, USER_LABEL].filter((c) => names.includes(c));
  const labels = predicted.filter((n) => !NOT_LABELS.test(n));
  const main = names.includes(USER_LABEL) ? USER_LABEL : labels.length ? labels[labels.length - 1] : columns.includes('leiden') ? 'leiden' : null;
  return { columns, main };
}

/** `<dataset>_<column>_annotations.csv`, the dataset being its file name without the extension. */
export function annotationCsvName(file: string | null | undefined, main: string | null): string {
  return exportName(file, main ? [main, 'annotations'] : ['annotations'], 'csv');
}

/** What became of each group the suggestions name, among the labels (null: no labels or no cells known). */
export function suggestionFates(s: { cells: Pick<Labels, 'codes' | 'categories'> | null } | null, labels: Labels | null): Map<string, GroupFate> | null {
  if (!s?.cells || !labels || labels.codes.length !== s.cells.codes.length) return null;
  const fates = groupFates(s.cells, labels);
  return new Map(s.cells.categories.map((g, i) => [g, fates[i]]));
}

/** Why a suggestion cannot name a group any more, for the chip and the panel. */
export function fateNote(group: string, fate: GroupFate): string {
  if (fate.kind === 'merged') return `group ${group} was merged into "${fate.into}" and no longer exists on its own: rename "${fate.into}" in the labels below instead`;
  if (fate.kind === 'split') return `group ${group}'s cells now carry several labels (${fate.labels.map((l) => `"${l}"`).join(', ')}): rename them in the labels below instead`;
  if (fate.kind === 'empty') return `group ${group} has no cells`;
  return '';
}
