// The pipeline's once-serial parts on the pipeline's own inputs at --cells (synthetic counts, as
// bench/pipeline.ts): PCA (covariance, Lanczos, scores), the markers' statistics over every gene
// (gene-major columns + ranks), and, for the record, the parts that stay serial (UMAP's plan, the
// fuzzy simplicial set, Leiden). One thread (inline) and a pool of N, alternated, best of
// --rounds; CPU ms counts every thread of the process. The pooled results are checked bit for bit
// against one thread. The load average is printed with each row: on a shared box it bounds the ratio.
// Run: node --import tsx bench/serial-parts.ts [--cells 30000] [--threads 2] [--rounds 2]
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fuzzyConnectivities } from '../src/analysis/connectivities.ts';
import { logNormMatrix } from '../src/analysis/expression.ts';
import { leiden } from '../src/analysis/leiden.ts';
import { markerStatsAsync, type MarkerStats } from '../src/analysis/markers.ts';
import { pcaCsr, type PcaResult } from '../src/analysis/pca.ts';
import { DEFAULT_PARAMS, Pipeline } from '../src/analysis/pipeline.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { scaleCsrInPlace } from '../src/analysis/scale.ts';
import { planUmap } from '../src/analysis/umap.ts';
import { openPaths } from '../src/io/node.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { ensureSynthetic } from './synthetic.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const nCells = Number(arg('cells', '30000'));
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '2'));
const file = join(import.meta.dirname, 'out', `synthetic_${nCells}x20000.h5ad`);
await ensureSynthetic(file, { nCells, nGenes: 20000, genesPerCell: 1000, seed: 42 });
const ds = await openPaths([file]);
const key = ds.matrices[0].key;
const load = () => loadavg()[0].toFixed(2);

// The pipeline's inputs to each part: one inline run, then its HVG matrix and all genes rebuilt.
const res = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, device: 'cpu' });
const totals = res.qc.total_counts;
const hvgMatrix = async () => {
  const m = await logNormMatrix(ds, key, res.keep, totals, res.hvg.genes);
  scaleCsrInPlace(m, DEFAULT_PARAMS.scale.maxValue);
  return m;
};
const hvg = await hvgMatrix();
const allGenes = await logNormMatrix(ds, key, res.keep, totals, Int32Array.from({ length: ds.nVars }, (_, g) => g));
const labels = Int32Array.from(res.leiden.filter((l) => l >= 0));
const coords = res.pca.scores;
console.log(`${res.nKept.toLocaleString('en-US')} cells, HVG matrix ${hvg.nRows} x ${hvg.nCols} (${hvg.data.length.toLocaleString('en-US')} values), all genes ${allGenes.data.length.toLocaleString('en-US')} values, ${res.nClusters} clusters; pool of ${threads}`);

const pool = nodePool(threads);
// Warm the workers (the pipeline's pool is warm by the time these parts run).
await pcaCsr(hvg, 5, { pool, poolMinValues: 0, poolMinDims: 0 });

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
async function time<T>(name: string, f: (pool: WorkerPool | null) => Promise<T>, same?: (a: T, b: T) => boolean): Promise<void> {
  const best = [Infinity, Infinity, Infinity, Infinity];
  const out: T[] = [];
  const loads: string[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
      loads.push(load());
      const c = process.cpuUsage();
      const t = performance.now();
      out[k] = await f(k === 0 ? null : pool);
      best[k] = Math.min(best[k], performance.now() - t);
      const used = process.cpuUsage(c);
      best[k + 2] = Math.min(best[k + 2], (used.user + used.system) / 1000);
    }
  }
  const check = same ? (same(out[0], out[1]) ? 'identical' : 'DIFFERENT') : '';
  if (check === 'DIFFERENT') process.exitCode = 1;
  console.log(`| ${name} | ${best[0].toFixed(0)} | ${best[1].toFixed(0)} | ${(best[0] / best[1]).toFixed(2)}x | ${best[2].toFixed(0)} | ${best[3].toFixed(0)} | ${check} | ${loads.join(', ')} |`);
}

console.log(`\n| part | 1 thread (ms) | ${threads} threads (ms) | speed-up | CPU ms, 1 thread | CPU ms, ${threads} threads | bits | load average before each run |\n|---|---|---|---|---|---|---|---|`);
await time('pca (covariance, Lanczos, scores)', (p) => pcaCsr(hvg, 50, { pool: p }), (a: PcaResult, b: PcaResult) => bytes(a.scores).equals(bytes(b.scores)) && bytes(a.components).equals(bytes(b.components)));
const keys = ['scores', 'pvals', 'logFoldChanges', 'pctIn', 'pctOut'] as const;
await time('markers statistics, Wilcoxon, all genes', (p) => markerStatsAsync('wilcoxon', allGenes, labels, res.nClusters, { pool: p }), (a: MarkerStats, b: MarkerStats) => keys.every((k) => a[k].every((x, g) => bytes(x).equals(bytes(b[k][g])))));
await time('fuzzy simplicial set (one thread)', async () => fuzzyConnectivities(res.neighbors.knn, res.nKept));
await time('planUmap: a, b, epochs per sample, PCA init (one thread)', () => planUmap(res.neighbors.graph, coords, res.pca.nComps, { ...DEFAULT_PARAMS.umap }));
await time('leiden (one thread)', () => leiden(res.neighbors.graph, { ...DEFAULT_PARAMS.leiden }), (a, b) => bytes(a.labels).equals(bytes(b.labels)));
console.log(`load average at end ${load()}`);
pool?.terminate();
ds.close();
