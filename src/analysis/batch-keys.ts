// Batch keys for integration: obs columns whose values name the batch of each cell (sample, batch,
// donor, technology). Checked before anything is computed, each refusal naming the column and the
// fix. The rules are Harmony's (harmony-input.ts: categorical, 2 values at least, 3 cells per value
// at least), applied here to the cells the pipeline keeps after its QC filters and to the drawer's
// column summaries, so a key is refused (or greyed out) before any step runs.
import type { ColumnSummary } from '../io/summary.ts';
import type { Column } from '../io/types.ts';
import { checkBatchKeys as checkHarmonyKeys, MIN_BATCH_CELLS } from './harmony-input.ts';

/** A batch key as category codes per cell of the dataset (-1: a cell left out). */
export interface BatchLabels {
  key: string;
  codes: Int32Array;
  categories: string[];
}

function names(list: string[]): string {
  return list.length > 12 ? `${list.slice(0, 12).join(', ')}, ...` : list.join(', ');
}

/** Categories sorted by code point, as pandas makes them from strings. */
function fromStrings(values: (string | null)[]): { codes: Int32Array; categories: string[] } {
  const categories = [...new Set(values.filter((v): v is string => v !== null && v !== undefined && v !== ''))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(categories.map((c, i) => [c, i]));
  return { codes: Int32Array.from(values, (v) => (v === null || v === undefined || v === '' ? -1 : index.get(v)!)), categories };
}

/** A column's values at `rows` only. */
function rowsOf(col: Column, rows: Int32Array): Column {
  if (col.kind === 'categorical') return { ...col, codes: Int32Array.from(rows, (i) => col.codes[i]) };
  if (col.kind === 'string') return { ...col, values: Array.from(rows, (i) => col.values[i]) };
  return col;
}

/**
 * The batch keys as labels over every cell of the dataset, or one error naming each column at
 * fault: missing, numeric, a cell without a value, a single value, or a value with fewer than 3
 * cells, judged on the cells analysed (`keep`, after the QC filters; null: all of them) by
 * Harmony's own rules (harmony-input.ts), so the pipeline refuses a key before any step runs.
 */
export function checkBatchKeys(columns: Column[], keys: string[], keep: Uint8Array | null): BatchLabels[] {
  if (keys.length === 0) return [];
  const cols = keys.map((key) => {
    const col = columns.find((c) => c.name === key);
    if (col) return col;
    const usable = columns.filter((c) => c.kind !== 'numeric').map((c) => c.name);
    throw new Error(`batch key "${key}": there is no obs column "${key}" (categorical columns: ${names(usable) || 'none'})`);
  });
  const rows = keep ? Int32Array.from(keep.keys()).filter((i) => keep[i]) : null;
  const n = rows ? rows.length : (cols[0].kind === 'categorical' ? cols[0].codes.length : cols[0].values.length);
  checkHarmonyKeys(rows ? cols.map((c) => rowsOf(c, rows)) : cols, n, { cells: keep ? 'analysed cells (after the QC filters)' : 'cells', row: rows ? (i) => rows[i] : undefined });
  return cols.map((col) => {
    // Numeric columns were refused above.
    const { codes, categories } = col.kind === 'categorical' ? { codes: col.codes, categories: col.categories } : fromStrings((col as Extract<Column, { kind: 'string' }>).values);
    return { key: col.name, codes: codes instanceof Int32Array ? codes : Int32Array.from(codes), categories };
  });
}

/** A batch key's values over the kept cells, as the categorical column Harmony takes. */
export function keptColumn(b: BatchLabels, keep: Uint8Array, nKept: number): Column {
  const codes = new Int32Array(nKept);
  for (let i = 0, r = 0; i < keep.length; i++) if (keep[i]) codes[r++] = b.codes[i];
  return { kind: 'categorical', name: b.key, codes, categories: b.categories, ordered: false, dtype: 'category' };
}

/** Cells per category of a batch key among the kept cells (empty categories dropped), category order. */
export function batchSizes(b: BatchLabels, keep: Uint8Array | null): { name: string; cells: number }[] {
  const counts = new Array<number>(b.categories.length).fill(0);
  for (let i = 0; i < b.codes.length; i++) if ((!keep || keep[i]) && b.codes[i] >= 0) counts[b.codes[i]]++;
  return b.categories.flatMap((name, c) => (counts[c] > 0 ? [{ name, cells: counts[c] }] : []));
}

/**
 * obsm/<rep> over the analysed cells must be finite: Harmony (and the neighbours) cannot place a
 * cell with a NaN coordinate. Names the matrix and the first such cell.
 */
export function checkFiniteRows(data: ArrayLike<number>, n: number, d: number, keep: Uint8Array | null, name: string, cellName: (i: number) => string): void {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (keep && !keep[i]) continue;
    for (let t = 0; t < d; t++) {
      if (!Number.isFinite(data[i * d + t])) {
        if (first < 0) first = i;
        bad++;
        break;
      }
    }
  }
  if (bad) throw new Error(`${name} has NaN or infinite values in ${bad} of the cells analysed (the first is cell ${first}, "${cellName(first)}"): Harmony needs finite coordinates for every cell; filter those cells (e.g. with min_genes) or compute ${name} again`);
}

/**
 * Why an obs column cannot be a batch key, judged from its summary (all cells), or null when it
 * can: what the drawer shows beside a column it greys out. The run checks again on the cells
 * that pass QC.
 */
export function batchKeyRefusal(c: ColumnSummary): string | null {
  if (c.categories) {
    const present = Object.entries(c.categories).filter(([, n]) => n > 0);
    if (c.n_missing > 0) return `${c.n_missing} cells without a value`;
    if (present.length < 2) return 'one value';
    const small = present.filter(([, n]) => n < MIN_BATCH_CELLS);
    if (small.length) return `"${small[0][0]}" has ${small[0][1]} cell${small[0][1] === 1 ? '' : 's'} (a batch needs ${MIN_BATCH_CELLS})`;
    return null;
  }
  if (c.type === 'string') return (c.n_unique ?? 0) < 2 ? 'one value' : null;
  return `numeric (${c.type}): numbers are not batches`;
}
