// Column helpers shared by readers, the worker and the UI.
import type { CategoricalColumn, Column } from './types.ts';

export function categoricalFromStrings(name: string, values: string[]): CategoricalColumn {
  const categories = [...new Set(values)].sort();
  const lookup = new Map(categories.map((c, i) => [c, i]));
  return { kind: 'categorical', name, codes: Int32Array.from(values, (v) => lookup.get(v) ?? -1), categories, ordered: false, dtype: 'category' };
}

export function columnLength(c: Column): number {
  return c.kind === 'categorical' ? c.codes.length : c.values.length;
}

/** String columns with few distinct values (plain-string labels) are coloured like categoricals. */
export const MAX_CATEGORIES_FOR_STRINGS = 1000;
