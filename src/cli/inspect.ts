import { access } from 'node:fs/promises';
import { DatasetError } from '../io/errors.ts';
import { openPaths } from '../io/node.ts';
import { summarize } from '../io/summary.ts';
import { UsageError } from './usage.ts';

export async function inspectCommand(args: string[]): Promise<number> {
  if (args.length === 0) throw new UsageError('inspect needs a file');
  for (const p of args) {
    await access(p).catch(() => {
      throw new DatasetError('unknown-key', p, 'no such file or directory');
    });
  }
  const ds = await openPaths(args, { onWarning: (m) => console.error(`scweb: warning: ${m}`) });
  try {
    console.log(JSON.stringify(summarize(ds), null, 2));
  } finally {
    ds.close();
  }
  return 0;
}
