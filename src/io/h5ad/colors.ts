// Category colours for uns/<column>_colors: the palette the app draws with (scanpy's default_20
// up to 20 categories), so a file opened in scanpy looks as it did here.
import { categoryPalette } from '../../ui/colors.ts';
import type { Column } from '../types.ts';

export function defaultCategoryColors(columns: Column[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of columns) {
    if (c.kind !== 'categorical' || c.dtype === 'bool' || c.dtype === 'boolean') continue;
    out[c.name] = categoryPalette(c.categories.length).map((rgb) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`);
  }
  return out;
}
