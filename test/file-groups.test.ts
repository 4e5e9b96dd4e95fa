// A flat list of dropped or picked files sorted into datasets: .h5ad/.h5 files alone, MatrixMarket
// files by folder (or by GEO-style prefix), Cell Ranger's generic names replaced by the sample
// folder above them, reports inside folders left out, a stray file given loose refused.
import { describe, expect, it } from 'vitest';
import { groupFiles, type GroupInput } from '../src/io/file-groups.ts';

const files = (...paths: string[]): GroupInput[] => paths.map((p) => ({ name: p.split('/').pop()!, path: p }));
const labels = (paths: string[]) => groupFiles(files(...paths)).groups.map((g) => [g.label, g.files.map((i) => paths[i].split('/').pop())]);

describe('groupFiles', () => {
  it('one file, or one MatrixMarket folder, is one group of every file given (opened as before)', () => {
    expect(groupFiles(files('pbmc.h5ad')).groups).toEqual([{ label: 'pbmc', files: [0], kind: 'hdf5' }]);
    const mtx = groupFiles(files('s/matrix.mtx.gz', 's/features.tsv.gz', 's/barcodes.tsv.gz'));
    expect(mtx.groups).toEqual([{ label: 's', files: [0, 1, 2], kind: 'mtx' }]);
    // Nothing recognised: every file, so the reader's own error names what is wrong.
    expect(groupFiles(files('notes.txt')).groups).toEqual([{ label: '', files: [0], kind: 'hdf5' }]);
  });

  it('several .h5ad/.h5 files and mtx folders: one group each, labelled by file stem or folder, in the order given', () => {
    const paths = ['a.h5ad', 'sampleC/matrix.mtx.gz', 'b.h5', 'sampleC/barcodes.tsv.gz', 'sampleC/features.tsv.gz'];
    expect(labels(paths)).toEqual([
      ['a', ['a.h5ad']],
      ['sampleC', ['matrix.mtx.gz', 'barcodes.tsv.gz', 'features.tsv.gz']],
      ['b', ['b.h5']],
    ]);
  });

  it('Cell Ranger outputs are named by the sample folder above filtered_feature_bc_matrix/ and outs/', () => {
    const paths = [
      'run/d1/outs/filtered_feature_bc_matrix/matrix.mtx.gz',
      'run/d1/outs/filtered_feature_bc_matrix/features.tsv.gz',
      'run/d1/outs/filtered_feature_bc_matrix/barcodes.tsv.gz',
      'run/d1/outs/web_summary.html',
      'run/d1/outs/molecule_info.h5',
      'run/d2/outs/filtered_feature_bc_matrix.h5',
      'run/d2/outs/metrics_summary.csv',
    ];
    const g = groupFiles(files(...paths));
    expect(g.groups.map((x) => [x.label, x.kind, x.files.length])).toEqual([
      ['d1', 'mtx', 3],
      ['d2', 'hdf5', 1],
    ]);
    expect(g.ignored).toEqual(['run/d1/outs/web_summary.html', 'run/d1/outs/molecule_info.h5', 'run/d2/outs/metrics_summary.csv']);
  });

  it('GEO-style prefixed files in one folder are one dataset per prefix; labels that repeat get -1, -2', () => {
    const paths = ['geo/GSM1_matrix.mtx.gz', 'geo/GSM1_barcodes.tsv.gz', 'geo/GSM1_genes.tsv.gz', 'geo/GSM2_matrix.mtx.gz', 'geo/GSM2_barcodes.tsv.gz', 'geo/GSM2_features.tsv.gz'];
    expect(labels(paths).map((x) => x[0])).toEqual(['GSM1', 'GSM2']);
    expect(labels(['x/pbmc.h5ad', 'y/pbmc.h5ad', 'z/pbmc.h5ad']).map((x) => x[0])).toEqual(['pbmc', 'pbmc-1', 'pbmc-2']);
  });

  it('refuses an incomplete mtx folder among several datasets, and a loose file that is no dataset', () => {
    expect(() => groupFiles(files('a.h5ad', 's/matrix.mtx.gz', 's/barcodes.tsv.gz'))).toThrow(/s\/matrix\.mtx\.gz: is part of a MatrixMarket dataset but features\.tsv \(or genes\.tsv\) is missing beside it in s\//);
    expect(() => groupFiles([{ name: 'a.h5ad' }, { name: 'b.h5ad' }, { name: 'notes.txt' }])).toThrow(/notes\.txt: is not a dataset file/);
    // The same file found inside a folder the user gave is left out instead.
    expect(groupFiles([{ name: 'a.h5ad' }, { name: 'b.h5ad' }, { name: 'notes.txt', path: '/data/notes.txt', inFolder: true }]).ignored).toEqual(['data/notes.txt']);
  });
});
