// CellTypist's classifier against what celltypist.annotate gives (../shared/fixtures/celltypist):
// the fixture's model.pkl read by our unpickler, applied to query.h5ad (CP10k X, 40 of the model's
// genes missing, the rest shuffled), labels identical, decision values and probabilities within
// 1e-6, majority voting over obs/over_cluster identical. Then the input and gene-matching rules.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { celltypistAnnotate, celltypistInput, celltypistPredict, DEFAULT_CELLTYPIST_PARAMS, matchGenes } from '../src/analysis/celltypist.ts';
import { readCelltypistModel } from '../src/analysis/celltypist-model.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn, NumericColumn } from '../src/io/types.ts';
import { hasShared, shared } from './helpers.ts';

const DIR = 'fixtures/celltypist';

function expected() {
  // No field of this file is quoted (checked: no '"' in it), so commas split it.
  const rows = readFileSync(shared(DIR, 'expected_predictions.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const header = rows[0];
  return { header, rows: rows.slice(1) };
}

describe.skipIf(!hasShared)('CellTypist on the fixture', () => {
  const manifest = JSON.parse(readFileSync(shared(DIR, 'manifest.json'), 'utf8')) as { classes: string[]; n_features: number; shared_features: number; query_cells: number };

  it('reads model.pkl: features, classes, coefficients and scaler', () => {
    const { model, info } = readCelltypistModel(readFileSync(shared(DIR, 'model.pkl')), 'model.pkl');
    expect(info.estimator).toBe('LogisticRegression');
    expect(info.sklearnVersion).toBe('1.2.1');
    expect(info.protocol).toBe(4);
    expect(model.classes).toEqual(manifest.classes);
    expect(model.features.length).toBe(manifest.n_features);
    expect(model.features.slice(0, 3)).toEqual(['HES4', 'TNFRSF4', 'SSU72']);
    expect(model.coef.length).toBe(manifest.classes.length * manifest.n_features);
    expect(model.multiClass).toBe('ovr');
    expect(model.clip).toBe(10);
    expect(model.intercept[0]).toBeCloseTo(-6.24550196, 8);
    expect(model.description.details).toContain('pbmc68k_reduced');
  });

  it('labels identical, decision values and probabilities within 1e-6, majority voting identical', async () => {
    const { model } = readCelltypistModel(readFileSync(shared(DIR, 'model.pkl')), 'model.pkl');
    const ds = await openPaths([shared(DIR, 'query.h5ad')]);
    try {
      expect(celltypistInput(ds).kind).toBe('cp10k');
      const { columns, report, prediction } = await celltypistAnnotate(ds, model, { ...DEFAULT_CELLTYPIST_PARAMS, majorityVoting: true, overClustering: 'over_cluster' }, { modelName: 'model.pkl' });
      expect(report.nShared).toBe(manifest.shared_features);
      expect(report.nCells).toBe(manifest.query_cells);
      // The query's first cell sums to 9,506 (40 genes missing): CellTypist warns, and so do we.
      expect(report.warnings.join(' ')).toMatch(/sums to 9506\.\d, not 10,000/);
      const { header, rows } = expected();
      expect(rows.length).toBe(ds.nObs);
      const C = model.classes.length;
      const col = (name: string) => header.indexOf(name);
      let maxD = 0;
      let maxP = 0;
      rows.forEach((r, i) => {
        expect(r[0]).toBe(ds.obs.index[i]);
        expect(prediction.labels[i]).toBe(r[col('predicted_labels')]);
        model.classes.forEach((c, k) => {
          maxD = Math.max(maxD, Math.abs(prediction.decision[i * C + k] - Number(r[col(`decision_${c}`)])));
          maxP = Math.max(maxP, Math.abs(prediction.probability[i * C + k] - Number(r[col(`prob_${c}`)])));
        });
      });
      expect(maxD).toBeLessThan(1e-6);
      expect(maxP).toBeLessThan(1e-6);
      const byName = (n: string) => columns.find((c) => c.name === n)!;
      const mv = byName('majority_voting') as CategoricalColumn;
      rows.forEach((r, i) => expect(mv.categories[mv.codes[i]]).toBe(r[col('majority_voting')]));
      const pl = byName('predicted_labels') as CategoricalColumn;
      expect(pl.categories).toEqual([...pl.categories].sort());
      const conf = byName('conf_score') as NumericColumn;
      for (let i = 0; i < ds.nObs; i++) expect(conf.values[i]).toBe(Math.max(...prediction.probability.subarray(i * C, (i + 1) * C)));
      expect(columns.map((c) => c.name)).toEqual(['predicted_labels', 'over_clustering', 'majority_voting', 'conf_score']);
      expect(report.nClusters).toBe(11);
    } finally {
      ds.close();
    }
  }, 60_000);

  it("'prob match': every class above p_thres, joined by '|', 'Unassigned' when none", async () => {
    const { model } = readCelltypistModel(readFileSync(shared(DIR, 'model.pkl')), 'model.pkl');
    const ds = await openPaths([shared(DIR, 'query.h5ad')]);
    try {
      const pred = await celltypistPredict(ds, model, { mode: 'prob match', pThres: 0.5 });
      const { header, rows } = expected();
      const C = model.classes.length;
      let unassigned = 0;
      let multi = 0;
      rows.forEach((r, i) => {
        const want = model.classes.filter((c) => Number(r[header.indexOf(`prob_${c}`)]) > 0.5);
        expect(pred.labels[i]).toBe(want.length ? want.join('|') : 'Unassigned');
        if (!want.length) unassigned++;
        if (want.length > 1) multi++;
        expect(pred.confScore[i]).toBe(Math.max(...pred.probability.subarray(i * C, (i + 1) * C)));
      });
      // The fixture has cells of each kind, so the rule is exercised both ways.
      expect(unassigned).toBeGreaterThan(0);
      expect(multi).toBeGreaterThan(0);
    } finally {
      ds.close();
    }
  }, 60_000);
});

// CellTypist's arithmetic in numpy (float64) from the file as anndata reads it: counts normalised to
// 1e4 and log1p'd, or raw.X used as stored, cut to the model's genes, scaled, clipped, decided.
const NUMPY_REFERENCE = `
import json, pickle, sys
import anndata, numpy as np
m = pickle.load(open(sys.argv[1], 'rb')); clf, sc = m['Model'], m['Scaler_']
a = anndata.read_h5ad(sys.argv[2])
if sys.argv[3] == 'counts':
    X = a.layers['counts'].toarray().astype(np.float64); genes = list(a.var_names)
    X = np.log1p(X / (X.sum(1, keepdims=True) / 1e4))
else:
    X = a.raw.X.toarray().astype(np.float64); genes = list(a.raw.var_names)
feats = list(clf.features)
keep = [g in feats for g in genes]; idx = [feats.index(g) for g in genes if g in feats]
Z = (X[:, keep] - sc.mean_[idx]) / sc.scale_[idx]; Z[Z > 10] = 10
D = Z @ clf.coef_[:, idx].T + clf.intercept_
print(json.dumps({'decision': D.ravel().tolist(), 'labels': [str(c) for c in clf.classes_[D.argmax(1)]]}))
`;

const hasAnndata = spawnSync('/usr/bin/python3', ['-c', 'import anndata, sklearn'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasShared || !hasAnndata)('CellTypist input: counts, and log1p(CP10k) in raw/X', () => {
  it.each([
    ['pbmc68k_reduced_with_counts.h5ad', 'counts', 'layers/counts'],
    ['pbmc68k_reduced.h5ad', 'raw', 'raw/X'],
  ])('%s: %s', async (file, kind, key) => {
    const path = shared('data', file);
    const { model } = readCelltypistModel(readFileSync(shared(DIR, 'model.pkl')), 'model.pkl');
    const ds = await openPaths([path]);
    try {
      const input = celltypistInput(ds);
      expect(input.key).toBe(key);
      // pbmc68k_reduced's X is scaled (negative values): CellTypist's test sends it to raw.X.
      expect(input.kind).toBe(kind === 'counts' ? 'counts' : 'log1p');
      const pred = await celltypistPredict(ds, model, DEFAULT_CELLTYPIST_PARAMS);
      const r = spawnSync('/usr/bin/python3', ['-c', NUMPY_REFERENCE, shared(DIR, 'model.pkl'), path, kind], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(r.status, r.stderr).toBe(0);
      const want = JSON.parse(r.stdout) as { decision: number[]; labels: string[] };
      let max = 0;
      want.decision.forEach((d, i) => (max = Math.max(max, Math.abs(d - pred.decision[i]))));
      expect(max).toBeLessThan(1e-9);
      expect(pred.labels).toEqual(want.labels);
      expect(pred.genes.nShared).toBe(765);
    } finally {
      ds.close();
    }
  }, 60_000);

  it('takes a Seurat log-normalised raw/X under a scaled X; refuses scaled values alone, naming the file', async () => {
    const withRaw = await openPaths([shared('data/format_variants/soma_pbmc-small.h5ad')]);
    const scaledOnly = await openPaths([shared('data/format_variants/soma_pbmc-small-x-dense.h5ad')]);
    try {
      expect(celltypistInput(withRaw)).toMatchObject({ key: 'raw/X', kind: 'log1p' });
      expect(() => celltypistInput(scaledOnly)).toThrow(/soma_pbmc-small-x-dense\.h5ad: no matrix CellTypist can use \(X: values -1\.04 to 5\.61\)\. CellTypist needs raw counts, or expression log1p-normalised/);
    } finally {
      withRaw.close();
      scaledOnly.close();
    }
  });
});

describe.skipIf(!hasShared)('majority voting needs more than 50 cells (CellTypist\'s rule)', () => {
  it('12 cells: predictions, a warning, no over_clustering or majority_voting', async () => {
    const ds = await openPaths([shared('data/10x/v2_filtered_gene_bc_matrices_h5.h5')]);
    try {
      const genes = ds.varNamesOf(celltypistInput(ds).key).slice(0, 50);
      const F = genes.length;
      const model = { features: genes, classes: ['a', 'b'], coef: Float64Array.from({ length: 2 * F }, (_, i) => (i < F ? -0.1 : 0.1)), intercept: Float64Array.of(0.5, -0.5), scalerMean: new Float64Array(F), scalerScale: new Float64Array(F).fill(1), clip: 10, multiClass: 'ovr' as const, temperature: 1, description: {} };
      const { columns, report } = await celltypistAnnotate(ds, model, { ...DEFAULT_CELLTYPIST_PARAMS, majorityVoting: true });
      expect(ds.nObs).toBe(12);
      expect(columns.map((c) => c.name)).toEqual(['predicted_labels', 'conf_score']);
      expect(report.majorityColumn).toBeNull();
      expect(report.warnings).toContain('12 cells are too few to over-cluster properly; no majority voting was done (CellTypist\'s rule: more than 50 cells)');
    } finally {
      ds.close();
    }
  });
});

describe('gene matching', () => {
  it('exact names first (each model gene once), then through symbols and Ensembl ids', () => {
    const features = ['CD3E', 'MS4A1', 'ENSG00000105369', 'LYZ'];
    const ids = ['ENSG00000198851', 'CD3E', 'MS4A1', 'MS4A1', 'CD79A', 'ENSG00000090382.5'];
    const symbols = ['CD3E', 'CD3E', 'MS4A1', 'MS4A1', 'CD79A', 'LYZ'];
    const map = new Map([['ENSG00000105369', 'CD79A']]);
    const m = matchGenes(ids, symbols, features, map);
    // CD3E by name (index 1) beats the id whose symbol is CD3E; the second MS4A1 misses (unique names).
    expect(Array.from(m.feature)).toEqual([-1, 0, 1, -1, -1, 3]);
    expect(m.byName).toBe(2);
    // An Ensembl model meets a symbol query through the map: CD79A -> ENSG00000105369.
    const e = matchGenes(ids, symbols, ['ENSG00000105369', 'ENSG00000090382'], map);
    expect(Array.from(e.feature)).toEqual([-1, -1, -1, -1, 0, 1]);
    expect(e.byMapping).toBe(2);
  });
});
