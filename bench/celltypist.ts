// CellTypist benchmark: a model of Immune_All_Low's size (98 cell types; --genes features, default
// 6,000) on a synthetic counts file (--cells, default 20,000, x 20,000 genes, ~1,500 per cell).
// Times: writing the .pkl, reading it here (safe unpickler) and in Python (pickle.load, sklearn),
// prediction (cells/s), and the over-clustering (CellTypist's graph + Leiden) with majority voting.
// Run: node --import tsx bench/celltypist.ts [--cells N] [--genes F]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { celltypistAnnotate, celltypistPredict, DEFAULT_CELLTYPIST_PARAMS } from '../src/analysis/celltypist.ts';
import { readCelltypistModel, writeCelltypistModel } from '../src/analysis/celltypist-model.ts';
import type { LinearAnnotator } from '../src/analysis/linear-annotator.ts';
import { openPaths } from '../src/io/node.ts';
import { mulberry32 } from '../src/model/random.ts';
import { ensureSynthetic } from './synthetic.ts';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const nCells = arg('cells', 20000);
const F = arg('genes', 6000);
const C = 98;
const here = import.meta.dirname;
const file = join(here, 'out', `synthetic_${nCells}x20000.h5ad`);
await ensureSynthetic(file, { nCells, nGenes: 20000, genesPerCell: 1500, seed: 1 });

const rand = mulberry32(3);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const model: LinearAnnotator = {
  features: Array.from({ length: F }, (_, i) => `GENE${i * 3}`),
  classes: Array.from({ length: C }, (_, c) => `type ${c}`),
  coef: Float64Array.from({ length: C * F }, () => 0.05 * gauss()),
  intercept: Float64Array.from({ length: C }, () => -3 + gauss()),
  scalerMean: Float64Array.from({ length: F }, () => 0.5 * rand()),
  scalerScale: Float64Array.from({ length: F }, () => 0.5 + rand()),
  clip: 10,
  multiClass: 'ovr',
  temperature: 1,
  description: { details: 'benchmark model' },
};
const ms = (t0: number) => performance.now() - t0;
let t = performance.now();
const bytes = writeCelltypistModel(model, { sklearnVersion: '1.2.1' });
const tWrite = ms(t);
const pkl = join(here, 'out', 'celltypist_bench.pkl');
writeFileSync(pkl, bytes);
t = performance.now();
readCelltypistModel(readFileSync(pkl), 'celltypist_bench.pkl');
const tRead = ms(t);
const py = spawnSync('/usr/bin/python3', ['-c', 'import pickle,sys,time; import sklearn; t=time.perf_counter(); pickle.load(open(sys.argv[1],"rb")); print((time.perf_counter()-t)*1000)', pkl], { encoding: 'utf8' });
const tPy = py.status === 0 ? Number(py.stdout.trim()) : NaN;

const ds = await openPaths([file]);
t = performance.now();
const pred = await celltypistPredict(ds, model, DEFAULT_CELLTYPIST_PARAMS);
const tPredict = ms(t);
t = performance.now();
const { report } = await celltypistAnnotate(ds, model, { ...DEFAULT_CELLTYPIST_PARAMS, majorityVoting: true });
const tVote = ms(t);
ds.close();
console.log(`model: ${C} classes x ${F.toLocaleString('en-US')} genes, ${(bytes.length / 1e6).toFixed(1)} MB pickle`);
console.log(`| step | time |`);
console.log(`|---|---:|`);
console.log(`| write .pkl (ours) | ${tWrite.toFixed(0)} ms |`);
console.log(`| read .pkl (ours, safe unpickler + checks) | ${tRead.toFixed(0)} ms |`);
console.log(`| read .pkl (python3 pickle.load + sklearn) | ${tPy.toFixed(0)} ms |`);
console.log(`| predict ${nCells.toLocaleString('en-US')} cells (${pred.genes.nShared} shared genes) | ${(tPredict / 1000).toFixed(2)} s (${Math.round(nCells / (tPredict / 1000)).toLocaleString('en-US')} cells/s) |`);
console.log(`| predict + over-cluster + majority voting | ${(tVote / 1000).toFixed(2)} s (${report.nClusters} clusters; ${report.overClustering}) |`);
