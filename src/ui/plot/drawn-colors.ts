// What the scatter draws for each category, read back from its per-point colours: the colour of
// the first cell of each category, as #rrggbb by name. The scatter exposes it (data-category-colors)
// so a test can compare it with the legend's swatches.
import { rgbToHex } from '../colors.ts';

export function drawnCategoryColors(codes: Int32Array, categories: readonly string[], colors: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let left = categories.length;
  for (let i = 0; i < codes.length && left > 0; i++) {
    const name = categories[codes[i]];
    if (name === undefined || name in out) continue;
    out[name] = rgbToHex([colors[i * 4], colors[i * 4 + 1], colors[i * 4 + 2]]);
    left--;
  }
  return out;
}
