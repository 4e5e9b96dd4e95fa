// Annotation benchmark on the labelled datasets in ../shared/data: a stratified 50/50 split per
// dataset, accuracy and macro-F1 of (1) kNN vote on the reference PCA (query projected),
// (2) kNN vote on X_scGPT from the model in public/weights (or --model DIR), (3) multinomial
// logistic regression on the reference's scaled log-normalised HVGs (CellTypist-style baseline).
// Run: node --import tsx bench/annotate.ts [--model DIR] [--only scVI,ACTINN]
import { join } from 'node:path';
import { accuracyF1, stratifiedHalf } from '../src/analysis/annotate.ts';
import { geneMoments, logNormMatrix } from '../src/analysis/expression.ts';
import { hvgSeurat } from '../src/analysis/hvg.ts';
import { fitLogReg, predictLogReg } from '../src/analysis/logreg.ts';
import { labelColumn, mapWithin } from '../src/analysis/mapping.ts';
import { applyScale, scaleCsrInPlace } from '../src/analysis/scale.ts';
import { totalCountsPerCell } from '../src/io/iterate.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn, Dataset } from '../src/io/types.ts';
import { cpuEncoder, embedDataset } from '../src/model/embed.ts';
import { loadEnsemblMap, loadModelDir } from '../src/model/node-model.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const SHARED = join(import.meta.dirname, '../../shared/data');
const DATASETS = [
  ['pbmc68k_reduced', 'pbmc68k_reduced_with_counts.h5ad', 'bulk_labels'],
  ['Compocyte T cells', 'compocyte_tcells_861x1011_counts.h5ad', 'labels'],
  ['scVI.jl PBMC', 'scvijl_pbmc_7480x200_counts.h5ad', 'cell_type'],
  ['ACTINN mouse', 'mouse/actinn_mouse_1000x14063_counts.h5ad', 'cell_type'],
] as const;

async function logRegBaseline(ds: Dataset, labels: CategoricalColumn, isRef: Uint8Array, isQuery: Uint8Array) {
  const key = ds.countsKey!;
  const totals = await totalCountsPerCell(ds, key);
  const hvg = hvgSeurat(await geneMoments(ds, key, isRef, totals), 2000);
  const R = await logNormMatrix(ds, key, isRef, totals, hvg.genes);
  const sc = scaleCsrInPlace(R, 10);
  const Q = await logNormMatrix(ds, key, isQuery, totals, hvg.genes);
  applyScale(Q, sc, 10);
  const yRef = Int32Array.from(labels.codes.filter((_, i) => isRef[i]));
  const model = await fitLogReg(R, yRef, labels.categories.length, { epochs: 300, l2: 1e-2 });
  return predictLogReg(model, Q).predicted;
}

const modelDir = arg('model', join(import.meta.dirname, '../public/weights/scgpt-tiny-fixture'));
const model = await loadModelDir(modelDir);
const ensembl = await loadEnsemblMap();
console.log(`scGPT model: ${model.description}`);
const rows = ['| dataset | cells | labels | kNN on PCA acc / F1 | kNN on X_scGPT acc / F1 | logistic regression acc / F1 |', '|---|---:|---:|---|---|---|'];
const only = arg('only', '');
for (const [name, file, col] of DATASETS.filter(([n]) => !only || only.split(',').some((o) => n.includes(o)))) {
  const ds = await openPaths([join(SHARED, file)]);
  const labels = labelColumn(ds, col);
  const isRef = stratifiedHalf(labels.codes, 0);
  const isQuery = Uint8Array.from(isRef, (v, i) => (v || labels.codes[i] < 0 ? 0 : 1));
  const truth = Int32Array.from(labels.codes.filter((_, i) => isQuery[i]));
  const fmt = (r: { accuracy: number; macroF1: number }) => `${r.accuracy.toFixed(3)} / ${r.macroF1.toFixed(3)}`;
  const base = { labelColumn: col, reference: 'half' as const, k: 10, weighted: false, minConfidence: 0, seed: 0 };
  const pca = await mapWithin(ds, { ...base, embedding: 'pca' });
  let scgpt: string;
  try {
    const t = performance.now();
    const emb = await embedDataset(ds, model, cpuEncoder(model), { ensemblToSymbol: ensembl });
    ds.addEmbedding({ key: 'X_scGPT', shape: [ds.nObs, emb.dim], data: emb.embeddings });
    const embMs = performance.now() - t;
    const s = await mapWithin(ds, { ...base, embedding: 'X_scGPT' });
    scgpt = `${fmt(s.report as { accuracy: number; macroF1: number })} (${emb.mapping.matched}/${emb.mapping.total} genes in vocab, ${(embMs / 1000).toFixed(1)} s CPU)`;
  } catch (err) {
    scgpt = `n/a: ${(err as Error).message.replace(/\|/g, '/')}`;
  }
  const lr = accuracyF1(truth, await logRegBaseline(ds, labels, isRef, isQuery), labels.categories.length);
  rows.push(`| ${name} (${col}) | ${ds.nObs} | ${labels.categories.length} | ${fmt(pca.report as { accuracy: number; macroF1: number })} | ${scgpt} | ${fmt(lr)} |`);
  console.log(rows.at(-1));
  ds.close();
}
console.log(['', ...rows].join('\n'));
