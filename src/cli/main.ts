// `scweb`: the command-line face of the same src/io, src/model and src/analysis code.
import { DatasetError } from '../io/errors.ts';
import { inspectCommand } from './inspect.ts';

const USAGE = `scweb - single-cell analysis from the command line

Usage:
  scweb inspect FILE [FILE...]   print a JSON summary of a dataset (.h5ad, 10x .h5, or a
                                 matrix.mtx folder / its files given together)
  scweb help                     show this help

Exit status: 0 on success, 1 when the input cannot be read, 2 on a usage error.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'inspect':
        return await inspectCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        console.error(`scweb: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof DatasetError) {
      console.error(`scweb: error: ${err.message}`);
      return 1;
    }
    if (err instanceof UsageError) {
      console.error(`scweb: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

export class UsageError extends Error {}
