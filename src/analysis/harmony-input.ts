// Harmony's input checks, run before anything is computed: every problem with the batch keys is
// reported at once (a pipeline can call checkBatchKeys before its earlier steps), and the embedding
// is refused with the number of cells that hold NaN, infinities or all-zero rows.
import type { Column } from '../io/types.ts';

/** The fewest cells a batch may have. */
export const MIN_BATCH_CELLS = 3;

/** One batch key, checked and encoded: the categories that have cells, and each cell's among them. */
export interface BatchKey {
  name: string;
  /** Categories with at least one cell, in the column's order (pd.get_dummies on the values). */
  categories: string[];
  /** Index into `categories` per cell. */
  codes: Int32Array;
  /** Cells per category. */
  counts: number[];
}

/** Codes and categories of a categorical or text column (empty text is missing: -1). */
function encode(col: Exclude<Column, { kind: 'numeric' }>): { codes: ArrayLike<number>; categories: string[] } {
  if (col.kind === 'categorical') return { codes: col.codes, categories: col.categories };
  const index = new Map<string, number>();
  const codes = new Int32Array(col.values.length);
  col.values.forEach((v, i) => {
    if (v === null || v === undefined || v === '') {
      codes[i] = -1;
      return;
    }
    let k = index.get(v);
    if (k === undefined) index.set(v, (k = index.size));
    codes[i] = k;
  });
  return { codes, categories: [...index.keys()] };
}

const quoteList = (xs: string[], max = 5) => xs.slice(0, max).join(', ') + (xs.length > max ? `, ... (${xs.length} in all)` : '');

/** Which cells the columns hold, for messages: e.g. the cells left after QC, and their rows in the dataset. */
export interface BatchScope {
  /** What the `nCells` cells are, e.g. 'analysed cells (after the QC filters)'. */
  cells: string;
  /** The dataset row of the i-th cell, so a message points at the cell the user can find. */
  row?: (i: number) => number;
}

/**
 * Checks Harmony's batch columns for `nCells` cells and encodes them. Throws one error listing every
 * problem, each naming the column and the fix: a numeric column (numbers are not batch labels),
 * a wrong length, cells without a value, fewer than 2 batches, batches of fewer than 3 cells.
 */
export function checkBatchKeys(batches: Column[], nCells: number, scope?: BatchScope): BatchKey[] {
  const among = scope ? ` among the ${nCells} ${scope.cells}` : '';
  if (batches.length === 0) throw new Error('Harmony needs at least one batch key (an obs column of batch or sample labels)');
  const problems: string[] = [];
  const keys: BatchKey[] = [];
  const seen = new Set<string>();
  for (const col of batches) {
    const name = col.name;
    if (seen.has(name)) problems.push(`batch key "${name}" is given twice: list each obs column once`);
    seen.add(name);
    if (col.kind === 'numeric') {
      problems.push(
        `batch key "${name}" is numeric (${col.dtype}): Harmony needs batch labels, and would take every distinct number for a batch of its own; ` +
          `if the numbers do name batches, convert the column to categories first (in Python: adata.obs["${name}"] = adata.obs["${name}"].astype(str).astype("category"))`,
      );
      continue;
    }
    const { codes, categories } = encode(col);
    if (codes.length !== nCells) {
      problems.push(`batch key "${name}" has ${codes.length} values for ${nCells} cells: the column must come from the same cells as the embedding`);
      continue;
    }
    const n = new Array<number>(categories.length).fill(0);
    let missing = 0;
    let firstMissing = -1;
    for (let i = 0; i < nCells; i++) {
      const c = codes[i];
      if (c < 0 || c >= categories.length) {
        if (missing++ === 0) firstMissing = i;
      } else n[c]++;
    }
    if (missing) problems.push(`batch key "${name}" has no value for ${missing} of the ${nCells} ${scope?.cells ?? 'cells'} (the first is cell ${scope?.row ? scope.row(firstMissing) : firstMissing}): every cell needs a batch; fill them in (e.g. "unknown") or drop those cells`);
    // Categories no cell uses (pandas keeps them) are no batch: drop them as pd.get_dummies on the values would.
    const used: number[] = [];
    categories.forEach((_, c) => n[c] > 0 && used.push(c));
    if (used.length === 1) problems.push(`batch key "${name}" has only one value ("${categories[used[0]]}")${among}: Harmony needs at least 2 batches; choose a column that tells the batches apart, or skip integration`);
    else if (used.length === 0 && !missing) problems.push(`batch key "${name}" has no values`);
    const small = used.filter((c) => n[c] < MIN_BATCH_CELLS);
    if (used.length > 1 && small.length) {
      const list = small.map((c) => `category "${categories[c]}" has ${n[c]} cell${n[c] === 1 ? '' : 's'}`);
      problems.push(`batch key "${name}"${among}: ${quoteList(list)}; every batch needs at least ${MIN_BATCH_CELLS}: merge the small batches into others or drop their cells`);
    }
    const remap = new Int32Array(categories.length).fill(-1);
    used.forEach((c, i) => (remap[c] = i));
    keys.push({
      name,
      categories: used.map((c) => categories[c]),
      codes: Int32Array.from({ length: nCells }, (_, i) => (codes[i] >= 0 && codes[i] < categories.length ? remap[codes[i]] : -1)),
      counts: used.map((c) => n[c]),
    });
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return keys;
}

/**
 * Checks the embedding (row-major [N, d]) Harmony corrects: its size, finite values and non-zero
 * rows (each cell is scaled to unit length). Messages name the matrix (`name`, e.g. obsm/X_pca)
 * and count the cells concerned.
 */
export function checkEmbedding(embedding: ArrayLike<number>, N: number, d: number, name = 'the embedding'): void {
  if (!Number.isInteger(N) || N < 1 || !Number.isInteger(d) || d < 1) throw new Error(`${name}: ${N} cells x ${d} columns: Harmony needs at least one cell and one column`);
  if (embedding.length !== N * d) throw new Error(`${name}: ${embedding.length} values, expected ${N} cells x ${d} columns`);
  let bad = 0;
  let zero = 0;
  let firstBad = '';
  let firstZero = -1;
  for (let i = 0; i < N; i++) {
    let finite = true;
    let nonZero = false;
    for (let j = 0; j < d; j++) {
      const v = embedding[i * d + j];
      if (!Number.isFinite(v)) {
        if (finite && bad === 0) firstBad = `cell ${i}, column ${j}: ${v}`;
        finite = false;
      } else if (v !== 0) nonZero = true;
    }
    if (!finite) bad++;
    else if (!nonZero && zero++ === 0) firstZero = i;
  }
  if (bad) throw new Error(`${name} has NaN or infinite values in ${bad} cell${bad === 1 ? '' : 's'} (first: ${firstBad}); Harmony needs finite coordinates: recompute ${name} or drop those cells`);
  if (zero) throw new Error(`${name} has ${zero} cell${zero === 1 ? '' : 's'} whose coordinates are all zero (first: cell ${firstZero}); Harmony scales each cell to unit length: drop those cells`);
}
