// The genes of several files as one gene space. anndata.concat matches var names; files of one
// kind (all Ensembl-indexed, or all symbol-indexed without ids) are matched the same way, in the
// same order (inner: the first file's order; outer: pandas' sorted union). Files that name genes
// differently (Cell Ranger's symbols with gene_ids beside them, CELLxGENE's Ensembl index with
// feature_name) are matched by Ensembl id when every file has ids, else by symbol.
import { gatherColumn, columnNames } from './concat-columns.ts';
import { SYMBOL_COLUMNS, filledShare } from './gene-symbols.ts';
import { looksLikeEnsembl, makeUnique } from './names.ts';
import type { Column, DataFrame, GeneJoin } from './types.ts';

/** var columns that hold Ensembl ids beside a symbol index (Cell Ranger, scanpy's read_10x_*). */
const ID_COLUMNS = ['gene_ids', 'gene_id', 'ensembl_id', 'ensembl_ids', 'feature_id', 'gene_ensembl_id'];

export interface PartGenes {
  fileName: string;
  /** The genes of the part's matrices (its counts matrix's var names). */
  names: string[];
  /** The part's var: its columns name symbols or ids, found by the gene's var name. */
  var: DataFrame;
}

export interface JoinedGenes {
  var: DataFrame;
  /** Per part, the joined gene of each of its genes (-1: left out by an inner join). */
  maps: Int32Array[];
  matchedBy: string;
}

function textValues(c: Column | undefined, rows: Int32Array): (string | null)[] | null {
  if (!c || c.kind === 'numeric') return null;
  return Array.from(rows, (r) => {
    if (r < 0) return null;
    const v = c.kind === 'categorical' ? (c.codes[r] >= 0 ? c.categories[c.codes[r]] : '') : c.values[r];
    return v && v.toLowerCase() !== 'nan' ? v : null;
  });
}

/** Each gene's row in the part's var (-1 when raw/X has a gene var lacks). */
function varRows(p: PartGenes): Int32Array {
  if (p.names === p.var.index || (p.names.length === p.var.index.length && p.names.every((n, i) => n === p.var.index[i]))) return Int32Array.from(p.names, (_, i) => i);
  const at = new Map(p.var.index.map((n, i) => [n, i]));
  return Int32Array.from(p.names, (n) => at.get(n) ?? -1);
}

function idsOf(p: PartGenes, rows: Int32Array): (string | null)[] | null {
  if (looksLikeEnsembl(p.names)) return p.names;
  for (const name of ID_COLUMNS) {
    const vals = textValues(p.var.columns.find((c) => c.name === name), rows);
    if (vals && looksLikeEnsembl(vals.filter((v): v is string => !!v))) return vals;
  }
  return null;
}

function symbolsOf(p: PartGenes, rows: Int32Array, ensemblToSymbol?: Map<string, string>): (string | null)[] {
  if (!looksLikeEnsembl(p.names)) return p.names;
  const col = p.var.columns.find((c) => SYMBOL_COLUMNS.includes(c.name) && c.kind !== 'numeric' && filledShare(c) >= 0.5);
  const vals = textValues(col, rows);
  return p.names.map((id, i) => vals?.[i] ?? ensemblToSymbol?.get(id.replace(/\.\d+$/, '')) ?? null);
}

/**
 * The joined genes. Keys repeated inside one file (duplicate symbols) get anndata's make-unique
 * suffixes, so the n-th copy in one file meets the n-th copy in another.
 */
export function joinGenes(parts: PartGenes[], join: GeneJoin, ensemblToSymbol?: Map<string, string>): JoinedGenes {
  const rows = parts.map(varRows);
  let keys: (string | null)[][];
  let matchedBy: string;
  const ensemblIndex = parts.map((p) => looksLikeEnsembl(p.names));
  const ids = parts.map((p, i) => idsOf(p, rows[i]));
  if (ensemblIndex.every(Boolean) || (!ensemblIndex.some(Boolean) && !ids.every(Boolean))) {
    keys = parts.map((p) => p.names);
    matchedBy = 'var names';
  } else if (ids.every(Boolean)) {
    keys = ids.map((k) => k!.map((v) => (v ? v.replace(/\.\d+$/, '') : null)));
    matchedBy = 'Ensembl ids (version suffixes ignored)';
  } else {
    keys = parts.map((p, i) => symbolsOf(p, rows[i], ensemblToSymbol));
    matchedBy = 'gene symbols';
  }
  // A gene without a key (an id column with a gap) can only be matched to itself: its var name stands in.
  const unique = keys.map((k, p) => makeUnique(k.map((v, i) => v ?? `\u0000${parts[p].names[i]}`)).names);
  const order: string[] = [];
  const nameOf = new Map<string, string>();
  if (join === 'inner') {
    const sets = unique.slice(1).map((k) => new Set(k));
    for (let i = 0; i < unique[0].length; i++) {
      if (sets.every((s) => s.has(unique[0][i]))) {
        order.push(unique[0][i]);
        nameOf.set(unique[0][i], parts[0].names[i]);
      }
    }
  } else {
    unique.forEach((k, p) => k.forEach((key, i) => !nameOf.has(key) && nameOf.set(key, parts[p].names[i])));
    order.push(...nameOf.keys());
    // pandas' Index.union sorts: anndata's outer join lists genes by name.
    const byName = (a: string, b: string) => {
      const [x, y] = [nameOf.get(a)!, nameOf.get(b)!];
      return x < y ? -1 : x > y ? 1 : 0;
    };
    order.sort(byName);
  }
  const at = new Map(order.map((k, j) => [k, j]));
  const maps = unique.map((k) => Int32Array.from(k, (key) => at.get(key) ?? -1));
  const index = makeUnique(order.map((k) => nameOf.get(k)!)).names;
  return { var: { index, columns: joinVarColumns(parts, rows, maps, order.length) }, maps, matchedBy };
}

/** Each var column from the first file (in order) that has both the gene and the column, as anndata's merge='first'. */
function joinVarColumns(parts: PartGenes[], rows: Int32Array[], maps: Int32Array[], n: number): Column[] {
  return columnNames(parts.map((p) => p.var)).map((name) => {
    const cols = parts.map((p) => p.var.columns.find((c) => c.name === name));
    const part = new Int32Array(n).fill(-1);
    const row = new Int32Array(n).fill(-1);
    parts.forEach((_, p) => {
      if (!cols[p]) return;
      maps[p].forEach((j, i) => {
        if (j >= 0 && part[j] < 0 && rows[p][i] >= 0) {
          part[j] = p;
          row[j] = rows[p][i];
        }
      });
    });
    return gatherColumn(name, cols, { part, row });
  });
}
