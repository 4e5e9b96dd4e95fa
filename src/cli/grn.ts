// `scweb grn SUBCOMMAND`: gene networks from a scGPT model (programs: gene-embedding programs;
// attention: targets of regulators from the attention between two groups of cells).
import { grnAttentionCommand } from './grn-attention.ts';
import { grnProgramsCommand } from './grn-programs.ts';
import { UsageError } from './usage.ts';

export async function grnCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'programs':
      return grnProgramsCommand(rest);
    case 'attention':
      return grnAttentionCommand(rest);
    default:
      throw new UsageError(sub ? `unknown grn subcommand "${sub}"` : 'grn needs a subcommand: programs or attention');
  }
}
