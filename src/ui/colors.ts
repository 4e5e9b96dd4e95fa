// Colours for points: scanpy's default categorical palettes and viridis for numbers.

// scanpy.plotting.palettes.default_20 (vega 20, reordered by scanpy).
const DEFAULT_20 = ['#1f77b4', '#ff7f0e', '#279e68', '#d62728', '#aa40fc', '#8c564b', '#e377c2', '#b5bd61', '#17becf', '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#dbdb8d', '#9edae5', '#ad494a', '#8c6d31'];

// Viridis at 9 evenly spaced stops; intermediate values are interpolated linearly.
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

export type RGB = [number, number, number];

export function hexToRgb(hex: string): RGB {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function rgbToHex(rgb: readonly number[]): string {
  return `#${rgb.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

const VIRIDIS_RGB = VIRIDIS.map(hexToRgb);

/** Category colours: scanpy's 20 for up to 20 categories, then evenly spread hues. */
export function categoryPalette(n: number): RGB[] {
  if (n <= DEFAULT_20.length) return DEFAULT_20.slice(0, n).map(hexToRgb);
  return Array.from({ length: n }, (_, i) => hslToRgb((i * 137.508) % 360, 0.65, i % 2 ? 0.45 : 0.6));
}

function hslToRgb(h: number, s: number, l: number): RGB {
  const a = s * Math.min(l, 1 - l);
  const f = (k: number) => {
    const x = (k + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(x - 3, 9 - x, 1))));
  };
  return [f(0), f(8), f(4)];
}

export function viridis(t: number): RGB {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS_RGB.length - 1);
  const i = Math.min(VIRIDIS_RGB.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS_RGB[i], VIRIDIS_RGB[i + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f].map(Math.round) as RGB;
}

export const VIRIDIS_CSS = `linear-gradient(to right, ${VIRIDIS.join(', ')})`;

export const MISSING_RGB: RGB = [200, 200, 200];

/**
 * One colour per category *name* (#rrggbb): `given` where it has one for the name, otherwise
 * scanpy's palette by position, or, when another name holds that colour, the first palette colour
 * no category holds. Legend, scatter, filters and exports all read colours through this, so
 * a renamed or merged label keeps the colour the user saw.
 */
export function categoryColorMap(categories: readonly string[], given: Readonly<Record<string, string>> = {}): Record<string, string> {
  // No prototype: "__proto__" is a category name like any other.
  const out = Object.create(null) as Record<string, string>;
  const taken = new Set<string>();
  for (const name of categories) {
    // Own properties only: a category may be called "constructor".
    const hex = Object.hasOwn(given, name) ? given[name] : undefined;
    if (typeof hex === 'string' && !taken.has(hex.toLowerCase())) {
      out[name] = hex.toLowerCase();
      taken.add(out[name]);
    }
  }
  const base = categoryPalette(categories.length).map(rgbToHex);
  // Names without one keep their palette colour where it is free, so one clash moves one name only.
  categories.forEach((name, i) => {
    if (Object.hasOwn(out, name) || taken.has(base[i])) return;
    out[name] = base[i];
    taken.add(base[i]);
  });
  for (const name of categories) {
    if (Object.hasOwn(out, name)) continue;
    out[name] = freeColor(taken);
    taken.add(out[name]);
  }
  return out;
}

/** The first colour of scanpy's palette (then of evenly spread hues) not in `taken`. */
export function freeColor(taken: ReadonlySet<string>): string {
  for (const hex of DEFAULT_20) if (!taken.has(hex)) return hex;
  for (let i = 0; ; i++) {
    const hex = rgbToHex(hslToRgb((i * 137.508) % 360, 0.65, i % 2 ? 0.45 : 0.6));
    if (!taken.has(hex)) return hex;
  }
}

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
