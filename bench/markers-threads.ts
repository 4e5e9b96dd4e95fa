// The pipeline's markers step (datasetMarkers: the log-normalised matrix over every gene, the
// statistics on the pool, the ordering and BH adjustment) on one thread and on a pool of
// --threads, alternated, --rounds each, by phase: wall ms and the main thread's busy ms (event
// loop utilisation: what the pool cannot overlap), plus CPU ms of every thread of the process and
// the load average before each run. Prints an md5 of the whole result per configuration, so two
// builds (and 1 vs N threads) can be compared bit for bit.
// Run: node --import tsx bench/markers-threads.ts [--file bench/out/synthetic_30000x20000_k20.h5ad] [--threads 2] [--rounds 3] [--shared 1]
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { logNormMatrix } from '../src/analysis/expression.ts';
import * as markers from '../src/analysis/markers.ts';
import type { GroupMarkers, MarkerStats } from '../src/analysis/markers.ts';
import { datasetMarkers } from '../src/analysis/markers-stream.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { qcMetrics } from '../src/analysis/qc.ts';
import { openPaths } from '../src/io/node.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const file = arg('file', 'bench/out/synthetic_30000x20000_k20.h5ad');
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '3'));
const shared = arg('shared', '1') !== '0';

const ds = await openPaths([file]);
const key = ds.matrices[0].key;
const pool = nodePool(threads, shared);
const genes = ds.varNamesOf(key);
const totals = (await qcMetrics(ds, key, genes, { pool })).total_counts;
const col = ds.obs.columns.find((c) => c.name === 'cell_type');
if (col?.kind !== 'categorical') throw new Error(`${file}: no categorical obs/cell_type to group by`);
const codes = col.codes;
const groups = col.categories;
// finalizeMarkersAsync where this build has it (so the same script times an older build too).
const finalize = (markers as Partial<typeof markers>).finalizeMarkersAsync ?? ((g: string[], st: MarkerStats) => markers.finalizeMarkers(g, st));
const all = Int32Array.from({ length: genes.length }, (_, g) => g);
console.log(`${file}: ${ds.nObs} cells x ${genes.length} genes, ${groups.length} groups; pool of ${threads} (${shared ? 'shared' : 'copied'} memory)`);

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function digest(res: GroupMarkers[]): string {
  const h = createHash('md5');
  for (const r of res) for (const a of [r.order, r.scores, r.pvals, r.pvalsAdj, r.logFoldChanges, r.pctIn, r.pctOut]) h.update(bytes(a));
  return h.digest('hex').slice(0, 12);
}

/** Wall and main-thread busy ms of f. */
async function phase<T>(f: () => Promise<T> | T): Promise<{ out: T; wall: number; busy: number }> {
  const e = performance.eventLoopUtilization();
  const t = performance.now();
  const out = await f();
  const d = performance.eventLoopUtilization(e);
  return { out, wall: performance.now() - t, busy: d.active };
}

interface Run {
  wall: number;
  cpu: number;
  load: number;
  phases: Record<string, { wall: number; busy: number }>;
  md5: string;
}

async function once(p: WorkerPool | null): Promise<Run> {
  const load = loadavg()[0];
  const c = process.cpuUsage();
  const t = performance.now();
  // The phases as datasetMarkers runs them (one gene block at this size) ...
  const ln = await phase(() => logNormMatrix(ds, key, null, totals, all, { pool: p, shared: true }));
  const st = await phase(() => markers.markerStatsAsync('wilcoxon', ln.out, codes, groups.length, { pool: p }));
  const fin = await phase(() => finalize(groups, st.out, { pool: p }));
  const wall = performance.now() - t;
  const used = process.cpuUsage(c);
  // ... and the step itself, whose result must be the same bits.
  const step = await phase(() => datasetMarkers({ ds, countsKey: key, keep: null, totals, codes, groups, method: 'wilcoxon' }, { pool: p }));
  const md5 = digest(fin.out);
  if (digest(step.out) !== md5) throw new Error('datasetMarkers differs from its phases run one by one');
  return { wall, cpu: (used.user + used.system) / 1000, load, phases: { lognorm: ln, stats: st, finalize: fin, step }, md5 };
}

await once(pool); // warm the workers and the JIT
const runs: Run[][] = [[], []];
for (let r = 0; r < rounds; r++) for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) runs[k].push(await once(k === 0 ? null : pool));
const median = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];
console.log('| threads | phases wall ms (lognorm / stats / finalize) | main busy ms (lognorm / stats / finalize) | phases wall: median, best (runs) | CPU ms | datasetMarkers wall: median, best | load avg | md5 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const k of [0, 1]) {
  const rs = runs[k];
  const ph = (n: string, f: 'wall' | 'busy') => median(rs.map((r) => r.phases[n][f])).toFixed(0);
  const md5s = [...new Set(rs.map((r) => r.md5))].join(',');
  console.log(`| ${k === 0 ? 1 : threads} | ${ph('lognorm', 'wall')} / ${ph('stats', 'wall')} / ${ph('finalize', 'wall')} | ${ph('lognorm', 'busy')} / ${ph('stats', 'busy')} / ${ph('finalize', 'busy')} | ${median(rs.map((r) => r.wall)).toFixed(0)}, ${Math.min(...rs.map((r) => r.wall)).toFixed(0)} (${rs.map((r) => r.wall.toFixed(0)).join(', ')}) | ${median(rs.map((r) => r.cpu)).toFixed(0)} | ${ph('step', 'wall')}, ${Math.min(...rs.map((r) => r.phases.step.wall)).toFixed(0)} | ${rs.map((r) => r.load.toFixed(2)).join(', ')} | ${md5s} |`);
}
// Medians and, on a busy shared machine, the best runs (the least disturbed).
const w = (k: number, f: (x: number[]) => number, step: boolean) => f(runs[k].map((r) => (step ? r.phases.step.wall : r.wall)));
const best = (x: number[]) => Math.min(...x);
const ratio = (f: (x: number[]) => number, step: boolean) => (w(0, f, step) / w(1, f, step)).toFixed(2);
console.log(`1 thread / ${threads} threads: median ${ratio(median, false)}x, best ${ratio(best, false)}x (phases); median ${ratio(median, true)}x, best ${ratio(best, true)}x (datasetMarkers); bits ${runs[0][0].md5 === runs[1][0].md5 ? 'identical' : 'DIFFERENT'}`);
pool?.terminate();
ds.close();
