// Bad input gets a specific error that names the file and says what is wrong.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetErrorCode } from '../src/io/errors.ts';
import { DatasetError } from '../src/io/errors.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import type { H5Lib } from '../src/io/h5/runtime.ts';
import { undecodableFilters } from '../src/io/h5/runtime.ts';
import type { H5adContent } from '../src/io/h5ad/write.ts';
import { writeH5ad } from '../src/io/h5ad/write.ts';
import { openPaths } from '../src/io/node.ts';
import { shared } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'scweb-errors-'));
let lib: H5Lib;

beforeAll(async () => {
  lib = (await nodeH5Runtime()).lib;
});

async function expectError(paths: string[], code: DatasetErrorCode, ...fragments: string[]): Promise<void> {
  const err = await openPaths(paths).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(DatasetError);
  const e = err as DatasetError;
  expect(e.code).toBe(code);
  for (const f of fragments) expect(e.message).toContain(f);
}

function tiny(overrides: Partial<H5adContent> = {}): H5adContent {
  return {
    obs: { index: ['c0', 'c1', 'c2'], columns: [] },
    var: { index: ['g0', 'g1'], columns: [] },
    X: { kind: 'csr', shape: [3, 2], indptr: [0, 1, 2, 3], indices: new Int32Array([0, 1, 0]), data: new Float32Array([1, 2, 3]) },
    ...overrides,
  };
}

async function write(name: string, content: H5adContent): Promise<string> {
  const p = join(dir, name);
  await writeH5ad(lib, p, content);
  return p;
}

describe('bad input is refused with a specific error', () => {
  it('a text file named .h5ad', async () => {
    const p = join(dir, 'notes.h5ad');
    writeFileSync(p, 'gene,count\nCD3E,4\n');
    await expectError([p], 'not-hdf5', 'notes.h5ad', 'not an HDF5 file');
  });

  it('an empty file', async () => {
    const p = join(dir, 'empty.h5ad');
    writeFileSync(p, '');
    await expectError([p], 'not-hdf5', 'empty.h5ad', 'empty');
  });

  it('a truncated download of a real file', async () => {
    const whole = readFileSync(shared('data/pbmc68k_reduced_with_counts.h5ad'));
    const p = join(dir, 'cut.h5ad');
    writeFileSync(p, whole.subarray(0, Math.floor(whole.length * 0.6)));
    await expectError([p], 'truncated', 'cut.h5ad', 'truncated', whole.length.toLocaleString('en-US'));
  });

  it('an HDF5 file that is neither AnnData nor 10x', async () => {
    const p = join(dir, 'other.h5');
    const f = new lib.File(p, 'w');
    f.create_group('images').create_dataset({ name: 'frame0', data: new Float32Array(4) });
    f.close();
    await expectError([p], 'unsupported-format', 'other.h5', 'top-level keys are images');
  });

  it('obs length differs from the matrix rows', async () => {
    const p = await write('obs-mismatch.h5ad', tiny({ obs: { index: ['c0', 'c1', 'c2', 'c3'], columns: [] } }));
    await expectError([p], 'shape-mismatch', 'obs-mismatch.h5ad', 'X has 3 rows but obs has 4 cells');
  });

  it('var length differs from the matrix columns', async () => {
    const p = await write('var-mismatch.h5ad', tiny({ var: { index: ['g0', 'g1', 'g2'], columns: [] } }));
    await expectError([p], 'shape-mismatch', 'X has 2 columns but var has 3 genes');
  });

  it('an obs column shorter than the index', async () => {
    const p = await write('short-col.h5ad', tiny({ obs: { index: ['c0', 'c1', 'c2'], columns: [{ kind: 'numeric', name: 'n_genes', values: new Float64Array(2), dtype: 'float64' }] } }));
    await expectError([p], 'shape-mismatch', 'column "/obs/n_genes" has 2 values but the index has 3');
  });

  it('no cells', async () => {
    const p = await write('no-cells.h5ad', tiny({ obs: { index: [], columns: [] }, X: { kind: 'csr', shape: [0, 2], indptr: [0], indices: new Int32Array(0), data: new Float32Array(0) } }));
    await expectError([p], 'no-cells', 'no-cells.h5ad', 'no cells');
  });

  it('negative values in layers/counts', async () => {
    const p = await write('neg.h5ad', tiny({ layers: { counts: { kind: 'dense', shape: [3, 2], data: new Float32Array([1, 0, 0, -2, 5, 0]) } } }));
    await expectError([p], 'bad-counts', 'layers/counts', 'negative', '-2 at cell 1, gene 1');
  });

  it('NaN in X', async () => {
    const p = await write('nan.h5ad', tiny({ X: { kind: 'dense', shape: [3, 2], data: new Float32Array([1, 0, NaN, 2, 0, 0]) } }));
    await expectError([p], 'bad-counts', 'X contains NaN', 'cell 1, gene 0');
  });

  it('a matrix encoding scWeb does not know', async () => {
    const p = await write('coo.h5ad', tiny({ X: undefined }));
    const f = new lib.File(p, 'a');
    const g = f.create_group('X');
    g.create_attribute('encoding-type', 'coo_matrix');
    g.create_attribute('shape', new Int32Array([3, 2]), [2], '<i');
    f.close();
    await expectError([p], 'unsupported-encoding', '"X" has matrix encoding "coo_matrix"');
  });

  it('compression filters without a decoder are reported, not read as garbage', () => {
    expect(undecodableFilters([1, 2, 32000, 32001, 32015])).toEqual([]);
    expect(undecodableFilters([1, 4, 32017])).toEqual([4, 32017]);
  });

  it('a MatrixMarket file dropped without its features and barcodes', async () => {
    await expectError([shared('data/10x/v2_hg19_chr21/matrix.mtx')], 'unsupported-format', 'features.tsv (or genes.tsv) and barcodes.tsv');
  });

  it('a MatrixMarket file with fewer entries than announced', async () => {
    const src = shared('data/10x/v2_hg19_chr21');
    const d = mkdtempSync(join(dir, 'mtx-'));
    for (const f of ['genes.tsv', 'barcodes.tsv']) copyFileSync(join(src, f), join(d, f));
    const lines = readFileSync(join(src, 'matrix.mtx'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(d, 'matrix.mtx'), lines.slice(0, -2).join('\n') + '\n');
    await expectError([d], 'truncated', 'matrix.mtx', 'incomplete');
  });

  it('a MatrixMarket file with a negative count', async () => {
    const src = shared('data/10x/v2_hg19_chr21');
    const d = mkdtempSync(join(dir, 'mtxneg-'));
    for (const f of ['genes.tsv', 'barcodes.tsv']) copyFileSync(join(src, f), join(d, f));
    const lines = readFileSync(join(src, 'matrix.mtx'), 'utf8').trimEnd().split('\n');
    const last = lines.length - 1;
    lines[last] = lines[last].replace(/\s\S+$/, ' -3');
    writeFileSync(join(d, 'matrix.mtx'), lines.join('\n') + '\n');
    await expectError([d], 'bad-counts', 'negative count -3');
  });

  it('a file missing X still opens, with obs and obsm, and says the matrix is missing', async () => {
    const ds = await openPaths([shared('data/format_variants/ktplotspy_noX_3312x30800_labels.h5ad')]);
    expect(ds.matrices).toEqual([]);
    expect(ds.countsKey).toBeNull();
    expect(ds.countsReason).toContain('no expression matrix');
    expect(ds.embeddings.map((e) => e.key)).toContain('X_umap');
    ds.close();
  });
});
