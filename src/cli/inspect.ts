import { access } from 'node:fs/promises';
import { DatasetError } from '../io/errors.ts';
import { summarize } from '../io/summary.ts';
import { parseArgs } from './args.ts';
import { openCliInputs } from './inputs.ts';
import { UsageError } from './usage.ts';

export async function inspectCommand(args: string[]): Promise<number> {
  const p = parseArgs(args, ['join']);
  if (p.positionals.length === 0) throw new UsageError('inspect needs a file');
  for (const path of p.positionals) {
    await access(path).catch(() => {
      throw new DatasetError('unknown-key', path, 'no such file or directory');
    });
  }
  // The files of one dataset (a MatrixMarket folder's three) open as one; several datasets are joined.
  const ds = await openCliInputs(p.positionals, p, (m) => console.error(`scweb: ${m}`));
  try {
    console.log(JSON.stringify(summarize(ds), null, 2));
  } finally {
    ds.close();
  }
  return 0;
}
