import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHARED = resolve(__dirname, '../../shared');

/** A file under ../shared. In CI (CI=true) a missing file fails the test instead of skipping it. */
export function shared(...parts: string[]): string {
  const p = join(SHARED, ...parts);
  if (!existsSync(p) && process.env.CI) throw new Error(`missing ${p}: ../shared must be present in CI`);
  return p;
}

export const hasShared = existsSync(SHARED) || !!process.env.CI;
