// Reference mapping as scGPT's annotation recipe: query and reference in one embedding, cosine k
// nearest reference cells (k 10), majority vote, plain or similarity-weighted. Per query cell: the
// label, its confidence (vote share) and "unassigned" below a threshold; per label and overall
// summaries as Azimuth reports them.
import { CancelledError } from '../io/errors.ts';

export interface VoteOptions {
  k?: number;
  weighted?: boolean;
  /** Confidence below this gives "unassigned" (label -1). */
  minConfidence?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface MappingResult {
  /** Per query cell: label code (index into labels) or -1 for unassigned. */
  predicted: Int32Array;
  /** Per query cell: best label's share of the (weighted) votes, 0..1. */
  confidence: Float32Array;
  /** Label before the threshold (for "what would it have been"). */
  best: Int32Array;
}

export interface MappingSummary {
  nQuery: number;
  confidentShare: number;
  perLabel: { label: string; count: number; meanConfidence: number }[];
  unassigned: number;
}

function unitRows(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += x[i * d + t] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let t = 0; t < d; t++) out[i * d + t] = x[i * d + t] * inv;
  }
  return out;
}

/** kNN vote of query rows against labelled reference rows, both [*, d] in the same space. */
export async function knnVote(ref: Float32Array, refCodes: Int32Array, nLabels: number, query: Float32Array, d: number, opts: VoteOptions = {}): Promise<MappingResult> {
  const k = opts.k ?? 10;
  const nRef = refCodes.length;
  const nQ = query.length / d;
  const R = unitRows(ref, nRef, d);
  const Q = unitRows(query, nQ, d);
  const predicted = new Int32Array(nQ);
  const confidence = new Float32Array(nQ);
  const best = new Int32Array(nQ);
  const topS = new Float64Array(k);
  const topI = new Int32Array(k);
  const votes = new Float64Array(nLabels);
  for (let q = 0; q < nQ; q++) {
    if ((q & 255) === 0) {
      await new Promise((r) => setTimeout(r, 0));
      if (opts.signal?.aborted) throw new CancelledError('mapping');
      opts.onProgress?.(q / nQ, `mapping: ${q.toLocaleString('en-US')} / ${nQ.toLocaleString('en-US')} cells`);
    }
    topS.fill(-Infinity);
    topI.fill(-1);
    for (let r = 0; r < nRef; r++) {
      if (refCodes[r] < 0) continue;
      let s = 0;
      for (let t = 0; t < d; t++) s += Q[q * d + t] * R[r * d + t];
      if (s <= topS[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && topS[p - 1] < s) {
        topS[p] = topS[p - 1];
        topI[p] = topI[p - 1];
        p--;
      }
      topS[p] = s;
      topI[p] = r;
    }
    votes.fill(0);
    let total = 0;
    for (let t = 0; t < k; t++) {
      if (topI[t] < 0) continue;
      // Weighted: cosine similarity (clipped at 0) as the vote; plain: one vote each.
      const w = opts.weighted ? Math.max(0, topS[t]) : 1;
      votes[refCodes[topI[t]]] += w;
      total += w;
    }
    let b = 0;
    for (let l = 1; l < nLabels; l++) if (votes[l] > votes[b]) b = l;
    const conf = total > 0 ? votes[b] / total : 0;
    best[q] = b;
    confidence[q] = conf;
    predicted[q] = conf >= (opts.minConfidence ?? 0) ? b : -1;
  }
  return { predicted, confidence, best };
}

export function summarizeMapping(m: MappingResult, labels: string[]): MappingSummary {
  const count = new Float64Array(labels.length);
  const conf = new Float64Array(labels.length);
  let unassigned = 0;
  for (let i = 0; i < m.predicted.length; i++) {
    const l = m.predicted[i];
    if (l < 0) unassigned++;
    else {
      count[l]++;
      conf[l] += m.confidence[i];
    }
  }
  const n = m.predicted.length;
  return {
    nQuery: n,
    confidentShare: n > 0 ? (n - unassigned) / n : 0,
    unassigned,
    perLabel: labels.map((label, l) => ({ label, count: count[l], meanConfidence: count[l] > 0 ? conf[l] / count[l] : 0 })).filter((x) => x.count > 0).sort((a, b) => b.count - a.count),
  };
}

/** Accuracy and macro-F1 of predicted vs true codes (cells with true < 0 skipped; -1 predictions count as wrong). */
export function accuracyF1(truth: Int32Array, pred: Int32Array, nLabels: number): { accuracy: number; macroF1: number } {
  const tp = new Float64Array(nLabels);
  const fp = new Float64Array(nLabels);
  const fn = new Float64Array(nLabels);
  let ok = 0;
  let n = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    if (t < 0) continue;
    n++;
    const p = pred[i];
    if (p === t) {
      ok++;
      tp[t]++;
    } else {
      fn[t]++;
      if (p >= 0) fp[p]++;
    }
  }
  let f1 = 0;
  let present = 0;
  for (let l = 0; l < nLabels; l++) {
    if (tp[l] + fn[l] === 0) continue; // labels absent from the truth do not count (sklearn's labels=present)
    present++;
    const denom = 2 * tp[l] + fp[l] + fn[l];
    f1 += denom > 0 ? (2 * tp[l]) / denom : 0;
  }
  return { accuracy: n > 0 ? ok / n : 0, macroF1: present > 0 ? f1 / present : 0 };
}

/** Seeded stratified split: about half of each label's cells go to the reference (1), the rest to the query (0). */
export function stratifiedHalf(codes: Int32Array, seed = 0): Uint8Array {
  let s = (seed >>> 0) || 1;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const byLabel = new Map<number, number[]>();
  codes.forEach((c, i) => c >= 0 && (byLabel.get(c) ?? byLabel.set(c, []).get(c)!).push(i));
  const ref = new Uint8Array(codes.length);
  for (const cells of byLabel.values()) {
    for (let i = cells.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [cells[i], cells[j]] = [cells[j], cells[i]];
    }
    cells.slice(0, Math.ceil(cells.length / 2)).forEach((c) => (ref[c] = 1));
  }
  return ref;
}

/**
 * Seeded stratified hold-out: round(fraction x n) of each label's n cells are held out (1), at least
 * one kept for training; cells without a label (code < 0) are neither.
 */
export function stratifiedHoldout(codes: Int32Array, fraction: number, seed = 0): Uint8Array {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`the held-out share must be in [0, 1) (got ${fraction})`);
  let s = (seed >>> 0) || 1;
  const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const byLabel = new Map<number, number[]>();
  codes.forEach((c, i) => c >= 0 && (byLabel.get(c) ?? byLabel.set(c, []).get(c)!).push(i));
  const held = new Uint8Array(codes.length);
  for (const cells of [...byLabel.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c)) {
    for (let i = cells.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [cells[i], cells[j]] = [cells[j], cells[i]];
    }
    const k = Math.min(cells.length - 1, Math.round(fraction * cells.length));
    cells.slice(0, k).forEach((c) => (held[c] = 1));
  }
  return held;
}
