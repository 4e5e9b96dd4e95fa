// Writes an input dataset plus computed results as a fresh .h5ad, as scanpy would save it: results
// replace keys of the same name (obs columns, obsm arrays, uns/rank_genes_groups, colours).
// An .h5ad input with a current (anndata >= 0.8) obs is copied object by object, so everything
// we do not compute (layers, raw, obsp, uns, ...) keeps its content and types; other inputs (10x,
// mtx, legacy .h5ad) are exported from what the reader made of them.
import type { Group as H5Group } from 'h5wasm';
import type { H5Lib } from '../h5/runtime.ts';
import type { Column, Dataset } from '../types.ts';
import { defaultCategoryColors } from './colors.ts';
import { copyTree } from './copy.ts';
import { exportH5ad } from './export.ts';
import { TypeFixes } from './type-fixes.ts';
import { writeColors, writeRankGenesGroups, type RankGenesGroups } from './uns.ts';
import { encode, writeColumn } from './write.ts';

export interface H5adResults {
  obs?: Column[];
  obsm?: Record<string, { shape: [number, number]; data: Float32Array }>;
  rankGenesGroups?: RankGenesGroups;
}

/** Returns notes for the user (objects of the input that could not be carried over). */
export async function writeWithResults(lib: H5Lib, inputPath: string, ds: Dataset, out: string, r: H5adResults): Promise<string[]> {
  const columns = r.obs ?? [];
  const colors = defaultCategoryColors(columns);
  const src = ds.format === 'h5ad' ? new lib.File(inputPath, 'r') : null;
  const obs = src?.get('obs') as H5Group | null | undefined;
  if (!src || !obs || obs.type !== 'Group' || !('column-order' in obs.attrs)) {
    src?.close();
    for (const c of columns) ds.setColumn(c);
    for (const [key, e] of Object.entries(r.obsm ?? {})) ds.addEmbedding({ key, ...e });
    await exportH5ad(lib, out, ds, { colors, rankGenesGroups: r.rankGenesGroups });
    return ds.format === 'h5ad' ? [`${inputPath} has a pre-0.8 obs: wrote obs, var, X and obsm from what was read (uns, layers and raw are not carried over)`] : [];
  }
  const replaced = new Set([
    ...columns.map((c) => `obs/${c.name}`),
    ...Object.keys(r.obsm ?? {}).map((k) => `obsm/${k}`),
    ...Object.keys(colors).map((c) => `uns/${c}_colors`),
    ...(r.rankGenesGroups ? ['uns/rank_genes_groups'] : []),
  ]);
  const fixes = new TypeFixes();
  const f = new lib.File(out, 'w');
  let skipped: string[];
  try {
    skipped = copyTree(src, f, (p) => replaced.has(p), fixes).skipped;
    const group = (name: string) => {
      if (!f.keys().includes(name)) encode(f.create_group(name), 'dict', '0.1.0');
      return f.get(name) as H5Group;
    };
    const dstObs = f.get('obs') as H5Group;
    const raw = obs.attrs['column-order'].value;
    const order = (Array.isArray(raw) ? raw : raw === null || raw === '' ? [] : [raw]).map(String);
    for (const c of columns) {
      writeColumn(dstObs, c, fixes);
      if (!order.includes(c.name)) order.push(c.name);
    }
    dstObs.delete_attribute('column-order');
    if (order.length) dstObs.create_attribute('column-order', order);
    else dstObs.create_attribute('column-order', [], [0], '<S1');
    const obsm = group('obsm');
    for (const [key, e] of Object.entries(r.obsm ?? {})) {
      const d = obsm.create_dataset({ name: key, data: e.data, shape: e.shape });
      d.create_attribute('encoding-type', 'array');
      d.create_attribute('encoding-version', '0.2.0');
    }
    const uns = group('uns');
    for (const [col, hex] of Object.entries(colors)) writeColors(uns, col, hex);
    if (r.rankGenesGroups) writeRankGenesGroups(uns, r.rankGenesGroups, fixes);
  } finally {
    f.close();
    src.close();
  }
  await fixes.apply(lib, out);
  return skipped;
}
