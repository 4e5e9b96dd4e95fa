// x^y for the UMAP epoch: src/analysis/umap-pow.ts's umapPow, the same operations in the same
// order, on the table umapPowTable(y) writes (src/analysis/umap-pow.ts describes the method and
// the table). powLanes runs two lanes at a time where x is a normal positive number and the result
// is normal; powScalar, the whole function, takes any other lane.

// Slots of the table (16 bytes each: a constant twice), then its two tables; as in umap-pow.ts.
const P_Y1 = 0, P_Y2 = 16, P_L1 = 32, P_L2 = 48, P_L3 = 64, P_L4 = 80, P_L5 = 96, P_E1 = 112, P_E2 = 128,
  P_E3 = 144, P_E4 = 160, P_MAGIC = 176, P_FRAC = 192, P_ONE = 208, P_HALF = 224, P_CMASK = 240,
  P_EMAGIC = 256, P_KBIAS = 272, P_MIN = 288, P_INF = 304, P_KDLO = 320, P_KDHI = 336, P_EXPO = 352, P_Y = 368;
const POW_LOG: usize = 48 * 8;
const POW_EXP: usize = POW_LOG + 257 * 32;

const MAGIC = 6755399441055744.0;
const MIN_NORMAL = 2.2250738585072014e-308;
const KD_LO = -1021.0 * 256.0;
const KD_HI = 1024.0 * 256.0 - 1.0;

// @ts-ignore: decorator
@inline function pow2(e: i32): f64 {
  return reinterpret<f64>(<u64>(e + 1023) << 52);
}

// @ts-ignore: decorator
@inline function at(tab: usize, slot: i32): f64 {
  return load<f64>(tab + <usize>slot);
}

/** umapPow: x^y for the table's y, any x. */
export function powScalar(x: f64, tab: usize): f64 {
  let bits: u64;
  let k: f64;
  if (x >= MIN_NORMAL && x < Infinity) {
    bits = reinterpret<u64>(x);
    k = <f64>(<i32>(bits >>> 52) - 1023);
  } else if (x > 0 && x < MIN_NORMAL) {
    bits = reinterpret<u64>(x * 18446744073709551616.0);
    k = <f64>(<i32>(bits >>> 52) - 1087);
  } else {
    const y = at(tab, P_Y);
    if (x == 0) return y > 0 ? 0.0 : y < 0 ? Infinity : 1.0;
    if (x == Infinity) return y > 0 ? Infinity : y < 0 ? 0.0 : 1.0;
    return NaN;
  }
  const m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  const i = <i32>(((bits >>> 32) & 0xfffff) + 0x800) >> 12;
  const c = 1.0 + <f64>i / 256.0;
  const e = tab + POW_LOG + (<usize>i << 5);
  const r = (m - c) * load<f64>(e);
  const p = r * (at(tab, P_L1) + r * (at(tab, P_L2) + r * (at(tab, P_L3) + r * (at(tab, P_L4) + r * at(tab, P_L5)))));
  const a = k * at(tab, P_Y1);
  const vh = load<f64>(e, 8);
  const kd = a + (vh + p) + MAGIC - MAGIC;
  const g = ((a - kd) + vh) + (p + (k * at(tab, P_Y2) + load<f64>(e, 16)));
  const q = g * (at(tab, P_E1) + g * (at(tab, P_E2) + g * (at(tab, P_E3) + g * at(tab, P_E4))));
  const ki = <i32>kd;
  const j = tab + POW_EXP + (<usize>(ki & 255) << 4);
  const th = load<f64>(j);
  const res = th + (th * q + load<f64>(j, 8));
  const n = ki >> 8;
  if (kd >= KD_LO && kd <= KD_HI) return reinterpret<f64>(reinterpret<i64>(res) + (<i64>n << 52));
  if (n > 0) return res * pow2(1023) * pow2(min(n - 1023, 1023));
  return res * pow2(max(n, -1100) + 100) * pow2(-100);
}

/**
 * powScalar for two lanes where both are regular (x normal and positive, the result normal); the
 * others are redone by powScalar. `tab` is the table umapPowTable wrote (16-byte aligned).
 */
// @ts-ignore: decorator
@inline export function powLanes(x: v128, tab: usize): v128 {
  const m = v128.or(v128.and(x, v128.load(tab, P_FRAC)), v128.load(tab, P_ONE));
  const c = v128.and(i64x2.add(m, v128.load(tab, P_HALF)), v128.load(tab, P_CMASK));
  const k = f64x2.sub(v128.or(i64x2.shr_u(x, 52), v128.load(tab, P_EMAGIC)), v128.load(tab, P_KBIAS));
  // Entry i of the log table for each lane: c's bits are 0x3ff00 + i above bit 44.
  const logBase = tab + POW_LOG - (<usize>0x3ff00 << 5);
  const e0 = logBase + (<usize>(i64x2.extract_lane(c, 0) >>> 44) << 5);
  const e1 = logBase + (<usize>(i64x2.extract_lane(c, 1) >>> 44) << 5);
  const a0 = v128.load(e0);
  const a1 = v128.load(e1);
  const b0 = v128.load(e0, 16);
  const b1 = v128.load(e1, 16);
  const invc = v128.shuffle<f64>(a0, a1, 0, 2);
  const vh = v128.shuffle<f64>(a0, a1, 1, 3);
  const vl = v128.shuffle<f64>(b0, b1, 0, 2);
  const r = f64x2.mul(f64x2.sub(m, c), invc);
  let p = f64x2.add(v128.load(tab, P_L4), f64x2.mul(r, v128.load(tab, P_L5)));
  p = f64x2.add(v128.load(tab, P_L3), f64x2.mul(r, p));
  p = f64x2.add(v128.load(tab, P_L2), f64x2.mul(r, p));
  p = f64x2.mul(r, f64x2.add(v128.load(tab, P_L1), f64x2.mul(r, p)));
  const a = f64x2.mul(k, v128.load(tab, P_Y1));
  const magic = v128.load(tab, P_MAGIC);
  const s = f64x2.add(f64x2.add(a, f64x2.add(vh, p)), magic);
  const kd = f64x2.sub(s, magic);
  const g = f64x2.add(f64x2.add(f64x2.sub(a, kd), vh), f64x2.add(p, f64x2.add(f64x2.mul(k, v128.load(tab, P_Y2)), vl)));
  let q = f64x2.add(v128.load(tab, P_E3), f64x2.mul(g, v128.load(tab, P_E4)));
  q = f64x2.add(v128.load(tab, P_E2), f64x2.mul(g, q));
  q = f64x2.mul(g, f64x2.add(v128.load(tab, P_E1), f64x2.mul(g, q)));
  // 2^(j/256) for j = kd & 255, the low bits of s.
  const expBase = tab + POW_EXP;
  const t0 = v128.load(expBase + ((<usize>i64x2.extract_lane(s, 0) & 255) << 4));
  const t1 = v128.load(expBase + ((<usize>i64x2.extract_lane(s, 1) & 255) << 4));
  const th = v128.shuffle<f64>(t0, t1, 0, 2);
  const tl = v128.shuffle<f64>(t0, t1, 1, 3);
  const res = f64x2.add(th, f64x2.add(f64x2.mul(th, q), tl));
  // kd >> 8 into the exponent: s's bits from 8 up, shifted to bit 52 (mod 2^12, as the addition).
  let out = i64x2.add(res, v128.and(i64x2.shl(s, 44), v128.load(tab, P_EXPO)));
  const regular = v128.and(
    v128.and(f64x2.ge(x, v128.load(tab, P_MIN)), f64x2.lt(x, v128.load(tab, P_INF))),
    v128.and(f64x2.ge(kd, v128.load(tab, P_KDLO)), f64x2.le(kd, v128.load(tab, P_KDHI))),
  );
  if (!i64x2.all_true(regular)) {
    if (!i64x2.extract_lane(regular, 0)) out = f64x2.replace_lane(out, 0, powScalar(f64x2.extract_lane(x, 0), tab));
    if (!i64x2.extract_lane(regular, 1)) out = f64x2.replace_lane(out, 1, powScalar(f64x2.extract_lane(x, 1), tab));
  }
  return out;
}

/** dst[i] = x^y for x = src[i], i < count (float64 arrays; pairs: one slot past the end is read and written). For the tests. */
export function powPairs(src: usize, dst: usize, count: i32, tab: usize): void {
  for (let i = 0; i < count; i += 2) {
    const off = <usize>i << 3;
    v128.store(dst + off, powLanes(v128.load(src + off), tab));
  }
}
