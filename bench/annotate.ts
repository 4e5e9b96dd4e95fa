// Annotation benchmark on the labelled datasets in ../shared/data: a stratified 50/50 split per
// dataset (mapWithin's 'half' mode, seed 0), every query cell given its best label (no threshold),
// accuracy, macro-F1 and ECE (15 bins) of (1) kNN vote on the reference PCA (query projected),
// (2) logistic regression one-vs-rest and (3) multinomial (CellTypist's recipe, 10% of the
// reference held back for the temperature), beside scikit-learn's LogisticRegression (lbfgs, C 1,
// max_iter 1000, CellTypist's preprocessing) trained on the whole reference half, run through
// /usr/bin/python3; (4) a CellTypist model: CellTypist's train() recipe (one-vs-rest with its
// feature selection) written as a .pkl, read back by the safe unpickler and applied as
// celltypist.annotate does (uncalibrated conf_score), per cell and after majority voting over
// CellTypist's over-clustering of the query half (the shared voting step, vote-predictions.ts); (5) scGPT's classifier head on
// the encoder's <cls> embeddings, with the only scGPT weights here (the parity fixture's random
// tiny checkpoint: it measures the path, not scGPT's accuracy). Then training time of logistic
// regression on 100k synthetic cells x 2,000 genes, 1 vs 2 threads.
// Run: node --import tsx bench/annotate.ts [--only pbmc,ACTINN] [--synthetic 100000] (0: skip) [--train-times false] [--head false]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expectedCalibrationError } from '../src/analysis/calibration.ts';
import { evaluatePredictions } from '../src/analysis/evaluation.ts';
import { fitLogisticRegression, standardScaler, type LogRegParams } from '../src/analysis/logistic-regression.ts';
import { GradientJob } from '../src/analysis/logreg-gradient.ts';
import { DEFAULT_MAP_PARAMS, labelColumn, mapWithin, type MapParams } from '../src/analysis/mapping.ts';
import { celltypistPredict } from '../src/analysis/celltypist.ts';
import { readCelltypistModel, writeCelltypistModel } from '../src/analysis/celltypist-model.ts';
import { sortedCategorical } from '../src/analysis/majority-voting.ts';
import { checkVoting, DEFAULT_VOTING, votePredictions } from '../src/analysis/vote-predictions.ts';
import { DEFAULT_HEAD_PARAMS, headWithin } from '../src/analysis/scgpt-head.ts';
import { loadModelDir, nodeEncoder } from '../src/model/node-model.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { stratifiedHalf } from '../src/analysis/annotate.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn, Dataset, NumericColumn } from '../src/io/types.ts';
import { syntheticCells } from './synthetic-cells.ts';
import { LABELLED_SETS, SHARED_DATA } from './labelled-sets.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const SHARED = SHARED_DATA;
const DATASETS = LABELLED_SETS.filter(([name]) => name !== 'scVI.jl PBMC');

interface Score {
  accuracy: number;
  macroF1: number;
  ece: number;
  seconds: number;
  note?: string;
}
const fmt = (s: Score) => `${s.accuracy.toFixed(3)} / ${s.macroF1.toFixed(3)} / ${s.ece.toFixed(3)}`;

/** Scores of a half-mode mapping on its query cells, from the columns it wrote. */
async function ours(ds: Dataset, p: MapParams): Promise<Score & { extra: string }> {
  const t = performance.now();
  const { columns, report } = await mapWithin(ds, { ...p, reference: 'half', minConfidence: 0, seed: 0 });
  const seconds = (performance.now() - t) / 1000;
  const pred = columns[0] as CategoricalColumn;
  const conf = columns[1] as NumericColumn;
  const split = columns[2] as CategoricalColumn;
  const truth = labelColumn(ds, p.labelColumn);
  const q = Uint8Array.from(split.codes, (c) => (c === 1 ? 1 : 0));
  const e = evaluatePredictions(truth, pred, q);
  const c: number[] = [];
  const ok: boolean[] = [];
  for (let i = 0; i < ds.nObs; i++) {
    if (!q[i]) continue;
    c.push(conf.values[i]);
    ok.push(pred.categories[pred.codes[i]] === truth.categories[truth.codes[i]]);
  }
  const cal = report.calibration;
  const tr = report.training;
  const extra = cal && tr ? `T ${cal.temperature.toFixed(2)}, held-back ECE ${cal.eceBefore.toFixed(3)} -> ${cal.eceAfter.toFixed(3)}; ${tr.iterations} it, train ${tr.seconds.toFixed(1)} s` : '';
  return { accuracy: e.accuracy, macroF1: e.macroF1, ece: expectedCalibrationError(c, ok), seconds, extra };
}

/** sklearn on the same split: trained on the whole reference half, CellTypist's preprocessing. */
function sklearn(path: string, ds: Dataset, column: string, multiClass: 'ovr' | 'multinomial'): Score {
  const lab = labelColumn(ds, column);
  const ref = stratifiedHalf(lab.codes, 0);
  const train = [...ref.keys()].filter((i) => ref[i]);
  const test = [...ref.keys()].filter((i) => !ref[i] && lab.codes[i] >= 0);
  const key = ds.countsKey;
  const req = { path, counts: key ?? 'raw/X', log: !key, train, test, y_train: train.map((i) => lab.codes[i]), multi_class: multiClass, C: 1, max_iter: 1000, tol: 1e-4 };
  const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, '../test/reference/sklearn_logreg.py')], { input: JSON.stringify(req), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(r.stderr);
  const sk = JSON.parse(r.stdout) as { test_pred: number[]; test_conf: number[]; fit_seconds: number; n_iter: number };
  const truth = { name: column, codes: Int32Array.from(test, (i) => lab.codes[i]), categories: lab.categories };
  const e = evaluatePredictions(truth, { codes: Int32Array.from(sk.test_pred), categories: lab.categories }, null);
  return { accuracy: e.accuracy, macroF1: e.macroF1, ece: expectedCalibrationError(sk.test_conf, sk.test_pred.map((p, i) => p === truth.codes[i])), seconds: sk.fit_seconds, note: `${sk.n_iter} it` };
}

/** Accuracy, macro-F1 and ECE of per-cell labels (strings) on the query half `q`. */
function scoreLabels(truth: CategoricalColumn, labels: readonly string[], conf: ArrayLike<number>, q: Uint8Array): Score {
  const cats = [...truth.categories];
  const index = new Map(cats.map((c, i) => [c, i]));
  // A label the truth lacks ('Heterogeneous', 'unassigned') is wrong; it gets a category of its own.
  const codes = Int32Array.from(labels, (l) => index.get(l) ?? (index.set(l, cats.push(l) - 1), cats.length - 1));
  const e = evaluatePredictions({ ...truth, categories: cats }, { codes, categories: cats }, q);
  const c: number[] = [];
  const ok: boolean[] = [];
  for (let i = 0; i < q.length; i++) {
    if (!q[i] || truth.codes[i] < 0) continue;
    c.push(conf[i]);
    ok.push(labels[i] === truth.categories[truth.codes[i]]);
  }
  return { accuracy: e.accuracy, macroF1: e.macroF1, ece: expectedCalibrationError(c, ok), seconds: 0 };
}

/** CellTypist's recipe trained on the reference half, through a .pkl, applied as celltypist.annotate; then majority voting. */
async function celltypistModel(ds: Dataset, base: MapParams): Promise<{ cell: Score; voted: Score; extra: string }> {
  const t = performance.now();
  const { columns, model } = await mapWithin(ds, { ...base, method: 'logreg', reference: 'half', minConfidence: 0, seed: 0, logreg: { ...base.logreg, multiClass: 'ovr', featureSelection: true } });
  const bytes = writeCelltypistModel(model!, { sklearnVersion: '1.2.1' });
  const { model: read } = readCelltypistModel(bytes, 'bench.pkl');
  const pred = await celltypistPredict(ds, read, { mode: 'best match', pThres: 0.5 });
  const seconds = (performance.now() - t) / 1000;
  const split = columns[2] as CategoricalColumn;
  const q = Uint8Array.from(split.codes, (c) => (c === 1 ? 1 : 0));
  const truth = labelColumn(ds, base.labelColumn);
  const cell = { ...scoreLabels(truth, pred.labels, pred.confScore, q), seconds };
  // Voted as `scweb annotate --majority-voting` does: CellTypist's over-clustering of the query half alone.
  const t2 = performance.now();
  const predicted = { name: 'predicted_labels', ...sortedCategorical(pred.labels) };
  const v = { ...DEFAULT_VOTING, majorityVoting: true };
  const r = await votePredictions(ds, predicted, v, { cells: q, stem: '', given: checkVoting(ds, v, q), input: () => pred.input, categories: 'sorted' });
  if (!r.report) throw new Error(r.warning);
  const votedCol = r.columns[1] as CategoricalColumn;
  const oc = r.columns[0] as CategoricalColumn;
  const votedLabels = Array.from(votedCol.codes, (c) => votedCol.categories[c]);
  // Confidence of a voted label: its share of the over-cluster's votes.
  const votes = new Map<number, number>();
  const agree = new Map<number, number>();
  oc.codes.forEach((c, i) => {
    if (!q[i]) return;
    votes.set(c, (votes.get(c) ?? 0) + 1);
    if (pred.labels[i] === votedLabels[i]) agree.set(c, (agree.get(c) ?? 0) + 1);
  });
  const votedConf = Float64Array.from(oc.codes, (c) => (agree.get(c) ?? 0) / (votes.get(c) ?? 1));
  const voted = { ...scoreLabels(truth, votedLabels, votedConf, q), seconds: (performance.now() - t2) / 1000 };
  return { cell, voted, extra: `${read.features.length} genes after feature selection, .pkl ${(bytes.length / 1024).toFixed(0)} KiB; ${r.report.nClusters} over-clusters (${r.report.overClustering})` };
}

/** scGPT's head (10 epochs, lr 1e-4, batches of 32: its tutorial's) on the tiny random-weight checkpoint. */
async function scgptHead(ds: Dataset, column: string): Promise<Score & { extra: string }> {
  const model = await loadModelDir(join(import.meta.dirname, '../../shared/fixtures/scgpt-parity/tiny/checkpoint'));
  const { encoder, dispose } = await nodeEncoder(model, 'wasm', () => {}, 1);
  const t = performance.now();
  const r = await headWithin(ds, model, encoder, { ...DEFAULT_HEAD_PARAMS, labelColumn: column, reference: 'half', minConfidence: 0, seed: 0 });
  const seconds = (performance.now() - t) / 1000;
  dispose();
  const truth = labelColumn(ds, column);
  const labels = new Array<string>(ds.nObs).fill('');
  const conf = new Float64Array(ds.nObs);
  const q = new Uint8Array(ds.nObs);
  const K = r.categories.length;
  r.queryCells.forEach((cell, k) => {
    let b = 0;
    for (let c = 1; c < K; c++) if (r.probabilities[k * K + c] > r.probabilities[k * K + b]) b = c;
    labels[cell] = r.categories[b];
    conf[cell] = r.probabilities[k * K + b];
    q[cell] = 1;
  });
  const last = r.report.history.at(-1);
  return { ...scoreLabels(truth, labels, conf, q), seconds, extra: `${r.queryCells.length} query cells, held-back accuracy ${r.report.heldOut?.accuracy.toFixed(3)}, last train loss ${last?.trainLoss.toFixed(3)}` };
}

const only = arg('only', '');
const withHead = arg('head', 'true') === 'true';
const rows = [
  '| dataset | cells | labels | kNN on PCA | logreg OvR | logreg multinomial | CellTypist model | + majority voting | sklearn OvR | sklearn multinomial |',
  '|---|---:|---:|---|---|---|---|---|---|---|',
];
const headRows = ['| dataset | scGPT head (tiny random checkpoint) | majority label share |', '|---|---|---:|'];
const notes: string[] = [];
for (const [name, file, col] of DATASETS.filter(([n]) => !only || only.split(',').some((o) => n.toLowerCase().includes(o.toLowerCase())))) {
  const path = join(SHARED, file);
  const ds = await openPaths([path]);
  const base: MapParams = { ...DEFAULT_MAP_PARAMS, labelColumn: col };
  const knn = await ours(ds, { ...base, method: 'knn' });
  const ovr = await ours(ds, { ...base, method: 'logreg', logreg: { ...base.logreg, multiClass: 'ovr' } });
  const mn = await ours(ds, { ...base, method: 'logreg', logreg: { ...base.logreg, multiClass: 'multinomial' } });
  const ct = await celltypistModel(ds, base);
  const skOvr = sklearn(path, ds, col, 'ovr');
  const skMn = sklearn(path, ds, col, 'multinomial');
  rows.push(`| ${name} (${col}) | ${ds.nObs} | ${labelColumn(ds, col).categories.length} | ${fmt(knn)} | ${fmt(ovr)} | ${fmt(mn)} | ${fmt(ct.cell)} | ${fmt(ct.voted)} | ${fmt(skOvr)} | ${fmt(skMn)} |`);
  notes.push(`- ${name}: time (s, whole mapping incl. reading) kNN ${knn.seconds.toFixed(1)}, OvR ${ovr.seconds.toFixed(1)} (${ovr.extra}), multinomial ${mn.seconds.toFixed(1)} (${mn.extra}), CellTypist model ${ct.cell.seconds.toFixed(1)} + voting ${ct.voted.seconds.toFixed(1)} (${ct.extra}); sklearn fit OvR ${skOvr.seconds.toFixed(2)} (${skOvr.note}), multinomial ${skMn.seconds.toFixed(2)} (${skMn.note})`);
  console.log(rows.at(-1));
  console.log(notes.at(-1));
  if (withHead && name.startsWith('pbmc68k')) {
    const h = await scgptHead(ds, col);
    const truth = labelColumn(ds, col);
    const counts = new Map<number, number>();
    truth.codes.forEach((c) => c >= 0 && counts.set(c, (counts.get(c) ?? 0) + 1));
    const majority = Math.max(...counts.values()) / [...counts.values()].reduce((a, b) => a + b, 0);
    headRows.push(`| ${name} (${col}) | ${fmt(h)} | ${majority.toFixed(3)} |`);
    notes.push(`- ${name}: scGPT head ${h.seconds.toFixed(1)} s (embedding + 10 epochs, WASM encoder; ${h.extra})`);
    console.log(headRows.at(-1));
  }
  ds.close();
}

// Training time on many cells: 100k x 2,000 genes (about 10% expressed), 10 classes.
const nSynthetic = Number(arg('synthetic', '100000'));
const trainTimes = arg('train-times', 'true') === 'true';
if (nSynthetic > 0) {
  const { x, y } = syntheticCells(nSynthetic, 2000, 10, 1);
  console.log(`synthetic: ${x.nRows} cells x ${x.nCols} genes, ${(x.indices.length / x.nRows).toFixed(0)} stored per cell`);
  const classes = Array.from({ length: 10 }, (_, c) => `type${c}`);
  const genes = Array.from({ length: 2000 }, (_, j) => `gene${j}`);
  // One full gradient evaluation (every cell, the L-BFGS unit of work), 1 and 2 threads taking
  // turns, 5 times each: on a shared machine the fastest of each is the least disturbed.
  const { mean, scale } = standardScaler(x);
  const evalMs: Record<number, number[]> = { 1: [], 2: [] };
  const jobs = [1, 2].map((threads) => {
    const pool = nodePool(threads);
    return { threads, pool, job: new GradientJob({ x, y, nClasses: 10, mean, scale, clip: 10 }, false, pool) };
  });
  const theta = Float64Array.from({ length: 2000 * 10 + 10 }, (_, i) => ((i * 7919) % 101) / 1e4);
  const grad = new Float64Array(theta.length);
  for (let rep = 0; rep < 6; rep++) {
    for (const j of jobs) {
      const t = performance.now();
      await j.job.evaluate(theta, grad, null);
      // The first round warms the JIT and sends the matrix to the workers.
      if (rep > 0) evalMs[j.threads].push(performance.now() - t);
    }
  }
  for (const j of jobs) {
    j.job.close();
    j.pool?.terminate();
  }
  const stat = (a: number[]) => `min ${(Math.min(...a) / 1000).toFixed(2)} s, median ${(a.sort((p, q) => p - q)[a.length >> 1] / 1000).toFixed(2)} s`;
  console.log(`one gradient evaluation over ${x.nRows} cells: 1 thread ${stat(evalMs[1])}; 2 threads ${stat(evalMs[2])}`);
  const timing = ['| solver | threads | iterations / epochs | converged | seconds | s per iteration / epoch |', '|---|---:|---:|---|---:|---:|'];
  for (const [solver, maxIter] of trainTimes ? ([['lbfgs', 50], ['sgd', 100]] as const) : []) {
    for (const threads of [1, 2]) {
      const pool = nodePool(threads);
      const params: LogRegParams = { multiClass: 'ovr', C: 1, solver, featureSelection: false, topGenes: 300, seed: 0, maxIter };
      const t = performance.now();
      const { report } = await fitLogisticRegression(x, y, classes, genes, params, { pool });
      const s = (performance.now() - t) / 1000;
      pool?.terminate();
      timing.push(`| ${solver === 'lbfgs' ? `L-BFGS (capped at ${maxIter})` : 'mini-batch SGD (1,000 cells)'} | ${threads} | ${report.iterations} | ${report.converged ? 'yes' : 'no'} | ${s.toFixed(1)} | ${(s / report.iterations).toFixed(2)} |`);
      console.log(timing.at(-1));
    }
  }
  console.log(['', ...timing].join('\n'));
}
console.log(['', 'accuracy / macro-F1 / ECE on the query half', ...rows, '', ...(headRows.length > 2 ? [...headRows, ''] : []), ...notes].join('\n'));
