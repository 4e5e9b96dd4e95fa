// Label-editing traps a new user hit (issue 23 items 4 and 7): suggestions for a group that a merge
// took away, "Labels from" picking whichever column came first, downloads all under one fixed name,
// the file's encoding version read as an anndata version, numeric var columns offered as gene names.
import { describe, expect, it } from 'vitest';
import { assignCells, groupFates, labelsFrom, mergeCategories, renameCategory } from '../src/analysis/label-edits.ts';
import { openPaths } from '../src/io/node.ts';
import { summarize, textColumns } from '../src/io/summary.ts';
import type { Column } from '../src/io/types.ts';
import { resolveDefaulted } from '../src/ui/choice.ts';
import { datasetStem, exportName } from '../src/ui/download.ts';
import { annotationCsvColumns, annotationCsvName, fateNote, suggestionFates } from '../src/ui/label-helpers.ts';

const DEMO = new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url).pathname;
const leiden = () => labelsFrom(Int32Array.from([0, 0, 1, 1, 2, 2, 3]), ['0', '1', '2', '3']);

describe('suggestions name groups by their cells', () => {
  it('a renamed group is still its label; a merged one says what it went into', () => {
    const renamed = renameCategory(leiden(), 0, 'T cells');
    const merged = mergeCategories(renamed, [1, 2], 'Myeloid');
    const fates = groupFates(leiden(), merged);
    expect(fates[0]).toEqual({ kind: 'label', code: merged.categories.indexOf('T cells') });
    expect(fates[1]).toEqual({ kind: 'merged', into: 'Myeloid' });
    expect(fates[2]).toEqual({ kind: 'merged', into: 'Myeloid' });
    expect(fates[3]).toEqual({ kind: 'label', code: merged.categories.indexOf('3') });
    expect(fateNote('1', fates[1])).toMatch(/^group 1 was merged into "Myeloid" and no longer exists on its own/);
  });

  it('part of a group assigned elsewhere: the rest under its own name is still the group; else it is split', () => {
    const sel = Uint8Array.from([0, 0, 0, 0, 1, 0, 0]);
    const assigned = assignCells(leiden(), sel, 'NK');
    expect(groupFates(leiden(), assigned)[2]).toEqual({ kind: 'label', code: assigned.categories.indexOf('2') });
    const renamedFirst = assignCells(renameCategory(leiden(), 2, 'B'), sel, 'NK');
    expect(groupFates(leiden(), renamedFirst)[2]).toEqual({ kind: 'split', labels: ['B', 'NK'] });
    expect(fateNote('2', groupFates(leiden(), renamedFirst)[2])).toContain('"B", "NK"');
  });

  it('a group with no cells, and labels over other cells, are told apart', () => {
    const groups = { codes: Int32Array.from([0, 0, 1]), categories: ['0', '1', 'empty'] };
    expect(groupFates(groups, labelsFrom(Int32Array.from([0, 0, 1]), ['a', 'b']))[2]).toEqual({ kind: 'empty' });
    expect(() => groupFates(groups, leiden())).toThrow(/cover 7 cells/);
    expect(suggestionFates({ cells: groups }, leiden())).toBeNull();
    expect(suggestionFates({ cells: null }, leiden())).toBeNull();
    expect(suggestionFates({ cells: leiden() }, mergeCategories(leiden(), [0, 1], 'x'))?.get('1')).toEqual({ kind: 'merged', into: 'x' });
  });
});

describe('"Labels from" and the suggestions column default to leiden, never to the first column', () => {
  const before = ['condition', 'batch'];
  const after = ['condition', 'batch', 'leiden'];
  it('no leiden and no choice: no column (the user chooses), not condition', () => {
    expect(resolveDefaulted(null, before, 'leiden')).toBe('');
  });
  it('leiden exists: leiden, even over a choice made before the pipeline made it', () => {
    expect(resolveDefaulted(null, after, 'leiden')).toBe('leiden');
    expect(resolveDefaulted({ value: 'condition', offered: before }, after, 'leiden')).toBe('leiden');
  });
  it('a choice made with leiden on offer is kept; one no longer offered falls back', () => {
    expect(resolveDefaulted({ value: 'condition', offered: after }, after, 'leiden')).toBe('condition');
    expect(resolveDefaulted({ value: 'condition', offered: before }, before, 'leiden')).toBe('condition');
    expect(resolveDefaulted({ value: 'gone', offered: after }, after, 'leiden')).toBe('leiden');
  });
});

describe('downloads are named after the dataset and what they hold', () => {
  it('dataset = the file name without its extension', () => {
    expect(datasetStem('pbmc68k_reduced_with_counts.h5ad')).toBe('pbmc68k_reduced_with_counts');
    expect(datasetStem('matrix.mtx.gz')).toBe('matrix');
    // A folder's matrix is named by its folder; GEO's prefixed matrix by its own name.
    expect(datasetStem('v3_filtered_feature_bc_matrix/matrix.mtx.gz')).toBe('v3_filtered_feature_bc_matrix');
    expect(datasetStem('geo/GSM1_matrix.mtx.gz')).toBe('GSM1_matrix');
    expect(datasetStem('my cells (v2).h5')).toBe('my_cells_v2');
    expect(datasetStem(undefined)).toBe('scweb');
    expect(exportName('pbmc.h5ad', ['leiden', 'markers', 'wilcoxon'], 'csv')).toBe('pbmc_leiden_markers_wilcoxon.csv');
    expect(exportName('pbmc.h5ad', ['X_umap coloured by leiden'], 'png')).toBe('pbmc_X_umap_coloured_by_leiden.png');
  });
  it('the annotations CSV: <dataset>_<column>_annotations.csv, the column being the labels it carries', () => {
    const cols = ['bulk_labels', 'leiden', 'predicted_bulk_labels', 'predicted_bulk_labels_confidence'];
    expect(annotationCsvColumns(cols)).toEqual({ columns: ['leiden', 'predicted_bulk_labels', 'predicted_bulk_labels_confidence'], main: 'predicted_bulk_labels' });
    expect(annotationCsvColumns([...cols, 'user_label']).main).toBe('user_label');
    expect(annotationCsvColumns(['leiden']).main).toBe('leiden');
    // CellTypist's columns, as its own CSV has them; the vote is the label when there is one.
    expect(annotationCsvColumns(['cell_type', 'predicted_labels', 'conf_score'])).toEqual({ columns: ['predicted_labels', 'conf_score'], main: 'predicted_labels' });
    expect(annotationCsvColumns(['leiden', 'predicted_labels', 'conf_score', 'over_clustering', 'majority_voting'])).toEqual({ columns: ['leiden', 'predicted_labels', 'conf_score', 'over_clustering', 'majority_voting'], main: 'majority_voting' });
    expect(annotationCsvName('pbmc68k_reduced_with_counts.h5ad', 'user_label')).toBe('pbmc68k_reduced_with_counts_user_label_annotations.csv');
    expect(annotationCsvName('a.h5ad', null)).toBe('a_annotations.csv');
  });
});

describe('dataset drawer and gene names', () => {
  it('the format names the AnnData encoding version (not an anndata version); gene-name columns are text', async () => {
    const ds = await openPaths([DEMO]);
    const s = summarize(ds);
    expect(s.format_detail).toBe('AnnData encoding 0.1.0 (dataframe encoding 0.2.0)');
    // var: n_counts, means, dispersions, dispersions_norm (numbers), highly_variable (bool).
    expect(s.var_columns).toContain('n_counts');
    expect(s.var_text_columns).toEqual([]);
    ds.close();
  });
  it('strings and categories are text; numbers and flags are not', () => {
    const cols: Column[] = [
      { kind: 'numeric', name: 'n_cells', values: new Float64Array(2), dtype: 'int64' },
      { kind: 'categorical', name: 'highly_variable', codes: Int32Array.from([0, 1]), categories: ['False', 'True'], ordered: false, dtype: 'bool' },
      { kind: 'categorical', name: 'mt', codes: Int32Array.from([0, 1]), categories: ['False', 'True'], ordered: false, dtype: 'boolean' },
      { kind: 'categorical', name: 'feature_name', codes: Int32Array.from([0, 1]), categories: ['A', 'B'], ordered: false, dtype: 'category' },
      { kind: 'string', name: 'gene_symbols', values: ['A', 'B'], dtype: 'string' },
    ];
    expect(textColumns(cols)).toEqual(['feature_name', 'gene_symbols']);
  });
});
