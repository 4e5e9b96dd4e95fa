// The one name -> colour map of a categorical column, read by the legend, the scatter, the plots
// and the exports: the hand labels (user_label) carry their own, kept through renames and merges;
// a column the file colours (scanpy's uns/<column>_colors) has the file's; any other column has
// scanpy's palette by category position.
import { useMemo } from 'react';
import { USER_LABEL, useAnnotation } from './annotation-store.ts';
import { categoryColorMap } from './colors.ts';
import { useApp } from './store.ts';

/** #rrggbb per category name of `column`; follows label edits. */
export function useCategoryColors(column: string, categories: readonly string[]): Record<string, string> {
  const own = useAnnotation((s) => (column === USER_LABEL ? s.labels?.colors : undefined));
  const file = useApp((s) => (column === USER_LABEL ? undefined : s.summary?.obs[column]?.colors));
  return useMemo(() => categoryColorMap(categories, own ?? file ?? {}), [categories, own, file]);
}

/** The colours an export writes as uns/<column>_colors where they are the user's (the other columns': the default palette). */
export function userColors(): Record<string, Record<string, string>> | undefined {
  const labels = useAnnotation.getState().labels;
  return labels ? { [USER_LABEL]: labels.colors } : undefined;
}
