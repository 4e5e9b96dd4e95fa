// Hand edits of a label column (CELLxGENE-style): rename a category (merging into an existing one
// of the same name), merge several, assign selected cells. Pure functions on {codes, categories,
// colors}; unused categories are dropped so the legend only shows labels in use. Colours belong to
// names and follow the edits: a renamed label keeps its colour, a merge takes the colour of its
// largest part, a new label takes a colour no other label has.
import { categoryColorMap, freeColor } from '../io/category-palette.ts';

export interface Labels {
  codes: Int32Array;
  categories: string[];
  /** #rrggbb per category name. */
  colors: Record<string, string>;
}

/** Labels from a column's codes and categories, coloured as that column is (scanpy's palette by position unless `colors` names one). */
export function labelsFrom(codes: Int32Array, categories: string[], colors: Readonly<Record<string, string>> = {}): Labels {
  return { codes, categories, colors: categoryColorMap(categories, colors) };
}

/** Drops categories no cell uses, keeping the order of the rest. */
function compact(l: Labels): Labels {
  const used = new Uint8Array(l.categories.length);
  for (const c of l.codes) if (c >= 0) used[c] = 1;
  const map = new Int32Array(l.categories.length).fill(-1);
  const categories: string[] = [];
  l.categories.forEach((name, i) => {
    if (used[i]) {
      map[i] = categories.length;
      categories.push(name);
    }
  });
  const colors = Object.fromEntries(categories.filter((name) => Object.hasOwn(l.colors, name)).map((name) => [name, l.colors[name]]));
  return { codes: l.codes.map((c) => (c >= 0 ? map[c] : -1)), categories, colors: categoryColorMap(categories, colors) };
}

function counts(l: Labels): Int32Array {
  const n = new Int32Array(l.categories.length);
  for (const c of l.codes) if (c >= 0) n[c]++;
  return n;
}

/** The colour of the part with the most cells (the first of equals, in category order). */
function largestColor(l: Labels, parts: number[]): string | undefined {
  const n = counts(l);
  const best = [...parts].sort((a, b) => n[b] - n[a] || a - b)[0];
  return best === undefined || !Object.hasOwn(l.colors, l.categories[best]) ? undefined : l.colors[l.categories[best]];
}

function codeFor(categories: string[], name: string): [string[], number] {
  const i = categories.indexOf(name);
  return i >= 0 ? [categories, i] : [[...categories, name], categories.length];
}

/** `colors` without the names in `drop`, with `name` set to `hex` when given. */
function recolor(colors: Record<string, string>, drop: string[], name: string, hex: string | undefined): Record<string, string> {
  const out = Object.entries(colors).filter(([n]) => n !== name && !drop.includes(n));
  if (hex) out.push([name, hex]);
  return Object.fromEntries(out);
}

export function renameCategory(l: Labels, code: number, name: string): Labels {
  const label = name.trim();
  if (!label) throw new Error('a label cannot be empty');
  const existing = l.categories.indexOf(label);
  if (existing === code) return l;
  const old = l.categories[code];
  if (existing < 0) return { codes: l.codes, categories: l.categories.map((c, i) => (i === code ? label : c)), colors: recolor(l.colors, [old], label, Object.hasOwn(l.colors, old) ? l.colors[old] : undefined) };
  const colors = recolor(l.colors, [old], label, largestColor(l, [code, existing]));
  return compact({ codes: l.codes.map((c) => (c === code ? existing : c)), categories: l.categories, colors });
}

export function mergeCategories(l: Labels, codes: number[], name: string): Labels {
  const label = name.trim();
  if (!label) throw new Error('a label cannot be empty');
  const [categories, target] = codeFor(l.categories, label);
  const merge = new Set(codes);
  const parts = [...merge, ...(target < l.categories.length && !merge.has(target) ? [target] : [])];
  const colors = recolor(l.colors, [...merge].map((c) => l.categories[c]), label, largestColor(l, parts));
  return compact({ codes: l.codes.map((c) => (merge.has(c) ? target : c)), categories, colors });
}

export function assignCells(l: Labels, selection: Uint8Array, name: string): Labels {
  const label = name.trim();
  if (!label) throw new Error('a label cannot be empty');
  const [categories, target] = codeFor(l.categories, label);
  const codes = l.codes.map((c, i) => (selection[i] ? target : c));
  let colors = l.colors;
  if (!Object.hasOwn(colors, label)) {
    // A new label: the colour of a label it takes over whole (the most cells of those), else one no label keeps.
    const left = new Uint8Array(categories.length);
    for (const c of codes) if (c >= 0) left[c] = 1;
    const whole = l.categories.map((_, i) => i).filter((i) => !left[i]);
    const kept = new Set(categories.filter((n, i) => left[i] && n !== label).map((n) => l.colors[n]));
    colors = { ...colors, [label]: largestColor(l, whole) ?? freeColor(kept) };
  }
  return compact({ codes, categories, colors });
}

/**
 * What became of a group of another column (a cluster a suggestion names) in the labels: its cells
 * are exactly one label's (`label`, perhaps renamed; or, when part of it was assigned another label,
 * the label under the group's own name holding the rest), share one label with other cells
 * (`merged`), carry several labels (`split`), or the group has no cells.
 */
export type GroupFate = { kind: 'label'; code: number } | { kind: 'merged'; into: string } | { kind: 'split'; labels: string[] } | { kind: 'empty' };

/** The fate of every category of `groups` (a column over the same cells) in `labels`, by cells, not names. */
export function groupFates(groups: Pick<Labels, 'codes' | 'categories'>, labels: Labels): GroupFate[] {
  const n = groups.codes.length;
  if (labels.codes.length !== n) throw new Error(`the labels cover ${labels.codes.length} cells, the groups ${n}`);
  const nG = groups.categories.length;
  const nL = labels.categories.length;
  // -2: no cell yet; -3: several. Label code -1 (unlabelled) is kept as the code nL.
  const labelOf = new Int32Array(nG).fill(-2);
  const groupOf = new Int32Array(nL + 1).fill(-2);
  const seen: (Set<number> | null)[] = new Array(nG).fill(null);
  for (let i = 0; i < n; i++) {
    const g = groups.codes[i];
    const c = labels.codes[i] >= 0 ? labels.codes[i] : nL;
    groupOf[c] = groupOf[c] === -2 || groupOf[c] === g ? g : -3;
    if (g < 0 || g >= nG) continue;
    if (labelOf[g] === -2) labelOf[g] = c;
    else if (labelOf[g] !== c) {
      if (!seen[g]) seen[g] = new Set([labelOf[g]]);
      seen[g]!.add(c);
      labelOf[g] = -3;
    }
  }
  const name = (c: number) => (c === nL ? 'unlabelled' : labels.categories[c]);
  return Array.from({ length: nG }, (_, g): GroupFate => {
    const c = labelOf[g];
    if (c === -2) return { kind: 'empty' };
    if (c === -3) {
      // Part of the group was given another label (an assigned selection): the rest still under the
      // group's own name, and only there, is the group.
      const own = [...seen[g]!].find((x) => x < nL && labels.categories[x] === groups.categories[g] && groupOf[x] === g);
      if (own !== undefined) return { kind: 'label', code: own };
      return { kind: 'split', labels: [...seen[g]!].sort((a, b) => a - b).map(name) };
    }
    if (c === nL) return { kind: 'split', labels: ['unlabelled'] };
    return groupOf[c] === g ? { kind: 'label', code: c } : { kind: 'merged', into: name(c) };
  });
}
