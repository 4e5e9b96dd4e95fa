// Column helpers shared by readers, the worker and the UI.
import type { CategoricalColumn, Column, StringColumn } from './types.ts';

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

/**
 * A plain-string obs column as anndata's strings_to_categoricals makes it (scanpy calls it before
 * plotting and on every write): categorical, categories sorted, when its values repeat (fewer
 * distinct values than cells) and are few enough to list; else left as strings (names, barcodes).
 */
export function stringsToCategorical(c: StringColumn): Column {
  const distinct = new Set(c.values);
  if (distinct.size >= c.values.length || distinct.size > MAX_CATEGORIES_FOR_STRINGS) return c;
  return categoricalFromStrings(c.name, c.values);
}
