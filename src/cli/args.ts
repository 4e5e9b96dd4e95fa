// A small flag parser: `--name value`, `--flag`, positionals; unknown flags are usage errors.
import { availableParallelism } from 'node:os';
import type { GeneJoin } from '../io/types.ts';
import { UsageError } from './usage.ts';

export interface Parsed {
  positionals: string[];
  flags: Map<string, string>;
}

/** `switches` are flags without a value (`--no-scale`); they read as 'true' in `flags`. */
export function parseArgs(argv: string[], valueFlags: string[], switches: string[] = []): Parsed {
  const flags = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2);
    if (switches.includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.set(name, 'true');
      continue;
    }
    if (!valueFlags.includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return { positionals, flags };
}

export function intFlag(p: Parsed, name: string, dflt: number): number {
  const v = p.flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/** --threads N: workers for the CPU analysis steps; default all cores (results do not depend on it). */
export function threadsFlag(p: Parsed): number {
  const n = intFlag(p, 'threads', availableParallelism());
  if (n < 1) throw new UsageError('--threads must be at least 1');
  return n;
}

/** --join inner|outer: how the genes of several inputs are joined (anndata.concat's join). */
export function joinFlag(p: Parsed): GeneJoin {
  const v = p.flags.get('join') ?? 'inner';
  if (v !== 'inner' && v !== 'outer') throw new UsageError(`--join must be inner (genes every input has) or outer (all genes; zeros where an input lacks one), got "${v}"`);
  return v;
}
