// uns entries as scanpy writes them: `<column>_colors` string arrays and `rank_genes_groups`
// with per-group record arrays (one field per group, n_genes records) and its params.
import type { Group as H5Group } from 'h5wasm';
import type { TypeFixes } from './type-fixes.ts';
import { encode, stringArray, writeScalar as scalarString } from './write.ts';

export interface RankGenesGroups {
  groupby: string;
  method: string;
  /** scanpy's default comparison, each group against the rest. */
  reference: 'rest';
  useRaw: boolean;
  /** Layer the scores came from; scanpy stores None (nothing) for X. */
  layer: string | null;
  corrMethod: 'benjamini-hochberg';
  /** One entry per group, every one with the same number of genes, best first. */
  groups: { group: string; names: string[]; scores: ArrayLike<number>; logfoldchanges: ArrayLike<number>; pvals: ArrayLike<number>; pvalsAdj: ArrayLike<number> }[];
}

export function writeColors(uns: H5Group, column: string, hex: string[]): void {
  stringArray(uns, `${column}_colors`, hex);
}


export function writeRankGenesGroups(uns: H5Group, r: RankGenesGroups, fixes: TypeFixes, name = 'rank_genes_groups'): void {
  const g = uns.create_group(name);
  encode(g, 'dict', '0.1.0');
  const params = g.create_group('params');
  encode(params, 'dict', '0.1.0');
  scalarString(params, 'groupby', r.groupby);
  scalarString(params, 'reference', r.reference);
  scalarString(params, 'method', r.method);
  scalarString(params, 'corr_method', r.corrMethod);
  if (r.layer !== null) scalarString(params, 'layer', r.layer);
  const useRaw = params.create_dataset({ name: 'use_raw', data: Int8Array.of(r.useRaw ? 1 : 0), shape: [] });
  useRaw.create_attribute('encoding-type', 'numeric-scalar');
  useRaw.create_attribute('encoding-version', '0.2.0');
  fixes.boolDataset(useRaw.path);

  const G = r.groups.length;
  const n = G ? r.groups[0].names.length : 0;
  if (r.groups.some((x) => x.names.length !== n)) throw new Error('rank_genes_groups: every group needs the same number of genes');
  const fields = r.groups.map((x) => x.group);
  // Row-major [n, G]: record i holds gene rank i of every group, as numpy's record array does.
  const matrix = <T>(pick: (x: RankGenesGroups['groups'][number], i: number) => T) => Array.from({ length: n * G }, (_, t) => pick(r.groups[t % G], Math.floor(t / G)));
  const record = (key: string, data: string[] | Float32Array | Float64Array) => {
    const ds = g.create_dataset({ name: key, data, shape: [n, G] });
    ds.create_attribute('encoding-type', 'rec-array');
    ds.create_attribute('encoding-version', '0.2.0');
    fixes.recordArray(ds.path, fields);
  };
  record('names', matrix((x, i) => x.names[i]));
  // scanpy's dtypes: float32 scores and fold changes, float64 p-values.
  record('scores', Float32Array.from(matrix((x, i) => x.scores[i])));
  record('logfoldchanges', Float32Array.from(matrix((x, i) => x.logfoldchanges[i])));
  record('pvals', Float64Array.from(matrix((x, i) => x.pvals[i])));
  record('pvals_adj', Float64Array.from(matrix((x, i) => x.pvalsAdj[i])));
}

/** sc.tl.pca's uns/pca: explained variance and its ratio per component, and its params. */
export interface PcaUns {
  variance: Float64Array;
  varianceRatio: Float64Array;
}

export function writePcaUns(uns: H5Group, p: PcaUns, fixes: TypeFixes): void {
  const g = uns.create_group('pca');
  encode(g, 'dict', '0.1.0');
  for (const [name, data] of [['variance', p.variance], ['variance_ratio', p.varianceRatio]] as const) {
    const ds = g.create_dataset({ name, data });
    ds.create_attribute('encoding-type', 'array');
    ds.create_attribute('encoding-version', '0.2.0');
  }
  const params = g.create_group('params');
  encode(params, 'dict', '0.1.0');
  for (const name of ['zero_center', 'use_highly_variable']) {
    const b = params.create_dataset({ name, data: Int8Array.of(1), shape: [] });
    b.create_attribute('encoding-type', 'numeric-scalar');
    b.create_attribute('encoding-version', '0.2.0');
    fixes.boolDataset(b.path);
  }
}
