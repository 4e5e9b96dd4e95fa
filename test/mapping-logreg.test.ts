// Label transfer by logistic regression through mapWithin / mapAcross: the stratified half of
// pbmc68k (held-out predictions only, the split column, calibration, the confusion matrix), a
// query with its own labels, log-normalised input, and the inputs it refuses (naming the file and
// the column, computing nothing, leaving the dataset as it was).
import { describe, expect, it } from 'vitest';
import { evaluatePredictions } from '../src/analysis/evaluation.ts';
import { DEFAULT_MAP_PARAMS, mapAcross, mapWithin, type MapParams } from '../src/analysis/mapping.ts';
import { NO_LABEL_COLOR as UNASSIGNED_COLOR } from '../src/io/category-palette.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn, Dataset } from '../src/io/types.ts';
import { categoricalColors, categoryColorMap, categoryPalette, rgbToHex } from '../src/ui/colors.ts';
import { shared } from './helpers.ts';

const PBMC = shared('data/pbmc68k_reduced_with_counts.h5ad');
const params = (over: Partial<MapParams> = {}): MapParams => ({ ...DEFAULT_MAP_PARAMS, method: 'logreg', labelColumn: 'bulk_labels', ...over });
const columnNames = (ds: Dataset) => ds.obs.columns.map((c) => c.name);

describe('evaluation against known labels', () => {
  it('matches labels by name; unassigned and labels the truth lacks are wrong; confusion rows are true labels', () => {
    const truth = { name: 't', codes: Int32Array.from([0, 0, 1, 1, 2, -1]), categories: ['A', 'B', 'C'] };
    // Predicted categories in another order, one label the truth does not have, unassigned last.
    const pred = { codes: Int32Array.from([1, 1, 0, 3, 2, 0]), categories: ['B', 'A', 'D', 'unassigned'] };
    const e = evaluatePredictions(truth, pred, null);
    expect(e.nCells).toBe(5);
    expect(e.accuracy).toBeCloseTo(3 / 5, 12);
    expect(e.rows).toEqual(['A', 'B', 'C']);
    expect(e.columns).toEqual(['B', 'A', 'D', 'unassigned']);
    expect(e.counts).toEqual([0, 2, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]);
    const b = e.perLabel.find((l) => l.label === 'B')!;
    expect(b).toMatchObject({ support: 2, predicted: 1, precision: 1, recall: 0.5 });
    // F1: A 1, B 2/3, C 0 (predicted D).
    expect(e.macroF1).toBeCloseTo((1 + 2 / 3 + 0) / 3, 12);
  });
});

describe('"unassigned" is drawn in grey', () => {
  it('never takes a palette colour, wherever it stands among the categories', () => {
    const cats = ['B', 'T', 'unassigned', 'NK'];
    const map = categoryColorMap(cats);
    expect(map.unassigned).toBe(UNASSIGNED_COLOR);
    const palette = new Set(categoryPalette(40).map(rgbToHex));
    expect(palette.has(UNASSIGNED_COLOR)).toBe(false);
    // The others keep their palette positions.
    expect([map.B, map.T, map.NK]).toEqual([0, 1, 3].map((i) => rgbToHex(categoryPalette(4)[i])));
    const rgba = categoricalColors(Int32Array.from([2, 0]), cats, map, new Set());
    expect(rgbToHex([rgba[0], rgba[1], rgba[2]])).toBe(UNASSIGNED_COLOR);
  });
});

describe('label transfer by logistic regression', () => {
  it('a stratified half of pbmc68k maps the other: held-out predictions only, split column, calibration, confusion matrix', async () => {
    const ds = await openPaths([PBMC]);
    // Every cell its best label: sklearn's LogisticRegression on this split (the whole half) gets 0.841.
    const all = await mapWithin(ds, params({ reference: 'half', minConfidence: 0 }));
    expect(all.report.accuracy!).toBeGreaterThan(0.8);
    expect(all.report.summary.unassigned).toBe(0);
    const { columns, report, model } = await mapWithin(ds, params({ reference: 'half', minConfidence: 0.5 }));
    console.log(`pbmc68k bulk_labels 50/50 by logistic regression: accuracy ${report.accuracy!.toFixed(3)}, macro-F1 ${report.macroF1!.toFixed(3)}; held back ${report.calibration!.nHeldOut}, T ${report.calibration!.temperature.toFixed(3)}, ECE ${report.calibration!.eceBefore.toFixed(3)} -> ${report.calibration!.eceAfter.toFixed(3)}`);
    expect(report.method).toBe('logreg');
    expect(report.accuracy!).toBeLessThanOrEqual(all.report.accuracy!);
    expect(report.summary.unassigned).toBeGreaterThan(0);
    expect(model!.features.length).toBe(report.training!.nFeatures);
    expect(model!.temperature).toBe(report.calibration!.temperature);
    const [pred, conf, split] = columns as [CategoricalColumn, { values: Float64Array }, CategoricalColumn];
    expect(split.name).toBe('predicted_bulk_labels_split');
    expect(split.categories).toEqual(['reference', 'query']);
    let nQuery = 0;
    for (let i = 0; i < ds.nObs; i++) {
      if (split.codes[i] === 0) {
        expect(pred.codes[i]).toBe(-1);
        expect(conf.values[i]).toBeNaN();
      } else {
        nQuery++;
        expect(pred.codes[i]).toBeGreaterThanOrEqual(0);
        expect(conf.values[i]).toBeGreaterThan(0);
        expect(conf.values[i]).toBeLessThanOrEqual(1);
        // Below the threshold: unassigned.
        if (conf.values[i] < 0.5) expect(pred.categories[pred.codes[i]]).toBe('unassigned');
      }
    }
    expect(nQuery).toBe(report.nQuery);
    const e = report.evaluation!;
    expect(e.counts.reduce((a, b) => a + b, 0)).toBe(report.nQuery);
    expect(e.rows.length).toBe(10);
    const c = report.calibration!;
    expect(c.nHeldOut).toBeGreaterThan(25);
    expect(c.eceAfter).toBeGreaterThanOrEqual(0);
    expect(c.eceAfter).toBeLessThanOrEqual(c.eceBefore + 0.05);
    // Seeded: the same run gives the same bits.
    const again = await mapWithin(ds, params({ reference: 'half', minConfidence: 0.5 }));
    expect(Array.from((again.columns[0] as CategoricalColumn).codes)).toEqual(Array.from(pred.codes));
    expect(Array.from((again.columns[1] as { values: Float64Array }).values)).toEqual(Array.from(conf.values));
    ds.close();
  }, 120_000);

  it('across datasets: the query\'s own label column is the truth; a log-normalised file (no counts) is read as stored', async () => {
    const ref = await openPaths([PBMC]);
    // scanpy's pbmc68k_reduced: X scaled, raw/X log1p(CP10k), no counts.
    const query = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const { report } = await mapAcross(ref, query, params({ logreg: { ...DEFAULT_MAP_PARAMS.logreg, multiClass: 'multinomial' } }));
    expect(report.nQuery).toBe(700);
    expect(report.evaluation?.truthColumn).toBe('bulk_labels');
    // The query's cells are the reference's (90% of them trained on): nearly all right.
    expect(report.evaluation!.accuracy).toBeGreaterThan(0.9);
    const fromLog = await mapAcross(query, ref, params());
    expect(fromLog.report.evaluation!.accuracy).toBeGreaterThan(0.9);
    ref.close();
    query.close();
  }, 120_000);

  it('a reference too small to hold cells back trains on all of them and says so', async () => {
    const ds = await openPaths([PBMC]);
    const bulk = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    const [mono, b] = [bulk.categories.indexOf('CD14+ Monocyte'), bulk.categories.indexOf('CD19+ B')];
    const picked: Record<number, number> = { [mono]: 0, [b]: 0 };
    // Four labelled cells of each: no label has the 5 a 10% hold-out needs.
    const values = Array.from(bulk.codes, (c) => (c in picked && picked[c]++ < 4 ? bulk.categories[c] : ''));
    ds.setColumn({ kind: 'string', name: 'few', values, dtype: 'string' });
    const { report } = await mapWithin(ds, params({ labelColumn: 'few' }));
    expect(report.nRef).toBe(8);
    expect(report.training!.nCells).toBe(8);
    expect(report.calibration!.nHeldOut).toBe(0);
    expect(report.calibration!.temperature).toBe(1);
    expect(report.calibration!.note).toMatch(/no reference cell held back/);
    ds.close();
  }, 60_000);

  it('refuses a reference with one label, a label with a single cell, no shared genes, scaled values: one message, nothing added', async () => {
    const ds = await openPaths([PBMC]);
    const before = columnNames(ds);
    const n = ds.nObs;
    ds.setColumn({ kind: 'string', name: 'one', values: Array.from({ length: n }, (_, i) => (i < 600 ? 'T cell' : 'NA')), dtype: 'string' });
    ds.setColumn({ kind: 'string', name: 'lonely', values: Array.from({ length: n }, (_, i) => (i === 7 ? 'Platelet' : i % 2 ? 'A' : 'B')), dtype: 'string' });
    const withTest = columnNames(ds);
    await expect(mapWithin(ds, params({ labelColumn: 'one' }))).rejects.toThrow(/pbmc68k_reduced_with_counts\.h5ad: "one" has only one label \("T cell"\).*at least 2 labels/);
    await expect(mapWithin(ds, params({ labelColumn: 'lonely', reference: 'half' }))).rejects.toThrow(/pbmc68k_reduced_with_counts\.h5ad: label "Platelet" of "lonely" has a single cell in the reference half; logistic regression needs at least 2 cells per label/);
    // kNN takes a single-cell label.
    await expect(mapWithin(ds, params({ labelColumn: 'lonely', reference: 'half', method: 'knn' }))).resolves.toBeTruthy();
    expect(columnNames(ds)).toEqual(withTest);
    const mouse = await openPaths([shared('data/mouse/actinn_mouse_1000x14063_counts.h5ad')]);
    await expect(mapAcross(ds, mouse, params())).rejects.toThrow(/actinn_mouse_1000x14063_counts\.h5ad: none of its 14,063 genes \(X\) is among the 765 genes of the reference pbmc68k_reduced_with_counts\.h5ad/);
    expect(columnNames(mouse)).not.toContain('predicted_bulk_labels');
    mouse.close();
    // The same file as if it had only its scaled X.
    const scaled = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const scaledOnly = new Proxy(scaled, { get: (t, k) => (k === 'matrices' ? t.matrices.filter((m) => m.key === 'X') : Reflect.get(t, k, t)) }) as Dataset;
    await expect(mapWithin(scaledOnly, params({ reference: 'half' }))).rejects.toThrow(/pbmc68k_reduced\.h5ad: Logistic-regression models need log-normalised expression or counts, but X holds scaled values/);
    expect(columnNames(scaled)).not.toContain('predicted_bulk_labels');
    scaled.close();
    expect(before.every((c) => columnNames(ds).includes(c))).toBe(true);
    ds.close();
  }, 120_000);
});
