// `scweb`: the command-line face of the same src/io, src/model and src/analysis code.
import { DatasetError } from '../io/errors.ts';
import { ModelError } from '../model/bundle.ts';
import { CheckpointError } from '../model/checkpoint/torch.ts';
import { ShardError } from '../model/shards.ts';
import { HubError } from '../model/hub/registry.ts';
import { VocabError } from '../model/vocab.ts';
import { WeightsError } from '../model/weights.ts';
import { analyzeCommand } from './analyze.ts';
import { annotateCommand } from './annotate.ts';
import { convertCommand } from './convert.ts';
import { embedCommand } from './embed.ts';
import { grnCommand } from './grn.ts';
import { integrateCommand } from './integrate.ts';
import { mergeCommand } from './merge.ts';
import { metricsCommand } from './metrics.ts';
import { inspectCommand } from './inspect.ts';
import { serveCommand } from './serve.ts';
import { shareCommand } from './share.ts';
import { modelsCommand } from './models.ts';
import { USAGE, UsageError } from './usage.ts';

export async function main(args: string[]): Promise<number> {
  // --verbose anywhere: also print the library's own report (HDF5 error stacks) for damaged files.
  const verbose = args.includes('--verbose');
  const [command, ...rest] = args.filter((a) => a !== '--verbose');
  try {
    switch (command) {
      case 'inspect':
        return await inspectCommand(rest);
      case 'embed':
        return await embedCommand(rest);
      case 'merge':
        return await mergeCommand(rest);
      case 'analyze':
        return await analyzeCommand(rest);
      case 'integrate':
        return await integrateCommand(rest);
      case 'metrics':
        return await metricsCommand(rest);
      case 'annotate':
        return await annotateCommand(rest);
      case 'convert':
        return await convertCommand(rest);
      case 'serve':
        return await serveCommand(rest);
      case 'share':
        return await shareCommand(rest);
      case 'models':
        return await modelsCommand(rest);
      case 'grn':
        return await grnCommand(rest);
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
    if (err instanceof DatasetError || err instanceof ModelError || err instanceof WeightsError || err instanceof CheckpointError || err instanceof VocabError || err instanceof ShardError || err instanceof HubError) {
      console.error(`scweb: error: ${err.message}`);
      if (verbose && err instanceof DatasetError && err.detail) console.error(err.detail);
      return 1;
    }
    if (err instanceof UsageError) {
      // The usage first and the mistake last, where the terminal leaves the eye.
      console.error(`${USAGE}\nscweb: ${err.message}`);
      return 2;
    }
    // Analysis refusals (too few shared genes, no counts, ...) are plain Errors meant for the user.
    if (err instanceof Error && !process.env.SCWEB_DEBUG) {
      console.error(`scweb: error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
