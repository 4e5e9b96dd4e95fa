// Colours for points: scanpy's default categorical palettes (src/io/category-palette.ts) and
// viridis for numbers.
import { hexToRgb, type RGB } from '../io/category-palette.ts';

export { categoryColorMap, categoryPalette, freeColor, hexToRgb, rgbToHex, type RGB } from '../io/category-palette.ts';

// Viridis at 9 evenly spaced stops; intermediate values are interpolated linearly.
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

const VIRIDIS_RGB = VIRIDIS.map(hexToRgb);

export function viridis(t: number): RGB {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS_RGB.length - 1);
  const i = Math.min(VIRIDIS_RGB.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS_RGB[i], VIRIDIS_RGB[i + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f].map(Math.round) as RGB;
}

export const VIRIDIS_CSS = `linear-gradient(to right, ${VIRIDIS.join(', ')})`;

export const MISSING_RGB: RGB = [200, 200, 200];

/** RGBA per point for a categorical column, coloured by name; cells of hidden names get alpha 0. */
export function categoricalColors(codes: Int32Array, categories: readonly string[], colors: Readonly<Record<string, string>>, hidden: ReadonlySet<string>): Uint8Array {
  const rgb = categories.map((name) => (Object.hasOwn(colors, name) ? hexToRgb(colors[name]) : MISSING_RGB));
  const off = categories.map((name) => hidden.has(name));
  const out = new Uint8Array(codes.length * 4);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    const known = c >= 0 && c < rgb.length;
    out.set(known ? rgb[c] : MISSING_RGB, i * 4);
    out[i * 4 + 3] = known && off[c] ? 0 : 220;
  }
  return out;
}

/** RGBA per point for numbers, viridis between the column's min and max; NaN is grey. */
export function numericColors(values: Float64Array, min: number, max: number): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const span = max > min ? max - min : 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out.set(Number.isNaN(v) ? MISSING_RGB : viridis((v - min) / span), i * 4);
    out[i * 4 + 3] = 220;
  }
  return out;
}

export function uniformColors(n: number, rgb: RGB = [31, 119, 180]): Uint8Array {
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    out.set(rgb, i * 4);
    out[i * 4 + 3] = 200;
  }
  return out;
}

/** Min and max of the finite values (a loop: spreading a million values overflows the stack). */
export function finiteRange(values: ArrayLike<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? [min, max] : [NaN, NaN];
}

/**
 * Colour range clipped to percentiles [lo, hi] of the finite values (scanpy's vmin/vmax 'p1'..'p99'),
 * estimated from an evenly strided sample of at most 100k values so a million cells stay quick.
 */
export function clippedRange(values: ArrayLike<number>, lo: number, hi: number): [number, number] {
  if (lo <= 0 && hi >= 100) return finiteRange(values);
  const step = Math.max(1, Math.floor(values.length / 100_000));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) if (Number.isFinite(values[i])) sample.push(values[i]);
  if (sample.length === 0) return [NaN, NaN];
  sample.sort((a, b) => a - b);
  const at = (p: number) => sample[Math.min(sample.length - 1, Math.max(0, Math.round((p / 100) * (sample.length - 1))))];
  return [at(lo), at(hi)];
}

/** Fades cells outside a selection, keeping their colour recognisable. */
export function dimUnselected(colors: Uint8Array, selection: Uint8Array): Uint8Array {
  const out = colors.slice();
  for (let i = 0; i < selection.length; i++) if (!selection[i]) out[i * 4 + 3] = 25;
  return out;
}
