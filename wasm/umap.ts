// One UMAP epoch for points [from, to): the arithmetic of umapEpoch in src/analysis/umap.ts, the
// same float64 and float32 operations in the same order, the same negative samples. Positions are
// read from `cur` (the previous epoch) and written to `next`, so blocks of points may run on
// several threads at once over one shared memory.
//
// The work of a point is a sequence of terms (its sampled edges' attractions, each followed by
// that edge's negative samples) added one after another to its position. A term's increment does
// not depend on the position being accumulated, so terms are first collected for many points,
// then their pow()s and divisions run two lanes at a time, and last each point sums its own terms
// in their order: the additions, the only order-sensitive step, happen as in the scalar loop.
import { powLanes, powScalar, powVectorY } from './pow';

const ATTRACT: i64 = 0;
const REPEL: i64 = 1;
/** A negative sample at distance 0 (or NaN): pushed by 4 * alpha on both axes. */
const REPEL_ZERO: i64 = 2;

// Per-thread state of one epoch call (globals belong to the instance, one per thread).
let cap = 0;
let termD2: usize = 0; // f64: squared distance (1 for REPEL_ZERO)
let termDxy: usize = 0; // f64x2: (dx, dy)
let termKind: usize = 0; // i64
let termPb: usize = 0; // f64: d2^b
let termPbm1: usize = 0; // f64: d2^(b-1), attraction terms only
let termC: usize = 0; // f64: the gradient coefficient
let attTerm: usize = 0; // i32: term index of each attraction
let attD2: usize = 0; // f64: its squared distance
let attP: usize = 0; // f64: its d2^(b-1)
let ptIndex: usize = 0; // i32: point
let ptEnd: usize = 0; // i32: end of its terms
let ptAcc: usize = 0; // f64x2: its position before these terms
let nTerms = 0;
let nAtt = 0;
let nPts = 0;

let gA = 0.0;
let gB = 0.0;
let gAlpha = 0.0;
let gNext: usize = 0;

/** Bytes of scratch one thread needs for `terms` terms per batch (a multiple of 4). */
export function umapScratchBytes(terms: i32): i32 {
  return (terms + 4) * (8 + 16 + 8 + 8 + 8 + 8 + 4 + 8 + 8 + 4 + 4 + 16);
}

function layout(scratch: usize, terms: i32): void {
  cap = terms;
  const m = <usize>(terms + 4);
  termDxy = scratch;
  ptAcc = termDxy + m * 16;
  termD2 = ptAcc + m * 16;
  termKind = termD2 + m * 8;
  termPb = termKind + m * 8;
  termPbm1 = termPb + m * 8;
  termC = termPbm1 + m * 8;
  attD2 = termC + m * 8;
  attP = attD2 + m * 8;
  attTerm = attP + m * 8;
  ptIndex = attTerm + m * 4;
  ptEnd = ptIndex + m * 4;
}

/** x^y for `count` float64s (pairs; one slot past the end may be read and written). */
function powRun(src: usize, dst: usize, count: i32, y: f64): void {
  if (!powVectorY(y)) {
    for (let i = 0; i < count; i++) store<f64>(dst + (<usize>i << 3), powScalar(load<f64>(src + (<usize>i << 3)), y));
    return;
  }
  const y1 = reinterpret<f64>(reinterpret<u64>(y) & 0xffffffff00000000);
  const yd = y - y1;
  for (let i = 0; i < count; i += 2) {
    const off = <usize>i << 3;
    v128.store(dst + off, powLanes(v128.load(src + off), y, y1, yd));
  }
}

/** Adds up the batch's terms: closes its points (or carries the last one's sum when `open`). */
function flush(open: bool): void {
  store<i32>(ptEnd + ((<usize>nPts - 1) << 2), nTerms);
  // A slot past the end so the pair loops read defined values.
  store<f64>(termD2 + (<usize>nTerms << 3), 1.0);
  store<i64>(termKind + (<usize>nTerms << 3), REPEL_ZERO);
  store<f64>(attD2 + (<usize>nAtt << 3), 1.0);
  powRun(termD2, termPb, nTerms, gB);
  powRun(attD2, attP, nAtt, gB - 1.0);
  for (let m = 0; m < nAtt; m++) store<f64>(termPbm1 + (<usize>load<i32>(attTerm + (<usize>m << 2)) << 3), load<f64>(attP + (<usize>m << 3)));

  // c = (-2 a b d2^(b-1)) / (a d2^b + 1) for an attraction, 2b / ((0.001 + d2) (a d2^b + 1)) for a repulsion.
  const minus2ab = f64x2.splat(-2.0 * gA * gB);
  const twoB = f64x2.splat(2.0 * gB);
  const a = f64x2.splat(gA);
  const one = f64x2.splat(1.0);
  const eps = f64x2.splat(0.001);
  for (let t = 0; t < nTerms; t += 2) {
    const off = <usize>t << 3;
    const attract = i64x2.eq(v128.load(termKind + off), i64x2.splat(ATTRACT));
    const q = f64x2.add(f64x2.mul(a, v128.load(termPb + off)), one);
    const num = v128.bitselect(f64x2.mul(minus2ab, v128.load(termPbm1 + off)), twoB, attract);
    const den = v128.bitselect(q, f64x2.mul(f64x2.add(eps, v128.load(termD2 + off)), q), attract);
    v128.store(termC + off, f64x2.div(num, den));
  }

  const alpha = f64x2.splat(gAlpha);
  const push0 = f64x2.splat(4.0 * gAlpha);
  const two = f64x2.splat(2.0);
  const hi = f64x2.splat(4.0);
  const lo = f64x2.splat(-4.0);
  let t = 0;
  let acc = f64x2.splat(0);
  for (let p = 0; p < nPts; p++) {
    acc = v128.load(ptAcc + (<usize>p << 4));
    const end = load<i32>(ptEnd + (<usize>p << 2));
    for (; t < end; t++) {
      const c = f64x2.splat(load<f64>(termC + (<usize>t << 3)));
      const g = f64x2.pmax(f64x2.pmin(f64x2.mul(c, v128.load(termDxy + (<usize>t << 4))), hi), lo);
      const kind = load<i64>(termKind + (<usize>t << 3));
      const step = select<v128>(f64x2.mul(f64x2.mul(two, g), alpha), select<v128>(f64x2.mul(g, alpha), push0, kind == REPEL), kind == ATTRACT);
      acc = f64x2.add(acc, step);
    }
    if (!open || p < nPts - 1) v128.store64_lane(gNext + (<usize>load<i32>(ptIndex + (<usize>p << 2)) << 3), f32x4.demote_f64x2_zero(acc), 0);
  }
  if (open) {
    store<i32>(ptIndex, load<i32>(ptIndex + ((<usize>nPts - 1) << 2)));
    v128.store(ptAcc, acc);
    nPts = 1;
  } else nPts = 0;
  nTerms = 0;
  nAtt = 0;
}

// @ts-ignore: decorator
@inline function pushTerm(kind: i64, dxy: v128, d2: f64): void {
  if (nTerms == cap) flush(true);
  const t = <usize>nTerms;
  v128.store(termDxy + (t << 4), dxy);
  store<f64>(termD2 + (t << 3), kind == REPEL_ZERO ? 1.0 : d2);
  store<i64>(termKind + (t << 3), kind);
  if (kind == ATTRACT) {
    store<f64>(attD2 + (<usize>nAtt << 3), d2);
    store<i32>(attTerm + (<usize>nAtt << 2), nTerms);
    nAtt++;
  }
  nTerms++;
}

/**
 * Epoch `epoch` for points [from, to). Arrays are byte offsets into memory: indptr, indices (i32),
 * epochsPerSample, nextSample, nextNegative (f32, per edge), cur and next ([n, 2] f32). scratch
 * holds umapScratchBytes(terms) bytes of this thread's own.
 */
export function umapEpoch(
  n: i32, a: f64, b: f64, rate: f64, seed: i32, epoch: i32, alpha: f64,
  indptr: usize, indices: usize, epochsPerSample: usize, nextSample: usize, nextNegative: usize,
  cur: usize, next: usize, from: i32, to: i32, scratch: usize, terms: i32,
): void {
  layout(scratch, terms);
  gA = a;
  gB = b;
  gAlpha = alpha;
  gNext = next;
  nTerms = 0;
  nAtt = 0;
  nPts = 0;
  const epochF = <f64>epoch;
  const h0 = <u32>seed ^ (<u32>(epoch + 1) * 0x9e3779b1);
  const un = <u32>n;
  for (let i = from; i < to; i++) {
    if (nPts == cap) flush(false);
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
      let dxy = f64x2.sub(xy0, f64x2.promote_low_f32x4(v128.load64_zero(cur + (<usize>j << 3))));
      let sq = f64x2.mul(dxy, dxy);
      let d2 = f64x2.extract_lane(sq, 0) + f64x2.extract_lane(sq, 1);
      if (d2 > 0) pushTerm(ATTRACT, dxy, d2);
      const eps = load<f32>(epochsPerSample + off);
      store<f32>(nextSample + off, <f32>(<f64>ns + <f64>eps));
      const eNeg = <f32>(<f64>eps / rate);
      const nn = load<f32>(nextNegative + off);
      const nNeg = max<f64>(0.0, Math.floor(<f64><f32>(<f64><f32>(epochF - <f64>nn) / <f64>eNeg)));
      const count = <i32>nNeg;
      const he = (h0 ^ <u32>e) * 0x85ebca6b;
      const he2 = he ^ (he >>> 13);
      for (let s = 0; s < count; s++) {
        let h = (he2 ^ (<u32>(s + 1) * 0xc2b2ae35)) * 0x27d4eb2f;
        h = (h ^ (h >>> 15)) * 0x165667b1;
        h = h ^ (h >>> 16);
        const k = <i32>(h % un);
        if (k == i) continue;
        dxy = f64x2.sub(xy0, f64x2.promote_low_f32x4(v128.load64_zero(cur + (<usize>k << 3))));
        sq = f64x2.mul(dxy, dxy);
        d2 = f64x2.extract_lane(sq, 0) + f64x2.extract_lane(sq, 1);
        pushTerm(d2 > 0 ? REPEL : REPEL_ZERO, dxy, d2);
      }
      store<f32>(nextNegative + off, <f32>(<f64>nn + <f64><f32>(nNeg * <f64>eNeg)));
    }
    store<i32>(ptEnd + ((<usize>nPts - 1) << 2), nTerms);
  }
  if (nPts > 0) flush(false);
}
