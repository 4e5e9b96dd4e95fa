// Hand edits of a label column (CELLxGENE-style): rename a category (merging into an existing one
// of the same name), merge several, assign selected cells. Pure functions on {codes, categories};
// unused categories are dropped so the legend only shows labels in use.
export interface Labels {
  codes: Int32Array;
  categories: string[];
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
  return { codes: l.codes.map((c) => (c >= 0 ? map[c] : -1)), categories };
}

function codeFor(categories: string[], name: string): [string[], number] {
  const i = categories.indexOf(name);
  return i >= 0 ? [categories, i] : [[...categories, name], categories.length];
}

export function renameCategory(l: Labels, code: number, name: string): Labels {
  const label = name.trim();
  if (!label) throw new Error('a label cannot be empty');
  const existing = l.categories.indexOf(label);
  if (existing === code) return l;
  if (existing < 0) return { codes: l.codes, categories: l.categories.map((c, i) => (i === code ? label : c)) };
  return compact({ codes: l.codes.map((c) => (c === code ? existing : c)), categories: l.categories });
}

export function mergeCategories(l: Labels, codes: number[], name: string): Labels {
  const label = name.trim();
  if (!label) throw new Error('a label cannot be empty');
  const [categories, target] = codeFor(l.categories, label);
  const merge = new Set(codes);
  return compact({ codes: l.codes.map((c) => (merge.has(c) ? target : c)), categories });
}

export function assignCells(l: Labels, selection: Uint8Array, name: string): Labels {
  const label = name.trim();
  if (!label) throw new Error('a label cannot be empty');
  const [categories, target] = codeFor(l.categories, label);
  return compact({ codes: l.codes.map((c, i) => (selection[i] ? target : c)), categories });
}
