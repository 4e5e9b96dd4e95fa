// Leiden community detection (Traag, Waltman & van Eck 2019) maximising leidenalg's
// RBConfigurationVertexPartition quality, sum_ij (A_ij - resolution k_i k_j / 2m) [c_i = c_j], as
// scanpy's `leiden` does on obsp['connectivities']. Each pass: fast local moving with a queue,
// refinement (singletons merged inside each community, randomly with probability ~ exp(gain /
// 0.01), only into well-connected subsets), aggregation on the refined partition with the
// unrefined one as the starting point. Seeded: the same graph and seed give the same clusters.
import { CancelledError } from '../io/errors.ts';
import { mulberry32, type Uniform } from '../model/random.ts';
import type { SparseGraph } from './connectivities.ts';

export interface LeidenOptions {
  resolution?: number;
  seed?: number;
  /**
   * Full Leiden runs, each starting from the last partition (leidenalg's n_iterations). Negative,
   * the default as in scanpy's `tl.leiden` (n_iterations=-1): run until a pass no longer improves
   * the quality. CellTypist's over-clustering (igraph flavour) runs 2.
   */
  iterations?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

interface Graph {
  n: number;
  indptr: Int32Array;
  indices: Int32Array;
  weights: Float64Array;
  /** Self-loop weight per node (aggregated internal edges). */
  self: Float64Array;
  /** Weighted degree including the self-loop. */
  degree: Float64Array;
  /** 2m: the sum of all degrees. */
  total: number;
}

const THETA = 0.01;
/** Most passes when running until the quality stops improving. */
const MAX_ITERATIONS = 50;

export async function leiden(g: SparseGraph, opts: LeidenOptions = {}): Promise<{ labels: Int32Array; nClusters: number; quality: number; passes: number }> {
  const gamma = opts.resolution ?? 1;
  const rng = mulberry32(opts.seed ?? 0);
  const iterations = opts.iterations ?? -1;
  let membership: Int32Array = Int32Array.from({ length: g.n }, (_, i) => i);
  const base = fromSparse(g);
  let passes = iterations;
  if (iterations >= 0) {
    for (let it = 0; it < iterations; it++) membership = await runOnce(base, membership, gamma, rng, opts, it, (f) => (it + f) / iterations);
  } else {
    // leidenalg's optimise_partition with n_iterations < 0: repeat while a pass improves the quality.
    // As there, the last pass (the one that gained nothing) is kept: it may still have moved nodes
    // between communities of equal quality. The cap only guards against a rounding cycle; on real
    // graphs 2-4 passes settle.
    let q = quality(base, membership, gamma);
    passes = 0;
    for (let it = 0; it < MAX_ITERATIONS; it++) {
      // Progress: pass it fills [1 - 2^-it, 1 - 2^-(it+1)), so it only grows however many passes run.
      membership = await runOnce(base, membership, gamma, rng, opts, it, (f) => 1 - 0.5 ** it + f * 0.5 ** (it + 1));
      passes++;
      const qNext = quality(base, membership, gamma);
      if (!(qNext > q)) break;
      q = qNext;
    }
  }
  const labels = relabelBySize(membership);
  let nClusters = 0;
  for (const l of labels) nClusters = Math.max(nClusters, l + 1);
  return { labels, nClusters, quality: quality(base, labels, gamma), passes };
}

function fromSparse(g: SparseGraph): Graph {
  const n = g.n;
  const self = new Float64Array(n);
  const degree = new Float64Array(n);
  const counts = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    for (let t = g.indptr[i]; t < g.indptr[i + 1]; t++) {
      const j = g.indices[t];
      degree[i] += g.data[t];
      if (j === i) self[i] += g.data[t];
      else counts[i + 1]++;
    }
  }
  for (let i = 0; i < n; i++) counts[i + 1] += counts[i];
  const indices = new Int32Array(counts[n]);
  const weights = new Float64Array(counts[n]);
  for (let i = 0, p = 0; i < n; i++) {
    for (let t = g.indptr[i]; t < g.indptr[i + 1]; t++) {
      if (g.indices[t] === i) continue;
      indices[p] = g.indices[t];
      weights[p++] = g.data[t];
    }
  }
  let total = 0;
  for (const d of degree) total += d;
  return { n, indptr: counts, indices, weights, self, degree, total };
}

async function runOnce(base: Graph, start: Int32Array, gamma: number, rng: Uniform, opts: LeidenOptions, it: number, fraction: (f: number) => number): Promise<Int32Array> {
  let graph = base;
  let part: Int32Array = Int32Array.from(start);
  // nodeOf[v] = node of the current aggregate graph that base vertex v belongs to.
  let nodeOf: Int32Array = Int32Array.from({ length: base.n }, (_, i) => i);
  for (let level = 0; ; level++) {
    await new Promise((r) => setTimeout(r, 0));
    if (opts.signal?.aborted) throw new CancelledError('leiden');
    opts.onProgress?.(fraction(Math.min(0.9, level / 6)), `leiden: pass ${it + 1}, level ${level + 1}, ${graph.n.toLocaleString('en-US')} nodes`);
    moveNodes(graph, part, gamma, rng);
    part = compact(part);
    const nComm = max(part) + 1;
    if (nComm === graph.n) break; // nothing merged: the partition is final at this level
    const refined = compact(refine(graph, part, gamma, rng));
    const nRefined = max(refined) + 1;
    const next = aggregate(graph, refined, nRefined);
    // The aggregate's starting partition is the unrefined one.
    const nextPart = new Int32Array(nRefined);
    for (let v = 0; v < graph.n; v++) nextPart[refined[v]] = part[v];
    nodeOf = nodeOf.map((v) => refined[v]);
    graph = next;
    part = nextPart;
    if (nRefined === nComm && level > 0 && graph.n === nComm) {
      // Refinement changed nothing and every community is one node: moving cannot improve further.
      moveNodes(graph, part, gamma, rng);
      part = compact(part);
      break;
    }
  }
  return Int32Array.from(nodeOf, (v) => part[v]);
}

/**
 * Fast local moving: visit nodes from a queue, move each to its best neighbouring community.
 *
 * This stays on one thread, the first pass included. Each move reads the community degrees that
 * every earlier move changed, and the queue itself follows the moves (a node's neighbours re-enter
 * it when the node changes community): the visit order is the algorithm. Moving several nodes at
 * once means moving them against a stale view of the partition; a fixed split (graph colouring,
 * synchronous rounds) could make that the same for any thread count, but it would be another
 * algorithm than leidenalg's sequential queue, with other partitions than today's and than the
 * reference tests compare to. And there is little to win: at 30,000 cells the first pass takes
 * ~0.1 s of Leiden's ~1 s (bench/RESULTS.md, "serial parts").
 */
function moveNodes(g: Graph, part: Int32Array, gamma: number, rng: Uniform): void {
  const n = g.n;
  const commDeg = new Float64Array(n + 1);
  const commSize = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) {
    commDeg[part[v]] += g.degree[v];
    commSize[part[v]]++;
  }
  const empty: number[] = [];
  for (let c = n - 1; c >= 0; c--) if (commSize[c] === 0) empty.push(c);
  const queue = new Int32Array(n);
  const order = shuffled(n, rng);
  queue.set(order);
  const inQueue = new Uint8Array(n).fill(1);
  let head = 0;
  let size = n;
  const w = new Float64Array(n);
  const touched: number[] = [];
  const scale = gamma / g.total;
  while (size > 0) {
    const v = queue[head];
    head = (head + 1) % n;
    size--;
    inQueue[v] = 0;
    const own = part[v];
    touched.length = 0;
    for (let t = g.indptr[v]; t < g.indptr[v + 1]; t++) {
      const c = part[g.indices[t]];
      if (w[c] === 0) touched.push(c);
      w[c] += g.weights[t];
    }
    const kv = g.degree[v];
    commDeg[own] -= kv;
    // Gain of joining c (v removed from its community): w(v, c) - gamma k_v K_c / 2m.
    let best = own;
    let bestGain = w[own] - scale * kv * commDeg[own];
    for (const c of touched) {
      const gain = w[c] - scale * kv * commDeg[c];
      if (gain > bestGain) {
        bestGain = gain;
        best = c;
      }
    }
    // An empty community (gain 0) when leaving is better than every option.
    if (bestGain < 0 && commSize[own] > 1) best = empty.pop() ?? own;
    for (const c of touched) w[c] = 0;
    commDeg[best] += kv;
    if (best !== own) {
      commSize[own]--;
      commSize[best]++;
      if (commSize[own] === 0) empty.push(own);
      part[v] = best;
      for (let t = g.indptr[v]; t < g.indptr[v + 1]; t++) {
        const u = g.indices[t];
        if (!inQueue[u] && part[u] !== best) {
          inQueue[u] = 1;
          queue[(head + size) % n] = u;
          size++;
        }
      }
    }
  }
}

/** Refinement: inside each community, merge well-connected singletons into well-connected subsets. */
function refine(g: Graph, part: Int32Array, gamma: number, rng: Uniform): Int32Array {
  const n = g.n;
  const scale = gamma / g.total;
  const refined = Int32Array.from({ length: n }, (_, i) => i);
  const commDeg = new Float64Array(n);
  for (let v = 0; v < n; v++) commDeg[part[v]] += g.degree[v];
  const subDeg = Float64Array.from(g.degree);
  const subSize = new Int32Array(n).fill(1);
  // External weight of each subset to the rest of its community (starts as the node's weight to it).
  const subExt = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    for (let t = g.indptr[v]; t < g.indptr[v + 1]; t++) if (part[g.indices[t]] === part[v]) subExt[v] += g.weights[t];
  }
  const w = new Float64Array(n);
  const touched: number[] = [];
  const cand: number[] = [];
  const prob: number[] = [];
  for (const v of shuffled(n, rng)) {
    if (subSize[refined[v]] !== 1) continue; // only singletons move
    const C = part[v];
    const kv = g.degree[v];
    if (subExt[v] < scale * kv * (commDeg[C] - kv)) continue; // v is not well connected to C
    touched.length = 0;
    for (let t = g.indptr[v]; t < g.indptr[v + 1]; t++) {
      const u = g.indices[t];
      if (part[u] !== C) continue;
      const s = refined[u];
      if (w[s] === 0) touched.push(s);
      w[s] += g.weights[t];
    }
    cand.length = 0;
    prob.length = 0;
    let bestGain = 0;
    for (const s of touched) {
      if (subExt[s] < scale * subDeg[s] * (commDeg[C] - subDeg[s])) continue;
      const gain = w[s] - scale * kv * subDeg[s];
      if (gain >= 0) {
        cand.push(s);
        prob.push(gain);
        bestGain = Math.max(bestGain, gain);
      }
    }
    let target = -1;
    if (cand.length > 0) {
      // Randomised choice ~ exp(gain / theta), shifted by the best gain for numerical range.
      let z = 0;
      for (let i = 0; i < prob.length; i++) z += prob[i] = Math.exp((prob[i] - bestGain) / THETA);
      let r = rng() * z;
      target = cand[cand.length - 1];
      for (let i = 0; i < cand.length; i++) {
        r -= prob[i];
        if (r <= 0) {
          target = cand[i];
          break;
        }
      }
    }
    if (target >= 0) {
      // Merge singleton v into subset `target`: external weight loses the edges between them.
      subExt[target] += subExt[v] - 2 * w[target];
      subDeg[target] += kv;
      subSize[target]++;
      subSize[v] = 0;
      refined[v] = target;
    }
    for (const s of touched) w[s] = 0;
  }
  return refined;
}

function aggregate(g: Graph, comm: Int32Array, nComm: number): Graph {
  const self = new Float64Array(nComm);
  const degree = new Float64Array(nComm);
  // Members of each community in ascending vertex order (a counting sort), in typed arrays: at
  // 100k cells this step was the largest part of Leiden with an array per community.
  const start = new Int32Array(nComm + 1);
  for (let v = 0; v < g.n; v++) {
    start[comm[v] + 1]++;
    self[comm[v]] += g.self[v];
    degree[comm[v]] += g.degree[v];
  }
  for (let c = 0; c < nComm; c++) start[c + 1] += start[c];
  const members = new Int32Array(g.n);
  const fill = start.slice(0, nComm);
  for (let v = 0; v < g.n; v++) members[fill[comm[v]]++] = v;
  const indptr = new Int32Array(nComm + 1);
  // An aggregate has at most as many edges as the graph it sums.
  const idx = new Int32Array(g.indices.length);
  const wts = new Float64Array(g.indices.length);
  let m = 0;
  const acc = new Float64Array(nComm);
  const touched = new Int32Array(nComm);
  // seen[d] = c + 1 once community c has an edge to d (a zero weight cannot list d twice).
  const seen = new Int32Array(nComm);
  for (let c = 0; c < nComm; c++) {
    let nt = 0;
    for (let p = start[c]; p < start[c + 1]; p++) {
      const v = members[p];
      for (let t = g.indptr[v]; t < g.indptr[v + 1]; t++) {
        const d = comm[g.indices[t]];
        if (d === c) self[c] += g.weights[t];
        else {
          if (seen[d] !== c + 1) {
            seen[d] = c + 1;
            touched[nt++] = d;
          }
          acc[d] += g.weights[t];
        }
      }
    }
    const row = touched.subarray(0, nt).sort();
    for (let i = 0; i < nt; i++) {
      const d = row[i];
      idx[m] = d;
      wts[m++] = acc[d];
      acc[d] = 0;
    }
    indptr[c + 1] = m;
  }
  return { n: nComm, indptr, indices: idx.slice(0, m), weights: wts.slice(0, m), self, degree, total: g.total };
}

/** The quality leidenalg reports for RBConfigurationVertexPartition (unnormalised modularity). */
export function quality(g: Graph, labels: Int32Array, gamma: number): number {
  const k = max(labels) + 1;
  const internal = new Float64Array(k);
  const deg = new Float64Array(k);
  for (let v = 0; v < g.n; v++) {
    deg[labels[v]] += g.degree[v];
    internal[labels[v]] += g.self[v];
    for (let t = g.indptr[v]; t < g.indptr[v + 1]; t++) if (labels[g.indices[t]] === labels[v]) internal[labels[v]] += g.weights[t];
  }
  let q = 0;
  for (let c = 0; c < k; c++) q += internal[c] - (gamma * deg[c] * deg[c]) / g.total;
  return q;
}

function shuffled(n: number, rng: Uniform): Int32Array {
  const a = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** Labels renumbered 0, 1, ... in order of first appearance (labels are in 0..length-1). */
function compact(labels: Int32Array): Int32Array {
  const map = new Int32Array(labels.length).fill(-1);
  const out = new Int32Array(labels.length);
  let next = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (map[l] < 0) map[l] = next++;
    out[i] = map[l];
  }
  return out;
}

/** Cluster 0 is the largest, as scanpy/leidenalg number them; ties by first appearance. */
function relabelBySize(labels: Int32Array): Int32Array {
  const c = compact(labels);
  const k = max(c) + 1;
  const size = new Int32Array(k);
  for (const l of c) size[l]++;
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => size[b] - size[a] || a - b);
  const rank = new Int32Array(k);
  order.forEach((l, r) => (rank[l] = r));
  return c.map((l) => rank[l]);
}

function max(a: Int32Array): number {
  let m = -1;
  for (const v of a) if (v > m) m = v;
  return m;
}
