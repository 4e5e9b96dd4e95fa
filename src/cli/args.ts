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
    if (!valueFlags.includes(name)) {
      const near = closest(name, [...valueFlags, ...switches]);
      throw new UsageError(`unknown option --${name}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return { positionals, flags };
}

/** The option within two edits of a mistyped one (a transposition counts as one), if any. */
function closest(name: string, known: string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
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
