// Cosine similarity between gene embeddings: "genes like this one" (scGPT's
// GeneEmbedding.compute_similarities, without the gene itself) and the network's edges (its
// generate_network: every pair with cosine >= threshold, 0.5 in the tutorial), capped per node so
// that a view of 1,200 genes stays legible. Sums in float64.
import { CancelledError } from '../io/errors.ts';
import type { GeneEmbeddingSet } from './gene-programs.ts';

export interface SimilarGene {
  gene: string;
  /** Row of the gene in the embedding set. */
  index: number;
  cosine: number;
}

/** Rows scaled to unit length (float64); a zero row stays zero, so its cosines are 0. */
function unitRows(set: GeneEmbeddingSet): Float64Array {
  const { embeddings, d } = set;
  const n = set.genes.length;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += embeddings[i * d + t] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let t = 0; t < d; t++) out[i * d + t] = embeddings[i * d + t] * inv;
  }
  return out;
}

function dot(u: Float64Array, i: number, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) s += u[i * d + t] * u[j * d + t];
  return s;
}

/** The k genes most cosine-similar to `gene` (a name or a row), the gene itself excluded; ties by row. */
export function similarGenes(set: GeneEmbeddingSet, gene: string | number, k = 10): SimilarGene[] {
  const i = typeof gene === 'number' ? gene : set.genes.indexOf(gene);
  if (i < 0 || i >= set.genes.length) throw new Error(`similar genes: ${JSON.stringify(gene)} is not among the ${set.genes.length} embedded genes`);
  const u = unitRows(set);
  const all: SimilarGene[] = [];
  for (let j = 0; j < set.genes.length; j++) if (j !== i) all.push({ gene: set.genes[j], index: j, cosine: dot(u, i, j, set.d) });
  return all.sort((a, b) => b.cosine - a.cosine || a.index - b.index).slice(0, k);
}

export interface GeneEdges {
  /** Edge e joins rows source[e] < target[e]; edges sorted by (source, target). */
  source: Int32Array;
  target: Int32Array;
  /** Cosine similarity of the pair. */
  weight: Float32Array;
}

export interface CosineEdgeOptions {
  /** Smallest cosine kept (inclusive, as generate_network zeroes only values below it); default 0.5. */
  threshold?: number;
  /**
   * At most this many edges per gene: an edge is kept when it is among the `maxPerNode` strongest
   * of both of its genes (ties by row). Infinity keeps every pair above the threshold, as scGPT.
   * Default 10.
   */
  maxPerNode?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export async function cosineEdges(set: GeneEmbeddingSet, opts: CosineEdgeOptions = {}): Promise<GeneEdges> {
  const threshold = opts.threshold ?? 0.5;
  const cap = opts.maxPerNode ?? 10;
  if (!(cap >= 0)) throw new Error(`cosine edges: maxPerNode must be >= 0, got ${cap}`);
  const n = set.genes.length;
  const d = set.d;
  const u = unitRows(set);
  // Per gene, its neighbours above the threshold, strongest first.
  const near: { j: number; c: number }[][] = Array.from({ length: n }, () => []);
  let last = performance.now();
  for (let i = 0; i < n; i++) {
    if (performance.now() - last > 200) {
      await new Promise((r) => setTimeout(r, 0));
      if (opts.signal?.aborted) throw new CancelledError('gene network');
      opts.onProgress?.(i / n, `gene network: cosine of ${i.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} genes`);
      last = performance.now();
    }
    for (let j = i + 1; j < n; j++) {
      const c = dot(u, i, j, d);
      if (c >= threshold) {
        near[i].push({ j, c });
        near[j].push({ j: i, c });
      }
    }
  }
  if (opts.signal?.aborted) throw new CancelledError('gene network');
  const rankOk: Set<number>[] = near.map((list) => {
    list.sort((a, b) => b.c - a.c || a.j - b.j);
    return new Set(list.slice(0, Math.min(list.length, cap)).map((e) => e.j));
  });
  const src: number[] = [];
  const dst: number[] = [];
  const wts: number[] = [];
  for (let i = 0; i < n; i++) {
    const ordered = [...near[i]].filter((e) => e.j > i).sort((a, b) => a.j - b.j);
    for (const e of ordered) {
      if (!rankOk[i].has(e.j) || !rankOk[e.j].has(i)) continue;
      src.push(i);
      dst.push(e.j);
      wts.push(e.c);
    }
  }
  opts.onProgress?.(1, `gene network: ${src.length.toLocaleString('en-US')} edges with cosine >= ${threshold}`);
  return { source: Int32Array.from(src), target: Int32Array.from(dst), weight: Float32Array.from(wts) };
}
