// A CELLxGENE-style file for the browser tests: real PBMC counts from ../shared with Ensembl ids in
// the var index and symbols in var/feature_name, made by test/reference/cxg_qc.py (the shared
// CELLxGENE example has no symbols: its feature_name codes are all -1).
import { expect, type TestInfo } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA = fileURLToPath(new URL('../../shared/data', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../test/reference/cxg_qc.py', import.meta.url));

/** Writes the file into the test's output folder and returns its path. */
export function cxgStyleFile(info: TestInfo): string {
  const dir = info.outputPath('files');
  mkdirSync(dir, { recursive: true });
  const made = spawnSync('/usr/bin/python3', ['-W', 'ignore', SCRIPT, DATA, dir], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  return join(dir, 'cxg_pbmc10k.h5ad');
}
