// Harmony's heavy passes over cells, one block of cells at a time, as one pool task: the soft
// assignment (distances to the centroids and their softmax), the centroid sums with the objective's
// per-cell terms, the ridge regression sums, the correction itself, and k-means++/Lloyd for the
// initial centroids. Blocks have a fixed size (CELL_BLOCK), every per-cell value is computed the
// same way in any block, and sums over cells are made per block and added in block order by the
// caller: the same bits on 1, 2 or 16 workers, and inline.
//
// Arrays of cells travel as views where memory is shared (or the task runs inline), so workers read
// and write them in place; otherwise the caller sends copies of a block's rows and the task returns
// what it computed (`out` absent).
import type { WorkerPool } from '../parallel/pool.ts';
import { definePoolTask, type TaskResult } from '../parallel/tasks.ts';
import { expNonPositive } from './exp-nonpositive.ts';

/** Cells per block: a fixed number, whatever the worker count. */
export const CELL_BLOCK = 1024;

/** What every block reads; sent to each worker once per job. Rows are cells (row-major). */
export type HarmonyCtx = {
  /** Cosine-normalised embedding [N, d]. */
  Zcos: Float64Array;
  /** The original embedding [N, d] (null while clustering the initial centroids). */
  Zorig: Float64Array | null;
  /** Batch column of each cell per key: cols[n * nKeys + q] (null while clustering the initial centroids). */
  cols: Int32Array | null;
  d: number;
  K: number;
  nKeys: number;
  /** Batch columns in all keys. */
  B: number;
  sigma: number;
  /** Sum R log R per block (several batch keys); with one key the caller gets it from per-cell terms. */
  directEntropy: boolean;
};

export type HarmonyOp =
  /**
   * Soft assignment of the block: softmax_k(-2 (1 - Y_k . z) / sigma) into out [nb, K], and per
   * cell [min_k dist, log sum_k exp(-(dist - min) / sigma)] into aux [nb, 2] (the objective's entropy).
   */
  | { op: 'assign'; from: number; to: number; Y: Float64Array; out?: Float64Array; aux?: Float64Array }
  /** Sums over the block from R's rows [nb, K]: centroids' numerators, cluster sizes, observed batch counts, entropy. */
  | { op: 'centroid'; from: number; to: number; R: Float64Array }
  /** The ridge regression's sums over the block: R-weighted embedding per batch, and the weighted design's cross products. */
  | { op: 'ridge'; from: number; to: number; R: Float64Array }
  /** Corrected rows and their cosine-normalised copy, from the ridge coefficients WT [B][d][K]. */
  | { op: 'apply'; from: number; to: number; R: Float64Array; WT: Float64Array; zcorr?: Float64Array; zcos?: Float64Array }
  /**
   * k-means++: squared distances to each candidate centre [t, d] (min with `closest`, absent for
   * the first centre), into out [t, nb]; zn: the block's squared norms.
   */
  | { op: 'seed'; from: number; to: number; cands: Float64Array; zn: Float64Array; closest: Float64Array | null; out?: Float64Array }
  /**
   * A Lloyd round with Hamerly's bounds: nearest centre per cell, and per-centre sums. `state`
   * (labels, upper and lower distance bounds of the block's cells) is updated in place; `ret`:
   * return it (a copy was sent).
   */
  | { op: 'lloyd'; from: number; to: number; C: Float64Array; bounds: LloydBounds; state: LloydState; ret: boolean };

/** Per centre: half the distance to the nearest other centre, and how far it moved since the last round. */
export interface LloydBounds {
  half: Float64Array;
  move: Float64Array;
}

/** Per cell: its centre (-1: none yet), an upper bound on the distance to it, a lower bound on the distance to any other. */
export interface LloydState {
  labels: Int32Array;
  upper: Float64Array;
  lower: Float64Array;
}

export interface CentroidSums {
  /** sum_n R[n, k] z_n: [K, d]. */
  C: Float64Array;
  /** sum_n R[n, k]: [K]. */
  rsum: Float64Array;
  /** sum_n R[n, k] over the cells of each batch column: [B, K]. */
  obar: Float64Array;
  /** sum_n sum_k R log R (finite terms), where ctx.directEntropy; else 0. */
  entropy: number;
}

export interface RidgeSums {
  /** sum over the cells of batch column b of R[n, k] z_orig: [B, K, d]. */
  W: Float64Array;
  /** The weighted design's cross products per cluster: [K, P, P], P = B + 1 (intercept first). */
  cov: Float64Array;
}

// Scratch per thread (tasks run one at a time in a thread), grown as needed.
let scratchC: Float64Array = new Float64Array(0);
const grow = (a: Float64Array, n: number) => (a.length >= n ? a : new Float64Array(n));

/**
 * out[i * m + k] = A row (from + i) . B row k, for nb rows of A and m rows of B (each [., d]).
 * Three rows by four columns at a time; each dot is summed over j in order from 0, so the result
 * is the same whichever path computes it.
 */
export function dotRows(A: Float64Array, from: number, nb: number, Bm: Float64Array, m: number, d: number, out: Float64Array): void {
  const m4 = m - (m % 4);
  let i = 0;
  for (; i + 3 <= nb; i += 3) {
    const a0 = (from + i) * d;
    const a1 = a0 + d;
    const a2 = a1 + d;
    const o0 = i * m;
    const o1 = o0 + m;
    const o2 = o1 + m;
    for (let k = 0; k < m4; k += 4) {
      const b0 = k * d;
      const b1 = b0 + d;
      const b2 = b1 + d;
      const b3 = b2 + d;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      for (let j = 0; j < d; j++) {
        const x = A[a0 + j];
        const y = A[a1 + j];
        const z = A[a2 + j];
        const q0 = Bm[b0 + j];
        const q1 = Bm[b1 + j];
        const q2 = Bm[b2 + j];
        const q3 = Bm[b3 + j];
        s00 += x * q0;
        s01 += x * q1;
        s02 += x * q2;
        s03 += x * q3;
        s10 += y * q0;
        s11 += y * q1;
        s12 += y * q2;
        s13 += y * q3;
        s20 += z * q0;
        s21 += z * q1;
        s22 += z * q2;
        s23 += z * q3;
      }
      out[o0 + k] = s00;
      out[o0 + k + 1] = s01;
      out[o0 + k + 2] = s02;
      out[o0 + k + 3] = s03;
      out[o1 + k] = s10;
      out[o1 + k + 1] = s11;
      out[o1 + k + 2] = s12;
      out[o1 + k + 3] = s13;
      out[o2 + k] = s20;
      out[o2 + k + 1] = s21;
      out[o2 + k + 2] = s22;
      out[o2 + k + 3] = s23;
    }
    for (let k = m4; k < m; k++) {
      const b0 = k * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < d; j++) {
        const q = Bm[b0 + j];
        s0 += A[a0 + j] * q;
        s1 += A[a1 + j] * q;
        s2 += A[a2 + j] * q;
      }
      out[o0 + k] = s0;
      out[o1 + k] = s1;
      out[o2 + k] = s2;
    }
  }
  for (; i < nb; i++) for (let k = 0; k < m; k++) out[i * m + k] = dot(A, (from + i) * d, Bm, k * d, d);
}

function dot(A: Float64Array, a: number, Bm: Float64Array, b: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += A[a + j] * Bm[b + j];
  return s;
}

/**
 * out[k * d + j] += sum_t W[local_t * K + k] * Z[global_t * d + j] over the listed cells (a GEMM
 * over cells; local/global: the row of each cell in W and in Z). Cells are taken in pairs, in list
 * order (out += w_a z_a + w_b z_b; a last odd cell alone), eight clusters at a time: each sum's
 * order depends on the list only.
 */
function accumulateAtB(W: Float64Array, K: number, local: Int32Array, global: Int32Array, m: number, Z: Float64Array, d: number, out: Float64Array): void {
  let t = 0;
  for (; t + 2 <= m; t += 2) {
    const ra = local[t] * K;
    const rb = local[t + 1] * K;
    const za = global[t] * d;
    const zb = global[t + 1] * d;
    let k = 0;
    for (; k + 8 <= K; k += 8) {
      const a0 = W[ra + k], a1 = W[ra + k + 1], a2 = W[ra + k + 2], a3 = W[ra + k + 3];
      const a4 = W[ra + k + 4], a5 = W[ra + k + 5], a6 = W[ra + k + 6], a7 = W[ra + k + 7];
      const b0 = W[rb + k], b1 = W[rb + k + 1], b2 = W[rb + k + 2], b3 = W[rb + k + 3];
      const b4 = W[rb + k + 4], b5 = W[rb + k + 5], b6 = W[rb + k + 6], b7 = W[rb + k + 7];
      const o = k * d;
      for (let j = 0; j < d; j++) {
        const x = Z[za + j];
        const y = Z[zb + j];
        out[o + j] += a0 * x + b0 * y;
        out[o + d + j] += a1 * x + b1 * y;
        out[o + 2 * d + j] += a2 * x + b2 * y;
        out[o + 3 * d + j] += a3 * x + b3 * y;
        out[o + 4 * d + j] += a4 * x + b4 * y;
        out[o + 5 * d + j] += a5 * x + b5 * y;
        out[o + 6 * d + j] += a6 * x + b6 * y;
        out[o + 7 * d + j] += a7 * x + b7 * y;
      }
    }
    for (; k < K; k++) {
      const a = W[ra + k];
      const b = W[rb + k];
      const o = k * d;
      for (let j = 0; j < d; j++) out[o + j] += a * Z[za + j] + b * Z[zb + j];
    }
  }
  if (t < m) {
    const ra = local[t] * K;
    const za = global[t] * d;
    for (let k = 0; k < K; k++) {
      const a = W[ra + k];
      const o = k * d;
      for (let j = 0; j < d; j++) out[o + j] += a * Z[za + j];
    }
  }
}

function iota(from: number, n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = from + i;
  return a;
}

/** Softmax rows of the block's soft assignment: exp(-(dist - min) / sigma), normalised (harmonypy's ratios, no underflow). */
export function assignBlock(c: HarmonyCtx, from: number, to: number, Y: Float64Array, out: Float64Array, aux: Float64Array): void {
  const { K, d, sigma } = c;
  const nb = to - from;
  dotRows(c.Zcos, from, nb, Y, K, d, out);
  for (let i = 0; i < nb; i++) {
    const o = i * K;
    let min = Infinity;
    for (let k = 0; k < K; k++) {
      const dist = 2 * (1 - out[o + k]);
      out[o + k] = dist;
      if (dist < min) min = dist;
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += out[o + k] = expNonPositive(-(out[o + k] - min) / sigma);
    for (let k = 0; k < K; k++) out[o + k] /= s;
    aux[2 * i] = min;
    aux[2 * i + 1] = Math.log(s);
  }
}

export function centroidBlock(c: HarmonyCtx, from: number, to: number, R: Float64Array): CentroidSums {
  const { K, d, nKeys, B, cols } = c;
  const nb = to - from;
  const C = new Float64Array(K * d);
  accumulateAtB(R, K, iota(0, nb), iota(from, nb), nb, c.Zcos, d, C);
  const rsum = new Float64Array(K);
  const obar = new Float64Array(K * B);
  let entropy = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * K;
    for (let k = 0; k < K; k++) rsum[k] += R[o + k];
    if (c.directEntropy) {
      for (let k = 0; k < K; k++) {
        const h = R[o + k] * Math.log(R[o + k]);
        if (Number.isFinite(h)) entropy += h;
      }
    }
    if (cols) {
      for (let q = 0; q < nKeys; q++) {
        const b = cols[(from + i) * nKeys + q];
        for (let k = 0; k < K; k++) obar[b * K + k] += R[o + k];
      }
    }
  }
  return { C, rsum, obar, entropy };
}

export function ridgeBlock(c: HarmonyCtx, from: number, to: number, R: Float64Array): RidgeSums {
  const { K, d, nKeys, B } = c;
  const cols = c.cols!;
  const Zorig = c.Zorig!;
  const nb = to - from;
  const P = B + 1;
  const W = new Float64Array(B * K * d);
  // Cells of the block grouped by batch column (in cell order within each), key by key.
  const local = new Int32Array(nb);
  const global = new Int32Array(nb);
  const count = new Int32Array(B);
  for (let q = 0; q < nKeys; q++) {
    count.fill(0);
    for (let i = 0; i < nb; i++) count[cols[(from + i) * nKeys + q]]++;
    for (let b = 0; b < B; b++) {
      if (count[b] === 0) continue;
      let m = 0;
      for (let i = 0; i < nb; i++) {
        if (cols[(from + i) * nKeys + q] !== b) continue;
        local[m] = i;
        global[m++] = from + i;
      }
      accumulateAtB(R, K, local, global, m, Zorig, d, W.subarray(b * K * d, (b + 1) * K * d));
    }
  }
  const cov = new Float64Array(K * P * P);
  const active = new Int32Array(nKeys + 1);
  for (let i = 0; i < nb; i++) {
    for (let q = 0; q < nKeys; q++) active[q + 1] = 1 + cols[(from + i) * nKeys + q];
    for (let k = 0; k < K; k++) {
      const r = R[i * K + k];
      const o = k * P * P;
      for (let a = 0; a <= nKeys; a++) for (let e = 0; e <= nKeys; e++) cov[o + active[a] * P + active[e]] += r;
    }
  }
  return { W, cov };
}

/** z = z_orig - sum over the cell's batch columns of sum_k R[n, k] W_k[b]; then z / |z|. */
export function applyBlock(c: HarmonyCtx, from: number, to: number, R: Float64Array, WT: Float64Array, zcorr: Float64Array, zcos: Float64Array): void {
  const { K, d, nKeys } = c;
  const cols = c.cols!;
  const Zorig = c.Zorig!;
  const nb = to - from;
  for (let i = 0; i < nb; i++) {
    const r = i * K;
    const z = (from + i) * d;
    const o = i * d;
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let q = 0; q < nKeys; q++) {
        const w0 = (cols[(from + i) * nKeys + q] * d + j) * K;
        const w1 = w0 + K;
        const w2 = w1 + K;
        const w3 = w2 + K;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = 0; k < K; k++) {
          const x = R[r + k];
          s0 += x * WT[w0 + k];
          s1 += x * WT[w1 + k];
          s2 += x * WT[w2 + k];
          s3 += x * WT[w3 + k];
        }
        t0 += s0;
        t1 += s1;
        t2 += s2;
        t3 += s3;
      }
      zcorr[o + j] = Zorig[z + j] - t0;
      zcorr[o + j + 1] = Zorig[z + j + 1] - t1;
      zcorr[o + j + 2] = Zorig[z + j + 2] - t2;
      zcorr[o + j + 3] = Zorig[z + j + 3] - t3;
    }
    for (; j < d; j++) {
      let t = 0;
      for (let q = 0; q < nKeys; q++) {
        const w = (cols[(from + i) * nKeys + q] * d + j) * K;
        let s = 0;
        for (let k = 0; k < K; k++) s += R[r + k] * WT[w + k];
        t += s;
      }
      zcorr[o + j] = Zorig[z + j] - t;
    }
    let s = 0;
    for (let t = 0; t < d; t++) s += zcorr[o + t] * zcorr[o + t];
    const norm = Math.sqrt(s);
    if (!(norm > 0) || !Number.isFinite(norm)) {
      throw new Error(`Harmony's corrected embedding has ${norm > 0 ? 'a non-finite' : 'an all-zero'} row at cell ${from + i}: the correction failed there (try a larger lambda)`);
    }
    for (let t = 0; t < d; t++) zcos[o + t] = zcorr[o + t] / norm;
  }
}

/** Squared Euclidean distances |z|^2 + |c|^2 - 2 z.c (as sklearn), clamped at 0. */
export function seedBlock(c: HarmonyCtx, from: number, to: number, cands: Float64Array, zn: Float64Array, closest: Float64Array | null, out: Float64Array): Float64Array {
  const { d } = c;
  const nb = to - from;
  const t = cands.length / d;
  scratchC = grow(scratchC, nb * t);
  dotRows(c.Zcos, from, nb, cands, t, d, scratchC);
  const cn = new Float64Array(t);
  for (let u = 0; u < t; u++) for (let j = 0; j < d; j++) cn[u] += cands[u * d + j] * cands[u * d + j];
  const pots = new Float64Array(t);
  for (let i = 0; i < nb; i++) {
    for (let u = 0; u < t; u++) {
      let v = Math.max(0, zn[i] + cn[u] - 2 * scratchC[i * t + u]);
      if (closest && closest[i] < v) v = closest[i];
      out[u * nb + i] = v;
      pots[u] += v;
    }
  }
  return pots;
}

/**
 * Lloyd's assignment step with Hamerly's bounds (as sklearn's "elkan" skips work): a cell keeps its
 * centre without computing any distance while its upper bound stays below both half the distance
 * from that centre to the nearest other and its lower bound; otherwise its distance to its centre
 * is recomputed, and only if that is still too far, the distances to every centre (|z|^2 + |c|^2 -
 * 2 z.c, the lower index on ties). Per-centre sums and sizes of the new labels.
 */
export function lloydBlock(c: HarmonyCtx, from: number, to: number, C: Float64Array, bounds: LloydBounds, st: LloydState): { sums: Float64Array; sizes: Float64Array; changed: number } {
  const { d } = c;
  const Z = c.Zcos;
  const K = C.length / d;
  const nb = to - from;
  const { half, move } = bounds;
  const cn = new Float64Array(K);
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) cn[k] += C[k * d + j] * C[k * d + j];
  // The largest move, and the largest of the others (for a cell whose own centre moved most).
  let top = -1;
  for (let k = 0; k < K; k++) if (top < 0 || move[k] > move[top]) top = k;
  let second = 0;
  for (let k = 0; k < K; k++) if (k !== top && move[k] > second) second = move[k];
  const dist = (z: number, k: number, zn: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += Z[z + j] * C[k * d + j];
    return Math.sqrt(Math.max(0, zn + cn[k] - 2 * s));
  };
  // Cells that need every distance: gathered, then one blocked pass.
  const full = new Int32Array(nb);
  let nFull = 0;
  const zn = new Float64Array(nb);
  for (let i = 0; i < nb; i++) {
    const z = (from + i) * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += Z[z + j] * Z[z + j];
    zn[i] = s;
    const a = st.labels[i];
    if (a < 0) {
      full[nFull++] = i;
      continue;
    }
    st.upper[i] += move[a];
    st.lower[i] -= a === top ? second : move[top];
    const bound = Math.max(half[a], st.lower[i]);
    if (st.upper[i] <= bound) continue;
    st.upper[i] = dist(z, a, s);
    if (st.upper[i] > bound) full[nFull++] = i;
  }
  let changed = 0;
  if (nFull) {
    scratchC = grow(scratchC, nFull * d + nFull * K);
    const rows = scratchC.subarray(0, nFull * d);
    const dots = scratchC.subarray(nFull * d, nFull * d + nFull * K);
    for (let t = 0; t < nFull; t++) rows.set(Z.subarray((from + full[t]) * d, (from + full[t] + 1) * d), t * d);
    dotRows(rows, 0, nFull, C, K, d, dots);
    for (let t = 0; t < nFull; t++) {
      const i = full[t];
      let best = 0;
      let bd = Infinity;
      let sd = Infinity;
      for (let k = 0; k < K; k++) {
        const v = cn[k] - 2 * dots[t * K + k];
        if (v < bd) {
          sd = bd;
          bd = v;
          best = k;
        } else if (v < sd) sd = v;
      }
      if (st.labels[i] !== best) changed++;
      st.labels[i] = best;
      st.upper[i] = Math.sqrt(Math.max(0, zn[i] + bd));
      st.lower[i] = K > 1 ? Math.sqrt(Math.max(0, zn[i] + sd)) : Infinity;
    }
  }
  const sums = new Float64Array(K * d);
  const sizes = new Float64Array(K);
  for (let i = 0; i < nb; i++) {
    const k = st.labels[i];
    sizes[k]++;
    const z = (from + i) * d;
    for (let j = 0; j < d; j++) sums[k * d + j] += Z[z + j];
  }
  return { sums, sizes, changed };
}

/** Whether `a` lives in shared memory (a page without cross-origin isolation has no SharedArrayBuffer at all). */
export const inSharedMemory = (a: ArrayBufferView): boolean => typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;

const buffers = (...xs: (ArrayBufferView | null | undefined)[]): ArrayBuffer[] => xs.flatMap((x) => (x && !inSharedMemory(x) ? [x.buffer as ArrayBuffer] : []));

/** One block of one Harmony pass (the pool task, also run inline). */
export function harmonyBlock(c: HarmonyCtx, a: HarmonyOp): TaskResult {
  const nb = a.to - a.from;
  switch (a.op) {
    case 'assign': {
      const out = a.out ?? new Float64Array(nb * c.K);
      const aux = a.aux ?? new Float64Array(nb * 2);
      assignBlock(c, a.from, a.to, a.Y, out, aux);
      return a.out ? { result: null, transfer: [] } : { result: { out, aux }, transfer: buffers(out, aux) };
    }
    case 'centroid': {
      const r = centroidBlock(c, a.from, a.to, a.R);
      return { result: r, transfer: buffers(r.C, r.rsum, r.obar) };
    }
    case 'ridge': {
      const r = ridgeBlock(c, a.from, a.to, a.R);
      return { result: r, transfer: buffers(r.W, r.cov) };
    }
    case 'apply': {
      const zcorr = a.zcorr ?? new Float64Array(nb * c.d);
      const zcos = a.zcos ?? new Float64Array(nb * c.d);
      applyBlock(c, a.from, a.to, a.R, a.WT, zcorr, zcos);
      return a.zcorr ? { result: null, transfer: [] } : { result: { zcorr, zcos }, transfer: buffers(zcorr, zcos) };
    }
    case 'seed': {
      const out = a.out ?? new Float64Array((a.cands.length / c.d) * nb);
      const pots = seedBlock(c, a.from, a.to, a.cands, a.zn, a.closest, out);
      return { result: { pots, out: a.out ? null : out }, transfer: buffers(pots, a.out ? null : out) };
    }
    case 'lloyd': {
      const r = lloydBlock(c, a.from, a.to, a.C, a.bounds, a.state);
      const st = a.ret ? a.state : null;
      return { result: { ...r, state: st }, transfer: buffers(r.sums, r.sizes, st?.labels, st?.upper, st?.lower) };
    }
  }
}

export const HARMONY_TASK = definePoolTask('harmony', harmonyBlock);

/**
 * How a run's arrays of cells reach the blocks: views where the blocks can write in place (no
 * pool, or a pool sharing memory), copies otherwise; and the fixed partition of the cells.
 */
export class CellBlocks {
  readonly blocks: { from: number; to: number }[] = [];
  /** Blocks read and write the caller's arrays directly. */
  readonly inPlace: boolean;
  private readonly shared: boolean;

  constructor(pool: WorkerPool | null | undefined, n: number) {
    const parallel = !!pool && pool.size > 1;
    this.shared = parallel && pool.shared;
    this.inPlace = !parallel || pool.shared;
    for (let from = 0; from < n; from += CELL_BLOCK) this.blocks.push({ from, to: Math.min(n, from + CELL_BLOCK) });
  }

  f64(n: number): Float64Array {
    return this.shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
  }

  i32(n: number): Int32Array {
    return this.shared ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
  }

  /** A copy in shared memory where memory is shared (workers read it in place), else `a`. */
  share<T extends Float64Array | Int32Array>(a: T): T {
    if (!this.shared || inSharedMemory(a)) return a;
    const out = (a instanceof Float64Array ? this.f64(a.length) : this.i32(a.length)) as T;
    out.set(a as never);
    return out;
  }

  /** Rows [from, to) of a [n, width] array: a view when in place, a copy to send otherwise. */
  rows<T extends Float64Array | Int32Array>(a: T, width: number, from: number, to: number): T {
    return (this.inPlace ? a.subarray(from * width, to * width) : a.slice(from * width, to * width)) as T;
  }

  /** An output view of rows [from, to) when in place; undefined (the block returns its rows) otherwise. */
  out<T extends Float64Array | Int32Array>(a: T, width: number, from: number, to: number): T | undefined {
    return this.inPlace ? (a.subarray(from * width, to * width) as T) : undefined;
  }
}
