// scGPT's gene vocabulary (vocab.json: symbol -> id) and the mapping of a dataset's genes onto it.
// Special tokens are looked up by name, never assumed; scGPT appends any that are missing.

export interface Vocab {
  tokenToId: Map<string, number>;
  size: number;
  padId: number;
  clsId: number;
}

export class VocabError extends Error {}

const SPECIALS = ['<pad>', '<cls>', '<eoc>'];

/** Parses vocab.json; like scGPT's embed_data, appends `<pad>`, `<cls>`, `<eoc>` when absent. */
export function parseVocab(json: unknown, padToken = '<pad>'): Vocab {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new VocabError('vocab.json must be an object mapping gene symbols to ids');
  const tokenToId = new Map<string, number>();
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new VocabError(`vocab.json: id of "${k}" is not a non-negative integer`);
    tokenToId.set(k, v);
  }
  let next = Math.max(-1, ...tokenToId.values()) + 1;
  for (const s of SPECIALS) if (!tokenToId.has(s)) tokenToId.set(s, next++);
  const size = Math.max(...tokenToId.values()) + 1;
  return { tokenToId, size, padId: tokenToId.get(padToken)!, clsId: tokenToId.get('<cls>')! };
}

export interface GeneMapping {
  /** Vocab id per var position, -1 where the gene is not in the vocab. */
  ids: Int32Array;
  matched: number;
  total: number;
  /** Where the gene names came from, e.g. `var index`, `var/feature_name`, `var index via Ensembl map`. */
  source: string;
}

/**
 * Maps gene names to vocab ids. Ensembl ids (ENSG..., version suffix ignored) are translated
 * through `ensemblToSymbol` when given.
 */
export function mapGenes(names: string[], vocab: Vocab, source: string, ensemblToSymbol?: Map<string, string>): GeneMapping {
  const ids = new Int32Array(names.length).fill(-1);
  let matched = 0;
  let viaEnsembl = 0;
  names.forEach((name, i) => {
    let id = vocab.tokenToId.get(name);
    if (id === undefined && ensemblToSymbol && name.startsWith('ENS')) {
      const symbol = ensemblToSymbol.get(name.replace(/\.\d+$/, ''));
      if (symbol !== undefined) {
        id = vocab.tokenToId.get(symbol);
        if (id !== undefined) viaEnsembl++;
      }
    }
    if (id !== undefined && !SPECIALS.includes(name)) {
      ids[i] = id;
      matched++;
    }
  });
  const upper = matched < 0.2 * names.length ? upperCaseMapping(names, vocab) : null;
  if (upper && upper.matched >= 2 * Math.max(1, matched)) {
    return { ids: upper.ids, matched: upper.matched, total: names.length, source: `${source}, upper-cased (mouse-style symbols onto a human vocabulary)` };
  }
  return { ids, matched, total: names.length, source: viaEnsembl > 0 ? `${source} via Ensembl->symbol map` : source };
}

/**
 * Case-insensitive fallback: mouse symbols (Cd3e) onto a human vocabulary (CD3E), as scGPT users
 * do for mouse data. A vocab id is used once (first gene wins) so no token repeats in a cell.
 */
function upperCaseMapping(names: string[], vocab: Vocab): { ids: Int32Array; matched: number } {
  const ids = new Int32Array(names.length).fill(-1);
  const used = new Set<number>();
  let matched = 0;
  names.forEach((name, i) => {
    const id = vocab.tokenToId.get(name.toUpperCase());
    if (id === undefined || used.has(id) || SPECIALS.includes(name.toUpperCase())) return;
    used.add(id);
    ids[i] = id;
    matched++;
  });
  return { ids, matched };
}

/** Parses the headerless `ENSG...,SYMBOL` CSV (GENCODE v44, as CellTypist ships it). */
export function parseEnsemblMap(csv: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of csv.split('\n')) {
    const comma = line.indexOf(',');
    if (comma > 0) map.set(line.slice(0, comma).trim(), line.slice(comma + 1).trim());
  }
  return map;
}
