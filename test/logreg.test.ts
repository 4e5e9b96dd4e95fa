// Logistic regression as CellTypist trains it: the L-BFGS solution against scikit-learn's
// LogisticRegression on the same cells of a real file (one-vs-rest and multinomial, 10 classes
// and 2), the solver itself, feature selection, the model's JSON form, and calibration: the
// temperature fit and the expected calibration error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stratifiedHalf } from '../src/analysis/annotate.ts';
import { writeCelltypistModel } from '../src/analysis/celltypist-model.ts';
import { calibrate, expectedCalibrationError, fitTemperature, reliability } from '../src/analysis/calibration.ts';
import { logNormMatrix } from '../src/analysis/expression.ts';
import { lbfgs } from '../src/analysis/lbfgs.ts';
import { linearAnnotatorFromJson, linearAnnotatorToJson } from '../src/analysis/linear-annotator-json.ts';
import { bestOf, decisionFunction, probabilities } from '../src/analysis/linear-predict.ts';
import { fitLogisticRegression, selectColumns, standardScaler, topGenesPerClass, type LogRegParams } from '../src/analysis/logistic-regression.ts';
import { GradientJob } from '../src/analysis/logreg-gradient.ts';
import { DEFAULT_MAP_PARAMS, labelColumn, mapWithin } from '../src/analysis/mapping.ts';
import { totalCountsPerCell } from '../src/io/iterate.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { mulberry32 } from '../src/model/random.ts';
import { shared } from './helpers.ts';
import { synthetic } from './logreg-fixture.ts';

const PYTHON = '/usr/bin/python3';
const hasSklearn = (() => {
  const ok = spawnSync(PYTHON, ['-c', 'import anndata, sklearn'], { encoding: 'utf8' }).status === 0;
  if (!ok && process.env.CI) throw new Error(`${PYTHON} cannot import sklearn: CI needs python3-sklearn (make pydeps)`);
  return ok;
})();

const PARAMS: LogRegParams = { multiClass: 'ovr', C: 1, solver: 'lbfgs', featureSelection: false, topGenes: 300, seed: 0 };

/** A file's stratified half (seed 0) as training cells, log1p(CP10k) over all genes. */
async function trainingHalf(file: string, column: string) {
  const path = shared(file);
  const ds = await openPaths([path]);
  const lab = labelColumn(ds, column);
  const key = ds.countsKey!;
  const train = stratifiedHalf(lab.codes, 0);
  const genes = ds.varNamesOf(key);
  const totals = await totalCountsPerCell(ds, key);
  const x = await logNormMatrix(ds, key, train, totals, Int32Array.from(genes, (_, i) => i));
  const rest = Uint8Array.from(train, (v, i) => (v || lab.codes[i] < 0 ? 0 : 1));
  const xTest = await logNormMatrix(ds, key, rest, totals, Int32Array.from(genes, (_, i) => i));
  const trainIdx = [...train.keys()].filter((i) => train[i]);
  const testIdx = [...rest.keys()].filter((i) => rest[i]);
  ds.close();
  return { path, key, lab, genes, x, xTest, y: Int32Array.from(trainIdx, (i) => lab.codes[i]), trainIdx, testIdx };
}

function sklearn(req: Record<string, unknown>): { features: number[]; coef: number[][]; intercept: number[]; mean: number[]; scale: number[]; test_pred: number[]; n_iter: number } {
  const r = spawnSync(PYTHON, [new URL('reference/sklearn_logreg.py', import.meta.url).pathname], { input: JSON.stringify(req), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe.skipIf(!hasSklearn)('the L-BFGS solution is scikit-learn\'s', () => {
  it.each([
    ['data/pbmc68k_reduced_with_counts.h5ad', 'bulk_labels', 'ovr'],
    ['data/pbmc68k_reduced_with_counts.h5ad', 'bulk_labels', 'multinomial'],
    ['data/format_variants/cellxgene_example_with_labels.h5ad', 'cell_type', 'ovr'],
    ['data/format_variants/cellxgene_example_with_labels.h5ad', 'cell_type', 'multinomial'],
  ] as const)('%s %s, %s', async (file, column, multiClass) => {
    const d = await trainingHalf(file, column);
    // Both solved far past the defaults, so each is at the optimum and they can be compared.
    const { model, report } = await fitLogisticRegression(d.x, d.y, d.lab.categories, d.genes, { ...PARAMS, multiClass, tol: 1e-6, ftol: 1e-13, maxIter: 5000 });
    expect(report.converged).toBe(true);
    const sk = sklearn({ path: d.path, counts: d.key, train: d.trainIdx, test: d.testIdx, y_train: Array.from(d.y), multi_class: multiClass, C: 1, max_iter: 10000, tol: 1e-8 });
    // The same genes (those with counts in the training cells), scaler and coefficients.
    expect(model.features).toEqual(sk.features.map((j) => d.genes[j]));
    const p = model.features.length;
    for (let j = 0; j < p; j++) {
      expect(Math.abs(model.scalerMean[j] - sk.mean[j])).toBeLessThan(1e-6 * Math.max(1, sk.mean[j]));
      expect(Math.abs(model.scalerScale[j] / sk.scale[j] - 1)).toBeLessThan(1e-6);
    }
    let maxCoef = 0;
    let maxDiff = 0;
    for (let c = 0; c < model.classes.length; c++) {
      for (let j = 0; j < p; j++) {
        maxCoef = Math.max(maxCoef, Math.abs(sk.coef[c][j]));
        maxDiff = Math.max(maxDiff, Math.abs(model.coef[c * p + j] - sk.coef[c][j]));
      }
      // Intercepts lie along flat directions of the objective: both solvers stop on scipy's relative decrease.
      expect(Math.abs(model.intercept[c] - sk.intercept[c])).toBeLessThan(5e-3 * Math.max(1, Math.abs(sk.intercept[c])));
    }
    // ... and ours is at least as low on sklearn's objective (summed log-loss + ||W||^2 / 2C) as sklearn's.
    const objective = async (coef: (c: number, j: number) => number, intercept: (c: number) => number) => {
      const K = model.classes.length;
      const keepCols = new Int32Array(d.genes.length).fill(-1);
      sk.features.forEach((j, i) => (keepCols[j] = i));
      const job = new GradientJob({ x: selectColumns(d.x, keepCols, p), y: d.y, nClasses: K, mean: model.scalerMean, scale: model.scalerScale, clip: 10 }, multiClass === 'multinomial', null);
      const theta = new Float64Array(p * K + K);
      let pen = 0;
      for (let c = 0; c < K; c++) {
        for (let j = 0; j < p; j++) pen += 0.5 * coef(c, j) ** 2;
        for (let j = 0; j < p; j++) theta[j * K + c] = coef(c, j);
        theta[p * K + c] = intercept(c);
      }
      const f = (await job.evaluate(theta, new Float64Array(theta.length), null)) + pen;
      job.close();
      return f;
    };
    const fOurs = await objective((c, j) => model.coef[c * p + j], (c) => model.intercept[c]);
    const fSk = await objective((c, j) => sk.coef[c][j], (c) => sk.intercept[c]);
    expect(fOurs).toBeLessThanOrEqual(fSk * (1 + 1e-9));
    console.log(`${file} ${multiClass}: max |coef - sklearn| ${maxDiff.toExponential(2)} of max |coef| ${maxCoef.toFixed(3)}; ${report.iterations} iterations (sklearn ${sk.n_iter}); objective ${fOurs} (sklearn's solution ${fSk})`);
    expect(maxDiff).toBeLessThan(1e-3 * maxCoef);
    // The held-out cells get sklearn's labels.
    const keep = new Int32Array(d.genes.length).fill(-1);
    sk.features.forEach((j, i) => (keep[j] = i));
    const K = model.classes.length;
    const { best } = bestOf(probabilities(await decisionFunction(model, selectColumns(d.xTest, keep, p)), K, model.multiClass), K);
    let same = 0;
    best.forEach((b, i) => (same += b === sk.test_pred[i] ? 1 : 0));
    expect(same / best.length).toBeGreaterThanOrEqual(0.995);
  }, 120_000);
});

describe.skipIf(!hasSklearn)('label transfer trains on the whole reference, as sklearn would', () => {
  it('pbmc68k half -> half: after the held-back calibration the model is refit on every reference cell and labels the query as sklearn does', async () => {
    const file = 'data/pbmc68k_reduced_with_counts.h5ad';
    const d = await trainingHalf(file, 'bulk_labels');
    const ds = await openPaths([d.path]);
    const { columns, report } = await mapWithin(ds, { ...DEFAULT_MAP_PARAMS, method: 'logreg', labelColumn: 'bulk_labels', reference: 'half', minConfidence: 0, seed: 0 });
    ds.close();
    // The held-back 10% fitted the temperature; the final fit saw all of the half, from the first solution.
    expect(report.training!.nCells).toBe(d.trainIdx.length);
    expect(report.calibration!.nHeldOut).toBeGreaterThan(0);
    expect(report.training!.message).toMatch(/then on all \d+ reference cells from the \d+-cell fit/);
    const sk = sklearn({ path: d.path, counts: d.key, train: d.trainIdx, test: d.testIdx, y_train: Array.from(d.y), multi_class: 'multinomial', C: 1, max_iter: 1000, tol: 1e-4 });
    const pred = columns[0] as CategoricalColumn;
    let same = 0;
    d.testIdx.forEach((cell, k) => (same += pred.categories[pred.codes[cell]] === d.lab.categories[sk.test_pred[k]] ? 1 : 0));
    expect(same / d.testIdx.length).toBeGreaterThanOrEqual(0.99);
  }, 120_000);
});

describe.skipIf(!hasSklearn)('a trained model is a CellTypist model', () => {
  it.each([
    ['data/pbmc68k_reduced_with_counts.h5ad', 'bulk_labels', 'multinomial'],
    ['data/format_variants/cellxgene_example_with_labels.h5ad', 'cell_type', 'ovr'],
  ] as const)('%s (%s, %s): written as a .pkl, sklearn gives the same decisions', async (file, column, multiClass) => {
    const d = await trainingHalf(file, column);
    const { model } = await fitLogisticRegression(d.x, d.y, d.lab.categories, d.genes, { ...PARAMS, multiClass });
    const dir = mkdtempSync(join(tmpdir(), 'scweb-logreg-pkl-'));
    writeFileSync(join(dir, 'm.pkl'), writeCelltypistModel(model, { sklearnVersion: '1.2.1' }));
    // The first 20 held-out cells, log1p(CP10k) over the model's features, dense.
    const keep = new Int32Array(d.genes.length).fill(-1);
    model.features.forEach((g, i) => (keep[d.genes.indexOf(g)] = i));
    const x = selectColumns(d.xTest, keep, model.features.length);
    const rows = Array.from({ length: 20 }, (_, i) => {
      const row = new Array<number>(x.nCols).fill(0);
      for (let a = x.indptr[i]; a < x.indptr[i + 1]; a++) row[x.indices[a]] = x.data[a];
      return row;
    });
    writeFileSync(join(dir, 'x.json'), JSON.stringify(rows));
    const r = spawnSync(PYTHON, [new URL('reference/celltypist_load.py', import.meta.url).pathname, join(dir, 'm.pkl'), join(dir, 'x.json')], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(r.stderr);
    const got = JSON.parse(r.stdout) as { classes: string[]; decision: number[][]; predict: string[] };
    expect(got.classes).toEqual(model.classes);
    const ours = await decisionFunction(model, x);
    const K = model.classes.length;
    for (let i = 0; i < 20; i++) {
      // sklearn's binary model has one decision value, class 1's.
      const theirs = K === 2 ? [-got.decision[i][0], got.decision[i][0]] : got.decision[i];
      for (let c = 0; c < K; c++) expect(Math.abs(ours[i * K + c] - theirs[c])).toBeLessThan(1e-9 * Math.max(1, Math.abs(theirs[c])));
    }
    const { best } = bestOf(probabilities(ours, K, model.multiClass), K);
    expect(got.predict).toEqual(Array.from(best.subarray(0, 20), (b) => model.classes[b]));
  }, 60_000);
});

describe('the solver', () => {
  it('L-BFGS finds the minimum of the Rosenbrock function', async () => {
    const r = await lbfgs(
      Float64Array.from([-1.2, 1]),
      async (x, g) => {
        g[0] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]);
        g[1] = 200 * (x[1] - x[0] ** 2);
        return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2;
      },
      { maxIter: 200, gtol: 1e-8, ftol: 0 },
    );
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
  });

  it('StandardScaler: population standard deviation over zeros too, 1 for a constant gene', () => {
    // Column 0: 1, 0, 3, 0 (mean 1, var 1.5); column 1: never stored.
    const x = { nRows: 4, nCols: 2, indptr: Float64Array.from([0, 1, 1, 2, 2]), indices: Uint32Array.from([0, 0]), data: Float32Array.from([1, 3]) };
    const s = standardScaler(x);
    expect(s.mean[0]).toBe(1);
    expect(s.scale[0]).toBeCloseTo(Math.sqrt(1.5), 14);
    expect(s.mean[1]).toBe(0);
    expect(s.scale[1]).toBe(1);
  });

  it('SGD on many cells reaches the accuracy of L-BFGS (same objective, early stopping)', async () => {
    const { x, y, xTest, yTest } = synthetic(6000, 120, 4);
    const classes = ['a', 'b', 'c', 'd'];
    const genes = Array.from({ length: 120 }, (_, j) => `g${j}`);
    const acc = async (solver: 'lbfgs' | 'sgd') => {
      const { model, report } = await fitLogisticRegression(x, y, classes, genes, { ...PARAMS, solver, batchSize: 500 });
      const { best } = bestOf(probabilities(await decisionFunction(model, xTest), 4, 'ovr'), 4);
      return { acc: best.reduce((s, b, i) => s + (b === yTest[i] ? 1 : 0), 0) / best.length, report };
    };
    const l = await acc('lbfgs');
    const s = await acc('sgd');
    expect(s.report.solver).toBe('sgd');
    expect(s.report.converged).toBe(true);
    expect(l.acc).toBeGreaterThan(0.8);
    expect(s.acc).toBeGreaterThan(l.acc - 0.03);
  }, 60_000);

  it('feature selection keeps each class\'s top genes by |coefficient| (their union) and refits on them', async () => {
    // theta is feature-major: theta[j * K + c].
    const theta = Float64Array.from([5, 0, -4, 0, 0.1, 3, 0, -2, 1, 1]);
    expect(Array.from(topGenesPerClass(theta, 5, 2, 2))).toEqual([0, 1, 2, 3]);
    const d = await trainingHalf('data/pbmc68k_reduced_with_counts.h5ad', 'bulk_labels');
    const { model, report } = await fitLogisticRegression(d.x, d.y, d.lab.categories, d.genes, { ...PARAMS, featureSelection: true, topGenes: 30 });
    expect(model.features.length).toBeGreaterThanOrEqual(30);
    expect(model.features.length).toBeLessThanOrEqual(300);
    expect(report.nFeatures).toBe(model.features.length);
    expect(report.featureSelection).toMatch(new RegExp(`^${model.features.length} of ${report.nGenes} genes`));
    // Fewer genes than top_genes: nothing to select, all kept.
    const all = await fitLogisticRegression(d.x, d.y, d.lab.categories, d.genes, { ...PARAMS, featureSelection: true, topGenes: 5000 });
    expect(all.model.features.length).toBe(all.report.nGenes);
  }, 60_000);

  it('the model survives JSON with the same bits and gives the same decisions', async () => {
    const { x, y } = synthetic(300, 20, 3);
    const { model } = await fitLogisticRegression(x, y, ['a', 'b', 'c'], Array.from({ length: 20 }, (_, j) => `g${j}`), { ...PARAMS, multiClass: 'multinomial' });
    model.temperature = 1.7;
    const back = linearAnnotatorFromJson(linearAnnotatorToJson(model), 'm.json');
    expect(back.coef).toEqual(model.coef);
    expect(back.scalerScale).toEqual(model.scalerScale);
    expect(back.temperature).toBe(1.7);
    expect(await decisionFunction(back, x)).toEqual(await decisionFunction(model, x));
    expect(() => linearAnnotatorFromJson('{"format":"other"}', 'm.json')).toThrow(/m\.json: not a scWeb linear annotator/);
  });
});

describe('calibration', () => {
  it('ECE: 15 equal bins of confidence, |accuracy - confidence| weighted by cells', () => {
    // Bin (0.8, 0.8667]: 0.85 x2, one right: |0.5 - 0.85|; bin (0.9333, 1]: 0.95 x2, both right: |1 - 0.95|.
    expect(expectedCalibrationError([0.85, 0.85, 0.95, 0.95], [1, 0, 1, 1])).toBeCloseTo((2 * 0.35 + 2 * 0.05) / 4, 12);
    // 1/15 exactly belongs to the first bin (right-closed bins), 1 to the last.
    const r = reliability([1 / 15, 1], [0, 1]);
    expect(r.count[0]).toBe(1);
    expect(r.count[14]).toBe(1);
    expect(expectedCalibrationError([], [])).toBeNaN();
  });

  it.each(['multinomial', 'ovr'] as const)('temperature scaling recovers the over-confidence of %s logits and lowers the ECE', (multiClass) => {
    // True probabilities from logits z; the model reports 3 z: over-confident by T = 3.
    const rand = mulberry32(7);
    const n = 20000;
    const K = 4;
    const decision = new Float64Array(n * K);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const z = Array.from({ length: K }, () => 1.5 * gauss(rand));
      if (multiClass === 'multinomial') {
        const e = z.map(Math.exp);
        const s = e.reduce((a, b) => a + b, 0);
        let u = rand() * s;
        y[i] = e.findIndex((v) => (u -= v) <= 0);
        if (y[i] < 0) y[i] = K - 1;
      } else {
        // One-vs-rest: the true class's logit sits above, each class's sigmoid honest for its own question.
        y[i] = Math.floor(rand() * K);
        z[y[i]] += 2;
        for (let c = 0; c < K; c++) z[c] += c === y[i] ? gauss(rand) : -1.5;
      }
      for (let c = 0; c < K; c++) decision[i * K + c] = 3 * z[c];
    }
    const T = fitTemperature(decision, y, K, multiClass);
    if (multiClass === 'multinomial') expect(T).toBeGreaterThan(2.8);
    if (multiClass === 'multinomial') expect(T).toBeLessThan(3.2);
    expect(T).toBeGreaterThan(1.5);
    const r = calibrate(decision, y, { classes: ['a', 'b', 'c', 'd'], multiClass }, () => 0);
    expect(r.temperature).toBe(T);
    expect(r.eceAfter).toBeLessThan(r.eceBefore);
    expect(r.nllAfter).toBeLessThan(r.nllBefore);
    if (multiClass === 'multinomial') expect(r.eceAfter).toBeLessThan(0.02);
  });

  it('too few held-back cells leave the temperature at 1, and say so', () => {
    const r = calibrate(Float64Array.from([2, 0, 0, 2]), Int32Array.from([0, 1]), { classes: ['a', 'b'], multiClass: 'multinomial' }, () => 1);
    expect(r.temperature).toBe(1);
    expect(r.note).toMatch(/only 2 reference cells held back/);
    expect(r.accuracy).toBe(1);
  });
});

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
