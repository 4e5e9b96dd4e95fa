// The two groups an attention GRN compares, from a categorical obs column (clusters, a condition).
import { DatasetError } from '../../io/errors.ts';
import type { Dataset } from '../../io/types.ts';

/** Row indices of the cells whose `column` value is `value`; names the choices when it is unknown. */
export function groupCells(ds: Pick<Dataset, 'fileName' | 'obs'>, column: string, value: string): Int32Array {
  const col = ds.obs.columns.find((c) => c.name === column);
  if (!col) throw new DatasetError('unknown-key', ds.fileName, `no obs column "${column}" (have: ${ds.obs.columns.map((c) => c.name).join(', ') || 'none'})`);
  const labels = col.kind === 'categorical' ? Array.from(col.codes, (c) => (c < 0 ? null : col.categories[c])) : col.kind === 'string' ? col.values : Array.from(col.values, (v) => (Number.isNaN(v) ? null : String(v)));
  const out: number[] = [];
  labels.forEach((l, i) => {
    if (l === value) out.push(i);
  });
  if (out.length === 0) {
    const present = [...new Set(labels.filter((l): l is string => l !== null))];
    const known = col.kind === 'categorical' && col.categories.includes(value);
    const why = known ? `"${value}" is a category of obs/${column} but no cell has it` : `obs/${column} has no value "${value}"`;
    throw new DatasetError('unknown-key', ds.fileName, `${why} (values: ${present.slice(0, 20).join(', ')}${present.length > 20 ? ', ...' : ''})`);
  }
  return Int32Array.from(out);
}
