// Issue 23.1: one colour per category name, shared by the legend, the scatter, the filters and the
// exports, kept through renames and merges (a merge takes its largest part's colour) and a reload.
import { describe, expect, it } from 'vitest';
import { assignCells, labelsFrom, mergeCategories, renameCategory, type Labels } from '../src/analysis/label-edits.ts';
import { defaultCategoryColors } from '../src/io/h5ad/colors.ts';
import { summarizeColumn } from '../src/io/summary.ts';
import { categoricalColors, categoryColorMap, categoryPalette, hexToRgb, rgbToHex } from '../src/ui/colors.ts';
import { visibleMask } from '../src/ui/plot/visible.ts';

/** leiden-like clusters "0".."5" of sizes 30, 25, 20, 15, 10, 5. */
function leiden(): Labels {
  const sizes = [30, 25, 20, 15, 10, 5];
  const codes = Int32Array.from(sizes.flatMap((n, c) => Array<number>(n).fill(c)));
  const categories = sizes.map((_, c) => String(c));
  return labelsFrom(codes, categories, categoryColorMap(categories));
}

const PALETTE = categoryPalette(6).map(rgbToHex);

/** What the legend shows (in the summary's order, whatever it is) and what the scatter draws, per name. */
function legendAndPlot(l: Labels, hidden: ReadonlySet<string> = new Set()) {
  const counts = summarizeColumn({ kind: 'categorical', name: 'user_label', codes: l.codes, categories: l.categories, ordered: false, dtype: 'category' }).categories!;
  const legend = categoryColorMap(Object.keys(counts), l.colors);
  const rgba = categoricalColors(l.codes, l.categories, categoryColorMap(l.categories, l.colors), hidden);
  const drawn: Record<string, string> = {};
  l.codes.forEach((c, i) => (drawn[l.categories[c]] ??= rgbToHex([rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]])));
  return { counts, legend, drawn, rgba };
}

describe('category colours by name', () => {
  it('a renamed category keeps its colour, and the legend shows what the scatter draws', () => {
    const l = renameCategory(renameCategory(leiden(), 3, 'NK'), 4, 'B cell');
    const { counts, legend, drawn } = legendAndPlot(l);
    // The summary's object lists "5" before "NK": a legend coloured by position there was wrong.
    expect(Object.keys(counts)).toEqual(['0', '1', '2', '5', 'NK', 'B cell']);
    expect(legend).toEqual(drawn);
    expect(drawn.NK).toBe(PALETTE[3]);
    expect(drawn['B cell']).toBe(PALETTE[4]);
    expect(drawn['5']).toBe(PALETTE[5]);
  });

  it('hiding "NK" hides exactly its cells, in the filter, the scatter and after later edits', () => {
    const l = renameCategory(renameCategory(leiden(), 3, 'NK'), 4, 'B cell');
    const hidden = new Set(['NK']);
    const column = { kind: 'categorical' as const, name: 'user_label', codes: l.codes, categories: l.categories };
    const mask = visibleMask(l.codes.length, { user_label: column }, { user_label: hidden }, {})!;
    expect(mask.reduce((a, b) => a + b, 0)).toBe(105 - 15);
    l.codes.forEach((c, i) => expect([l.categories[c], mask[i]]).toEqual([l.categories[c], l.categories[c] === 'NK' ? 0 : 1]));
    const { rgba } = legendAndPlot(l, hidden);
    l.codes.forEach((c, i) => expect(rgba[4 * i + 3] === 0).toBe(l.categories[c] === 'NK'));
    // Codes move when "2" is merged away; the name still hides NK's cells.
    const m = mergeCategories(l, [0, 2], 'T');
    const after = visibleMask(m.codes.length, { user_label: { ...column, codes: m.codes, categories: m.categories } }, { user_label: hidden }, {})!;
    m.codes.forEach((c, i) => expect(after[i]).toBe(m.categories[c] === 'NK' ? 0 : 1));
  });

  it('a merge takes the colour of its largest part; every other label keeps its own', () => {
    const l = renameCategory(renameCategory(leiden(), 3, 'NK'), 4, 'B cell');
    const m = mergeCategories(l, [3, 4], 'Lymphoid');
    expect(m.categories).toEqual(['0', '1', '2', '5', 'Lymphoid']);
    expect(m.colors).toEqual({ 0: PALETTE[0], 1: PALETTE[1], 2: PALETTE[2], 5: PALETTE[5], Lymphoid: PALETTE[3] });
    expect(legendAndPlot(m).legend).toEqual(legendAndPlot(m).drawn);
    // The smaller part first, or merged into an existing name: still the larger part's colour.
    expect(mergeCategories(l, [5, 1], 'x').colors.x).toBe(PALETTE[1]);
    expect(mergeCategories(l, [5], '0').colors['0']).toBe(PALETTE[0]);
    expect(mergeCategories(l, [0], '5').colors['5']).toBe(PALETTE[0]);
    // Renaming onto an existing name merges the two the same way.
    const r = renameCategory(l, 5, '1');
    expect(r.colors['1']).toBe(PALETTE[1]);
    expect(r.categories).toEqual(['0', '1', '2', 'NK', 'B cell']);
    expect(new Set(Object.values(r.colors)).size).toBe(r.categories.length);
  });

  it('assigned cells: a new label gets a colour no label has, or the colour of a label it takes over whole', () => {
    const l = leiden();
    const some = Uint8Array.from(l.codes, (c, i) => (c === 0 && i % 2 ? 1 : 0));
    const a = assignCells(l, some, 'new');
    expect(Object.values(a.colors)).not.toContain(undefined);
    expect(new Set(Object.values(a.colors)).size).toBe(a.categories.length);
    expect(a.colors.new).toBe(rgbToHex(categoryPalette(7)[6]));
    const whole = Uint8Array.from(l.codes, (c) => (c === 2 ? 1 : 0));
    expect(assignCells(l, whole, 'Mono').colors.Mono).toBe(PALETTE[2]);
  });

  it('colours survive a reload (labels taken up with their saved colours) and reach the export', () => {
    const m = mergeCategories(renameCategory(renameCategory(leiden(), 3, 'NK'), 4, 'B cell'), [3, 4], 'Lymphoid');
    const saved = JSON.parse(JSON.stringify(m.colors)) as Record<string, string>;
    const back = labelsFrom(m.codes, m.categories, saved);
    expect(back.colors).toEqual(m.colors);
    // Without saved colours they would be the palette by position: Lymphoid would change colour.
    expect(labelsFrom(m.codes, m.categories).colors.Lymphoid).not.toBe(m.colors.Lymphoid);
    const column = { kind: 'categorical' as const, name: 'user_label', codes: m.codes, categories: m.categories, ordered: false, dtype: 'category' };
    expect(defaultCategoryColors([column], { user_label: m.colors }).user_label).toEqual(m.categories.map((n) => m.colors[n]));
    // Other columns: scanpy's palette by position, as before.
    expect(defaultCategoryColors([{ ...column, name: 'leiden' }], { user_label: m.colors }).leiden).toEqual(PALETTE.slice(0, 5));
  });

  it('the map gives every name its own colour, given ones first', () => {
    expect(categoryColorMap(['a', 'b', 'c'], { c: PALETTE[0] })).toEqual({ a: PALETTE[2], b: PALETTE[1], c: PALETTE[0] });
    expect(categoryColorMap(['a', 'b'], { a: PALETTE[1], b: PALETTE[1] })).toEqual({ a: PALETTE[1], b: PALETTE[0] });
    expect(hexToRgb(categoryColorMap(['x'])['x'])).toEqual(categoryPalette(1)[0]);
    // Names that are also Object's own properties are names like any other.
    const odd = categoryColorMap(['constructor', 'toString', '__proto__']);
    expect(Object.keys(odd).sort()).toEqual(['__proto__', 'constructor', 'toString'].sort());
    expect(Object.values(odd)).toEqual(PALETTE.slice(0, 3));
    const l = renameCategory(labelsFrom(Int32Array.from([0, 1]), ['a', 'b']), 0, 'constructor');
    expect(l.colors).toEqual(Object.fromEntries([['constructor', PALETTE[0]], ['b', PALETTE[1]]]));
  });

  it("'Unassigned' (CellTypist) and 'unassigned' (kNN vote) are grey unless given a colour; the others keep their places", () => {
    expect(categoryColorMap(['A', 'Unassigned', 'B'])).toEqual({ A: PALETTE[0], Unassigned: '#c8c8c8', B: PALETTE[2] });
    expect(categoryColorMap(['unassigned', 'T'])).toEqual({ unassigned: '#c8c8c8', T: PALETTE[1] });
    expect(categoryColorMap(['Unassigned'], { Unassigned: '#ff0000' }).Unassigned).toBe('#ff0000');
  });
});
