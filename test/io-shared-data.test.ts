// Every file in ../shared/data is read, and what we read is compared with what anndata reads
// (test/reference/anndata.json, made by test/reference/make_anndata_reference.py).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../src/io/errors.ts';
import { openPaths } from '../src/io/node.ts';
import { summarize } from '../src/io/summary.ts';
import type { CategoricalColumn, CsrChunk, Dataset } from '../src/io/types.ts';
import { shared } from './helpers.ts';

interface Ref {
  shape: [number, number];
  X_rowsum_0_1_last?: number[];
  raw_shape?: [number, number];
  raw_rowsum_0?: number[];
  obs_first: string;
  var_first: string;
  var_last: string;
  cats: Record<string, Record<string, number>>;
  obsm: Record<string, [[number, number], number | null]>;
  [layer: string]: unknown;
}

const reference = JSON.parse(readFileSync(join(__dirname, 'reference/anndata.json'), 'utf8')) as Record<string, Ref>;
const DATA = shared('data');

function rowSum(ds: Dataset, key: string, row: number): number {
  const c = ds.readRows(key, row, row + 1);
  let s = 0;
  for (const v of c.data) s += v;
  return s;
}

function categoryCounts(col: CategoricalColumn): Record<string, number> {
  const out: Record<string, number> = {};
  for (const code of col.codes) if (code >= 0) out[col.categories[code]] = (out[col.categories[code]] ?? 0) + 1;
  return out;
}

describe('h5ad files match anndata', () => {
  for (const [file, ref] of Object.entries(reference)) {
    it(file, async () => {
      const ds = await openPaths([join(DATA, file)]);
      try {
        expect([ds.nObs, ds.nVars]).toEqual(ref.shape);
        expect(ds.obs.index[0]).toBe(ref.obs_first);
        expect(ds.var.index[0]).toBe(ref.var_first);
        expect(ds.var.index[ds.nVars - 1]).toBe(ref.var_last);
        const last = ds.nObs - 1;
        if (ref.X_rowsum_0_1_last) {
          const got = [0, 1, last].map((r) => rowSum(ds, 'X', r));
          got.forEach((v, i) => expect(v).toBeCloseTo(ref.X_rowsum_0_1_last![i], 2));
        } else {
          expect(ds.matrices.find((m) => m.key === 'X')).toBeUndefined();
        }
        if (ref.raw_shape) {
          expect(ds.varNamesOf('raw/X').length).toBe(ref.raw_shape[1]);
          expect(rowSum(ds, 'raw/X', 0)).toBeCloseTo(ref.raw_rowsum_0![0], 2);
        }
        for (const [k, v] of Object.entries(ref)) {
          const m = /^layer_(.+)_rowsum_0_last$/.exec(k);
          if (!m) continue;
          const sums = v as number[];
          expect(rowSum(ds, `layers/${m[1]}`, 0)).toBeCloseTo(sums[0], 2);
          expect(rowSum(ds, `layers/${m[1]}`, last)).toBeCloseTo(sums[1], 2);
        }
        for (const [name, counts] of Object.entries(ref.cats)) {
          const col = ds.obs.columns.find((c) => c.name === name);
          expect(col?.kind).toBe('categorical');
          expect(categoryCounts(col as CategoricalColumn)).toEqual(counts);
        }
        for (const [key, [shape, first]] of Object.entries(ref.obsm)) {
          if (first === null) continue; // dataframe / sparse obsm: not an embedding
          const e = ds.readEmbedding(key);
          expect(e.shape).toEqual(shape);
          expect(e.data[0]).toBeCloseTo(first, 4);
        }
      } finally {
        ds.close();
      }
    });
  }
});

describe('every file in shared/data is read or refused with a clear error', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(DATA);
  const matrixFile = /\.(h5ad|h5)$/;
  const mtxPart = /\.(mtx|tsv)(\.gz)?$/;

  for (const p of files) {
    const rel = relative(DATA, p);
    if (mtxPart.test(p)) continue; // read as folders below
    it(rel, async () => {
      if (matrixFile.test(p)) {
        const ds = await openPaths([p]);
        const s = summarize(ds);
        ds.close();
        expect(s.n_obs).toBeGreaterThan(0);
        expect(s.n_vars).toBeGreaterThan(0);
      } else {
        const err = await openPaths([p]).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DatasetError);
        expect((err as DatasetError).code).toBe('not-hdf5');
        expect((err as DatasetError).message).toContain(rel.split('/').pop());
      }
    });
  }
});

function sortedRows(c: CsrChunk): string[] {
  const rows: string[] = [];
  for (let r = 0; r < c.end - c.start; r++) {
    const pairs: [number, number][] = [];
    for (let k = c.indptr[r]; k < c.indptr[r + 1]; k++) pairs.push([c.indices[k], c.data[k]]);
    rows.push(pairs.sort((a, b) => a[0] - b[0]).join(' '));
  }
  return rows;
}

describe('the same data in different containers reads the same', () => {
  async function sameMatrix(a: string[], b: string[], keyA = 'X', keyB = 'X') {
    const [da, db] = [await openPaths(a), await openPaths(b)];
    try {
      expect([da.nObs, da.nVars]).toEqual([db.nObs, db.nVars]);
      expect(da.obs.index).toEqual(db.obs.index);
      expect(da.var.index).toEqual(db.var.index);
      const ca = da.readRows(keyA, 0, da.nObs);
      const cb = db.readRows(keyB, 0, db.nObs);
      expect(Array.from(ca.indptr)).toEqual(Array.from(cb.indptr));
      // CSR does not promise sorted column indices within a row (10x writes them unsorted).
      expect(sortedRows(ca)).toEqual(sortedRows(cb));
    } finally {
      da.close();
      db.close();
    }
  }

  it('10x v3: HDF5 and MatrixMarket (gzipped folder)', () =>
    sameMatrix([shared('data/10x/v3_filtered_feature_bc_matrix.h5')], [shared('data/10x/v3_filtered_feature_bc_matrix')]));

  it('10x v2: HDF5 and MatrixMarket (plain files given one by one)', () => {
    const dir = shared('data/10x/v2_hg19_chr21');
    return sameMatrix([shared('data/10x/v2_filtered_gene_bc_matrices_h5.h5')], ['matrix.mtx', 'genes.tsv', 'barcodes.tsv'].map((f) => join(dir, f)));
  });

  it('ACTINN pandas frame (genes x cells) and the h5ad made from it', () =>
    sameMatrix([shared('data/mouse/actinn_mouse_train_set.h5')], [shared('data/mouse/actinn_mouse_1000x14063_counts.h5ad')]));

  it('legacy anndata 0.5 and modern pbmc68k_reduced: X, raw/X, obs and obsm', async () => {
    await sameMatrix([shared('data/format_variants/pbmc68k_reduced_legacy_anndata_v05.h5ad')], [shared('data/pbmc68k_reduced.h5ad')]);
    await sameMatrix([shared('data/format_variants/pbmc68k_reduced_legacy_anndata_v05.h5ad')], [shared('data/pbmc68k_reduced.h5ad')], 'raw/X', 'raw/X');
    const [a, b] = [await openPaths([shared('data/format_variants/pbmc68k_reduced_legacy_anndata_v05.h5ad')]), await openPaths([shared('data/pbmc68k_reduced.h5ad')])];
    expect(Array.from(a.readEmbedding('X_umap').data)).toEqual(Array.from(b.readEmbedding('X_umap').data));
    const louvain = (d: Dataset) => d.obs.columns.find((c) => c.name === 'louvain') as CategoricalColumn;
    expect(louvain(a).categories).toEqual(louvain(b).categories);
    expect(Array.from(louvain(a).codes)).toEqual(Array.from(louvain(b).codes));
    a.close();
    b.close();
  });

  it('soma pbmc-small: CSC, dense and default X agree', async () => {
    await sameMatrix([shared('data/format_variants/soma_pbmc-small-x-csc.h5ad')], [shared('data/format_variants/soma_pbmc-small-x-dense.h5ad')]);
    await sameMatrix([shared('data/format_variants/soma_pbmc-small-x-csc.h5ad')], [shared('data/format_variants/soma_pbmc-small.h5ad')]);
  });
});
