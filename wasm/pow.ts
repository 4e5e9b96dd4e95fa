// pow(x, y) exactly as V8 computed Math.pow before it switched to the C library's pow (V8 <= 12,
// Node 20 and 22): fdlibm's __ieee754_pow with V8's one change in the last step, where the
// denominator is (t1 - 2) - (w + z*w). The UMAP epoch raises squared distances to b and b - 1;
// with this pow the WebAssembly epoch gives the bits of the JavaScript one on those engines, and
// the same bits on every engine (newer ones compute Math.pow with the platform's libm instead).
// powScalar is the whole function. The vector path (powLanes, powLanes2) runs its common case,
// x a normal positive number and y ordinary, two lanes at a time with the same operations in the
// same order, and hands any other lane (and any near over- or underflow) to powScalar.

const L1 = 5.99999999999994648725e-01;
const L2 = 4.28571428578550184252e-01;
const L3 = 3.33333329818377432918e-01;
const L4 = 2.72728123808534006489e-01;
const L5 = 2.30660745775561754067e-01;
const L6 = 2.06975017800338417784e-01;
const P1 = 1.66666666666666019037e-01;
const P2 = -2.77777777770155933842e-03;
const P3 = 6.61375632143793436117e-05;
const P4 = -1.65339022054652515390e-06;
const P5 = 4.13813679705723846039e-08;
const LG2 = 6.93147180559945286227e-01;
const LG2_H = 6.93147182464599609375e-01;
const LG2_L = -1.90465429995776804525e-09;
const OVT = 8.0085662595372944372e-17;
const CP = 9.61796693925975554329e-01;
const CP_H = 9.61796700954437255859e-01;
const CP_L = -7.02846165095275826516e-09;
const IVLN2 = 1.44269504088896338700e+00;
const IVLN2_H = 1.44269502162933349609e+00;
const IVLN2_L = 1.92596299112661746887e-08;
const DP_H1 = 5.84962487220764160156e-01;
const DP_L1 = 1.35003920212974897128e-08;
const TWO53 = 9007199254740992.0;
const HUGE = 1.0e300;
const TINY = 1.0e-300;

// @ts-ignore: decorator
@inline function hiOf(x: f64): i32 {
  return <i32>(reinterpret<u64>(x) >>> 32);
}
// @ts-ignore: decorator
@inline function loOf(x: f64): u32 {
  return <u32>reinterpret<u64>(x);
}
// @ts-ignore: decorator
@inline function clearLo(x: f64): f64 {
  return reinterpret<f64>(reinterpret<u64>(x) & 0xffffffff00000000);
}
// @ts-ignore: decorator
@inline function withHi(x: f64, hi: i32): f64 {
  return reinterpret<f64>((<u64><u32>hi << 32) | (reinterpret<u64>(x) & 0xffffffff));
}

/** fdlibm's scalbn for a result that is subnormal: one rounding, as the C function. */
function scalbnTiny(z: f64, n: i32): f64 {
  if (n < -1000) {
    z *= reinterpret<f64>(<u64>(1023 - 1000) << 52);
    n += 1000;
  }
  return z * reinterpret<f64>(<u64>(n + 1023) << 52);
}

export function powScalar(x: f64, y: f64): f64 {
  const hx = hiOf(x);
  const lx = loOf(x);
  const hy = hiOf(y);
  const ly = loOf(y);
  let ix = hx & 0x7fffffff;
  const iy = hy & 0x7fffffff;

  if ((<u32>iy | ly) == 0) return 1.0;
  if (ix > 0x7ff00000 || (ix == 0x7ff00000 && lx != 0) || iy > 0x7ff00000 || (iy == 0x7ff00000 && ly != 0)) return x + y;

  // yisint: 0 not an integer, 1 odd, 2 even (only needed when x < 0)
  let yisint = 0;
  if (hx < 0) {
    if (iy >= 0x43400000) yisint = 2;
    else if (iy >= 0x3ff00000) {
      const k = (iy >> 20) - 0x3ff;
      if (k > 20) {
        const j = ly >> <u32>(52 - k);
        if (j << <u32>(52 - k) == ly) yisint = 2 - <i32>(j & 1);
      } else if (ly == 0) {
        const j = iy >> (20 - k);
        if (j << (20 - k) == iy) yisint = 2 - (j & 1);
      }
    }
  }

  if (ly == 0) {
    if (iy == 0x7ff00000) {
      if (((ix - 0x3ff00000) | <i32>lx) == 0) return y - y;
      else if (ix >= 0x3ff00000) return hy >= 0 ? y : 0.0;
      else return hy < 0 ? -y : 0.0;
    }
    if (iy == 0x3ff00000) return hy < 0 ? 1.0 / x : x;
    if (hy == 0x40000000) return x * x;
    if (hy == 0x3fe00000 && hx >= 0) return sqrt<f64>(x);
  }

  let ax = abs<f64>(x);
  if (lx == 0 && (ix == 0x7ff00000 || ix == 0 || ix == 0x3ff00000)) {
    let z = ax;
    if (hy < 0) z = 1.0 / z;
    if (hx < 0) {
      if (((ix - 0x3ff00000) | yisint) == 0) z = NaN;
      else if (yisint == 1) z = -z;
    }
    return z;
  }

  let n = (hx >> 31) + 1;
  if ((n | yisint) == 0) return NaN;
  let s = 1.0;
  if ((n | (yisint - 1)) == 0) s = -1.0;

  let t1: f64, t2: f64;
  if (iy > 0x41e00000) {
    if (iy > 0x43f00000) {
      if (ix <= 0x3fefffff) return hy < 0 ? HUGE * HUGE : TINY * TINY;
      if (ix >= 0x3ff00000) return hy > 0 ? HUGE * HUGE : TINY * TINY;
    }
    if (ix < 0x3fefffff) return hy < 0 ? s * HUGE * HUGE : s * TINY * TINY;
    if (ix > 0x3ff00000) return hy > 0 ? s * HUGE * HUGE : s * TINY * TINY;
    const t = ax - 1.0;
    const w = t * t * (0.5 - t * (0.3333333333333333333333 - t * 0.25));
    const u = IVLN2_H * t;
    const v = t * IVLN2_L - w * IVLN2;
    t1 = clearLo(u + v);
    t2 = v - (t1 - u);
  } else {
    n = 0;
    if (ix < 0x00100000) {
      ax *= TWO53;
      n -= 53;
      ix = hiOf(ax);
    }
    n += (ix >> 20) - 0x3ff;
    const j = ix & 0x000fffff;
    let k = 0;
    ix = j | 0x3ff00000;
    if (j <= 0x3988e) k = 0;
    else if (j < 0xbb67a) k = 1;
    else {
      k = 0;
      n += 1;
      ix -= 0x00100000;
    }
    ax = withHi(ax, ix);
    const bp = k ? 1.5 : 1.0;
    const dpH = k ? DP_H1 : 0.0;
    const dpL = k ? DP_L1 : 0.0;
    let u = ax - bp;
    let v = 1.0 / (ax + bp);
    const ss = u * v;
    const sH = clearLo(ss);
    let tH = reinterpret<f64>(<u64><u32>(((ix >> 1) | 0x20000000) + 0x00080000 + (k << 18)) << 32);
    let tL = ax - (tH - bp);
    const sL = v * ((u - sH * tH) - sH * tL);
    let s2 = ss * ss;
    let r = s2 * s2 * (L1 + s2 * (L2 + s2 * (L3 + s2 * (L4 + s2 * (L5 + s2 * L6)))));
    r += sL * (sH + ss);
    s2 = sH * sH;
    tH = clearLo(3.0 + s2 + r);
    tL = r - ((tH - 3.0) - s2);
    u = sH * tH;
    v = sL * tH + tL * ss;
    const pH = clearLo(u + v);
    const pL = v - (pH - u);
    const zH = CP_H * pH;
    const zL = CP_L * pH + pL * CP + dpL;
    const t = <f64>n;
    t1 = clearLo(((zH + zL) + dpH) + t);
    t2 = zL - (((t1 - t) - dpH) - zH);
  }

  const y1 = clearLo(y);
  const pL = (y - y1) * t1 + y * t2;
  let pH = y1 * t1;
  let z = pL + pH;
  let j = hiOf(z);
  let i = <i32>loOf(z);
  if (j >= 0x40900000) {
    if (((j - 0x40900000) | i) != 0) return s * HUGE * HUGE;
    if (pL + OVT > z - pH) return s * HUGE * HUGE;
  } else if ((j & 0x7fffffff) >= 0x4090cc00) {
    if (((j - <i32>0xc090cc00) | i) != 0) return s * TINY * TINY;
    if (pL <= z - pH) return s * TINY * TINY;
  }
  i = j & 0x7fffffff;
  let k = (i >> 20) - 0x3ff;
  n = 0;
  if (i > 0x3fe00000) {
    n = j + (0x00100000 >> (k + 1));
    k = ((n & 0x7fffffff) >> 20) - 0x3ff;
    const t = reinterpret<f64>(<u64><u32>(n & ~(0x000fffff >> k)) << 32);
    n = ((n & 0x000fffff) | 0x00100000) >> (20 - k);
    if (j < 0) n = -n;
    pH -= t;
  }
  let t = clearLo(pL + pH);
  const u = t * LG2_H;
  const v = (pL - (t - pH)) * LG2 + t * LG2_L;
  z = u + v;
  const w = v - (z - u);
  t = z * z;
  const tt = z - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  const r = (z * tt) / ((tt - 2.0) - (w + z * w));
  z = 1.0 - (r - z);
  j = hiOf(z) + (n << 20);
  if (j >> 20 <= 0) z = scalbnTiny(z, n);
  else z = withHi(z, j);
  return s * z;
}

// The vector path's constants, splatted, at an offset in memory: V8 rebuilds a v128.const at every
// use, while a load can feed the instruction directly.
const C_ONE = 0, C_ONE_HALF = 16, C_DP_H1 = 32, C_DP_L1 = 48, C_LOW_WORD = 64, C_HI_MASK = 80, C_FRAC = 96,
  C_EXP_ONE = 112, C_K1_LO = 128, C_K1_HI = 144, C_EXP_STEP = 160, C_TH_OR = 176, C_TH_ADD = 192, C_K1_TH = 208,
  C_L1 = 224, C_L2 = 240, C_L3 = 256, C_L4 = 272, C_L5 = 288, C_L6 = 304, C_THREE = 320, C_CP_H = 336, C_CP_L = 352,
  C_CP = 368, C_MAGIC = 384, C_BIAS = 400, C_HALF = 416, C_BIG = 432, C_SIGN = 448, C_LG2_H = 464, C_LG2 = 480,
  C_LG2_L = 496, C_P1 = 512, C_P2 = 528, C_P3 = 544, C_P4 = 560, C_P5 = 576, C_TWO = 592, C_MIN_NORMAL = 608,
  C_INF = 624, C_Z_HI = 640, C_Z_LO = 656, C_K3 = 672;
const POW_CONSTANTS = 688;
/** Bytes of powTable's table (its constants and two slots the vector path writes). */
export const POW_TABLE_BYTES = POW_CONSTANTS + 32;

/** POW_TABLE_BYTES, for the caller of powPairs. */
export function powTableBytes(): i32 {
  return POW_TABLE_BYTES;
}

/** Writes the vector path's constants at `at` (16-byte aligned, POW_TABLE_BYTES long). */
export function powTable(at: usize): void {
  v128.store(at, f64x2.splat(1.0), C_ONE);
  v128.store(at, f64x2.splat(1.5), C_ONE_HALF);
  v128.store(at, f64x2.splat(DP_H1), C_DP_H1);
  v128.store(at, f64x2.splat(DP_L1), C_DP_L1);
  v128.store(at, i64x2.splat(0xffffffff), C_LOW_WORD);
  v128.store(at, i64x2.splat(0xffffffff00000000), C_HI_MASK);
  v128.store(at, i64x2.splat(0x000fffff), C_FRAC);
  v128.store(at, i64x2.splat(0x3ff00000), C_EXP_ONE);
  v128.store(at, i64x2.splat(0x3988e), C_K1_LO);
  v128.store(at, i64x2.splat(0xbb67a), C_K1_HI);
  v128.store(at, i64x2.splat(0xbb67a - 1), C_K3);
  v128.store(at, i64x2.splat(0x00100000), C_EXP_STEP);
  v128.store(at, i64x2.splat(0x20000000), C_TH_OR);
  v128.store(at, i64x2.splat(0x00080000), C_TH_ADD);
  v128.store(at, i64x2.splat(1 << 18), C_K1_TH);
  v128.store(at, f64x2.splat(L1), C_L1);
  v128.store(at, f64x2.splat(L2), C_L2);
  v128.store(at, f64x2.splat(L3), C_L3);
  v128.store(at, f64x2.splat(L4), C_L4);
  v128.store(at, f64x2.splat(L5), C_L5);
  v128.store(at, f64x2.splat(L6), C_L6);
  v128.store(at, f64x2.splat(3.0), C_THREE);
  v128.store(at, f64x2.splat(CP_H), C_CP_H);
  v128.store(at, f64x2.splat(CP_L), C_CP_L);
  v128.store(at, f64x2.splat(CP), C_CP);
  v128.store(at, f64x2.splat(6755399441055744.0), C_MAGIC);
  v128.store(at, i64x2.splat(0x3ff), C_BIAS);
  v128.store(at, f64x2.splat(0.5), C_HALF);
  v128.store(at, f64x2.splat(0.50000047683715820312), C_BIG);
  v128.store(at, i64x2.splat(0x8000000000000000), C_SIGN);
  v128.store(at, f64x2.splat(LG2_H), C_LG2_H);
  v128.store(at, f64x2.splat(LG2), C_LG2);
  v128.store(at, f64x2.splat(LG2_L), C_LG2_L);
  v128.store(at, f64x2.splat(P1), C_P1);
  v128.store(at, f64x2.splat(P2), C_P2);
  v128.store(at, f64x2.splat(P3), C_P3);
  v128.store(at, f64x2.splat(P4), C_P4);
  v128.store(at, f64x2.splat(P5), C_P5);
  v128.store(at, f64x2.splat(2.0), C_TWO);
  v128.store(at, f64x2.splat(2.2250738585072014e-308), C_MIN_NORMAL);
  v128.store(at, f64x2.splat(Infinity), C_INF);
  v128.store(at, f64x2.splat(1024.0), C_Z_HI);
  v128.store(at, f64x2.splat(-1020.0), C_Z_LO);
}

// Slots after the constants where the vector path leaves its second outputs (L1-resident).
const S_T2 = POW_CONSTANTS, S_IRREGULAR = POW_CONSTANTS + 16;
/** Where powLanes2 leaves its second result, from the table's start. */
export const POW_SECOND = S_T2;

/**
 * log2 of two lanes of x as powScalar's main path computes it, t1 + t2 (t2 left at tab + S_T2),
 * for x a normal finite positive number (x == 1 comes out as 0 there too); the lanes where x is
 * not are flagged at tab + S_IRREGULAR.
 */
// @ts-ignore: decorator
@inline function logLanes(x: v128, tab: usize): v128 {
  v128.store(tab, v128.not(v128.and(f64x2.ge(x, v128.load(tab, C_MIN_NORMAL)), f64x2.lt(x, v128.load(tab, C_INF)))), S_IRREGULAR);
  const j = v128.and(i64x2.shr_u(x, 32), v128.load(tab, C_FRAC));
  // k = 1 for j in (0x3988e, 0xbb67a); for j >= 0xbb67a the exponent moves up one.
  const k1 = v128.and(i64x2.gt_s(j, v128.load(tab, C_K1_LO)), i64x2.gt_s(v128.load(tab, C_K1_HI), j));
  const k3 = i64x2.gt_s(j, v128.load(tab, C_K3));
  const ix = i64x2.sub(v128.or(j, v128.load(tab, C_EXP_ONE)), v128.and(k3, v128.load(tab, C_EXP_STEP)));
  const n = i64x2.sub(i64x2.sub(i64x2.shr_u(x, 52), v128.load(tab, C_BIAS)), k3);
  const ax = v128.or(i64x2.shl(ix, 32), v128.and(x, v128.load(tab, C_LOW_WORD)));
  const one = v128.load(tab, C_ONE);
  const bp = v128.bitselect(v128.load(tab, C_ONE_HALF), one, k1);
  const dpH = v128.and(v128.load(tab, C_DP_H1), k1);
  const dpL = v128.and(v128.load(tab, C_DP_L1), k1);
  let u = f64x2.sub(ax, bp);
  let v = f64x2.div(one, f64x2.add(ax, bp));
  const ss = f64x2.mul(u, v);
  const hiMask = v128.load(tab, C_HI_MASK);
  const sH = v128.and(ss, hiMask);
  let tH = i64x2.shl(i64x2.add(i64x2.add(v128.or(i64x2.shr_u(ix, 1), v128.load(tab, C_TH_OR)), v128.load(tab, C_TH_ADD)), v128.and(k1, v128.load(tab, C_K1_TH))), 32);
  let tL = f64x2.sub(ax, f64x2.sub(tH, bp));
  const sL = f64x2.mul(v, f64x2.sub(f64x2.sub(u, f64x2.mul(sH, tH)), f64x2.mul(sH, tL)));
  let s2 = f64x2.mul(ss, ss);
  let poly = f64x2.add(v128.load(tab, C_L5), f64x2.mul(s2, v128.load(tab, C_L6)));
  poly = f64x2.add(v128.load(tab, C_L4), f64x2.mul(s2, poly));
  poly = f64x2.add(v128.load(tab, C_L3), f64x2.mul(s2, poly));
  poly = f64x2.add(v128.load(tab, C_L2), f64x2.mul(s2, poly));
  poly = f64x2.add(v128.load(tab, C_L1), f64x2.mul(s2, poly));
  let r = f64x2.mul(f64x2.mul(s2, s2), poly);
  r = f64x2.add(r, f64x2.mul(sL, f64x2.add(sH, ss)));
  s2 = f64x2.mul(sH, sH);
  const three = v128.load(tab, C_THREE);
  tH = v128.and(f64x2.add(f64x2.add(three, s2), r), hiMask);
  tL = f64x2.sub(r, f64x2.sub(f64x2.sub(tH, three), s2));
  u = f64x2.mul(sH, tH);
  v = f64x2.add(f64x2.mul(sL, tH), f64x2.mul(tL, ss));
  const pH = v128.and(f64x2.add(u, v), hiMask);
  const pL = f64x2.sub(v, f64x2.sub(pH, u));
  const zH = f64x2.mul(v128.load(tab, C_CP_H), pH);
  const zL = f64x2.add(f64x2.add(f64x2.mul(v128.load(tab, C_CP_L), pH), f64x2.mul(pL, v128.load(tab, C_CP))), dpL);
  // (double)n: the exponent is small, so through the 1.5 * 2^52 constant.
  const magic = v128.load(tab, C_MAGIC);
  const t = f64x2.sub(i64x2.add(magic, n), magic);
  const t1 = v128.and(f64x2.add(f64x2.add(f64x2.add(zH, zL), dpH), t), hiMask);
  v128.store(tab, f64x2.sub(zL, f64x2.sub(f64x2.sub(f64x2.sub(t1, t), dpH), zH)), S_T2);
  return t1;
}

/**
 * 2^(y (t1 + t2)) as powScalar's last part computes it; lanes where y log2 x is near or past
 * where powScalar over- or underflows or returns a subnormal are added to tab + S_IRREGULAR.
 */
// @ts-ignore: decorator
@inline function expLanes(t1: v128, t2: v128, y: f64, y1: f64, yd: f64, tab: usize): v128 {
  const pL = f64x2.add(f64x2.mul(f64x2.splat(yd), t1), f64x2.mul(f64x2.splat(y), t2));
  let pH = f64x2.mul(f64x2.splat(y1), t1);
  let z = f64x2.add(pL, pH);
  const irregular = v128.not(v128.and(f64x2.lt(z, v128.load(tab, C_Z_HI)), f64x2.gt(z, v128.load(tab, C_Z_LO))));
  v128.store(tab, v128.or(v128.load(tab, S_IRREGULAR), irregular), S_IRREGULAR);
  // n = [z + 0.5] when |z| > 0.5 (powScalar's test on the high word): floor(|z| + 0.5), exactly.
  const one = v128.load(tab, C_ONE);
  const magic = v128.load(tab, C_MAGIC);
  const az = f64x2.abs(z);
  const fl = f64x2.floor(az);
  const nn = f64x2.add(fl, v128.and(f64x2.ge(f64x2.sub(az, fl), v128.load(tab, C_HALF)), one));
  let t = v128.and(v128.or(nn, v128.and(z, v128.load(tab, C_SIGN))), f64x2.ge(az, v128.load(tab, C_BIG)));
  pH = f64x2.sub(pH, t);
  const ni = i64x2.sub(f64x2.add(t, magic), magic);
  t = v128.and(f64x2.add(pL, pH), v128.load(tab, C_HI_MASK));
  const u = f64x2.mul(t, v128.load(tab, C_LG2_H));
  const v = f64x2.add(f64x2.mul(f64x2.sub(pL, f64x2.sub(t, pH)), v128.load(tab, C_LG2)), f64x2.mul(t, v128.load(tab, C_LG2_L)));
  z = f64x2.add(u, v);
  const w = f64x2.sub(v, f64x2.sub(z, u));
  t = f64x2.mul(z, z);
  let poly = f64x2.add(v128.load(tab, C_P4), f64x2.mul(t, v128.load(tab, C_P5)));
  poly = f64x2.add(v128.load(tab, C_P3), f64x2.mul(t, poly));
  poly = f64x2.add(v128.load(tab, C_P2), f64x2.mul(t, poly));
  poly = f64x2.add(v128.load(tab, C_P1), f64x2.mul(t, poly));
  const tt = f64x2.sub(z, f64x2.mul(t, poly));
  const r = f64x2.div(f64x2.mul(z, tt), f64x2.sub(f64x2.sub(tt, v128.load(tab, C_TWO)), f64x2.add(w, f64x2.mul(z, w))));
  z = f64x2.sub(one, f64x2.sub(r, z));
  return i64x2.add(z, i64x2.shl(ni, 52));
}

/** powScalar for the flagged lanes of `out` (rare: see logLanes, expLanes). */
// @ts-ignore: decorator
@inline function fixLanes(out: v128, x: v128, y: f64, tab: usize): v128 {
  const irregular = v128.load(tab, S_IRREGULAR);
  if (v128.any_true(irregular)) {
    if (i64x2.extract_lane(irregular, 0)) out = f64x2.replace_lane(out, 0, powScalar(f64x2.extract_lane(x, 0), y));
    if (i64x2.extract_lane(irregular, 1)) out = f64x2.replace_lane(out, 1, powScalar(f64x2.extract_lane(x, 1), y));
  }
  return out;
}

/** The y-dependent parts: y with its low word cleared, and the rest. */
// @ts-ignore: decorator
@inline export function yHigh(y: f64): f64 {
  return reinterpret<f64>(reinterpret<u64>(y) & 0xffffffff00000000);
}

/**
 * pow(x, y) for two lanes of x, y accepted by powVectorY: powScalar's main path lane by lane, the
 * same operations in the same order; `tab` holds powTable's constants.
 */
// @ts-ignore: decorator
@inline export function powLanes(x: v128, y: f64, y1: f64, yd: f64, tab: usize): v128 {
  const t1 = logLanes(x, tab);
  return fixLanes(expLanes(t1, v128.load(tab, S_T2), y, y1, yd, tab), x, y, tab);
}

/** pow(x, ya) and pow(x, yb) for two lanes of x: one logarithm for both; the second goes to tab + S_T2. */
// @ts-ignore: decorator
@inline export function powLanes2(x: v128, ya: f64, ya1: f64, yad: f64, yb: f64, yb1: f64, ybd: f64, tab: usize): v128 {
  const t1 = logLanes(x, tab);
  const t2 = v128.load(tab, S_T2);
  const irregularX = v128.load(tab, S_IRREGULAR);
  const outA = fixLanes(expLanes(t1, t2, ya, ya1, yad, tab), x, ya, tab);
  v128.store(tab, irregularX, S_IRREGULAR);
  v128.store(tab, fixLanes(expLanes(t1, t2, yb, yb1, ybd, tab), x, yb, tab), S_T2);
  return outA;
}

/** Whether the vector path may run y (else every lane goes through powScalar). */
export function powVectorY(y: f64): bool {
  const hy = hiOf(y);
  const ly = loOf(y);
  const iy = hy & 0x7fffffff;
  if ((<u32>iy | ly) == 0 || iy >= 0x7ff00000 || iy > 0x41e00000) return false;
  if (ly == 0 && (iy == 0x3ff00000 || hy == 0x40000000 || hy == 0x3fe00000)) return false;
  return true;
}

/**
 * dst[i] = pow(src[i], y) for i < count, float64 arrays (pairs: one slot past the end is read and
 * written); tab: POW_TABLE_BYTES of scratch, 16-byte aligned. For the tests, and the epoch's runs.
 */
export function powPairs(src: usize, dst: usize, count: i32, y: f64, tab: usize): void {
  powTable(tab);
  if (!powVectorY(y)) {
    for (let i = 0; i < count; i++) store<f64>(dst + (<usize>i << 3), powScalar(load<f64>(src + (<usize>i << 3)), y));
    return;
  }
  const y1 = yHigh(y);
  const yd = y - y1;
  for (let i = 0; i < count; i += 2) {
    const off = <usize>i << 3;
    v128.store(dst + off, powLanes(v128.load(src + off), y, y1, yd, tab));
  }
}

/** dsta[i] = pow(src[i], ya), dstb[i] = pow(src[i], yb): as powPairs, one logarithm for both. */
export function powPairs2(src: usize, dsta: usize, dstb: usize, count: i32, ya: f64, yb: f64, tab: usize): void {
  powTable(tab);
  if (!powVectorY(ya) || !powVectorY(yb)) {
    for (let i = 0; i < count; i++) {
      const x = load<f64>(src + (<usize>i << 3));
      store<f64>(dsta + (<usize>i << 3), powScalar(x, ya));
      store<f64>(dstb + (<usize>i << 3), powScalar(x, yb));
    }
    return;
  }
  const ya1 = yHigh(ya);
  const yb1 = yHigh(yb);
  const yad = ya - ya1;
  const ybd = yb - yb1;
  for (let i = 0; i < count; i += 2) {
    const off = <usize>i << 3;
    v128.store(dsta + off, powLanes2(v128.load(src + off), ya, ya1, yad, yb, yb1, ybd, tab));
    v128.store(dstb + off, v128.load(tab, S_T2));
  }
}
