// The whole default pipeline (CPU, Node) on a synthetic 100k-cell x 20k-gene counts file (made by
// bench/synthetic.ts, ~1,000 genes per cell): time per step and peak RSS, sampled every 100 ms.
// --threads N: the CPU steps on a pool of N worker_threads (1: inline). The load average is printed
// before and after: on a shared machine it bounds what the times mean.
// --types K: the clustered synthetic counts (K cell types with marker genes, obs `cell_type`;
// bench/synthetic.ts) instead of the structureless ones, and the ARI of Leiden against the types.
// --python: then scanpy's default pipeline restated with scanpy's own libraries (bench/python_stack.py,
// /usr/bin/python3: anndata, sklearn, umap-learn + pynndescent, leidenalg) on the same file in the
// same process, with as many threads (OMP/OpenBLAS/MKL/numba), and a markdown table per step: ours,
// Python, Python / ours, with the ARI of both Leidens (each other, the true types) and sklearn's
// trustworthiness (k 15, 5,000 cells, in each one's PCA space: bench/umap_learn.py trust) of both UMAPs.
// Run: node --import tsx bench/pipeline.ts [--cells 100000] [--threads 1] [--gpu] [--types 20] [--python]
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { adjustedRandIndex } from '../src/analysis/metrics.ts';
import { analysisDevice } from '../src/analysis/gpu-device.ts';
import { LEIDEN_BESIDE_MIN } from '../src/analysis/leiden-pool.ts';
import { DEFAULT_PARAMS, Pipeline } from '../src/analysis/pipeline.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { openPaths } from '../src/io/node.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { pythonStack, stackTable } from './python-stack.ts';
import { ensureSynthetic } from './synthetic.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const nCells = Number(arg('cells', '100000'));
const useGpu = process.argv.includes('--gpu');
const threads = Number(arg('threads', '1'));
const types = Number(arg('types', '0'));
const withPython = process.argv.includes('--python');
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const file = join(import.meta.dirname, 'out', `synthetic_${nCells}x20000${types ? `_k${types}` : ''}.h5ad`);
await ensureSynthetic(file, { nCells, nGenes: 20000, genesPerCell: 1000, seed: 42, ...(types ? { types } : {}) });
let peak = 0;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
const device = useGpu ? (await installNodeWebGPU(), await analysisDevice({ allowSoftware: true })) : null;
// As `scweb analyze` does: the pool's workers start loading while the file is opened.
const pool = nodePool(threads)?.warm() ?? null;
const tOpen = performance.now();
const ds = await openPaths([file]);
const openSeconds = (performance.now() - tOpen) / 1000;
const loadStart = load();
const cpuStart = new Map<string, NodeJS.CpuUsage>();
const cpuSeconds: Record<string, number> = {};
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const r = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, device: device ? 'auto' : 'cpu' }, {
  device,
  pool,
  onStep: (e) => {
    // CPU seconds per step (the whole process: main thread, workers, GC), beside the wall clock.
    const now = process.cpuUsage();
    if (e.state === 'running' && !cpuStart.has(e.step)) cpuStart.set(e.step, now);
    if (e.state !== 'done') return;
    const c = cpuStart.get(e.step);
    if (c) cpuSeconds[e.step] = (now.user - c.user + now.system - c.system) / 1e6;
    console.error(`  ${e.step}: ${e.message}, RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
  },
});
const total = (performance.now() - t0) / 1000;
const cpu1 = process.cpuUsage();
const cpuTotal = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1e6;
clearInterval(timer);
console.log(`pipeline on ${nCells.toLocaleString('en-US')} cells (${device ? 'WebGPU kNN/UMAP' : 'CPU'}), ${threads} thread(s), load average ${loadStart} at start, ${load()} at end: total ${total.toFixed(1)} s (CPU ${cpuTotal.toFixed(1)} s, every thread), peak RSS ${(peak / 1e6).toFixed(0)} MB`);
console.log(Object.entries(r.timings).map(([k, v]) => `${k} ${((v ?? 0) / 1000).toFixed(1)} s`).join(' | '));
console.log(`${r.nKept} cells kept, ${r.hvg.genes.length} HVGs, ${r.nClusters} clusters, neighbours ${r.neighbors.method}`);
pool?.terminate();
const truth = ds.obs.columns.find((c) => c.name === 'cell_type');
const truthCodes = truth?.kind === 'categorical' ? truth.codes : null;
if (truthCodes) {
  const kept = Array.from({ length: ds.nObs }, (_, i) => i).filter((i) => r.keep[i]);
  console.log(`Leiden ARI against the true cell types: ${adjustedRandIndex(kept.map((i) => r.leiden[i]), kept.map((i) => truthCodes[i])).toFixed(3)}`);
}
if (withPython) {
  const py = await pythonStack(file, r, { threads, truth: truthCodes, geneNames: r.geneNames });
  console.log(stackTable(r, py, { openSeconds, oursTotal: total, oursCpu: cpuSeconds, oursCpuTotal: cpuTotal, nCells, threads, loadStart, loadEnd: load(), useGpu, leidenBesideUmap: threads > 1 && r.nKept >= LEIDEN_BESIDE_MIN }));
}
ds.close();
