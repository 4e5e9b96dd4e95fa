// UMAP's starting layout, spectral (scanpy's default) against PCA, on the clustered synthetic counts
// (bench/synthetic.ts, --types K cell types): the default pipeline once (init 'pca'), then on its
// graph the plan with each init (time of planUmap: the spectral start's cost is the difference) and
// the layout from each, with sklearn's trustworthiness (k 15, 5,000 cells, in the PCA space:
// bench/umap_learn.py trust) and ours (metrics.ts trustworthinessSampled) of both.
// Last, umap-learn's spectral_layout timed on the same graph (bench/umap_spectral_time.py).
// --umap-learn: also umap-learn's epochs from each of our starts on our graph (bench/umap_learn.py).
// Run: node --import tsx bench/umap-init.ts [--cells 30000] [--types 20] [--threads 1] [--no-layout] [--umap-learn]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { trustworthinessSampled } from '../src/analysis/metrics.ts';
import { DEFAULT_PARAMS, Pipeline } from '../src/analysis/pipeline.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { cutGraph, planUmap, umapCpu } from '../src/analysis/umap.ts';
import { connectedComponents, spectralLayout } from '../src/analysis/umap-spectral.ts';
import type { SparseGraph } from '../src/analysis/connectivities.ts';

/** The graph planUmap lays out: weights under max / n_epochs removed. */
function prunedGraph(g: SparseGraph, nEpochs: number): SparseGraph {
  let max = 0;
  for (const w of g.data) max = Math.max(max, w);
  return cutGraph(g, max / nEpochs);
}

function absCorr(a: Float64Array, b: Float64Array, c: number): number {
  const n = a.length / 2;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[2 * i + c] / n;
    mb += b[2 * i + c] / n;
  }
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[2 * i + c] - ma, y = b[2 * i + c] - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return Math.abs(ab / Math.sqrt(aa * bb));
}
import { openPaths } from '../src/io/node.ts';
import { ensureSynthetic } from './synthetic.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const nCells = Number(arg('cells', '30000'));
const types = Number(arg('types', '20'));
const threads = Number(arg('threads', '1'));
const layout = !process.argv.includes('--no-layout');
const withUmapLearn = process.argv.includes('--umap-learn');
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const file = join(import.meta.dirname, 'out', `synthetic_${nCells}x20000${types ? `_k${types}` : ''}.h5ad`);
await ensureSynthetic(file, { nCells, nGenes: 20000, genesPerCell: 1000, seed: 42, ...(types ? { types } : {}) });
const ds = await openPaths([file]);
const pool = nodePool(threads);
console.log(`load average ${load()} at start`);
const t0 = performance.now();
// Leiden and markers do not matter here; the pipeline runs them all the same.
const r = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, device: 'cpu', umap: { ...DEFAULT_PARAMS.umap, init: 'pca' } }, { pool });
console.log(`pipeline (init pca) ${((performance.now() - t0) / 1000).toFixed(1)} s; umap step ${((r.timings.umap ?? 0) / 1000).toFixed(1)} s; ${r.nKept} cells; neighbours ${r.neighbors.method}`);
const x = r.pca.scores;
const dim = r.pca.nComps;
const out = join(import.meta.dirname, 'out', 'umap-init');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'meta.json'), JSON.stringify({ n: r.nKept, dim }));
writeFileSync(join(out, 'x.bin'), x);
// The graph umap-learn would lay out, for bench/umap_spectral_time.py (umap-learn's spectral_layout on it).
const g = r.neighbors.graph;
writeFileSync(join(out, 'graph.json'), JSON.stringify({ n: g.n, nnz: g.indices.length }));
writeFileSync(join(out, 'indptr.bin'), g.indptr);
writeFileSync(join(out, 'indices.bin'), g.indices);
writeFileSync(join(out, 'data.bin'), g.data);
const rows: string[] = [];
for (const init of ['pca', 'spectral'] as const) {
  const tp = performance.now();
  let lastMessage = '';
  const plan = await planUmap(r.neighbors.graph, x, dim, { ...DEFAULT_PARAMS.umap, init, pool, onProgress: (_f, m) => (lastMessage = m) });
  const planS = (performance.now() - tp) / 1000;
  if (init === 'spectral') {
    console.log(`components ${connectedComponents(r.neighbors.graph).count}; last Lanczos message: ${lastMessage}`);
    // A looser Lanczos tolerance: its time, and how far its layout is from the default's.
    const pruned = prunedGraph(r.neighbors.graph, plan.nEpochs);
    const ref = (await spectralLayout(pruned, x, dim, { pool }))!;
    for (const tol of [1e-4, 1e-5]) {
      let msg = '';
      const t = performance.now();
      const l = await spectralLayout(pruned, x, dim, { pool, tol, onProgress: (_f, m) => (msg = m) });
      const s = (performance.now() - t) / 1000;
      console.log(`tol ${tol}: ${s.toFixed(2)} s (${msg}); |corr| with the default: ${l ? [0, 1].map((c) => absCorr(l, ref, c).toFixed(6)).join(', ') : 'did not converge'}`);
    }
  }
  let trustSk = NaN, trustOurs = NaN, layoutS = NaN;
  if (layout) {
    const tl = performance.now();
    const coords = await umapCpu(plan, { pool });
    layoutS = (performance.now() - tl) / 1000;
    writeFileSync(join(out, `${init}.bin`), coords);
    trustSk = (JSON.parse(execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'umap_learn.py'), out, 'trust', init], { encoding: 'utf8' })) as Record<string, number>)[init];
    trustOurs = trustworthinessSampled(x, dim, coords, 2, r.nKept, 15, 5000, 0);
    if (withUmapLearn) {
      // umap-learn's epochs (optimize_layout_euclidean, bench/umap_learn.py layout) from the same
      // start on the same graph: what is left of the gap is in the epochs, not the start or graph.
      writeFileSync(join(out, 'meta.json'), JSON.stringify({ n: r.nKept, dim, nEpochs: plan.nEpochs, a: plan.a, b: plan.b }));
      writeFileSync(join(out, 'graph_indptr.bin'), r.neighbors.graph.indptr);
      writeFileSync(join(out, 'graph_indices.bin'), r.neighbors.graph.indices);
      writeFileSync(join(out, 'graph_data.bin'), r.neighbors.graph.data);
      writeFileSync(join(out, 'init.bin'), plan.init);
      const one = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', NUMBA_NUM_THREADS: '1' };
      const res = execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'umap_learn.py'), out, 'layout', '--threads', String(threads)], { encoding: 'utf8', env: one }).trim();
      const tl = (JSON.parse(execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'umap_learn.py'), out, 'trust', 'umap_learn'], { encoding: 'utf8' })) as Record<string, number>).umap_learn;
      console.log(`umap-learn's epochs from our ${init} start on our graph: trustworthiness (sklearn) ${tl.toFixed(4)}; ${res}`);
    }
  }
  rows.push(`| ${init} (${plan.initMethod}) | ${planS.toFixed(2)} | ${layoutS.toFixed(1)} | ${trustSk.toFixed(4)} | ${trustOurs.toFixed(4)} |`);
  console.log(rows.at(-1));
}
pool?.terminate();
ds.close();
// umap-learn's spectral_layout on the same graph, one thread (the Python side's threads pinned).
const one = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), NUMBA_NUM_THREADS: String(threads) };
console.log(`umap-learn spectral_layout: ${execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'umap_spectral_time.py'), out], { encoding: 'utf8', env: one }).trim()}`);
console.log(`\n${nCells.toLocaleString('en-US')} cells, ${types} types, ${threads} thread(s), load average ${load()} at end\n`);
console.log('| init | planUmap s | epochs s | trustworthiness (sklearn, k 15, 5,000 cells) | trustworthinessSampled (ours) |\n|---|---|---|---|---|');
console.log(rows.join('\n'));
