// What starting the pool costs the first pooled step: QC's pass over the counts (the first pass of
// an analysis) on a fresh pool, the same pass again on the now warm pool, and one thread inline, for
// workers that load the sources through tsx (SCWEB_POOL_BUNDLE=0) and workers that start from the
// esbuild bundle (src/parallel/node-worker-bundle.ts). Each measurement runs in its own process,
// the two kinds alternated; wall and CPU seconds (all threads). CPU seconds are the steadier
// figure on a shared machine.
// Run: node --import tsx bench/pool-start.ts [--cells 30000] [--threads 2] [--rounds 3]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodePool } from '../src/analysis/pool-node.ts';
import { qcMetrics } from '../src/analysis/qc.ts';
import { openPaths } from '../src/io/node.ts';
import { ensureSynthetic } from './synthetic.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const nCells = Number(arg('cells', '30000'));
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '3'));
const file = join(import.meta.dirname, 'out', `synthetic_${nCells}x20000_k20.h5ad`);

if (process.argv.includes('--child')) {
  const ds = await openPaths([file]);
  const genes = ds.varNamesOf(ds.countsKey!);
  const time = async (threadsHere: number, pool: ReturnType<typeof nodePool>) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await qcMetrics(ds, ds.countsKey!, genes, { pool });
    const c = process.cpuUsage(c0);
    return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, threads: threadsHere };
  };
  const inline = await time(1, null);
  const pool = nodePool(threads);
  const cold = await time(threads, pool);
  const warm = await time(threads, pool);
  pool?.terminate();
  ds.close();
  console.log(JSON.stringify({ inline, cold, warm }));
} else {
  await ensureSynthetic(file, { nCells, nGenes: 20000, genesPerCell: 1000, seed: 42, types: 20 });
  const rows: Record<string, { wall: number; cpu: number }[]> = {};
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < rounds; r++) {
    for (const mode of ['tsx', 'bundle']) {
      const out = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', '--cells', String(nCells), '--threads', String(threads)], {
        env: { ...process.env, SCWEB_POOL_BUNDLE: mode === 'tsx' ? '0' : '1' },
        encoding: 'utf8',
      });
      if (out.status !== 0) throw new Error(out.stderr);
      const res = JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<string, { wall: number; cpu: number }>;
      for (const [k, v] of Object.entries(res)) (rows[`${mode} ${k}`] ??= []).push(v);
    }
  }
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  console.log(`QC pass over ${nCells.toLocaleString('en-US')} cells, pool of ${threads}, median of ${rounds} (load ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  console.log('| workers start from | pass | wall (s) | CPU (s) |\n|---|---|---:|---:|');
  for (const mode of ['tsx', 'bundle']) {
    for (const k of ['inline', 'cold', 'warm']) {
      const v = rows[`${mode} ${k}`];
      console.log(`| ${mode} | ${k === 'inline' ? 'one thread, inline' : k === 'cold' ? 'fresh pool (workers start)' : 'same pool again'} | ${med(v.map((x) => x.wall)).toFixed(2)} | ${med(v.map((x) => x.cpu)).toFixed(2)} |`);
    }
  }
}
