// x^y for the UMAP epoch, y fixed for a whole layout (the fitted b), in IEEE +, -, *, / and bit
// operations only: no Math.pow, no FMA. The JS epoch calls umapPow; the WebAssembly kernel
// (wasm/pow.ts) runs the same operations in the same order two lanes at a time, on the same table,
// so both give the same bits on every engine (Math.pow is fdlibm's in V8 up to 13.5, the C
// library's after) and on any thread count. Within 0.53 ulp of the true value for the epoch's
// exponents (test/umap-pow.test.ts); 3x cheaper in the kernel than the fdlibm port it replaced
// (bench/RESULTS.md).
//
// x = 2^k m, m in [1, 2), c = m rounded to a multiple of 1/256, r = (m - c) / c, |r| <= 2^-9:
//   256 y log2 x = 256 y k + 256 y log2 c + 256 y log2(1 + r)
// The first term is exact (y's first 40 bits times k, plus a tiny rest); the second comes from a
// per-y table of double-doubles; the third is a degree-5 polynomial in r. Its integer part kd
// (rounded to nearest) splits x^y = 2^(kd >> 8) 2^((kd & 255)/256) 2^(g/256), |g| <= 0.52: a table
// of 2^(j/256) as double-doubles, a degree-4 polynomial, and an addition to the exponent bits.
// Where that does not apply (x zero, subnormal, infinite or NaN; results near over- or underflow)
// the same arithmetic goes on in umapPow's scalar tail.
import { EXP2_J, EXP2_POLY, LOG2_C, LOG2_POLY } from './pow-tables.ts';

/**
 * Layout of a table (float64 slots; the kernel reads constants as pairs of equal values). Scalars
 * at 2 x slot; then LOG_ENTRIES entries of [1/c, 256 y log2 c as hi, lo, 0] from POW_LOG and
 * EXP_ENTRIES entries of [2^(j/256) hi, lo] from POW_EXP.
 */
export const P_Y1 = 0; // 256 y1, y1: y's first 40 significant bits
export const P_Y2 = 1; // 256 (y - y1)
export const P_L = 2; // 5 slots: log polynomial times 256 y
export const P_E = 7; // 4 slots: exp polynomial
export const P_MAGIC = 11; // 1.5 x 2^52: adding and subtracting it rounds to an integer
export const P_FRAC = 12; // bits 0x000fffffffffffff
export const P_ONE = 13; // 1.0
export const P_HALF = 14; // bits 2^43: half a step of 1/256 in m
export const P_CMASK = 15; // bits 0xfffff00000000000
export const P_EMAGIC = 16; // bits 0x4330000000000000 (2^52)
export const P_KBIAS = 17; // 2^52 + 1023
export const P_MIN = 18; // smallest normal double
export const P_INF = 19; // Infinity
export const P_KDLO = 20; // smallest kd with a normal result by the exponent addition
export const P_KDHI = 21; // largest
export const P_EXPO = 22; // bits 0xfff0000000000000
export const P_Y = 23; // y
export const POW_LOG = 48;
export const LOG_ENTRIES = 257;
export const POW_EXP = POW_LOG + 4 * LOG_ENTRIES;
export const EXP_ENTRIES = 256;
/** Slots of a table (float64). */
export const POW_SLOTS = POW_EXP + 2 * EXP_ENTRIES;

const MAGIC = 6755399441055744;
const MIN_NORMAL = 2.2250738585072014e-308;
const KD_LO = -1021 * 256;
const KD_HI = 1024 * 256 - 1;
const TWO64 = 18446744073709551616;
/** Largest |y| (the fitted b is near 1; larger y would need more of y in the exact part). */
export const POW_MAX_Y = 64;

const word = new Float64Array(1);
const half = new Int32Array(word.buffer); // [low, high] on the little-endian machines JS runs on
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('umap-pow: a big-endian machine is not supported');

/** Dekker's exact product: [a b rounded, the rest]. */
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const sa = 134217729 * a;
  const ah = sa - (sa - a);
  const al = a - ah;
  const sb = 134217729 * b;
  const bh = sb - (sb - b);
  const bl = b - bh;
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}

/** What does not depend on y: the constants, 1/c and the 2^(j/256) table. */
let template: Float64Array | null = null;

function baseTable(): Float64Array {
  if (template) return template;
  const t = new Float64Array(POW_SLOTS);
  const bits = new Uint32Array(t.buffer);
  const set = (slot: number, v: number) => t.fill(v, 2 * slot, 2 * slot + 2);
  const setBits = (slot: number, hi: number, lo: number) => {
    bits[4 * slot] = bits[4 * slot + 2] = lo;
    bits[4 * slot + 1] = bits[4 * slot + 3] = hi;
  };
  EXP2_POLY.forEach((c, n) => set(P_E + n, c));
  set(P_MAGIC, MAGIC);
  setBits(P_FRAC, 0x000fffff, 0xffffffff);
  set(P_ONE, 1);
  setBits(P_HALF, 0x00000800, 0);
  setBits(P_CMASK, 0xfffff000, 0);
  setBits(P_EMAGIC, 0x43300000, 0);
  set(P_KBIAS, 2 ** 52 + 1023);
  set(P_MIN, MIN_NORMAL);
  set(P_INF, Infinity);
  set(P_KDLO, KD_LO);
  set(P_KDHI, KD_HI);
  setBits(P_EXPO, 0xfff00000, 0);
  for (let i = 0; i < LOG_ENTRIES; i++) t[POW_LOG + 4 * i] = 1 / (1 + i / 256);
  t.set(EXP2_J, POW_EXP);
  return (template = t);
}

/** The table umapPow and the kernel's powLanes read for exponent y (|y| <= POW_MAX_Y). */
export function umapPowTable(y: number): Float64Array {
  if (!(Math.abs(y) <= POW_MAX_Y)) throw new RangeError(`umap: the exponent b = ${y} is outside [-${POW_MAX_Y}, ${POW_MAX_Y}] (min_dist and spread give b near 1)`);
  const t = Float64Array.from(baseTable());
  const set = (slot: number, v: number) => {
    t[2 * slot] = t[2 * slot + 1] = v;
  };
  word[0] = y;
  half[0] &= ~0x1fff;
  const y1 = word[0];
  set(P_Y1, 256 * y1);
  set(P_Y2, 256 * (y - y1));
  for (let n = 0; n < LOG2_POLY.length; n++) set(P_L + n, 256 * (y * LOG2_POLY[n]));
  set(P_Y, y);
  for (let i = 0; i < LOG_ENTRIES; i++) {
    const at = POW_LOG + 4 * i;
    // y (hi + lo) as a double-double, times 256.
    const [p, e] = twoProduct(y, LOG2_C[2 * i]);
    const rest = e + y * LOG2_C[2 * i + 1];
    const s = p + rest;
    t[at + 1] = 256 * s;
    t[at + 2] = 256 * (rest - (s - p));
  }
  return t;
}

/** 2^e for e in [-1022, 1023]. */
function pow2(e: number): number {
  half[0] = 0;
  half[1] = (e + 1023) << 20;
  return word[0];
}

/** x^y, y the table's exponent. Any x; the epoch's are its squared distances, > 0 and finite. */
export function umapPow(x: number, t: Float64Array): number {
  let k: number;
  let hi: number;
  if (x >= MIN_NORMAL && x < Infinity) {
    word[0] = x;
    hi = half[1];
    k = (hi >>> 20) - 1023;
  } else if (x > 0 && x < MIN_NORMAL) {
    word[0] = x * TWO64;
    hi = half[1];
    k = (hi >>> 20) - 1087;
  } else {
    const y = t[2 * P_Y];
    if (x === 0) return y > 0 ? 0 : y < 0 ? Infinity : 1;
    if (x === Infinity) return y > 0 ? Infinity : y < 0 ? 0 : 1;
    return NaN;
  }
  half[1] = (hi & 0xfffff) | 0x3ff00000;
  const m = word[0];
  const i = ((hi & 0xfffff) + 0x800) >> 12;
  const c = 1 + i / 256;
  const e = POW_LOG + 4 * i;
  const r = (m - c) * t[e];
  const p = r * (t[2 * P_L] + r * (t[2 * P_L + 2] + r * (t[2 * P_L + 4] + r * (t[2 * P_L + 6] + r * t[2 * P_L + 8]))));
  const a = k * t[2 * P_Y1];
  const kd = a + (t[e + 1] + p) + MAGIC - MAGIC;
  const g = ((a - kd) + t[e + 1]) + (p + (k * t[2 * P_Y2] + t[e + 2]));
  const q = g * (t[2 * P_E] + g * (t[2 * P_E + 2] + g * (t[2 * P_E + 4] + g * t[2 * P_E + 6])));
  const j = POW_EXP + 2 * (kd & 255);
  const res = t[j] + (t[j] * q + t[j + 1]);
  const n = kd >> 8;
  if (kd >= KD_LO && kd <= KD_HI) {
    word[0] = res;
    half[1] += n << 20;
    return word[0];
  }
  // Over- or underflow: two exact scalings at most, then one rounding.
  if (n > 0) return res * pow2(1023) * pow2(Math.min(n - 1023, 1023));
  return res * pow2(Math.max(n, -1100) + 100) * pow2(-100);
}

let unit: Float64Array | null = null;

/** ln x for x > 0 finite, from the y = 1 table (within a few ulp; for findAB's fit). */
export function umapLn(x: number): number {
  if (!(x > 0 && x < Infinity)) return x === 0 ? -Infinity : x === Infinity ? x : NaN;
  const t = (unit ??= umapPowTable(1));
  const subnormal = x < MIN_NORMAL;
  word[0] = subnormal ? x * TWO64 : x;
  const hi = half[1];
  const k = (hi >>> 20) - (subnormal ? 1087 : 1023);
  half[1] = (hi & 0xfffff) | 0x3ff00000;
  const m = word[0];
  const i = ((hi & 0xfffff) + 0x800) >> 12;
  const e = POW_LOG + 4 * i;
  const r = (m - (1 + i / 256)) * t[e];
  const p = r * (t[2 * P_L] + r * (t[2 * P_L + 2] + r * (t[2 * P_L + 4] + r * (t[2 * P_L + 6] + r * t[2 * P_L + 8]))));
  return ((256 * k + t[e + 1]) + (p + t[e + 2])) * (Math.LN2 / 256);
}

/** e^v for |v| <= 44 (findAB's target curve), as 2^(v log2 e) by umapPow. */
export function umapExp(v: number): number {
  return umapPow(2, umapPowTable(v * Math.LOG2E));
}
