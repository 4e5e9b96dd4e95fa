// Malformed variants of the demo, a 10x .h5 and an mtx folder (test/fuzz/make_variants.py), each
// run through the worker's open path, `scweb inspect` and the analysis pipeline in one child
// process (test/fuzz/run-cases.ts) with a V8 heap cap. Every case must end in a specific error
// naming the file, or in a result that passes sanity checks, within a time bound; the whole run
// must stay under a memory bound and print no HDF5-DIAG dumps.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CaseResult, FuzzCase } from './fuzz/run-cases.ts';
import { shared } from './helpers.ts';

const PYTHON = '/usr/bin/python3';
const demo = join(__dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad');
const BIN = join(__dirname, '../bin/scweb.mjs');
const tenx = shared('data/10x/v3_filtered_feature_bc_matrix.h5');
const mtx = shared('data/10x/v3_filtered_feature_bc_matrix');
const canRun = existsSync(PYTHON) && existsSync(tenx) && spawnSync(PYTHON, ['-c', 'import h5py']).status === 0;
if (!canRun && process.env.CI) throw new Error('the fuzz corpus needs /usr/bin/python3 with h5py and ../shared/data/10x in CI');

/** Seconds a case may take to open (and inspect), and to analyse, on a busy 2-core machine. */
const OPEN_LIMIT_MS = 15_000;
const ANALYZE_LIMIT_MS = 60_000;
/** Peak resident memory of the whole run (all cases, V8 heap capped at 1 GB; wasm heaps on top). */
const RSS_LIMIT_MB = 1500;

const dir = mkdtempSync(join(tmpdir(), 'scweb-fuzz-'));
const cases: FuzzCase[] = canRun
  ? (JSON.parse(spawnSync(PYTHON, [join(__dirname, 'fuzz/make_variants.py'), demo, tenx, mtx, join(dir, 'cases')], { encoding: 'utf8', maxBuffer: 1 << 24 }).stdout) as FuzzCase[])
  : [];
const results = new Map<string, CaseResult>();
let stderr = '';
let lastStarted = '';

beforeAll(async () => {
  if (!canRun) return;
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, JSON.stringify(cases));
  const child = spawn(process.execPath, ['--max-old-space-size=1024', '--import', 'tsx', join(__dirname, 'fuzz/run-cases.ts'), manifest], { cwd: join(__dirname, '..') });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 230_000);
  await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  for (const line of out.split('\n').filter(Boolean)) {
    const r = JSON.parse(line) as CaseResult | { start: string };
    if ('start' in r) lastStarted = r.start;
    else results.set(r.name, r);
  }
  const worst = [...results.values()].reduce((a, r) => Math.max(a, r.open.ms + r.inspect.ms + (r.analyze?.ms ?? 0)), 0);
  console.log(`fuzz: ${results.size} cases, peak RSS ${Math.max(...[...results.values()].map((r) => r.maxRssMB)).toFixed(0)} MB, slowest case ${(worst / 1000).toFixed(1)} s`);
}, 240_000);

/** The name a message must start with: the file itself, or matrix.mtx[.gz] for a folder. */
function fileNameOf(c: FuzzCase): string {
  const p = c.paths[0];
  return statSync(p).isDirectory() ? (readdirSync(p).find((f) => /\.mtx(\.gz)?$/.test(f)) ?? 'matrix.mtx') : basename(p);
}

/** Reading errors have a specific code; analysis refusals on degenerate data are plain, but named too. */
function expectClearError(c: FuzzCase, o: { code?: string; message?: string; stage?: string }): void {
  if (o.stage !== 'analyze') expect(o.code, `${c.name}: ${o.message}`).not.toBe('internal');
  // A folder's error names the file of it that is at fault (matrix.mtx.gz, barcodes.tsv.gz, ...),
  // behind its folder where the dataset is named so (sampleC/matrix.mtx.gz).
  const p = c.paths[0];
  const names = statSync(p).isDirectory() ? [fileNameOf(c), ...readdirSync(p)] : [fileNameOf(c)];
  const named = o.message?.match(/^(.+?): /)?.[1] ?? '';
  expect(names.some((n) => named === n || named.endsWith(`/${n}`)), `${c.name}: message must name the file: ${o.message}`).toBe(true);
  expect(o.message).not.toMatch(/HDF5-DIAG|name not defined|Memory allocation of|Invalid typed array length/);
}

describe.skipIf(!canRun)('fuzz corpus: malformed files end in a clear error or a sane result', () => {
  it('ran every case without a hang or a crash, within the memory bound and without HDF5-DIAG on stderr', () => {
    const runnable = cases.filter((c) => !c.knownHang);
    expect(runnable.length).toBeGreaterThan(50);
    expect([...results.keys()], `stopped in "${lastStarted}"; stderr: ${stderr.slice(-2000)}`).toEqual(runnable.map((c) => c.name));
    expect(stderr).not.toContain('HDF5-DIAG');
    for (const r of results.values()) expect(r.maxRssMB, r.name).toBeLessThan(RSS_LIMIT_MB);
    // One known hang lives inside the HDF5 library (see make_variants.py); it must stay the only one.
    expect(cases.filter((c) => c.knownHang).map((c) => c.name)).toEqual(['global-heap-record-zeroed']);
  });

  // No JavaScript runs again on a thread that HDF5 loops in, so these cases run through the real
  // `scweb` binary, whose supervisor ends the command (src/cli/supervise.ts); --h5-timeout 3 keeps it short.
  it.each(cases.filter((c) => c.knownHang).map((c) => [c.name, c] as const))('%s: the CLI ends with the watchdog\'s message, no output left', (_name, c) => {
    const file = basename(c.paths[0]);
    const outDir = mkdtempSync(join(tmpdir(), 'scweb-hang-'));
    for (const args of [['inspect', c.paths[0]], ['analyze', c.paths[0], '--out', join(outDir, 'out.h5ad'), '--backend', 'cpu', '--threads', '2']]) {
      const r = spawnSync(process.execPath, [BIN, ...args, '--h5-timeout', '3'], { encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL' });
      expect(r.signal, `${args[0]} was killed by the test's own time limit: the watchdog did not end it`).toBeNull();
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`scweb: error: HDF5 stopped responding while reading ${file} at /`);
      expect(r.stderr).toContain('the file is damaged');
    }
    expect(readdirSync(outDir)).toEqual([]);
  }, 200_000);

  it.each(cases.filter((c) => !c.knownHang).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = results.get(c.name);
    expect(r, `no result for ${c.name}`).toBeDefined();
    if (!r) return;
    expect(r.open.ms + r.inspect.ms).toBeLessThan(OPEN_LIMIT_MS);
    if (r.analyze) expect(r.analyze.ms).toBeLessThan(ANALYZE_LIMIT_MS);
    // `scweb inspect` agrees with the worker's open path, and ends in one line when it fails.
    expect(r.inspect.exit).toBe(r.open.ok ? 0 : 1);
    if (!r.open.ok) {
      expect(r.inspect.message).toBe(`scweb: error: ${r.open.message}`);
      expectClearError(c, r.open);
    }
    const failed = !r.open.ok ? { ...r.open, stage: 'open' } : r.analyze && !r.analyze.ok ? { ...r.analyze, stage: 'analyze' } : null;
    if (c.expect === 'error') {
      expect(failed, `${c.name} must fail`).not.toBeNull();
      if (!failed) return;
      if (c.stage !== 'any') expect(failed.stage).toBe(c.stage);
      if (c.code) expect(failed.code).toBe(c.code);
      expectClearError(c, failed);
      for (const f of c.fragments) expect(failed.message).toContain(f);
    } else if (c.expect === 'ok') {
      expect(r.open.ok, r.open.message).toBe(true);
      if (c.analyze === 'ok') expect(r.analyze?.ok, r.analyze?.message).toBe(true);
      if (c.analyze === 'error') expect(r.analyze?.ok).toBe(false);
    } else if (!r.open.ok) expectClearError(c, r.open);
    // Whatever ran to the end passed the sanity checks; whatever failed said why.
    if (r.analyze?.ok) expect(r.analyze.sane ?? null).toBeNull();
    if (r.analyze && !r.analyze.ok) expectClearError(c, { ...r.analyze, stage: 'analyze' });
  });
});
