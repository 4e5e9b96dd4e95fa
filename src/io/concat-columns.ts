// obs and var columns of several files as one: a column any file has is kept, missing values where
// a file lacks it (NaN for numbers, code -1 for categories), as pandas' outer concat does. Types
// are unified the way pandas would end up: numbers stay numbers (integers become float64 once a
// value is missing), categories are merged (union in order of appearance), and a column that is
// text in one file and numbers in another becomes categories of the text.
import type { CategoricalColumn, Column, NumericColumn } from './types.ts';

/** Where output entry i comes from: part `part[i]`, row `row[i]` of it; part -1 for a missing value. */
export interface Gather {
  part: Int32Array;
  row: Int32Array;
}

/** `cols[p]`: part p's column of this name, or undefined when part p lacks it. */
export function gatherColumn(name: string, cols: (Column | undefined)[], g: Gather): Column {
  const present = cols.filter((c): c is Column => !!c);
  const n = g.part.length;
  let missing = false;
  for (let i = 0; i < n && !missing; i++) if (g.part[i] < 0 || !cols[g.part[i]]) missing = true;
  if (present.every((c) => c.kind === 'numeric')) return numeric(name, cols as (NumericColumn | undefined)[], g, missing);
  if (present.every((c) => c.kind === 'string') && !missing) {
    const values = new Array<string>(n);
    for (let i = 0; i < n; i++) values[i] = (cols[g.part[i]] as { values: string[] }).values[g.row[i]];
    return { kind: 'string', name, values, dtype: 'string' };
  }
  return categorical(name, cols, g);
}

function numeric(name: string, cols: (NumericColumn | undefined)[], g: Gather, missing: boolean): NumericColumn {
  const n = g.part.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = g.part[i] >= 0 ? cols[g.part[i]] : undefined;
    values[i] = c ? c.values[g.row[i]] : NaN;
  }
  const dtypes = new Set(cols.filter(Boolean).map((c) => c!.dtype));
  const [only] = dtypes;
  // pandas: one dtype stays; an integer column that gains missing values becomes float64 (a
  // nullable Int64 keeps its type, it can hold them).
  const dtype = dtypes.size === 1 && (!missing || !/^u?int/.test(only)) ? only : 'float64';
  return { kind: 'numeric', name, values, dtype };
}

function textOf(c: Column, row: number): string | null {
  if (c.kind === 'categorical') return c.codes[row] >= 0 ? c.categories[c.codes[row]] : null;
  if (c.kind === 'string') return c.values[row];
  const v = c.values[row];
  return Number.isNaN(v) ? null : String(v);
}

function categorical(name: string, cols: (Column | undefined)[], g: Gather): CategoricalColumn {
  const present = cols.filter((c): c is Column => !!c);
  const cats = present.filter((c): c is CategoricalColumn => c.kind === 'categorical');
  const allCategorical = cats.length === present.length;
  const categories: string[] = [];
  const lookup = new Map<string, number>();
  const add = (v: string) => {
    let k = lookup.get(v);
    if (k === undefined) {
      k = categories.length;
      categories.push(v);
      lookup.set(v, k);
    }
    return k;
  };
  for (const c of cats) for (const v of c.categories) add(v);
  // Text and numbers have no categories of their own: theirs are their values, sorted, after the others'.
  if (!allCategorical) {
    const extra = new Set<string>();
    for (let i = 0; i < g.part.length; i++) {
      const c = g.part[i] >= 0 ? cols[g.part[i]] : undefined;
      if (c && c.kind !== 'categorical') {
        const v = textOf(c, g.row[i]);
        if (v !== null && !lookup.has(v)) extra.add(v);
      }
    }
    for (const v of [...extra].sort()) add(v);
  }
  // Per part, its codes in the merged categories.
  const remap = cols.map((c) => (c?.kind === 'categorical' ? Int32Array.from(c.categories, (v) => lookup.get(v)!) : null));
  const codes = new Int32Array(g.part.length);
  for (let i = 0; i < codes.length; i++) {
    const p = g.part[i];
    const c = p >= 0 ? cols[p] : undefined;
    if (!c) codes[i] = -1;
    else if (c.kind === 'categorical') codes[i] = c.codes[g.row[i]] >= 0 ? remap[p]![c.codes[g.row[i]]] : -1;
    else {
      const v = textOf(c, g.row[i]);
      codes[i] = v === null ? -1 : lookup.get(v)!;
    }
  }
  const dtypes = new Set(cats.map((c) => c.dtype));
  const sameCategories = cats.every((c) => c.categories.length === categories.length && c.categories.every((v, k) => v === categories[k]));
  return {
    kind: 'categorical',
    name,
    codes,
    categories,
    ordered: allCategorical && sameCategories && cats.every((c) => c.ordered),
    dtype: allCategorical && dtypes.size === 1 ? [...dtypes][0] : 'category',
  };
}

/** Column names of several frames, in order of first appearance. */
export function columnNames(frames: { columns: Column[] }[]): string[] {
  const seen = new Set<string>();
  for (const f of frames) for (const c of f.columns) seen.add(c.name);
  return [...seen];
}
