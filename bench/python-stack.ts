// bench/pipeline.ts --python: runs bench/python_stack.py (scanpy's default pipeline with scanpy's
// own libraries) on the same file, then scores both runs the same way: ARI of the two Leidens
// against each other and against the true types, sklearn's trustworthiness of each UMAP in its own
// PCA space (bench/umap_learn.py trust: k 15, the same 5,000 cells sampled with seed 0), and the
// overlap of the two HVG lists.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { adjustedRandIndex } from '../src/analysis/metrics.ts';
import type { PipelineResult } from '../src/analysis/pipeline.ts';

const PYTHON = '/usr/bin/python3';

export interface PythonRun {
  seconds: Record<string, number>;
  cpu: Record<string, number>;
  nKept: number;
  nClusters: number;
  nHvg: number;
  hvgOverlap: number;
  ari: { oursPython: number; oursTruth: number | null; pythonTruth: number | null };
  trust: { ours: number; python: number };
  loadStart: string;
  loadEnd: string;
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function python(args: string[]): unknown {
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

function readTyped<T>(path: string, ctor: new (b: ArrayBuffer) => T): T {
  const b = readFileSync(path);
  return new ctor(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
}

/** sklearn's trustworthiness of a layout [n, 2] in the space x [n, dim], through bench/umap_learn.py. */
function sklearnTrust(dir: string, x: Float32Array, dim: number, layout: Float32Array, name: string): number {
  mkdirSync(dir, { recursive: true });
  const n = layout.length / 2;
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ n, dim }));
  writeFileSync(join(dir, 'x.bin'), x);
  writeFileSync(join(dir, `${name}.bin`), layout);
  return (python([join(import.meta.dirname, 'umap_learn.py'), dir, 'trust', name]) as Record<string, number>)[name];
}

export async function pythonStack(file: string, r: PipelineResult, opts: { threads: number; truth: Int32Array | null; geneNames: string[] }): Promise<PythonRun> {
  const out = join(import.meta.dirname, 'out', 'python-stack');
  mkdirSync(out, { recursive: true });
  const loadStart = load();
  const res = python([join(import.meta.dirname, 'python_stack.py'), file, out, '--threads', String(opts.threads)]) as {
    seconds: Record<string, number>;
    cpu: Record<string, number>;
    n_kept: number;
    n_clusters: number;
    n_hvg: number;
  };
  const loadEnd = load();
  const keptPy = readTyped(join(out, 'kept.u8'), Uint8Array);
  const labelsPy = readTyped(join(out, 'leiden.i32'), Int32Array);
  const umapPy = readTyped(join(out, 'umap.f32'), Float32Array);
  const pcaPy = readTyped(join(out, 'pca.f32'), Float32Array);
  const hvgPy = new Set(readFileSync(join(out, 'hvg.txt'), 'utf8').split('\n').filter(Boolean));
  const hvgOurs = Array.from(r.hvg.genes, (g) => opts.geneNames[g]);
  const hvgOverlap = hvgOurs.filter((g) => hvgPy.has(g)).length;

  // Cells kept by both (the same ones with these filters), in file order.
  const ours: number[] = [];
  const py: number[] = [];
  const truth: number[] = [];
  const oursUmap: number[] = [];
  for (let i = 0, p = 0; i < r.nCells; i++) {
    const pi = keptPy[i] ? p++ : -1;
    if (!r.keep[i] || pi < 0) continue;
    ours.push(r.leiden[i]);
    py.push(labelsPy[pi]);
    if (opts.truth) truth.push(opts.truth[i]);
  }
  for (let i = 0; i < r.nCells; i++) if (r.keep[i]) oursUmap.push(r.umap[2 * i], r.umap[2 * i + 1]);
  const ari = {
    oursPython: adjustedRandIndex(ours, py),
    oursTruth: opts.truth ? adjustedRandIndex(ours, truth) : null,
    pythonTruth: opts.truth ? adjustedRandIndex(py, truth) : null,
  };
  const trust = {
    ours: sklearnTrust(join(out, 'trust-ours'), r.pca.scores, r.pca.nComps, Float32Array.from(oursUmap), 'ours'),
    python: sklearnTrust(join(out, 'trust-python'), pcaPy, pcaPy.length / res.n_kept, umapPy, 'python'),
  };
  return { seconds: res.seconds, cpu: res.cpu, nKept: res.n_kept, nClusters: res.n_clusters, nHvg: res.n_hvg, hvgOverlap, ari, trust, loadStart, loadEnd };
}

/** Our steps beside Python's: the same work, grouped where the two split it differently. */
const ROWS: { label: string; ours: string[]; python: string[] }[] = [
  { label: 'read (ours: open; Python: read_h5ad, all in memory)', ours: ['open'], python: ['read'] },
  { label: 'QC + filter', ours: ['qc', 'filter'], python: ['qc'] },
  { label: 'normalize + log1p + HVG (seurat)', ours: ['hvg'], python: ['normalize', 'hvg'] },
  { label: 'HVG matrix + scale', ours: ['matrix'], python: ['scale'] },
  { label: 'PCA 50', ours: ['pca'], python: ['pca'] },
  { label: 'neighbours (k 15) + fuzzy set', ours: ['neighbors'], python: ['neighbors'] },
  { label: 'Leiden', ours: ['leiden'], python: ['leiden'] },
  { label: 'UMAP', ours: ['umap'], python: ['umap'] },
  { label: 'markers (Wilcoxon, all genes)', ours: ['markers'], python: ['markers'] },
];

export function stackTable(
  r: PipelineResult,
  py: PythonRun,
  o: { openSeconds: number; oursTotal: number; oursCpu: Record<string, number>; oursCpuTotal: number; nCells: number; threads: number; loadStart: string; loadEnd: string; useGpu: boolean; leidenBesideUmap?: boolean },
): string {
  const oursOf = (k: string) => (k === 'open' ? o.openSeconds : (r.timings[k as keyof typeof r.timings] ?? 0) / 1000);
  const sum = (ks: string[], f: (k: string) => number) => ks.reduce((s, k) => s + f(k), 0);
  const lines = [
    `\n${o.nCells.toLocaleString('en-US')} cells, ${o.threads} thread(s)${o.useGpu ? ', ours with WebGPU kNN/UMAP' : ''}; load average (1, 5, 15 min): ours ${o.loadStart} -> ${o.loadEnd}, Python ${py.loadStart} -> ${py.loadEnd}`,
    '',
    '| step | ours (s) | Python (s) | Python / ours | ours CPU (s) | Python CPU (s) | Python / ours, CPU |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of ROWS) {
    const a = sum(row.ours, oursOf);
    const b = sum(row.python, (k) => py.seconds[k] ?? 0);
    const c = sum(row.python, (k) => py.cpu[k] ?? 0);
    const oc = row.ours[0] === 'open' ? NaN : sum(row.ours, (k) => o.oursCpu[k] ?? 0);
    lines.push(`| ${row.label} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(2)}x | ${Number.isNaN(oc) ? '' : oc.toFixed(2)} | ${c.toFixed(2)} | ${Number.isNaN(oc) ? '' : `${(c / oc).toFixed(2)}x`} |`);
  }
  const oursTotal = o.oursTotal + o.openSeconds;
  const pyTotal = Object.values(py.seconds).reduce((s, v) => s + v, 0);
  const pyCpu = Object.values(py.cpu).reduce((s, v) => s + v, 0);
  lines.push(`| **total** | **${oursTotal.toFixed(1)}** | **${pyTotal.toFixed(1)}** | **${(pyTotal / oursTotal).toFixed(2)}x** | ${o.oursCpuTotal.toFixed(1)} | ${pyCpu.toFixed(1)} | ${(pyCpu / o.oursCpuTotal).toFixed(2)}x |`);
  const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
  const pad = ' | | | | |';
  lines.push(`| clusters | ${r.nClusters} | ${py.nClusters}${pad}`);
  lines.push(`| Leiden ARI vs the true types | ${f(py.ari.oursTruth)} | ${f(py.ari.pythonTruth)}${pad}`);
  lines.push(`| Leiden ARI, ours vs Python | ${f(py.ari.oursPython)} | ${f(py.ari.oursPython)}${pad}`);
  lines.push(`| UMAP trustworthiness (sklearn, k 15, 5,000 cells, own PCA space) | ${f(py.trust.ours)} | ${f(py.trust.python)}${pad}`);
  lines.push(`| HVGs (both: ${py.hvgOverlap}) | ${r.hvg.genes.length} | ${py.nHvg}${pad}`);
  // Ours ran Leiden on a spare worker while the pool ran UMAP: both rows count the time they shared.
  if (o.leidenBesideUmap) lines.push('', 'Ours: Leiden ran beside UMAP (a spare worker), so their two rows overlap in time and CPU; the total is the wall clock.');
  return lines.join('\n');
}
