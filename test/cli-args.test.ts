// The CLI's flag parser: value flags, switches (no value) and the usage errors users see.
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli/args.ts';
import { UsageError } from '../src/cli/usage.ts';

describe('parseArgs', () => {
  it('reads a switch without taking the next token as its value', () => {
    const p = parseArgs(['in.h5ad', '--no-scale', '--out', 'o.h5ad'], ['out'], ['no-scale']);
    expect(p.positionals).toEqual(['in.h5ad']);
    expect(p.flags.get('no-scale')).toBe('true');
    expect(p.flags.get('out')).toBe('o.h5ad');
  });

  it('refuses a value given to a switch, a value flag without one and an unknown flag', () => {
    expect(() => parseArgs(['--no-scale=1'], [], ['no-scale'])).toThrow(/--no-scale takes no value/);
    expect(() => parseArgs(['--out'], ['out'])).toThrow(/--out needs a value/);
    expect(() => parseArgs(['--bogus', 'x'], ['out'])).toThrow(UsageError);
    expect(() => parseArgs(['--bogus', 'x'], ['out'])).toThrow(/^unknown option --bogus$/);
    // A typo names the option meant.
    expect(() => parseArgs(['--resolutoin', '1'], ['resolution', 'out'], ['no-scale'])).toThrow('unknown option --resolutoin (did you mean --resolution?)');
    expect(() => parseArgs(['--no-scael'], ['out'], ['no-scale'])).toThrow('(did you mean --no-scale?)');
  });
});
