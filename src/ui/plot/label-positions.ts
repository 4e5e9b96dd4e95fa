// Where cluster names are drawn on the embedding: each category's median x and y over its visible
// cells, as scanpy's legend_loc='on data' places them (medians, so a few stray cells do not pull a
// label off its cluster).

export interface PlacedLabel {
  code: number;
  text: string;
  position: [number, number];
}

function medianOf(values: number[]): number {
  values.sort((a, b) => a - b);
  const m = values.length >> 1;
  return values.length % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

/** `positions`: interleaved x, y; `visible`: 1 for cells drawn (null: all). Hidden (by name) or empty categories get no label. */
export function labelPositions(positions: Float32Array, codes: Int32Array, categories: string[], visible: Uint8Array | null, hidden: ReadonlySet<string> = new Set()): PlacedLabel[] {
  const xs: number[][] = categories.map(() => []);
  const ys: number[][] = categories.map(() => []);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c < 0 || c >= categories.length || hidden.has(categories[c]) || (visible && !visible[i])) continue;
    const x = positions[2 * i];
    const y = positions[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    xs[c].push(x);
    ys[c].push(y);
  }
  const out: PlacedLabel[] = [];
  categories.forEach((text, code) => {
    if (xs[code].length > 0) out.push({ code, text, position: [medianOf(xs[code]), medianOf(ys[code])] });
  });
  return out;
}
