// scanpy's stored marker tables (uns/rank_genes_groups): record arrays with one field per group and
// one record per rank (names, scores, logfoldchanges, pvals_adj), and params naming the grouping
// and the test. Read so a processed file, or a shared snapshot, shows its markers without
// recomputing them. Bounded: a damaged or hostile file cannot make us allocate without limit.
import { DatasetError } from '../errors.ts';
import type { H5Context } from '../h5/read.ts';
import { checkReadSize, getNode, isDataset, readStrings, shapeOf } from '../h5/read.ts';

export interface StoredMarkers {
  groupby: string;
  method: string;
  groups: { group: string; names: string[]; scores: number[]; logfoldchanges: number[]; pvalsAdj: number[] }[];
}

const MAX_GROUPS = 2000;
const MAX_RANKS = 50_000;

interface CompoundMeta {
  compound_type?: { members: { name: string }[] };
}

/** Rows of a record array as h5wasm returns them: one array of field values per record. */
function records(ctx: H5Context, path: string): { fields: string[]; rows: unknown[][] } | null {
  const node = getNode(ctx, path);
  if (!node || !isDataset(ctx, node)) return null;
  const members = (node.metadata as unknown as CompoundMeta).compound_type?.members;
  const shape = shapeOf(node);
  if (!members || shape.length !== 1) return null;
  if (members.length > MAX_GROUPS || shape[0] > MAX_RANKS) throw new DatasetError('unsupported-encoding', ctx.fileName, `"${path}" has ${members.length} groups x ${shape[0]} ranks, more than scWeb reads (${MAX_GROUPS} x ${MAX_RANKS})`);
  checkReadSize(ctx, node, shape[0] * members.length);
  const rows = node.value as unknown;
  if (!Array.isArray(rows)) return null;
  return { fields: members.map((m) => m.name), rows: rows as unknown[][] };
}

function param(ctx: H5Context, key: string): string {
  const node = getNode(ctx, `uns/rank_genes_groups/params/${key}`);
  if (!node || !isDataset(ctx, node)) return '';
  try {
    return readStrings(ctx, node)[0] ?? '';
  } catch {
    return '';
  }
}

/** The file's rank_genes_groups, or null when it has none in the record-array layout. */
export function readStoredMarkers(ctx: H5Context): StoredMarkers | null {
  const names = records(ctx, 'uns/rank_genes_groups/names');
  if (!names) return null;
  const numeric = (key: string) => {
    const r = records(ctx, `uns/rank_genes_groups/${key}`);
    return r && r.fields.join('\u0000') === names.fields.join('\u0000') ? r : null;
  };
  const scores = numeric('scores');
  const lfc = numeric('logfoldchanges');
  const padj = numeric('pvals_adj');
  const col = (r: { rows: unknown[][] } | null, g: number) => names.rows.map((_, i) => (r ? Number(r.rows[i][g]) : NaN));
  return {
    groupby: param(ctx, 'groupby'),
    method: param(ctx, 'method'),
    groups: names.fields.map((group, g) => ({
      group,
      names: names.rows.map((row) => String(row[g] ?? '')),
      scores: col(scores, g),
      logfoldchanges: col(lfc, g),
      pvalsAdj: col(padj, g),
    })),
  };
}
