// UMAP's starting layout, spectral (scanpy's default) against PCA, on the clustered synthetic counts
// (bench/synthetic.ts, --types K cell types): the default pipeline once (init 'pca'), then on its
// graph the plan with each init (time of planUmap: the spectral start's cost is the difference) and
// the layout from each, with sklearn's trustworthiness (k 15, 5,000 cells, in the PCA space:
// bench/umap_learn.py trust) and ours (metrics.ts trustworthinessSampled) of both.
// Run: node --import tsx bench/umap-init.ts [--cells 30000] [--types 20] [--threads 1] [--no-layout]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { trustworthinessSampled } from '../src/analysis/metrics.ts';
import { DEFAULT_PARAMS, Pipeline } from '../src/analysis/pipeline.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { planUmap, umapCpu } from '../src/analysis/umap.ts';
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
const rows: string[] = [];
for (const init of ['pca', 'spectral'] as const) {
  const tp = performance.now();
  const plan = await planUmap(r.neighbors.graph, x, dim, { ...DEFAULT_PARAMS.umap, init, pool });
  const planS = (performance.now() - tp) / 1000;
  let trustSk = NaN, trustOurs = NaN, layoutS = NaN;
  if (layout) {
    const tl = performance.now();
    const coords = await umapCpu(plan, { pool });
    layoutS = (performance.now() - tl) / 1000;
    writeFileSync(join(out, `${init}.bin`), coords);
    trustSk = (JSON.parse(execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'umap_learn.py'), out, 'trust', init], { encoding: 'utf8' })) as Record<string, number>)[init];
    trustOurs = trustworthinessSampled(x, dim, coords, 2, r.nKept, 15, 5000, 0);
  }
  rows.push(`| ${init} (${plan.initMethod}) | ${planS.toFixed(2)} | ${layoutS.toFixed(1)} | ${trustSk.toFixed(4)} | ${trustOurs.toFixed(4)} |`);
  console.log(rows.at(-1));
}
pool?.terminate();
ds.close();
console.log(`\n${nCells.toLocaleString('en-US')} cells, ${types} types, ${threads} thread(s), load average ${load()} at end\n`);
console.log('| init | planUmap s | epochs s | trustworthiness (sklearn, k 15, 5,000 cells) | trustworthinessSampled (ours) |\n|---|---|---|---|---|');
console.log(rows.join('\n'));
