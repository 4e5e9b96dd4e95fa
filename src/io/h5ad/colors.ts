// Category colours for uns/<column>_colors: the colours the app draws with (scanpy's default_20
// up to 20 categories, or the user's per name for hand labels), so a file opened in scanpy looks as
// it did here.
import { categoryColorMap } from '../category-palette.ts';
import type { Column } from '../types.ts';

/** `given`: #rrggbb by category name per column, where the app's colours are the user's. */
export function defaultCategoryColors(columns: Column[], given: Record<string, Record<string, string>> = {}): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of columns) {
    if (c.kind !== 'categorical' || c.dtype === 'bool' || c.dtype === 'boolean') continue;
    const map = categoryColorMap(c.categories, given[c.name]);
    out[c.name] = c.categories.map((name) => map[name]);
  }
  return out;
}
