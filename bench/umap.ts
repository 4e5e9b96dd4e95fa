// The UMAP layout (200 epochs above 10,000 points, as scanpy) three ways on the same graph and the
// same starting layout: scWeb's JavaScript epoch (the reference), scWeb's WebAssembly SIMD epoch
// (the default) and umap-learn's optimize_layout_euclidean (what scanpy's tl.umap runs, through
// Debian's umap-learn; numba's compilation is kept out of its timings). Data: a 20-cluster Gaussian
// mixture in 50 dimensions, its NN-descent 15-NN graph made fuzzy as scanpy's neighbors does.
// Each layout runs --repeat times (default 3) on 1 and 2 threads; the medians, wall and CPU time
// (all threads), and the load average at the time are printed. Quality: sklearn's trustworthiness
// (k 15) of each layout on the same 5,000 sampled points, and scWeb's sampled trustworthiness.
// umap-learn on 2 threads is its parallel=True (numba threads; not deterministic).
//   node --import tsx bench/umap.ts [--sizes 30000,100000] [--repeat 3] [--threads 1,2] [--gpu]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fuzzyConnectivities } from '../src/analysis/connectivities.ts';
import { analysisDevice } from '../src/analysis/gpu-device.ts';
import { trustworthinessSampled } from '../src/analysis/metrics.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { planUmap, umapCpu } from '../src/analysis/umap.ts';
import { umapWebGPU } from '../src/analysis/umap-webgpu.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { gaussianMixture } from './mixture.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const sizes = arg('sizes', '30000').split(',').map(Number);
const repeat = Number(arg('repeat', '3'));
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const useGpu = process.argv.includes('--gpu');
const D = 50;
const K = 15;
const PY = '/usr/bin/python3';
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const load1 = () => loadavg()[0];
const write = (dir: string, name: string, a: ArrayBufferView) => writeFileSync(join(dir, name), Buffer.from(a.buffer, a.byteOffset, a.byteLength));

function python(args: string[]): Record<string, unknown> {
  const r = spawnSync(PY, [join(import.meta.dirname, 'umap_learn.py'), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`umap_learn.py ${args[1]} failed (Debian's umap-learn: make umapdeps):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

interface Timing {
  wall: number[];
  cpu: number[];
  load: number[];
}

const rows: string[] = [];
for (const n of sizes) {
  const dir = join(import.meta.dirname, 'out', `umap-${n}`);
  mkdirSync(dir, { recursive: true });
  const x = gaussianMixture(n, D, 7);
  const knnPool = nodePool(2);
  const knn = await nnDescent(x, n, D, K, { seed: 1, pool: knnPool });
  knnPool?.terminate();
  const graph = fuzzyConnectivities(knn, n);
  const plan = await planUmap(graph, x, D, { seed: 0 });
  write(dir, 'x.bin', x);
  write(dir, 'graph_indptr.bin', Int32Array.from(graph.indptr));
  write(dir, 'graph_indices.bin', Int32Array.from(graph.indices));
  write(dir, 'graph_data.bin', Float32Array.from(graph.data));
  write(dir, 'init.bin', plan.init);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ n, dim: D, nEpochs: plan.nEpochs, a: plan.a, b: plan.b }));
  console.log(`n ${n}: ${plan.indices.length.toLocaleString('en-US')} edges after pruning, ${plan.nEpochs} epochs`);

  for (const threads of threadCounts) {
    const pool = nodePool(threads);
    const layouts: Record<string, Float32Array> = {};
    const times: Record<string, Timing> = {};
    for (const engine of ['js', 'wasm'] as const) {
      const t: Timing = { wall: [], cpu: [], load: [] };
      for (let r = 0; r < repeat; r++) {
        t.load.push(load1());
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        layouts[engine] = await umapCpu(plan, { engine, pool });
        t.wall.push((performance.now() - t0) / 1000);
        const c = process.cpuUsage(c0);
        t.cpu.push((c.user + c.system) / 1e6);
      }
      times[engine] = t;
      write(dir, `${engine}.bin`, layouts[engine]);
      console.log(`  ${threads} thread(s) scWeb ${engine}: ${t.wall.map((s) => s.toFixed(1)).join(', ')} s wall; ${t.cpu.map((s) => s.toFixed(1)).join(', ')} s CPU; load ${t.load.map((l) => l.toFixed(1)).join(', ')}`);
    }
    pool?.terminate();
    const l0 = load1();
    const ul = python([dir, 'layout', '--threads', String(threads), '--repeat', String(repeat)]) as { seconds: number[]; cpu: number[] };
    times.umapLearn = { wall: ul.seconds, cpu: ul.cpu, load: [l0, load1()] };
    console.log(`  ${threads} thread(s) umap-learn: ${ul.seconds.map((s) => s.toFixed(1)).join(', ')} s wall; ${ul.cpu.map((s) => s.toFixed(1)).join(', ')} s CPU; load ${l0.toFixed(1)} -> ${load1().toFixed(1)}`);
    const ulLayout = new Float32Array(readFileSync(join(dir, 'umap_learn.bin')).buffer.slice(0));
    const sk = python([dir, 'trust', 'js', 'wasm', 'umap_learn']) as Record<string, number>;
    const ours = { js: trustworthinessSampled(x, D, layouts.js, 2, n, K), wasm: trustworthinessSampled(x, D, layouts.wasm, 2, n, K), ul: trustworthinessSampled(x, D, ulLayout, 2, n, K) };
    const identical = Buffer.from(layouts.js.buffer).equals(Buffer.from(layouts.wasm.buffer));
    const med = (k: string, f: 'wall' | 'cpu') => median(times[k][f]);
    const loads = [...times.js.load, ...times.wasm.load, ...times.umapLearn.load];
    const row = `| ${n.toLocaleString('en-US')} | ${threads} | ${med('js', 'wall').toFixed(1)} (${med('js', 'cpu').toFixed(1)}) | ${med('wasm', 'wall').toFixed(1)} (${med('wasm', 'cpu').toFixed(1)}) | ${med('umapLearn', 'wall').toFixed(1)} (${med('umapLearn', 'cpu').toFixed(1)}) | ${(med('umapLearn', 'wall') / med('wasm', 'wall')).toFixed(2)}x (${(med('umapLearn', 'cpu') / med('wasm', 'cpu')).toFixed(2)}x) | ${(med('js', 'wall') / med('wasm', 'wall')).toFixed(2)}x | ${sk.js.toFixed(4)} / ${sk.wasm.toFixed(4)} / ${sk.umap_learn.toFixed(4)} | ${ours.js.toFixed(4)} / ${ours.wasm.toFixed(4)} / ${ours.ul.toFixed(4)} | ${identical ? 'yes' : 'no'} | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} |`;
    console.log(row);
    rows.push(row);
  }
  if (useGpu) {
    await installNodeWebGPU();
    const device = await analysisDevice({ allowSoftware: true });
    if (device) {
      const t0 = performance.now();
      const g = await umapWebGPU(device, plan);
      console.log(`  WebGPU: ${((performance.now() - t0) / 1000).toFixed(1)} s (T ${trustworthinessSampled(x, D, g, 2, n, K).toFixed(3)})`);
    }
  }
}
console.log('\n| n | threads | scWeb JS, s wall (CPU) | scWeb WASM SIMD | umap-learn | umap-learn / WASM, wall (CPU) | JS / WASM | trustworthiness, sklearn on 5k points: JS / WASM / umap-learn | scWeb sampled: JS / WASM / umap-learn | JS and WASM identical | load (1 min) |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
