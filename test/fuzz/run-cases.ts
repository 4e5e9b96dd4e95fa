// Runs every case of a fuzz manifest (make_variants.py) through the three ways a file is used: the
// worker's open path (openMany with an HDF5 runtime, here Node's), `scweb inspect` (the CLI's
// main, so its one-line error handling too) and the analysis pipeline `scweb analyze` runs. Prints
// one JSON line per case; run in a child process so a hang or a blow-up is caught by the parent,
// with the last "start" line saying which case it was.
//
// usage: node --max-old-space-size=N --import tsx test/fuzz/run-cases.ts MANIFEST.json [NAME_FILTER]
import { readFileSync } from 'node:fs';
import { DEFAULT_PARAMS, Pipeline } from '../../src/analysis/pipeline.ts';
import { main } from '../../src/cli/main.ts';
import { DatasetError } from '../../src/io/errors.ts';
import { openInputs } from '../../src/io/node.ts';
import { summarize } from '../../src/io/summary.ts';
import type { Dataset } from '../../src/io/types.ts';

export interface FuzzCase {
  name: string;
  paths: string[];
  expect: 'error' | 'ok' | 'any-clear';
  code: string | null;
  stage: 'open' | 'analyze' | 'any';
  fragments: string[];
  analyze: 'ok' | 'error' | 'any' | null;
  /** A hang inside the HDF5 library itself, out of reach of JavaScript in-process: run through the `scweb` binary (its watchdog) instead. */
  knownHang: string | null;
}

export interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  ms: number;
}

export interface CaseResult {
  name: string;
  open: Outcome;
  inspect: Outcome & { exit: number };
  analyze: (Outcome & { sane?: string | null }) | null;
  /** Peak resident memory of the process so far, and how much this case raised it. */
  maxRssMB: number;
  rssGrowthMB: number;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value?: T; outcome: Outcome }> {
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, outcome: { ok: true, ms: performance.now() - t0 } };
  } catch (err) {
    const code = err instanceof DatasetError ? err.code : 'internal';
    const message = err instanceof Error ? err.message : String(err);
    return { outcome: { ok: false, code, message, ms: performance.now() - t0 } };
  }
}

/** `scweb inspect` through the CLI's own main, with its console output captured. */
async function inspect(paths: string[]): Promise<Outcome & { exit: number }> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = () => {};
  console.error = (...a: unknown[]) => void lines.push(a.join(' '));
  const t0 = performance.now();
  try {
    const exit = await main(['inspect', ...paths]);
    return { ok: exit === 0, exit, message: lines.join('\n') || undefined, ms: performance.now() - t0 };
  } catch (err) {
    // main rethrows only what it does not recognise: an internal failure, reported as such.
    return { ok: false, exit: -1, code: 'internal', message: `uncaught: ${err instanceof Error ? err.stack : String(err)}`, ms: performance.now() - t0 };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** What `scweb analyze` computes (CPU), with the result checked for sanity. */
async function analyze(ds: Dataset): Promise<string | null> {
  const r = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, device: 'cpu' }, { device: null });
  for (let i = 0; i < ds.nObs; i++) {
    if (!r.keep[i]) continue;
    if (!Number.isFinite(r.umap[2 * i]) || !Number.isFinite(r.umap[2 * i + 1])) return `UMAP of cell ${i} is not finite`;
    if (r.leiden[i] < 0 || r.leiden[i] >= r.nClusters) return `cell ${i} has no cluster`;
  }
  for (const v of r.pca.scores) if (!Number.isFinite(v)) return 'PCA scores are not finite';
  if (r.nClusters < 1 || r.nClusters > Math.max(1, r.nKept / 2)) return `${r.nClusters} clusters for ${r.nKept} cells`;
  return null;
}

const maxRssMB = () => process.resourceUsage().maxRSS / 1024;

async function runCase(c: FuzzCase): Promise<CaseResult> {
  const before = maxRssMB();
  let ds: Dataset | undefined;
  const open = await timed(async () => {
    ds = await openInputs(c.paths);
    summarize(ds);
  });
  const insp = await inspect(c.paths);
  let analyzed: CaseResult['analyze'] = null;
  if (ds) {
    const d = ds;
    const a = await timed(() => analyze(d));
    analyzed = { ...a.outcome, sane: a.value ?? null };
  }
  ds?.close();
  return { name: c.name, open: open.outcome, inspect: insp, analyze: analyzed, maxRssMB: maxRssMB(), rssGrowthMB: maxRssMB() - before };
}

const [manifestPath, only] = process.argv.slice(2);
const cases = (JSON.parse(readFileSync(manifestPath, 'utf8')) as FuzzCase[]).filter((c) => !c.knownHang && (!only || c.name.includes(only)));
for (const c of cases) {
  process.stdout.write(`${JSON.stringify({ start: c.name })}\n`);
  process.stdout.write(`${JSON.stringify(await runCase(c))}\n`);
}
process.exit(0);
