// Reference mapping: vote arithmetic, summaries, F1, and a stratified 50/50 split of pbmc68k's
// bulk_labels mapped through the reference's PCA (query projected, never a second PCA).
import { describe, expect, it } from 'vitest';
import { accuracyF1, knnVote, stratifiedHalf, summarizeMapping } from '../src/analysis/annotate.ts';
import { referencePcaSpace } from '../src/analysis/reference-space.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { shared } from './helpers.ts';

describe('reference mapping', () => {
  it('votes by cosine neighbours, plain and weighted, with a confidence threshold', async () => {
    // Reference: label 0 along +x, label 1 along +y; cosine ignores the length of a vector.
    const ref = Float32Array.from([1, 0, 2, 0.1, 3, -0.1, 0, 1, 0.1, 2]);
    const codes = Int32Array.from([0, 0, 0, 1, 1]);
    const q = Float32Array.from([5, 0.2, 0.2, 4, 1, 1]);
    const plain = await knnVote(ref, codes, 2, q, 2, { k: 3 });
    expect(Array.from(plain.predicted.subarray(0, 2))).toEqual([0, 1]);
    expect(plain.confidence[0]).toBeCloseTo(1, 6);
    expect(plain.confidence[1]).toBeCloseTo(2 / 3, 6);
    const strict = await knnVote(ref, codes, 2, q, 2, { k: 3, minConfidence: 0.9 });
    expect(strict.predicted[1]).toBe(-1);
    expect(strict.best[1]).toBe(1);
    const weighted = await knnVote(ref, codes, 2, q, 2, { k: 3, weighted: true });
    expect(weighted.confidence[1]).toBeGreaterThan(2 / 3);
    const sum = summarizeMapping(strict, ['x', 'y']);
    expect(sum.unassigned).toBeGreaterThanOrEqual(1);
    expect(sum.perLabel[0].label).toBe('x');
  });

  it('accuracy and macro-F1 as sklearn computes them', () => {
    // sklearn: f1_score([0,0,1,1,2],[0,1,1,1,-1], average='macro', labels=[0,1,2]) = (2/3 + 0.8 + 0) / 3
    const r = accuracyF1(Int32Array.from([0, 0, 1, 1, 2]), Int32Array.from([0, 1, 1, 1, -1]), 3);
    expect(r.accuracy).toBeCloseTo(0.6, 12);
    expect(r.macroF1).toBeCloseTo((2 / 3 + 0.8 + 0) / 3, 12);
  });

  it('maps half of pbmc68k\'s bulk_labels onto the other half through the reference PCA', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    const labels = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    const isRef = stratifiedHalf(labels.codes, 0);
    const isQuery = isRef.map((v) => 1 - v);
    const genes = ds.varNamesOf('layers/counts');
    const space = await referencePcaSpace({ ds, countsKey: 'layers/counts', keep: isRef, genes }, { ds, countsKey: 'layers/counts', keep: isQuery, genes }, 50);
    expect(space.nShared).toBe(space.nHvg);
    const refCodes = Int32Array.from(labels.codes.filter((_, i) => isRef[i]));
    const truth = Int32Array.from(labels.codes.filter((_, i) => isQuery[i]));
    const m = await knnVote(space.ref, refCodes, labels.categories.length, space.query, space.dim, { k: 10 });
    const { accuracy, macroF1 } = accuracyF1(truth, m.predicted, labels.categories.length);
    console.log(`pbmc68k bulk_labels 50/50, kNN on reference PCA: accuracy ${accuracy.toFixed(3)}, macro-F1 ${macroF1.toFixed(3)}`);
    expect(accuracy).toBeGreaterThan(0.6);
    ds.close();
  });

  it('refuses a query that shares too few genes with the reference', async () => {
    const ref = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    const query = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    const mouse = ref.varNamesOf('layers/counts').map((g) => g.charAt(0) + g.slice(1).toLowerCase());
    await expect(
      referencePcaSpace({ ds: ref, countsKey: 'layers/counts', keep: null, genes: ref.varNamesOf('layers/counts') }, { ds: query, countsKey: 'layers/counts', keep: null, genes: mouse.map((g, i) => (i % 20 === 0 ? g.toUpperCase() : g)) }),
    ).rejects.toThrow(/highly variable genes are in the query/);
    ref.close();
    query.close();
  });
});

describe('marker-set suggestions', () => {
  it('suggests the right PBMC types for pbmc68k clusters from the shipped sets', async () => {
    const { readFileSync } = await import('node:fs');
    const { wilcoxonMarkers } = await import('../src/analysis/markers.ts');
    const { suggestCellTypes, parseMarkerSets } = await import('../src/analysis/suggest.ts');
    const sets = JSON.parse(readFileSync(new URL('../public/markers/cell-type-markers.json', import.meta.url), 'utf8')).sets;
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const chunk = ds.readRows('raw/X', 0, ds.nObs);
    const labels = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    const markers = wilcoxonMarkers({ nRows: ds.nObs, nCols: chunk.nCols, indptr: chunk.indptr, indices: chunk.indices, data: chunk.data }, labels.codes, labels.categories);
    const s = suggestCellTypes(markers, ds.varNamesOf('raw/X'), sets, 3);
    const top = Object.fromEntries(s.map((g) => [g.group, g.suggestions[0]?.name ?? 'no match']));
    // A set whose genes are not up in a group is never offered.
    for (const g of s) for (const x of g.suggestions) expect(x.score, `${g.group}: ${x.name}`).toBeGreaterThan(0);
    ds.close();
    const mono = s.find((g) => g.group === 'CD14+ Monocyte')!.suggestions.map((x) => x.name);
    expect(mono).toContain('CD14+ Monocyte');
    expect(top['CD19+ B']).toBe('B');
    expect(top['CD56+ NK']).toBe('NK');
    expect(top['Dendritic']).toMatch(/Dendritic|Monocyte/);
    expect(parseMarkerSets('T: CD3E, CD3D\nB,MS4A1\nB,CD79A')).toEqual([
      { name: 'T', genes: ['CD3E', 'CD3D'], source: 'user' },
      { name: 'B', genes: ['MS4A1', 'CD79A'], source: 'user' },
    ]);
    expect(() => parseMarkerSets('just words')).toThrow(/cannot read|no sets/);
  });
});

describe('mapping within a dataset', () => {
  it('takes a plain-string label column (scVI.jl PBMC cell_type) and reports held-out accuracy', async () => {
    const { DEFAULT_MAP_PARAMS, mapWithin } = await import('../src/analysis/mapping.ts');
    const ds = await openPaths([shared('data/scvijl_pbmc_7480x200_counts.h5ad')]);
    // Stored as plain strings; read as anndata's strings_to_categoricals makes them (8 labels).
    const col = ds.obs.columns.find((c) => c.name === 'cell_type');
    expect(col?.kind === 'categorical' && col.categories).toEqual(['B-cells', 'CD4+ T-cells', 'CD8+ T-cells', 'Erythrocytes', 'HSC', 'Monocytes', 'NA', 'NK cells']);
    const { columns, report } = await mapWithin(ds, { ...DEFAULT_MAP_PARAMS, method: 'knn', labelColumn: 'cell_type', reference: 'half', embedding: 'pca', k: 10, weighted: true, minConfidence: 0, seed: 0 });
    console.log(`scVI.jl PBMC cell_type 50/50: accuracy ${report.accuracy!.toFixed(3)}, macro-F1 ${report.macroF1!.toFixed(3)}`);
    // 32 cells are labelled "NA": missing, so neither reference nor query.
    expect(report.nQuery + report.nRef).toBe(7480 - 32);
    expect(report.accuracy!).toBeGreaterThan(0.7);
    expect(columns[0].name).toBe('predicted_cell_type');
    ds.close();
  }, 60_000);
});
