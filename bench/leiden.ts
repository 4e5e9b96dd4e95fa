// Leiden on the pipeline's own graph, this tree's leiden() against another revision's (default main)
// in the same process, alternated, several rounds. The graph is the default pipeline's (CPU, a pool
// of 2 for the steps before) on the clustered synthetic counts (bench/synthetic.ts --types), built
// once and kept in bench/out/leiden_graph_<cells>_k<types>.bin. The other revision's leiden.ts is
// taken with `git show` into bench/out. Each run prints wall ms, CPU ms (process.cpuUsage: main
// thread + GC) and the 1-minute load average before it; labels, passes and quality must be
// identical bit for bit (exit code 1 otherwise).
// Run: node --import tsx bench/leiden.ts [--cells 30000] [--types 20] [--rounds 5] [--ref main]
// (--ref de0ba85: main before the typed-array rewrite, the figures in bench/RESULTS.md.)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { SparseGraph } from '../src/analysis/connectivities.ts';
import { leiden } from '../src/analysis/leiden.ts';
import { DEFAULT_PARAMS, Pipeline } from '../src/analysis/pipeline.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { openPaths } from '../src/io/node.ts';
import { ensureSynthetic } from './synthetic.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const nCells = Number(arg('cells', '30000'));
const types = Number(arg('types', '20'));
const rounds = Number(arg('rounds', '5'));
const ref = arg('ref', 'main');
const out = join(import.meta.dirname, 'out');
const load = () => loadavg()[0].toFixed(2);

type Leiden = typeof leiden;

/** The pipeline's graph: run it with a signal aborted once the neighbours are done, then read its cache. */
async function pipelineGraph(): Promise<SparseGraph> {
  const file = join(out, `leiden_graph_${nCells}_k${types}.bin`);
  if (existsSync(file)) {
    const b = readFileSync(file);
    const head = new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + 8));
    const [n, nnz] = head;
    let o = b.byteOffset + 8;
    const take = (bytes: number) => b.buffer.slice(o, (o += bytes));
    return { n, indptr: new Int32Array(take(4 * (n + 1))), indices: new Int32Array(take(4 * nnz)), data: new Float32Array(take(4 * nnz)) };
  }
  const h5ad = join(out, `synthetic_${nCells}x20000${types ? `_k${types}` : ''}.h5ad`);
  await ensureSynthetic(h5ad, { nCells, nGenes: 20000, genesPerCell: 1000, seed: 42, ...(types ? { types } : {}) });
  const ds = await openPaths([h5ad]);
  const pipeline = new Pipeline(ds);
  const stop = new AbortController();
  const pool = nodePool(2);
  try {
    await pipeline.run({ ...DEFAULT_PARAMS, device: 'cpu' }, { pool, signal: stop.signal, onStep: (e) => e.step === 'neighbors' && e.state === 'done' && stop.abort() });
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    pool?.terminate();
    ds.close();
  }
  const cache = (pipeline as unknown as { cache: Map<string, { value: { graph: SparseGraph } }[]> }).cache;
  const g = cache.get('neighbors')![0].value.graph;
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(file, Buffer.concat([bytes(Int32Array.of(g.n, g.indptr[g.n])), bytes(g.indptr), bytes(g.indices), bytes(g.data)]));
  return g;
}

/** leiden() as it is at `ref`, imports pointed back at this tree's modules. */
async function leidenAt(rev: string): Promise<Leiden> {
  const src = execFileSync('git', ['show', `${rev}:src/analysis/leiden.ts`], { cwd: import.meta.dirname, encoding: 'utf8' });
  const file = join(out, `leiden-${rev.replace(/[^\w.-]/g, '_')}.ts`);
  writeFileSync(file, src.replace(/from '\.\.\//g, "from '../../src/").replace(/from '\.\//g, "from '../../src/analysis/"));
  return ((await import(file)) as { leiden: Leiden }).leiden;
}

const g = await pipelineGraph();
const before = await leidenAt(ref);
console.log(`graph: ${g.n.toLocaleString('en-US')} cells, ${g.indptr[g.n].toLocaleString('en-US')} stored edges; ${ref} vs this tree, ${rounds} rounds alternated`);
const runs: Record<'before' | 'after', { wall: number[]; cpu: number[]; loads: string[] }> = { before: { wall: [], cpu: [], loads: [] }, after: { wall: [], cpu: [], loads: [] } };
const results: Partial<Record<'before' | 'after', Awaited<ReturnType<Leiden>>>> = {};
let same = true;
for (let r = 0; r < rounds; r++) {
  for (const which of r % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
    const f = which === 'before' ? before : leiden;
    runs[which].loads.push(load());
    const c = process.cpuUsage();
    const t = performance.now();
    const res = await f(g, { ...DEFAULT_PARAMS.leiden });
    runs[which].wall.push(performance.now() - t);
    const used = process.cpuUsage(c);
    runs[which].cpu.push((used.user + used.system) / 1000);
    const prev = results[which];
    results[which] = res;
    if (prev && !Buffer.from(prev.labels.buffer).equals(Buffer.from(res.labels.buffer))) same = false;
  }
}
const a = results.before!;
const b = results.after!;
same &&= Buffer.from(a.labels.buffer).equals(Buffer.from(b.labels.buffer)) && a.passes === b.passes && Object.is(a.quality, b.quality) && a.nClusters === b.nClusters;
const med = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
const fmt = (x: number[]) => `${Math.min(...x).toFixed(0)} / ${med(x).toFixed(0)}`;
console.log(`${a.nClusters} clusters, ${a.passes} passes, quality ${a.quality}; labels, passes and quality ${same ? 'identical' : 'DIFFERENT'}`);
console.log(`\n| cells | ${ref} wall ms (best / median) | this tree wall ms | speed-up (medians) | ${ref} CPU ms | this tree CPU ms | load average before each run (${ref}; this tree) |\n|---|---|---|---|---|---|---|`);
console.log(`| ${g.n.toLocaleString('en-US')} | ${fmt(runs.before.wall)} | ${fmt(runs.after.wall)} | ${(med(runs.before.wall) / med(runs.after.wall)).toFixed(2)}x | ${fmt(runs.before.cpu)} | ${fmt(runs.after.cpu)} | ${runs.before.loads.join(', ')}; ${runs.after.loads.join(', ')} |`);
if (!same) process.exitCode = 1;
