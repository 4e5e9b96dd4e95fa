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
  /** The base graph's are the input's float32 weights (read as the same doubles); aggregates sum in float64. */
  weights: Float64Array | Float32Array;
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
  let membership = identity(g.n);
  const base = fromSparse(g);
  const work = new Workspace(base);
  let passes = iterations;
  // The per-community sums of `membership` when its quality was last computed (the final quality reuses them).
  let sums: CommunitySums | null = null;
  if (iterations >= 0) {
    for (let it = 0; it < iterations; it++) membership = await runOnce(base, membership, gamma, rng, opts, it, (f) => (it + f) / iterations, work);
  } else {
    // leidenalg's optimise_partition with n_iterations < 0: repeat while a pass improves the quality.
    // As there, the last pass (the one that gained nothing) is kept: it may still have moved nodes
    // between communities of equal quality. The cap only guards against a rounding cycle; on real
    // graphs 2-4 passes settle.
    let q = quality(base, membership, gamma);
    passes = 0;
    for (let it = 0; it < MAX_ITERATIONS; it++) {
      // Progress: pass it fills [1 - 2^-it, 1 - 2^-(it+1)), so it only grows however many passes run.
      membership = await runOnce(base, membership, gamma, rng, opts, it, (f) => 1 - 0.5 ** it + f * 0.5 ** (it + 1), work);
      passes++;
      sums = communitySums(base, membership);
      const qNext = sumQuality(sums, gamma, base.total);
      if (!(qNext > q)) break;
      q = qNext;
    }
  }
  const labels = relabelBySize(membership);
  let nClusters = 0;
  for (let v = 0; v < labels.length; v++) if (labels[v] >= nClusters) nClusters = labels[v] + 1;
  // Each community's sums do not depend on its label, only the order they are added in does: the
  // last pass's sums, renumbered, give the same bits as summing the relabelled partition again.
  if (sums) {
    const internal = new Float64Array(nClusters);
    const deg = new Float64Array(nClusters);
    for (let v = 0; v < labels.length; v++) {
      internal[labels[v]] = sums.internal[membership[v]];
      deg[labels[v]] = sums.deg[membership[v]];
    }
    sums = { k: nClusters, internal, deg };
  } else sums = communitySums(base, labels);
  return { labels, nClusters, quality: sumQuality(sums, gamma, base.total), passes };
}

/**
 * Buffers reused by every level of every pass, sized for the base graph (aggregates are smaller):
 * allocating and zeroing them per level was a tenth of Leiden's time. Aggregates are written into
 * two edge buffers in turn (a level reads the previous aggregate while writing the next one).
 */
class Workspace {
  /** Edge weights to each community of the node being visited; all zero between visits. */
  readonly w: Float64Array;
  readonly touched: Int32Array;
  readonly cand: Int32Array;
  readonly prob: Float64Array;
  readonly commDeg: Float64Array;
  readonly commSize: Int32Array;
  readonly empty: Int32Array;
  readonly queue: Int32Array;
  readonly inQueue: Uint8Array;
  readonly order: Int32Array;
  readonly map: Int32Array;
  readonly refined: Int32Array;
  readonly subDeg: Float64Array;
  readonly subSize: Int32Array;
  readonly subExt: Float64Array;
  readonly members: Int32Array;
  readonly start: Int32Array;
  readonly seen: Int32Array;
  readonly colStart: Int32Array;
  readonly cursor: Int32Array;
  /** An aggregate's entries listed by column, on the way to rows in ascending order. */
  tIndices = new Int32Array(0);
  tWeights = new Float64Array(0);
  readonly part: Int32Array;
  readonly nodeOf: Int32Array;
  private readonly slots: AggregateBuffers[] = [];

  constructor(base: Graph) {
    const n = base.n;
    this.w = new Float64Array(n);
    this.touched = new Int32Array(n);
    this.cand = new Int32Array(n);
    this.prob = new Float64Array(n);
    this.commDeg = new Float64Array(n);
    this.commSize = new Int32Array(n);
    this.empty = new Int32Array(n);
    this.queue = new Int32Array(n);
    this.inQueue = new Uint8Array(n);
    this.order = new Int32Array(n);
    this.map = new Int32Array(n);
    this.refined = new Int32Array(n);
    this.subDeg = new Float64Array(n);
    this.subSize = new Int32Array(n);
    this.subExt = new Float64Array(n);
    this.members = new Int32Array(n);
    this.start = new Int32Array(n + 1);
    this.seen = new Int32Array(n);
    this.colStart = new Int32Array(n + 1);
    this.cursor = new Int32Array(n);
    this.part = new Int32Array(n);
    this.nodeOf = new Int32Array(n);
  }

  /**
   * Buffers for an aggregate of a graph of `edges` edges (its upper bound), slot 0 or 1: a level
   * reads the previous aggregate while writing the next. Sized on first use and grown when a later
   * pass needs more: the first aggregate has ~60% of the base graph's edges, the second ~15%, so
   * only slot 0 is as large as the base graph (per level, the old code allocated as much anew).
   */
  slot(i: number, edges: number): AggregateBuffers {
    const n = this.w.length;
    let buf = this.slots[i];
    if (!buf || buf.indices.length < edges) {
      buf = { indptr: new Int32Array(n + 1), indices: new Int32Array(edges), weights: new Float64Array(edges), self: new Float64Array(n), degree: new Float64Array(n) };
      this.slots[i] = buf;
    }
    return buf;
  }

  /** Transpose buffers of at least m entries (grown with some room: later passes' aggregates differ slightly). */
  transposeRoom(m: number): void {
    if (this.tIndices.length >= m) return;
    const size = Math.ceil(m * 1.125);
    this.tIndices = new Int32Array(size);
    this.tWeights = new Float64Array(size);
  }
}

interface AggregateBuffers {
  indptr: Int32Array;
  indices: Int32Array;
  weights: Float64Array;
  self: Float64Array;
  degree: Float64Array;
}

function fromSparse(g: SparseGraph): Graph {
  const n = g.n;
  const { indptr: gp, indices: gi, data: gd } = g;
  const self = new Float64Array(n);
  const degree = new Float64Array(n);
  const counts = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    // Running sums in registers: the same additions in the same order as summing into the arrays.
    let d = 0;
    let s = 0;
    let c = 0;
    for (let t = gp[i], end = gp[i + 1]; t < end; t++) {
      const j = gi[t];
      d += gd[t];
      if (j === i) s += gd[t];
      else c++;
    }
    degree[i] = d;
    self[i] = s;
    counts[i + 1] = c;
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += degree[i];
  for (let i = 0; i < n; i++) counts[i + 1] += counts[i];
  // No self-loops (the fuzzy graph has none): the input's arrays are the graph as they are.
  if (counts[n] === gp[n] && gp[0] === 0) return { n, indptr: gp, indices: gi, weights: gd, self, degree, total };
  const indices = new Int32Array(counts[n]);
  const weights = new Float32Array(counts[n]);
  for (let i = 0, p = 0; i < n; i++) {
    for (let t = gp[i], end = gp[i + 1]; t < end; t++) {
      if (gi[t] === i) continue;
      indices[p] = gi[t];
      weights[p++] = gd[t];
    }
  }
  return { n, indptr: counts, indices, weights, self, degree, total };
}

async function runOnce(base: Graph, start: Int32Array, gamma: number, rng: Uniform, opts: LeidenOptions, it: number, fraction: (f: number) => number, work: Workspace): Promise<Int32Array> {
  let graph = base;
  let part = work.part;
  part.set(start);
  // nodeOf[v] = node of the current aggregate graph that base vertex v belongs to.
  const nodeOf = work.nodeOf;
  for (let v = 0; v < base.n; v++) nodeOf[v] = v;
  for (let level = 0; ; level++) {
    await nextTurn();
    if (opts.signal?.aborted) throw new CancelledError('leiden');
    opts.onProgress?.(fraction(Math.min(0.9, level / 6)), `leiden: pass ${it + 1}, level ${level + 1}, ${graph.n.toLocaleString('en-US')} nodes`);
    moveNodes(graph, part, gamma, rng, work);
    const nComm = compact(part, graph.n, work.map);
    if (nComm === graph.n) break; // nothing merged: the partition is final at this level
    const refined = refine(graph, part, gamma, rng, work);
    const nRefined = compact(refined, graph.n, work.map);
    const next = aggregate(graph, refined, nRefined, work, level % 2);
    // The aggregate's starting partition is the unrefined one. In place: labels numbered by first
    // appearance have refined[v] <= v, so part[v] is read before any write can reach it.
    for (let v = 0; v < graph.n; v++) part[refined[v]] = part[v];
    part = part.subarray(0, nRefined);
    for (let v = 0; v < base.n; v++) nodeOf[v] = refined[nodeOf[v]];
    graph = next;
    if (nRefined === nComm && level > 0 && graph.n === nComm) {
      // Refinement changed nothing and every community is one node: moving cannot improve further.
      moveNodes(graph, part, gamma, rng, work);
      compact(part, graph.n, work.map);
      break;
    }
  }
  const out = new Int32Array(base.n);
  for (let v = 0; v < base.n; v++) out[v] = part[nodeOf[v]];
  return out;
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
 * reference tests compare to. At 30,000 cells the first pass's local moving at the base level takes
 * ~0.07 s of Leiden's ~0.25 s (bench/RESULTS.md, "Leiden, same labels, less time").
 */
function moveNodes(g: Graph, part: Int32Array, gamma: number, rng: Uniform, work: Workspace): void {
  const n = g.n;
  const { indptr, indices, weights, degree } = g;
  const { w, touched, commDeg, commSize, empty, queue, inQueue } = work;
  commDeg.fill(0, 0, n);
  commSize.fill(0, 0, n);
  for (let v = 0; v < n; v++) {
    commDeg[part[v]] += degree[v];
    commSize[part[v]]++;
  }
  // Empty communities as a stack, the lowest label on top.
  let nEmpty = 0;
  for (let c = n - 1; c >= 0; c--) if (commSize[c] === 0) empty[nEmpty++] = c;
  shuffle(queue, n, rng);
  inQueue.fill(1, 0, n);
  // A ring of n slots: a node is queued at most once.
  let head = 0;
  let tail = 0;
  let size = n;
  const scale = gamma / g.total;
  while (size > 0) {
    const v = queue[head];
    if (++head === n) head = 0;
    size--;
    inQueue[v] = 0;
    const own = part[v];
    const from = indptr[v];
    const to = indptr[v + 1];
    let nt = 0;
    for (let t = from; t < to; t++) {
      const c = part[indices[t]];
      if (w[c] === 0) touched[nt++] = c;
      w[c] += weights[t];
    }
    const kv = degree[v];
    commDeg[own] -= kv;
    // Gain of joining c (v removed from its community): w(v, c) - gamma k_v K_c / 2m.
    const skv = scale * kv;
    let best = own;
    let bestGain = w[own] - skv * commDeg[own];
    for (let i = 0; i < nt; i++) {
      const c = touched[i];
      const gain = w[c] - skv * commDeg[c];
      if (gain > bestGain) {
        bestGain = gain;
        best = c;
      }
    }
    // An empty community (gain 0) when leaving is better than every option.
    if (bestGain < 0 && commSize[own] > 1) best = nEmpty > 0 ? empty[--nEmpty] : own;
    for (let i = 0; i < nt; i++) w[touched[i]] = 0;
    commDeg[best] += kv;
    if (best !== own) {
      commSize[own]--;
      commSize[best]++;
      if (commSize[own] === 0) empty[nEmpty++] = own;
      part[v] = best;
      for (let t = from; t < to; t++) {
        const u = indices[t];
        if (inQueue[u] === 0 && part[u] !== best) {
          inQueue[u] = 1;
          queue[tail] = u;
          if (++tail === n) tail = 0;
          size++;
        }
      }
    }
  }
}

/**
 * Refinement: inside each community, merge well-connected singletons into well-connected subsets.
 * Returns the subsets in work.refined (valid for g.n nodes).
 */
function refine(g: Graph, part: Int32Array, gamma: number, rng: Uniform, work: Workspace): Int32Array {
  const n = g.n;
  const { indptr, indices, weights, degree } = g;
  const { w, touched, cand, prob, commDeg, refined, subDeg, subSize, subExt, order } = work;
  const scale = gamma / g.total;
  for (let v = 0; v < n; v++) refined[v] = v;
  commDeg.fill(0, 0, n);
  for (let v = 0; v < n; v++) commDeg[part[v]] += degree[v];
  subDeg.set(degree.subarray(0, n));
  subSize.fill(1, 0, n);
  // External weight of each subset to the rest of its community (starts as the node's weight to it).
  for (let v = 0; v < n; v++) {
    const pv = part[v];
    let e = 0;
    for (let t = indptr[v], end = indptr[v + 1]; t < end; t++) if (part[indices[t]] === pv) e += weights[t];
    subExt[v] = e;
  }
  shuffle(order, n, rng);
  for (let o = 0; o < n; o++) {
    const v = order[o];
    if (subSize[refined[v]] !== 1) continue; // only singletons move
    const C = part[v];
    const kv = degree[v];
    const degC = commDeg[C];
    if (subExt[v] < scale * kv * (degC - kv)) continue; // v is not well connected to C
    let nt = 0;
    for (let t = indptr[v], end = indptr[v + 1]; t < end; t++) {
      const u = indices[t];
      if (part[u] !== C) continue;
      const s = refined[u];
      if (w[s] === 0) touched[nt++] = s;
      w[s] += weights[t];
    }
    let nc = 0;
    let bestGain = 0;
    const skv = scale * kv;
    for (let i = 0; i < nt; i++) {
      const s = touched[i];
      if (subExt[s] < scale * subDeg[s] * (degC - subDeg[s])) continue;
      const gain = w[s] - skv * subDeg[s];
      if (gain >= 0) {
        cand[nc] = s;
        prob[nc++] = gain;
        bestGain = Math.max(bestGain, gain);
      }
    }
    let target = -1;
    if (nc > 0) {
      // Randomised choice ~ exp(gain / theta), shifted by the best gain for numerical range.
      let z = 0;
      for (let i = 0; i < nc; i++) z += prob[i] = Math.exp((prob[i] - bestGain) / THETA);
      let r = rng() * z;
      target = cand[nc - 1];
      for (let i = 0; i < nc; i++) {
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
    for (let i = 0; i < nt; i++) w[touched[i]] = 0;
  }
  return refined.subarray(0, n);
}

/** The graph of communities `comm` (0..nComm-1) of g, written into work's edge buffers `slot`. */
function aggregate(g: Graph, comm: Int32Array, nComm: number, work: Workspace, slot: number): Graph {
  const { indptr: gp, indices: gi, weights: gw } = g;
  const buf = work.slot(slot, g.indptr[g.n]);
  const self = buf.self.subarray(0, nComm);
  const degree = buf.degree.subarray(0, nComm);
  self.fill(0);
  degree.fill(0);
  // Members of each community in ascending vertex order (a counting sort).
  const start = work.start;
  start.fill(0, 0, nComm + 1);
  for (let v = 0; v < g.n; v++) {
    const c = comm[v];
    start[c + 1]++;
    self[c] += g.self[v];
    degree[c] += g.degree[v];
  }
  for (let c = 0; c < nComm; c++) start[c + 1] += start[c];
  const members = work.members;
  const fill = work.map;
  fill.set(start.subarray(0, nComm));
  for (let v = 0; v < g.n; v++) members[fill[comm[v]]++] = v;
  const indptr = buf.indptr;
  indptr[0] = 0;
  const idx = buf.indices;
  const wts = buf.weights;
  let m = 0;
  const acc = work.w;
  const touched = work.touched;
  // seen[d] = c + 1 once community c has an edge to d (a zero weight cannot list d twice).
  const seen = work.seen;
  seen.fill(0, 0, nComm);
  // Rows first in the order their neighbours are met, each weight summed as it always was.
  for (let c = 0; c < nComm; c++) {
    let nt = 0;
    let selfC = self[c];
    for (let p = start[c], pEnd = start[c + 1]; p < pEnd; p++) {
      const v = members[p];
      for (let t = gp[v], end = gp[v + 1]; t < end; t++) {
        const d = comm[gi[t]];
        if (d === c) selfC += gw[t];
        else {
          if (seen[d] !== c + 1) {
            seen[d] = c + 1;
            touched[nt++] = d;
          }
          acc[d] += gw[t];
        }
      }
    }
    self[c] = selfC;
    for (let i = 0; i < nt; i++) {
      const d = touched[i];
      idx[m] = d;
      wts[m++] = acc[d];
      acc[d] = 0;
    }
    indptr[c + 1] = m;
  }
  // Rows in ascending order (local moving visits neighbours in this order; ties go to the first),
  // by transposing twice: each transpose lists a row's entries in ascending order of the rows they
  // came from. Sorting each row instead was a fifth of Leiden.
  const colStart = work.colStart;
  const cursor = work.cursor;
  colStart.fill(0, 0, nComm + 1);
  for (let e = 0; e < m; e++) colStart[idx[e] + 1]++;
  for (let d = 0; d < nComm; d++) colStart[d + 1] += colStart[d];
  cursor.set(colStart.subarray(0, nComm));
  work.transposeRoom(m);
  const tIdx = work.tIndices;
  const tW = work.tWeights;
  for (let c = 0; c < nComm; c++) {
    for (let e = indptr[c], end = indptr[c + 1]; e < end; e++) {
      const q = cursor[idx[e]]++;
      tIdx[q] = c;
      tW[q] = wts[e];
    }
  }
  cursor.set(indptr.subarray(0, nComm));
  for (let d = 0; d < nComm; d++) {
    for (let q = colStart[d], end = colStart[d + 1]; q < end; q++) {
      const e = cursor[tIdx[q]]++;
      idx[e] = d;
      wts[e] = tW[q];
    }
  }
  return { n: nComm, indptr: indptr.subarray(0, nComm + 1), indices: idx.subarray(0, m), weights: wts.subarray(0, m), self, degree, total: g.total };
}

interface CommunitySums {
  k: number;
  /** Weight inside each community, self-loops included (each internal edge counted from both ends). */
  internal: Float64Array;
  /** Summed degree of each community. */
  deg: Float64Array;
}

function communitySums(g: Graph, labels: Int32Array): CommunitySums {
  const k = max(labels) + 1;
  const internal = new Float64Array(k);
  const deg = new Float64Array(k);
  const { indptr, indices, weights, self, degree } = g;
  for (let v = 0; v < g.n; v++) {
    const lv = labels[v];
    deg[lv] += degree[v];
    // The community's running sum in a register: the same additions, in the same order.
    let s = internal[lv] + self[v];
    for (let t = indptr[v], end = indptr[v + 1]; t < end; t++) if (labels[indices[t]] === lv) s += weights[t];
    internal[lv] = s;
  }
  return { k, internal, deg };
}

function sumQuality({ k, internal, deg }: CommunitySums, gamma: number, total: number): number {
  let q = 0;
  for (let c = 0; c < k; c++) q += internal[c] - (gamma * deg[c] * deg[c]) / total;
  return q;
}

/** The quality leidenalg reports for RBConfigurationVertexPartition (unnormalised modularity). */
export function quality(g: Graph, labels: Int32Array, gamma: number): number {
  return sumQuality(communitySums(g, labels), gamma, g.total);
}

/**
 * One turn of the event loop, so that a worker's cancel message lands before the signal is read:
 * setImmediate in Node, a message to itself in browsers. setTimeout(0) waits 1 ms in Node and 4 ms
 * in nested browser timers, 15-50 ms of idle per Leiden run at ~13 levels.
 */
function nextTurn(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  return new Promise((r) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      r();
    };
    port2.postMessage(null);
  });
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** 0..n-1 in random order (Fisher-Yates from the top) into a[0..n). */
function shuffle(a: Int32Array, n: number, rng: Uniform): void {
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/**
 * labels[0..n) (values in 0..n-1) renumbered 0, 1, ... in order of first appearance, in place;
 * returns how many there are. `map` is scratch of at least n.
 */
function compact(labels: Int32Array, n: number, map: Int32Array): number {
  map.fill(-1, 0, n);
  let next = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (map[l] < 0) map[l] = next++;
    labels[i] = map[l];
  }
  return next;
}

/** Cluster 0 is the largest, as scanpy/leidenalg number them; ties by first appearance. */
function relabelBySize(labels: Int32Array): Int32Array {
  const n = labels.length;
  const c = labels.slice();
  const k = compact(c, n, new Int32Array(n));
  const size = new Int32Array(k);
  for (let i = 0; i < n; i++) size[c[i]]++;
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => size[b] - size[a] || a - b);
  const rank = new Int32Array(k);
  order.forEach((l, r) => (rank[l] = r));
  for (let i = 0; i < n; i++) c[i] = rank[c[i]];
  return c;
}

function max(a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}
