// CellTypist's classifier against what celltypist.annotate gives (../shared/fixtures/celltypist):
// the fixture's model.pkl read by our unpickler, applied to query.h5ad (CP10k X, 40 of the model's
// genes missing, the rest shuffled), labels identical, decision values and probabilities within
// 1e-6, majority voting over obs/over_cluster identical. Then the input and gene-matching rules.
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
