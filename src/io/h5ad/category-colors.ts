// scanpy's colours of a categorical obs column, uns/<column>_colors: one colour per category in
// category order, as sc.pl.* draws them and CELLxGENE shows them. Read so that the app draws a
// file's clusters and cell types in the file's own colours.
import { getNode, isDataset, readStrings, shapeOf, type H5Context } from '../h5/read.ts';
import type { Column } from '../types.ts';

/** More categories than this are not given colours from the file (no palette is that long). */
const MAX_COLORS = 2000;

/** '#rgb', '#rrggbb' or '#rrggbbaa' (matplotlib's to_hex with alpha) as '#rrggbb'; null otherwise. */
export function hexColor(value: string): string | null {
  const v = value.trim().toLowerCase();
  if (/^#[0-9a-f]{3}$/.test(v)) return `#${v[1]}${v[1]}${v[2]}${v[2]}${v[3]}${v[3]}`;
  if (/^#[0-9a-f]{6}([0-9a-f]{2})?$/.test(v)) return v.slice(0, 7);
  return null;
}

/**
 * Category name -> #rrggbb for each categorical obs column whose uns/<name>_colors has exactly one
 * colour per category, every one a hex colour (a list that does not fit its column, as after a
 * re-clustering in another tool, is ignored: the app's palette is used then).
 */
export function readCategoryColors(ctx: H5Context, columns: Column[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const c of columns) {
    if (c.kind !== 'categorical' || c.categories.length > MAX_COLORS) continue;
    const node = getNode(ctx, `uns/${c.name}_colors`);
    if (!node || !isDataset(ctx, node) || shapeOf(node).length !== 1 || shapeOf(node)[0] !== c.categories.length) continue;
    let hex: (string | null)[];
    try {
      hex = readStrings(ctx, node).map(hexColor);
    } catch {
      continue;
    }
    if (hex.every((h): h is string => h !== null)) out[c.name] = Object.fromEntries(c.categories.map((name, i) => [name, hex[i] as string]));
  }
  return out;
}
