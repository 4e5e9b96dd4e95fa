// Approximate k nearest neighbours on the CPU by NN-descent (Dong, Moses & Li 2011; the method
// behind pynndescent, which scanpy uses): start from seeded random neighbours, then repeatedly let
// each point's neighbours (and reverse neighbours) introduce each other, keeping the k best.
// Converges in a handful of passes at about O(n k^2 d) per pass instead of O(n^2 d).
import { CancelledError } from '../io/errors.ts';
import { mulberry32 } from '../model/random.ts';
import type { KnnOptions, KnnResult } from './knn.ts';

export interface NnDescentOptions extends KnnOptions {
  seed?: number;
  maxIterations?: number;
  /** Stop when fewer than delta * n * k neighbour updates happen in a pass. */
  delta?: number;
}

export async function nnDescent(data: Float32Array, n: number, d: number, k: number, opts: NnDescentOptions = {}): Promise<KnnResult> {
  const rng = mulberry32(opts.seed ?? 0);
  const K = k - 1; // the cell itself is added as neighbour 0 at the end, as scanpy stores it
  const idx = new Int32Array(n * K).fill(-1);
  const dist = new Float64Array(n * K).fill(Infinity);
  const isNew = new Uint8Array(n * K);
  const sq = (a: number, b: number) => {
    let s = 0;
    const oa = a * d;
    const ob = b * d;
    for (let t = 0; t < d; t++) {
      const x = data[oa + t] - data[ob + t];
      s += x * x;
    }
    return s;
  };
  // Insert j into i's list (sorted ascending, worst last) unless present or not better than the worst.
  const push = (i: number, j: number, dd: number): boolean => {
    const base = i * K;
    if (dd >= dist[base + K - 1]) return false;
    for (let t = 0; t < K; t++) if (idx[base + t] === j) return false;
    let p = K - 1;
    while (p > 0 && dist[base + p - 1] > dd) {
      dist[base + p] = dist[base + p - 1];
      idx[base + p] = idx[base + p - 1];
      isNew[base + p] = isNew[base + p - 1];
      p--;
    }
    dist[base + p] = dd;
    idx[base + p] = j;
    isNew[base + p] = 1;
    return true;
  };
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < Math.min(K, n - 1) * 2 && idx[i * K + K - 1] < 0; t++) {
      const j = Math.floor(rng() * n);
      if (j !== i) push(i, j, sq(i, j));
    }
  }
  const maxIt = opts.maxIterations ?? 12;
  const delta = opts.delta ?? 0.001;
  const maxCand = Math.max(K, 30);
  for (let it = 0; it < maxIt; it++) {
    await new Promise((r) => setTimeout(r, 0));
    if (opts.signal?.aborted) throw new CancelledError('neighbors');
    opts.onProgress?.(it / maxIt, `neighbors (NN-descent): pass ${it + 1}`);
    // Candidate lists: each point's new and old neighbours plus the reverse ones (capped, seeded).
    const newC: number[][] = Array.from({ length: n }, () => []);
    const oldC: number[][] = Array.from({ length: n }, () => []);
    const add = (list: number[], j: number) => {
      if (list.length < maxCand) list.push(j);
      else {
        const r = Math.floor(rng() * (list.length + 1));
        if (r < maxCand) list[r] = j;
      }
    };
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < K; t++) {
        const j = idx[i * K + t];
        if (j < 0) continue;
        if (isNew[i * K + t]) {
          add(newC[i], j);
          add(newC[j], i);
          isNew[i * K + t] = 0;
        } else {
          add(oldC[i], j);
          add(oldC[j], i);
        }
      }
    }
    let updates = 0;
    for (let i = 0; i < n; i++) {
      const nw = [...new Set(newC[i])];
      const od = [...new Set(oldC[i])];
      for (let a = 0; a < nw.length; a++) {
        const u = nw[a];
        for (let b = a + 1; b < nw.length; b++) {
          const v = nw[b];
          const dd = sq(u, v);
          updates += +push(u, v, dd) + +push(v, u, dd);
        }
        for (const v of od) {
          if (v === u) continue;
          const dd = sq(u, v);
          updates += +push(u, v, dd) + +push(v, u, dd);
        }
      }
    }
    if (updates < delta * n * K) break;
  }
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    indices[i * k] = i;
    for (let t = 0; t < K; t++) {
      indices[i * k + 1 + t] = idx[i * K + t];
      distances[i * k + 1 + t] = Math.sqrt(dist[i * K + t]);
    }
  }
  return { k, indices, distances };
}
