// The UMAP epoch's pow (umap-pow.ts) against correctly rounded values (mpmath at 200 bits,
// test/fixtures/umap-pow/reference.bin, made by scripts/pow-tables.py) and against Math.pow over
// the squared distances an epoch sees; exact results where pow has them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findAB } from '../src/analysis/umap.ts';
import { umapExp, umapLn, umapPow, umapPowTable } from '../src/analysis/umap-pow.ts';
import { mulberry32 } from '../src/model/random.ts';

const word = new Float64Array(1);
const half = new Uint32Array(word.buffer);

/** Spacing of the doubles at |v| (v finite, not 0): the reference's unit. */
function spacing(v: number): number {
  word[0] = Math.abs(v);
  const e = half[1] >>> 20;
  return e === 0 ? 5e-324 : 2 ** (e - 1075);
}

/** Doubles between a and b (same sign, finite). */
function ulpsApart(a: number, b: number): number {
  word[0] = a;
  const [la, ha] = [half[0], half[1]];
  word[0] = b;
  return Math.abs((ha - half[1]) * 2 ** 32 + (la - half[0]));
}

describe('umapPow', () => {
  it('is within 0.54 ulp of the true x^y (|y| <= 3, normal results) and within 1 ulp everywhere else', () => {
    const buf = readFileSync(new URL('./fixtures/umap-pow/reference.bin', import.meta.url));
    const rows = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
    const tables = new Map<number, Float64Array>();
    let worstNear = 0;
    let worst = 0;
    for (let t = 0; t < rows.length; t += 4) {
      const [x, y, rounded, offset] = [rows[t], rows[t + 1], rows[t + 2], rows[t + 3]];
      let table = tables.get(y);
      if (!table) tables.set(y, (table = umapPowTable(y)));
      const v = umapPow(x, table);
      if (rounded === Infinity || rounded === 0) {
        // Past the largest double, or below half the smallest: exactly that.
        if (v !== rounded) throw new Error(`pow(${x}, ${y}) = ${v}, expected ${rounded}`);
        continue;
      }
      const err = Math.abs((v - rounded) / spacing(rounded) - offset);
      if (!(err < 1)) throw new Error(`pow(${x}, ${y}) = ${v}, true value ${rounded} + ${offset} ulp: ${err.toFixed(3)} ulp off`);
      worst = Math.max(worst, err);
      if (Math.abs(y) <= 3 && rounded >= 2.2250738585072014e-308) worstNear = Math.max(worstNear, err);
    }
    console.log(`umapPow: ${rows.length / 4} reference values, worst ${worst.toFixed(3)} ulp, ${worstNear.toFixed(3)} for |y| <= 3 and normal results`);
    expect(tables.size).toBeGreaterThan(10);
    expect(worstNear).toBeLessThan(0.54);
  });

  it('is at most 1 ulp from Math.pow over the squared distances of an epoch, for the fitted b', () => {
    const r = mulberry32(21);
    for (const [spread, minDist] of [[1, 0.5], [1, 0.1], [2, 1]]) {
      const { b } = findAB(spread, minDist);
      const table = umapPowTable(b);
      let differ = 0;
      for (let t = 0; t < 100_000; t++) {
        // Positions of a layout lie within about +-50: d2 from 1e-12 to 1e4, and down to f32's spacing.
        const x = t % 10 === 0 ? 2 ** (-298 + r() * 300) : 10 ** (-12 + r() * 16);
        const v = umapPow(x, table);
        const m = Math.pow(x, b);
        if (v !== m) differ++;
        if (ulpsApart(v, m) > 1) throw new Error(`pow(${x}, ${b}): umapPow ${v}, Math.pow ${m}`);
      }
      expect(differ).toBeLessThan(30_000);
    }
  });

  it('gives the exact results: x^0 = 1, 1^y = 1, powers of two to integer exponents, and the special inputs', () => {
    const r = mulberry32(4);
    const zero = umapPowTable(0);
    for (let t = 0; t < 1000; t++) expect(umapPow(2 ** ((r() - 0.5) * 2000), zero)).toBe(1);
    for (const y of [1.3341669924545, 0.3341669924545, -0.1, 2, 3, -1, 63.9]) {
      const table = umapPowTable(y);
      expect(umapPow(1, table)).toBe(1);
      expect(umapPow(0, table)).toBe(y > 0 ? 0 : Infinity);
      expect(umapPow(-0, table)).toBe(y > 0 ? 0 : Infinity);
      expect(umapPow(Infinity, table)).toBe(y > 0 ? Infinity : 0);
      expect(umapPow(NaN, table)).toBeNaN();
      expect(umapPow(-2, table)).toBeNaN();
    }
    for (const y of [2, 3, -1]) {
      const table = umapPowTable(y);
      for (let k = -300; k <= 300; k += 7) expect(umapPow(2 ** k, table)).toBe(2 ** (k * y));
    }
    expect(umapPow(3, umapPowTable(2))).toBe(9);
    expect(umapPow(5e-324, umapPowTable(0.5))).toBe(2 ** -537);
    expect(umapPow(2 ** 600, umapPowTable(2))).toBe(Infinity);
    expect(umapPow(2 ** -600, umapPowTable(2))).toBe(0);
  });

  it('ln and exp for findAB: within a few ulp of Math.log and Math.exp', () => {
    const r = mulberry32(8);
    for (let t = 0; t < 20_000; t++) {
      const x = 2 ** ((r() - 0.5) * 40);
      const v = umapLn(x);
      expect(Math.abs(v - Math.log(x))).toBeLessThanOrEqual(4 * spacing(Math.log(x)));
    }
    // findAB's targets: e^z for z in [-3, 0].
    for (let t = 0; t < 2000; t++) {
      const z = -3 * r();
      expect(ulpsApart(umapExp(z), Math.exp(z))).toBeLessThanOrEqual(8);
    }
    expect(umapLn(1)).toBe(0);
    expect(umapExp(0)).toBe(1);
  });

  it('findAB: a and b with the same bits on every engine (no Math.pow, Math.exp or Math.log)', () => {
    // The values this arithmetic gives; umap-learn's (scipy) are 0.583030019995, 1.334166992455.
    expect(findAB(1, 0.5)).toEqual({ a: 0.5830298052618702, b: 1.3341673836084729 });
    expect(findAB(1, 0.1)).toEqual({ a: 1.5769436133740824, b: 0.8950607196001708 });
  });

  it('refuses exponents it was not built for', () => {
    expect(() => umapPowTable(65)).toThrow(/b = 65 is outside/);
    expect(() => umapPowTable(NaN)).toThrow(RangeError);
  });
});
