// Category colours by name, shared by what draws them (src/ui) and what writes them
// (uns/<column>_colors in src/io/h5ad, label edits in src/analysis): scanpy's default palettes, so a
// file opened in scanpy looks as it did here. Plain data, no DOM: it lives in the lowest room.

// scanpy.plotting.palettes.default_20 (vega 20, reordered by scanpy).
const DEFAULT_20 = ['#1f77b4', '#ff7f0e', '#279e68', '#d62728', '#aa40fc', '#8c564b', '#e377c2', '#b5bd61', '#17becf', '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#dbdb8d', '#9edae5', '#ad494a', '#8c6d31'];

export type RGB = [number, number, number];

export function hexToRgb(hex: string): RGB {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function rgbToHex(rgb: readonly number[]): string {
  return `#${rgb.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

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

/** Labels that mean "not assigned to any type", drawn in grey. */
const NO_LABEL = new Set(['Unassigned', 'unassigned']);
export const NO_LABEL_COLOR = '#c8c8c8';

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
    // Own properties only: a category may be called "constructor". A cell no annotator could
    // name (CellTypist's 'Unassigned', the kNN vote's 'unassigned') is grey unless given a colour.
    const hex = Object.hasOwn(given, name) ? given[name] : NO_LABEL.has(name) ? NO_LABEL_COLOR : undefined;
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
