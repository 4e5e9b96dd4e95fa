// What every annotate method writes: its columns into the query, then OUT.csv (cell_id and those
// columns) or OUT.h5ad (a fresh copy of the query, or of the joined inputs, with them in obs).
import { writeFile } from 'node:fs/promises';
import { annotationCsv } from '../analysis/mapping.ts';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { fileBytes } from '../io/node.ts';
import type { Column, Dataset } from '../io/types.ts';
import type { Parsed } from './args.ts';
import { UsageError } from './usage.ts';

export async function writeAnnotated(query: Dataset, input: string, columns: Column[], out: string, log: (m: string) => void): Promise<void> {
  for (const c of columns) query.setColumn(c);
  if (out.endsWith('.csv')) await writeFile(out, annotationCsv(query, columns.map((c) => c.name)));
  else {
    const { lib } = await nodeH5Runtime();
    for (const n of await writeWithResults(lib, input, query, out, { obs: columns }, fileBytes(input))) log(`not copied: ${n}`);
  }
  log(`wrote ${out}`);
}

/** The arguments every reference -> query method needs: QUERY..., --reference, --label-col, --out. */
export function transferArgs(p: Parsed): { inputs: string[]; input: string; refPath: string; labelColumn: string; out: string } {
  const inputs = p.positionals;
  const [input] = inputs;
  const refPath = p.flags.get('reference');
  const labelColumn = p.flags.get('label-col');
  const out = p.flags.get('out');
  if (!input || !refPath || !labelColumn || !out) throw new UsageError('annotate needs QUERY and --reference REF (each .h5ad, 10x .h5 or an mtx folder; several QUERY inputs are joined into one), --label-col NAME and --out OUT.csv|OUT.h5ad');
  if (!/\.(csv|h5ad)$/.test(out)) throw new UsageError('--out must end in .csv or .h5ad');
  return { inputs, input, refPath, labelColumn, out };
}
