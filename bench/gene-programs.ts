// Gene programs for 1,200 genes at the scGPT_human width (d 512): per-step times of genePrograms
// (exact kNN, fuzzy graph, Leiden, UMAP layout), the cosine network, and program scores over
// synthetic cells. Alternative in the same process: NN-descent for the kNN step (its time and
// recall against the exact search the programs use). Embeddings: a seeded mixture of 150 clusters
// (about 8 genes each, like programs), LayerNorm'd as the model's are; --random for structureless
// ones. Run: node --import tsx bench/gene-programs.ts [--genes 1200] [--d 512] [--cells 10000] [--random]
import { cosineEdges, similarGenes } from '../src/analysis/gene-network.ts';
import { genePrograms } from '../src/analysis/gene-programs.ts';
import { exactKnn } from '../src/analysis/knn.ts';
import { adjustedRandIndex } from '../src/analysis/metrics.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { programScores } from '../src/analysis/program-scores.ts';
import { columnMeans, scoreGenes } from '../src/analysis/score-genes.ts';
import type { CsrArrays } from '../src/io/csr.ts';
import { mulberry32 } from '../src/model/random.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const n = Number(arg('genes', '1200'));
const d = Number(arg('d', '512'));
const nCells = Number(arg('cells', '10000'));
const random = process.argv.includes('--random');
const CLUSTERS = 150;

const r = mulberry32(1);
const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const centres = Array.from({ length: CLUSTERS }, () => Float64Array.from({ length: d }, () => gauss() * 1.2));
const truth = Int32Array.from({ length: n }, () => Math.floor(r() * CLUSTERS));
const emb = new Float32Array(n * d);
for (let i = 0; i < n; i++) {
  let mean = 0;
  for (let t = 0; t < d; t++) mean += emb[i * d + t] = (random ? 0 : centres[truth[i]][t]) + gauss();
  mean /= d;
  let v = 0;
  for (let t = 0; t < d; t++) v += (emb[i * d + t] - mean) ** 2;
  const inv = 1 / Math.sqrt(v / d + 1e-12);
  for (let t = 0; t < d; t++) emb[i * d + t] = (emb[i * d + t] - mean) * inv;
}
const genes = Array.from({ length: n }, (_, i) => `GENE${i}`);
const set = { genes, embeddings: emb, d };

const rows: [string, number, string][] = [];
const time = async <T>(name: string, f: () => Promise<T> | T, note = (_: T) => ''): Promise<T> => {
  const t0 = performance.now();
  const v = await f();
  const ms = performance.now() - t0;
  rows.push([name, ms, note(v)]);
  return v;
};

const progs = await genePrograms(set, { resolution: 40, seed: 0 });
for (const [step, ms] of Object.entries(progs.timings)) rows.push([`genePrograms: ${step}`, ms, '']);
const total = Object.values(progs.timings).reduce((s, x) => s + x, 0);
rows.push(['genePrograms: total', total, `${progs.programs.length} programs of >= 5 genes (${progs.programs.reduce((s, p) => s + p.genes.length, 0)} genes); ARI vs the mixture's clusters ${random ? '-' : adjustedRandIndex(progs.clusters, truth).toFixed(3)}`]);
const exact = await time('alternative: exact kNN alone (as inside genePrograms)', () => exactKnn(emb, n, d, 15));
await time('alternative: NN-descent kNN', () => nnDescent(emb, n, d, 15, { seed: 0 }), (a) => {
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const s = new Set(exact.indices.subarray(i * 15, (i + 1) * 15));
    for (let j = 0; j < 15; j++) if (s.has(a.indices[i * 15 + j])) hit++;
  }
  return `recall vs exact ${(hit / (n * 15)).toFixed(4)}`;
});
await time('cosineEdges (>= 0.5, at most 10 per gene)', () => cosineEdges(set, { threshold: 0.5, maxPerNode: 10 }), (e) => `${e.source.length} edges`);
await time('similarGenes (one gene, top 10)', () => similarGenes(set, 0, 10));

// Cells: each gene detected in 5-60% of cells, log-like values; scored over all programs.
const indptr = new Float64Array(nCells + 1);
const idx: number[] = [];
const val: number[] = [];
const rate = Float64Array.from({ length: n }, () => 0.05 + 0.55 * r());
for (let c = 0; c < nCells; c++) {
  for (let g = 0; g < n; g++) {
    if (r() < rate[g]) {
      idx.push(g);
      val.push(Math.log1p(1 + 5 * r()));
    }
  }
  indptr[c + 1] = idx.length;
}
const matrix: CsrArrays = { nRows: nCells, nCols: n, indptr, indices: Uint32Array.from(idx), data: Float32Array.from(val) };
await time(`programScores (${nCells.toLocaleString('en-US')} cells, every program, one pass)`, () => programScores({ matrix, genes }, progs.programs, { seed: 0 }), (s) => `${s.columns.length} columns`);
await time('alternative: scoreGenes once per program (a pass each, as scanpy)', () => {
  const means = columnMeans(matrix);
  return progs.programs.map((p) => scoreGenes(matrix, p.members, { seed: 0 }, means));
});

console.log(`gene programs: ${n} genes, d ${d}, ${random ? 'random (structureless)' : `${CLUSTERS}-cluster mixture`} embeddings, k 15, resolution 40`);
console.log('| step | time | note |');
console.log('|---|---:|---|');
for (const [name, ms, note] of rows) console.log(`| ${name} | ${(ms / 1000).toFixed(3)} s | ${note} |`);
const knnExact = rows.find((x) => x[0].startsWith('alternative: exact'))![1];
const knnApprox = rows.find((x) => x[0].startsWith('alternative: NN'))![1];
console.log(`exact kNN / NN-descent: ${(knnExact / knnApprox).toFixed(2)}x`);
const onePass = rows.find((x) => x[0].startsWith('programScores'))![1];
const perProgram = rows.find((x) => x[0].startsWith('alternative: scoreGenes'))![1];
console.log(`scoreGenes per program / programScores: ${(perProgram / onePass).toFixed(2)}x`);
