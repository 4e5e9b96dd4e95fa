// One UMAP epoch for points [from, to): the arithmetic of umapEpoch in src/analysis/umap.ts, the
// same float64 and float32 operations in the same order, the same negative samples. Positions are
// read from `cur` (the previous epoch) and written to `next`, so blocks of points may run on
// several threads at once over one shared memory.
//
// A point's work is a sequence of terms (each sampled edge's attraction, then that edge's negative
// samples) added one after another to its position. A term's increment does not depend on the
// position it is added to, so the epoch collects the terms of many points, works out their
// increments two at a time (pow, division, clipping), and then adds each point's increments in
// their order: the additions, the one step whose order matters, happen as in the scalar loop.
import { powLanes } from './pow';

// One thread's batch (globals belong to the instance, and each thread has its own instance).
let cap = 0;
let inc: usize = 0; // f64x2 per term: its increment, in term order
let attD2: usize = 0; // attractions: f64 squared distance,
let attDxy: usize = 0; // f64x2 (dx, dy),
let attTerm: usize = 0; // i32 term index
let negD2: usize = 0; // negative samples at a positive distance: the same three
let negDxy: usize = 0;
let negTerm: usize = 0;
let ptIndex: usize = 0; // i32: point
let ptEnd: usize = 0; // i32: end of its terms
let ptAcc: usize = 0; // f64x2: its position before them
let tab: usize = 0; // umapPowTable(b), shared by the threads
let gA = 0.0;
let gB = 0.0;
let gAlpha = 0.0;
let gNext: usize = 0;

/** Bytes of scratch one thread needs for batches of `terms` terms. */
export function umapScratchBytes(terms: i32): i32 {
  return (terms + 4) * (16 + 8 + 16 + 4 + 8 + 16 + 4 + 4 + 4 + 16);
}

function layout(scratch: usize, terms: i32): void {
  cap = terms;
  const m = <usize>(terms + 4);
  inc = scratch;
  attDxy = inc + m * 16;
  negDxy = attDxy + m * 16;
  ptAcc = negDxy + m * 16;
  attD2 = ptAcc + m * 16;
  negD2 = attD2 + m * 8;
  attTerm = negD2 + m * 8;
  negTerm = attTerm + m * 4;
  ptIndex = negTerm + m * 4;
  ptEnd = ptIndex + m * 4;
}

/** clip(c * dxy) lane by lane: v > 4 ? 4 : v < -4 ? -4 : v (NaN stays NaN, as in JS). */
// @ts-ignore: decorator
@inline function clipped(c: f64, dxy: v128): v128 {
  return f64x2.pmax(f64x2.pmin(f64x2.mul(f64x2.splat(c), dxy), f64x2.splat(4.0)), f64x2.splat(-4.0));
}

/**
 * Works out the batch's increments and adds them up: closes its points, or carries the last one's
 * sum into the next batch when `open` (a point whose terms did not fit).
 */
function flush(nTerms: i32, nAtt: i32, nNeg: i32, nPts: i32, open: bool): void {
  store<i32>(ptEnd + ((<usize>nPts - 1) << 2), nTerms);
  // Pads so the pair loops read defined values and write to a spare slot.
  store<f64>(attD2 + (<usize>nAtt << 3), 1.0);
  store<i32>(attTerm + (<usize>nAtt << 2), cap + 2);
  store<f64>(negD2 + (<usize>nNeg << 3), 1.0);
  store<i32>(negTerm + (<usize>nNeg << 2), cap + 2);
  const alpha = f64x2.splat(gAlpha);
  const a = f64x2.splat(gA);
  const one = f64x2.splat(1.0);
  const b = gB;

  // Negative samples: c = 2b / ((0.001 + d2) (a d2^b + 1)); the increment is clip(c dx) alpha.
  const twoB = f64x2.splat(2.0 * b);
  const eps = f64x2.splat(0.001);
  for (let t = 0; t < nNeg; t += 2) {
    const d2 = v128.load(negD2 + (<usize>t << 3));
    const pb = powLanes(d2, tab);
    const c = f64x2.div(twoB, f64x2.mul(f64x2.add(eps, d2), f64x2.add(f64x2.mul(a, pb), one)));
    const at = negDxy + (<usize>t << 4);
    v128.store(inc + (<usize>load<i32>(negTerm + (<usize>t << 2)) << 4), f64x2.mul(clipped(f64x2.extract_lane(c, 0), v128.load(at)), alpha));
    v128.store(inc + (<usize>load<i32>(negTerm + (<usize>t << 2), 4) << 4), f64x2.mul(clipped(f64x2.extract_lane(c, 1), v128.load(at, 16)), alpha));
  }
  // Attractions: c = (-2 a b d2^b) / (d2 (a d2^b + 1)), umap-learn's -2 a b d2^(b-1) / (a d2^b + 1)
  // with one pow; the increment is 2 clip(c dx) alpha.
  const minus2ab = f64x2.splat(-2.0 * gA * b);
  const two = f64x2.splat(2.0);
  for (let t = 0; t < nAtt; t += 2) {
    const d2 = v128.load(attD2 + (<usize>t << 3));
    const pb = powLanes(d2, tab);
    const c = f64x2.div(f64x2.mul(minus2ab, pb), f64x2.mul(d2, f64x2.add(f64x2.mul(a, pb), one)));
    const at = attDxy + (<usize>t << 4);
    v128.store(inc + (<usize>load<i32>(attTerm + (<usize>t << 2)) << 4), f64x2.mul(f64x2.mul(two, clipped(f64x2.extract_lane(c, 0), v128.load(at))), alpha));
    v128.store(inc + (<usize>load<i32>(attTerm + (<usize>t << 2), 4) << 4), f64x2.mul(f64x2.mul(two, clipped(f64x2.extract_lane(c, 1), v128.load(at, 16))), alpha));
  }

  let t = 0;
  let acc = f64x2.splat(0);
  for (let p = 0; p < nPts; p++) {
    acc = v128.load(ptAcc + (<usize>p << 4));
    const end = load<i32>(ptEnd + (<usize>p << 2));
    for (; t < end; t++) acc = f64x2.add(acc, v128.load(inc + (<usize>t << 4)));
    if (!open || p < nPts - 1) v128.store64_lane(gNext + (<usize>load<i32>(ptIndex + (<usize>p << 2)) << 3), f32x4.demote_f64x2_zero(acc), 0);
  }
  if (open) {
    store<i32>(ptIndex, load<i32>(ptIndex + ((<usize>nPts - 1) << 2)));
    v128.store(ptAcc, acc);
  }
}

/**
 * Epoch `epoch` for points [from, to). Arrays are byte offsets into memory: indptr, indices (i32),
 * epochsPerSample, nextSample, nextNegative (f32, per edge), cur and next ([n, 2] f32); alpha is
 * 1 - epoch / nEpochs. scratch holds umapScratchBytes(terms) bytes of this thread's own (16-byte aligned);
 * powTab, umapPowTable(b) (src/analysis/umap-pow.ts), 16-byte aligned.
 */
export function umapEpoch(
  n: i32, a: f64, b: f64, rate: f64, seed: i32, epoch: i32, alpha: f64,
  indptr: usize, indices: usize, epochsPerSample: usize, nextSample: usize, nextNegative: usize,
  cur: usize, next: usize, from: i32, to: i32, scratch: usize, terms: i32, powTab: usize,
): void {
  layout(scratch, terms);
  tab = powTab;
  gA = a;
  gB = b;
  gAlpha = alpha;
  gNext = next;
  const push0 = f64x2.splat(4.0 * alpha);
  let nTerms = 0;
  let nAtt = 0;
  let nNeg = 0;
  let nPts = 0;
  const epochF = <f64>epoch;
  const h0 = <u32>seed ^ (<u32>(epoch + 1) * 0x9e3779b1);
  const un = <u32>n;
  for (let i = from; i < to; i++) {
    if (nPts == cap) {
      flush(nTerms, nAtt, nNeg, nPts, false);
      nTerms = nAtt = nNeg = nPts = 0;
    }
    const xy0 = f64x2.promote_low_f32x4(v128.load64_zero(cur + (<usize>i << 3)));
    store<i32>(ptIndex + (<usize>nPts << 2), i);
    v128.store(ptAcc + (<usize>nPts << 4), xy0);
    nPts++;
    const e1 = load<i32>(indptr + ((<usize>i + 1) << 2));
    for (let e = load<i32>(indptr + (<usize>i << 2)); e < e1; e++) {
      const off = <usize>e << 2;
      const ns = load<f32>(nextSample + off);
      if (<f64>ns > epochF) continue;
      const j = load<i32>(indices + off);
      // Room for this edge's attraction and a first negative sample before anything is pushed.
      if (nTerms >= cap - 1) {
        flush(nTerms, nAtt, nNeg, nPts, true);
        nTerms = nAtt = nNeg = 0;
        nPts = 1;
      }
      let dxy = f64x2.sub(xy0, f64x2.promote_low_f32x4(v128.load64_zero(cur + (<usize>j << 3))));
      let sq = f64x2.mul(dxy, dxy);
      let d2 = f64x2.extract_lane(sq, 0) + f64x2.extract_lane(sq, 1);
      if (d2 > 0) {
        store<f64>(attD2 + (<usize>nAtt << 3), d2);
        v128.store(attDxy + (<usize>nAtt << 4), dxy);
        store<i32>(attTerm + (<usize>nAtt << 2), nTerms);
        nAtt++;
        nTerms++;
      }
      const eps = load<f32>(epochsPerSample + off);
      store<f32>(nextSample + off, <f32>(<f64>ns + <f64>eps));
      const eNeg = <f32>(<f64>eps / rate);
      const nn = load<f32>(nextNegative + off);
      const nNegF = max<f64>(0.0, Math.floor(<f64><f32>(<f64><f32>(epochF - <f64>nn) / <f64>eNeg)));
      const count = <i32>nNegF;
      const he = (h0 ^ <u32>e) * 0x85ebca6b;
      const he2 = he ^ (he >>> 13);
      for (let s = 0; s < count; s++) {
        let h = (he2 ^ (<u32>(s + 1) * 0xc2b2ae35)) * 0x27d4eb2f;
        h = (h ^ (h >>> 15)) * 0x165667b1;
        h = h ^ (h >>> 16);
        const k = <i32>(h % un);
        if (k == i) continue;
        if (nTerms == cap) {
          flush(nTerms, nAtt, nNeg, nPts, true);
          nTerms = nAtt = nNeg = 0;
          nPts = 1;
        }
        dxy = f64x2.sub(xy0, f64x2.promote_low_f32x4(v128.load64_zero(cur + (<usize>k << 3))));
        sq = f64x2.mul(dxy, dxy);
        d2 = f64x2.extract_lane(sq, 0) + f64x2.extract_lane(sq, 1);
        if (d2 > 0) {
          store<f64>(negD2 + (<usize>nNeg << 3), d2);
          v128.store(negDxy + (<usize>nNeg << 4), dxy);
          store<i32>(negTerm + (<usize>nNeg << 2), nTerms);
          nNeg++;
        } else {
          // At distance 0 (or NaN) a negative sample pushes by 4 alpha on both axes.
          v128.store(inc + (<usize>nTerms << 4), push0);
        }
        nTerms++;
      }
      store<f32>(nextNegative + off, <f32>(<f64>nn + <f64><f32>(nNegF * <f64>eNeg)));
    }
    store<i32>(ptEnd + ((<usize>nPts - 1) << 2), nTerms);
  }
  if (nPts > 0) flush(nTerms, nAtt, nNeg, nPts, false);
}
