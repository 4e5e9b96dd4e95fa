// The default pipeline (CPU, Node) on synthetic cells with 1 thread (inline) and with a pool of N
// worker_threads, alternated in the same process (best of --rounds); time per step, the ratio, and
// a check that the results are the same bits. The load average is printed: on a shared box it
// bounds the ratio.
// Run: node --import tsx bench/pool.ts [--cells 100000] [--threads 2] [--rounds 1]
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PARAMS, Pipeline, STEPS, type PipelineResult } from '../src/analysis/pipeline.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { openPaths } from '../src/io/node.ts';
import { ensureSynthetic } from './synthetic.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const nCells = Number(arg('cells', '100000'));
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '1'));
const file = join(import.meta.dirname, 'out', `synthetic_${nCells}x20000.h5ad`);
await ensureSynthetic(file, { nCells, nGenes: 20000, genesPerCell: 1000, seed: 42 });
const ds = await openPaths([file]);
const pool = nodePool(threads);
const load = () => loadavg()[0].toFixed(2);
console.log(`${nCells.toLocaleString('en-US')} cells, ${availableParallelism()} cores, pool of ${threads}; load average at start ${load()}`);

const times: Record<string, number[][]> = { 1: [], [threads]: [] };
let first: PipelineResult | null = null;
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so a load swing does not always favour the same side.
  for (const t of r % 2 === 0 ? [1, threads] : [threads, 1]) {
    const res = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, device: 'cpu' }, { pool: t > 1 ? pool : null });
    times[t].push(STEPS.map((s) => res.timings[s] ?? 0));
    console.log(`  round ${r + 1}, ${t} thread(s): ${STEPS.map((s) => `${s} ${((res.timings[s] ?? 0) / 1000).toFixed(1)}`).join(', ')} s; load ${load()}; neighbours ${res.neighbors.method}`);
    if (!first) first = res;
    else {
      const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      const ok = same(res.pca.scores, first.pca.scores) && same(res.neighbors.knn.indices, first.neighbors.knn.indices) && same(res.umap, first.umap) && res.markers.every((m, g) => same(m.scores, first!.markers[g].scores));
      if (!ok) throw new Error(`${t} thread(s) gave different results from the first run`);
    }
  }
}
const best = (t: number, i: number) => Math.min(...times[t].map((row) => row[i]));
console.log(`\n| step | 1 thread (s) | ${threads} threads (s) | speed-up |\n|---|---|---|---|`);
STEPS.forEach((s, i) => console.log(`| ${s} | ${(best(1, i) / 1000).toFixed(1)} | ${(best(threads, i) / 1000).toFixed(1)} | ${(best(1, i) / best(threads, i)).toFixed(2)}x |`));
const sum = (t: number) => STEPS.reduce((acc, _, i) => acc + best(t, i), 0);
console.log(`| total | ${(sum(1) / 1000).toFixed(1)} | ${(sum(threads) / 1000).toFixed(1)} | ${(sum(1) / sum(threads)).toFixed(2)}x |`);
console.log(`results identical across thread counts; load average at end ${load()}`);
pool?.terminate();
ds.close();
