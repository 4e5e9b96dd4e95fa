// What every annotate method writes: its columns into the query, then OUT.csv (cell_id and those
// columns) or OUT.h5ad (a fresh copy of the query, or of the joined inputs, with them in obs).
import { writeFile } from 'node:fs/promises';
import { annotationCsv } from '../analysis/mapping.ts';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { fileBytes } from '../io/node.ts';
import type { Column, Dataset } from '../io/types.ts';

export async function writeAnnotated(query: Dataset, input: string, columns: Column[], out: string, log: (m: string) => void): Promise<void> {
  for (const c of columns) query.setColumn(c);
  if (out.endsWith('.csv')) await writeFile(out, annotationCsv(query, columns.map((c) => c.name)));
  else {
    const { lib } = await nodeH5Runtime();
    for (const n of await writeWithResults(lib, input, query, out, { obs: columns }, fileBytes(input))) log(`not copied: ${n}`);
  }
  log(`wrote ${out}`);
}
