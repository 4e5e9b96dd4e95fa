// Harmony on synthetic PCs with batch effects and cell types (10k and 100k cells x 50 PCs by
// default), ours on 1 and 2 threads beside harmonypy (PyTorch, CPU) on the same input in the same
// run, with the median iLISI/cLISI of each result (scweb's computeLisi, which matches harmonypy's
// compute_lisi to 1e-14: same exact neighbours) and where the time goes in each.
//
// harmonypy is found through HARMONYPY_DIR (or --harmonypy DIR): a checkout of
// github.com/slowkow/harmonypy (the folder holding harmonypy/), run by /usr/bin/python3 with
// Debian's python3-torch, python3-sklearn and python3-pandas. Without it, ours runs alone.
//
// Each run is repeated --repeats times (ours and harmonypy alternating) and the fastest kept, with
// its CPU seconds (all threads): on a shared machine, the wall clock of one run says little.
//
// Run: node --import tsx bench/harmony.ts [--sizes 10000,100000] [--threads 1,2] [--lisi-cells 3000]
//      [--repeats 1] [--harmonypy DIR] [--seed 0]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHarmony, type HarmonyResult } from '../src/analysis/harmony.ts';
import { computeLisiAsync, median, type Labels } from '../src/analysis/integration-metrics.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { parseNpy } from '../src/io/npy.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { mulberry32 } from '../src/model/random.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const sizes = arg('sizes', '10000,100000').split(',').map(Number);
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const lisiCells = Number(arg('lisi-cells', '3000'));
const seed = Number(arg('seed', '0'));
const repeats = Number(arg('repeats', '1'));
/** harmonypy runs longer than this are stopped (its OpenMP threads can spin for minutes on a busy machine). */
const hpTimeout = Number(arg('harmonypy-timeout', '1200'));
const harmonypyDir = arg('harmonypy', process.env.HARMONYPY_DIR ?? '');
const PYTHON = '/usr/bin/python3';
const RUNNER = fileURLToPath(new URL('harmonypy_run.py', import.meta.url));
const D = 50;

/**
 * A PCA-like embedding: PC scales falling as j^-0.6, 12 cell types of uneven abundance, 4 batches
 * of uneven size and composition, each batch shifted by its own vector (strongest in the leading
 * PCs) plus a small batch-by-type part, and per-cell noise.
 */
function syntheticPcs(n: number, rngSeed: number) {
  const rng = mulberry32(rngSeed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const T = 12;
  const NB = 4;
  const scale = Array.from({ length: D }, (_, j) => 6 * (j + 1) ** -0.6);
  const typeW = Array.from({ length: T }, () => Math.exp(0.8 * gauss()));
  const batchShare = [0.35, 0.3, 0.2, 0.15];
  const composition = batchShare.map(() => typeW.map((w) => w * Math.exp(0.5 * gauss())));
  const centre = Array.from({ length: T * D }, (_, t) => 1.5 * scale[t % D] * gauss());
  const shift = Array.from({ length: NB * D }, (_, t) => 0.8 * scale[t % D] * gauss());
  const inter = Array.from({ length: NB * T * D }, (_, t) => 0.15 * scale[t % D] * gauss());
  const draw = (w: number[]) => {
    let r = rng() * w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < w.length; i++) if ((r -= w[i]) < 0) return i;
    return w.length - 1;
  };
  const batch = new Int32Array(n);
  const type = new Int32Array(n);
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const b = (batch[i] = draw(batchShare));
    const t = (type[i] = draw(composition[b]));
    for (let j = 0; j < D; j++) x[i * D + j] = centre[t * D + j] + shift[b * D + j] + inter[(b * T + t) * D + j] + 0.5 * scale[j] * gauss();
  }
  const col = (name: string, codes: Int32Array, k: number): CategoricalColumn => ({ kind: 'categorical', name, codes, categories: Array.from({ length: k }, (_, c) => `${name}${c}`), ordered: false, dtype: 'category' });
  return { x, batch: col('batch', batch, NB), type: col('type', type, T) };
}

function npyFloat32(path: string, data: Float32Array, n: number, d: number): void {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = Buffer.from(header + ' '.repeat(pad) + '\n', 'latin1');
  const pre = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre);
  pre[6] = 1;
  pre.writeUInt16LE(h.length, 8);
  writeFileSync(path, Buffer.concat([pre, h, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

function harmonypyAvailable(): string | null {
  if (!harmonypyDir) return 'HARMONYPY_DIR is not set';
  if (!existsSync(join(harmonypyDir, 'harmonypy', 'harmony.py'))) return `${harmonypyDir}/harmonypy/harmony.py not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch, sklearn, pandas, threadpoolctl, harmonypy'], { env: { ...process.env, PYTHONPATH: harmonypyDir }, encoding: 'utf8' });
  if (r.status !== 0) return `${PYTHON} cannot import harmonypy's dependencies (apt install python3-torch python3-sklearn python3-pandas): ${r.stderr.trim().split('\n').at(-1)}`;
  return null;
}

interface HarmonypyRun {
  seconds: number;
  cpu_seconds: number;
  iterations: number;
  kmeans_rounds: number[];
  phases: Record<string, number>;
  torch: string;
  sklearn: string;
  torch_threads: number;
}

function runHarmonypy(dir: string, threads: number): { run: HarmonypyRun; zCorr: Float32Array } | null {
  const out = join(dir, `hp_z_${threads}.npy`);
  const r = spawnSync(PYTHON, [RUNNER, join(dir, 'pcs.npy'), join(dir, 'meta.csv'), String(threads), out], {
    env: { ...process.env, PYTHONPATH: harmonypyDir },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    timeout: hpTimeout * 1000,
  });
  if (r.signal === 'SIGTERM') return null;
  if (r.status !== 0) throw new Error(`harmonypy failed:\n${r.stderr}`);
  const run = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as HarmonypyRun;
  return { run, zCorr: parseNpy(readFileSync(out)).data as Float32Array };
}

const f2 = (v: number) => v.toFixed(2);
const lab = (c: CategoricalColumn): Labels => ({ codes: c.codes, categories: c.categories });
const why = harmonypyAvailable();
if (why) {
  console.log(`harmonypy: not run (${why}). To compare, fetch it and point the bench at it:`);
  console.log('  git clone https://github.com/slowkow/harmonypy /tmp/harmonypy && HARMONYPY_DIR=/tmp/harmonypy make bench-harmony');
}
const lisiPool = nodePool(Math.max(...threadCounts));
const rows: string[] = [];
const timedOut: string[] = [];
const notes: string[] = [];
console.log(`load average at start ${loadavg().map(f2).join(' ')}`);
for (const n of sizes) {
  const { x, batch, type } = syntheticPcs(n, seed + n);
  const dir = mkdtempSync(join(tmpdir(), 'bench-harmony-'));
  try {
    npyFloat32(join(dir, 'pcs.npy'), x, n, D);
    writeFileSync(join(dir, 'meta.csv'), 'cell,batch,type\n' + Array.from(batch.codes, (b, i) => `c${i},${batch.categories[b]},${type.categories[type.codes[i]]}`).join('\n') + '\n');
    // LISI of every cell up to 20k cells; beyond, of a seeded sample of cells (neighbours among all).
    const rng = mulberry32(seed + 7);
    let sample: Int32Array | undefined;
    if (n > 20000) {
      // A seeded sample without replacement (partial Fisher-Yates).
      const all = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < Math.min(n, lisiCells); i++) {
        const j = i + Math.floor(rng() * (n - i));
        [all[i], all[j]] = [all[j], all[i]];
      }
      sample = all.slice(0, Math.min(n, lisiCells));
    }
    const lisiOf = async (emb: Float32Array | Float64Array) => {
      const t = performance.now();
      const { lisi } = await computeLisiAsync(emb, n, D, [lab(batch), lab(type)], { pool: lisiPool, cells: sample });
      return { i: median(lisi[0]), c: median(lisi[1]), s: (performance.now() - t) / 1000 };
    };
    const before = await lisiOf(x);
    const lisiNote = sample ? `median over ${sample.length.toLocaleString('en-US')} sampled cells` : 'median over all cells';
    rows.push(`| ${n.toLocaleString('en-US')} | input (no correction) | | | | | ${f2(before.i)} | ${f2(before.c)} | |`);

    const ours: { threads: number; r: HarmonyResult; s: number; cpu: number }[] = [];
    const hp: { threads: number; run: HarmonypyRun; zCorr: Float32Array }[] = [];
    for (let rep = 0; rep < repeats; rep++) {
      for (const threads of threadCounts) {
        const pool = nodePool(threads);
        // Workers start (and load their modules) before the clock, as Python's imports are not timed.
        if (pool) await runHarmony(x.subarray(0, 300 * D), 300, D, [{ ...batch, codes: batch.codes.subarray(0, 300) }], { nClusters: 5, maxIterHarmony: 1, pool });
        const cpu0 = process.cpuUsage();
        const t = performance.now();
        const r = await runHarmony(x, n, D, [batch], { seed, pool, embeddingName: 'synthetic X_pca' });
        const s = (performance.now() - t) / 1000;
        const used = process.cpuUsage(cpu0);
        pool?.terminate();
        const cpu = (used.user + used.system) / 1e6;
        console.log(`n ${n}: ours, ${threads} thread(s): ${f2(s)} s (CPU ${f2(cpu)} s), ${r.iterations} iterations, k-means rounds ${r.kmeansRounds.join('+')}; seconds ${JSON.stringify(Object.fromEntries(Object.entries(r.seconds).map(([k, v]) => [k, +v.toFixed(2)])))}`);
        const k = ours.findIndex((o) => o.threads === threads);
        if (k < 0) ours.push({ threads, r, s, cpu });
        else if (s < ours[k].s) ours[k] = { threads, r, s, cpu };
        if (why) continue;
        const h = runHarmonypy(dir, threads);
        if (!h) {
          console.log(`n ${n}: harmonypy, ${threads} thread(s): stopped after ${hpTimeout} s`);
          if (!timedOut.includes(`${n}/${threads}`)) timedOut.push(`${n}/${threads}`);
          continue;
        }
        console.log(`n ${n}: harmonypy, ${threads} thread(s): ${f2(h.run.seconds)} s (CPU ${f2(h.run.cpu_seconds)} s), ${h.run.iterations} iterations, k-means rounds ${h.run.kmeans_rounds.join('+')}; exclusive seconds ${JSON.stringify(Object.fromEntries(Object.entries(h.run.phases).map(([k, v]) => [k, +v.toFixed(2)])))}`);
        const m = hp.findIndex((p) => p.threads === threads);
        if (m < 0) hp.push({ threads, ...h });
        else if (h.run.seconds < hp[m].run.seconds) hp[m] = { threads, ...h };
      }
    }
    const identical = ours.every((o) => Buffer.from(o.r.zCorr.buffer).equals(Buffer.from(ours[0].r.zCorr.buffer)));
    notes.push(`n ${n}: our results on ${threadCounts.join(' and ')} threads are ${identical ? 'bit-identical' : 'NOT identical'}`);
    const oursLisi = await lisiOf(ours[0].r.zCorr);
    const hpLisi = hp.length ? await lisiOf(hp[0].zCorr) : null;
    for (const o of ours) {
      // Against harmonypy's fastest run whatever its thread count (its OpenMP threads can spin on a busy machine).
      const h = hp.length ? hp.reduce((a, b) => (b.run.seconds < a.run.seconds ? b : a)) : null;
      const l = o === ours[0] ? oursLisi : null;
      rows.push(`| ${n.toLocaleString('en-US')} | scWeb (float64) | ${o.threads} | ${f2(o.s)} | ${f2(o.cpu)} | ${o.r.iterations} (${o.r.kmeansRounds.join('+')}) | ${l ? f2(l.i) : '(same bits)'} | ${l ? f2(l.c) : '(same bits)'} | ${h ? `${(h.run.seconds / o.s).toFixed(2)}x (CPU ${(h.run.cpu_seconds / o.cpu).toFixed(2)}x)` : ''} |`);
    }
    for (const t of threadCounts) if (timedOut.includes(`${n}/${t}`) && !hp.some((h) => h.threads === t)) rows.push(`| ${n.toLocaleString('en-US')} | harmonypy | ${t} | > ${hpTimeout} (stopped) | | | | | |`);
    hp.forEach((h, k) => {
      rows.push(`| ${n.toLocaleString('en-US')} | harmonypy (torch ${h.run.torch}, float32) | ${h.threads} | ${f2(h.run.seconds)} | ${f2(h.run.cpu_seconds)} | ${h.run.iterations} (${h.run.kmeans_rounds.join('+')}) | ${k === 0 && hpLisi ? f2(hpLisi.i) : ''} | ${k === 0 && hpLisi ? f2(hpLisi.c) : ''} | |`);
    });
    notes.push(`n ${n}: LISI ${lisiNote} (perplexity 30; ${f2(before.s + oursLisi.s + (hpLisi?.s ?? 0))} s for ${hpLisi ? 3 : 2} embeddings); ${hp.length ? `iLISI/cLISI of harmonypy's ${hp[0].threads}-thread result` : 'harmonypy not run'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
lisiPool?.terminate();
console.log(`\nload average at end ${loadavg().map(f2).join(' ')}\n`);
console.log(`| cells | implementation | threads | seconds (best of ${repeats}) | CPU seconds | iterations (k-means rounds) | median iLISI (of 4) | median cLISI | harmonypy's fastest / scWeb |`);
console.log('|---:|---|---:|---:|---:|---|---:|---:|---:|');
for (const r of rows) console.log(r);
console.log('');
for (const note of notes) console.log(`- ${note}`);
