// `make start` / `make test` install with `npm ci`, which refuses a lockfile that lacks what the
// machine needs; rollup and esbuild ship one optional package per platform, and a lockfile written on
// one machine once listed only that machine's. These are the platforms we promise.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, unknown> };
const platforms = [
  ['linux-x64-gnu', 'linux-x64'],
  ['linux-arm64-gnu', 'linux-arm64'],
  ['darwin-x64', 'darwin-x64'],
  ['darwin-arm64', 'darwin-arm64'],
];

describe('package-lock.json', () => {
  it.each(platforms)('lists rollup %s and esbuild %s', (rollup, esbuild) => {
    expect(lock.packages).toHaveProperty([`node_modules/@rollup/rollup-${rollup}`]);
    expect(lock.packages).toHaveProperty([`node_modules/@esbuild/${esbuild}`]);
  });
});
