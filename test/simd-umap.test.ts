// The WebAssembly SIMD kernels against the JavaScript they replace. pow: V8's fdlibm pow (Math.pow
// in Node 20 and 22) in the kernel's scalar and two-lane paths, at the edges of every branch. The
// UMAP epoch: the JS epoch's bits on graphs that take each path of the kernel (batches that end
// inside a point, points at distance 0, the scalar pow for special exponents). Where the engine's
// Math.pow is not fdlibm's (V8 13.6 and later use the C library's), the JS layout is only close.
import { describe, expect, it } from 'vitest';
import type { SparseGraph } from '../src/analysis/connectivities.ts';
import { fuzzyConnectivities } from '../src/analysis/connectivities.ts';
import { exactKnn } from '../src/analysis/knn.ts';
import { SimdLayout, simdKernels, simdMemory, simdSupported } from '../src/analysis/simd.ts';
import { findAB, planUmap, umapCpu, type UmapPlan } from '../src/analysis/umap.ts';
import { mulberry32 } from '../src/model/random.ts';

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
/** Whether Math.pow here is V8's fdlibm (a value where it and a correctly rounded pow differ). */
const fdlibmMathPow = Math.pow(9.486154616717414, 1.3341669924545) === 20.118773077386535;

function expectSameLayout(wasm: Float32Array, js: Float32Array): void {
  if (fdlibmMathPow) {
    expect(bytes(wasm).equals(bytes(js))).toBe(true);
    return;
  }
  let worst = 0;
  for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(wasm[i] - js[i]));
  console.log(`Math.pow is not fdlibm's here: largest coordinate difference WASM vs JS ${worst}`);
  expect(worst).toBeLessThan(1e-2);
}

/** Inputs at the edges of pow's branches, and ordinary ones. */
function powInputs(ys: number[]): Float64Array {
  const r = mulberry32(11);
  const xs: number[] = [0, -0, 1, -1, 2, 0.5, Infinity, -Infinity, NaN, 5e-324, 2.225073858507201e-308, 2.2250738585072014e-308, 1.7976931348623157e308, 1 + 2 ** -52, 1 - 2 ** -53, -2.5, -3, 1e-300, 1e300];
  const word = new Float64Array(1);
  const hi = new Uint32Array(word.buffer);
  // High mantissa words on each side of the interval bounds (0x3988e, 0xbb67a), random exponents and low words.
  for (const j of [0, 1, 0x3988d, 0x3988e, 0x3988f, 0xbb679, 0xbb67a, 0xbb67b, 0xfffff]) {
    for (let t = 0; t < 40; t++) {
      hi[1] = (((900 + Math.floor(r() * 250)) << 20) | j) >>> 0;
      hi[0] = Math.floor(r() * 2 ** 32);
      xs.push(word[0]);
    }
  }
  for (const y of ys) {
    if (!Number.isFinite(y) || y === 0) continue;
    // y log2 x near half-integers (the rounding to n) and near over-/underflow and subnormal results.
    for (const z of [0.5, 1.5, -0.5, -2.5, 7.5, 1023.5, 1024, -1021.5, -1022, -1060, -1074.5, -1075, -1080]) {
      const x = 2 ** (z / y);
      if (!(x > 0 && Number.isFinite(x))) continue;
      for (let u = -3; u <= 3; u++) xs.push(x * (1 + u * 2 ** -52));
    }
  }
  for (let t = 0; t < 20000; t++) xs.push(Math.exp((r() - 0.5) * 60));
  for (let t = 0; t < 2000; t++) xs.push(Math.exp((r() - 0.5) * 1500));
  return Float64Array.from(xs);
}

describe.runIf(simdSupported())('WebAssembly SIMD kernels', () => {
  it('pow: scalar and two-lane paths give V8 fdlibm bits, special cases included', async () => {
    const { a, b } = findAB(1, 0.5);
    const t = findAB(1, 0.1);
    const ys = [b, b - 1, t.b, t.b - 1, a, 2, 0.5, 1, -1, 0, -0, 3, 1.5, 0.25, -2.5, 1e10, 2 ** 31 + 0.5, 2 ** 65, 700.3, -800.7, NaN, Infinity, -Infinity];
    const x = powInputs(ys);
    const m = x.length + 2;
    const layout = new SimdLayout();
    const src = layout.take(m, 8);
    const outA = layout.take(m, 8);
    const outB = layout.take(m, 8);
    const memory = simdMemory(layout.bytes + 4096, false);
    const k = await simdKernels(memory);
    const table = layout.take(k.powTableBytes(), 1);
    memory.grow(1);
    new Float64Array(memory.buffer, src, x.length).set(x);
    const same = (p: number, q: number) => Object.is(p, q) || (Number.isNaN(p) && Number.isNaN(q));
    let checked = 0;
    for (const [i, y] of ys.entries()) {
      const y2 = ys[(i + 1) % ys.length];
      k.powPairs(src, outA, x.length, y, table);
      const vec = new Float64Array(memory.buffer, outA, x.length).slice();
      k.powPairs2(src, outA, outB, x.length, y, y2, table);
      const both = [new Float64Array(memory.buffer, outA, x.length).slice(), new Float64Array(memory.buffer, outB, x.length).slice()];
      for (let t = 0; t < x.length; t++) {
        const s = k.powScalar(x[t], y);
        const bad = !same(vec[t], s) || !same(both[0][t], s) || !same(both[1][t], k.powScalar(x[t], y2)) || (fdlibmMathPow && !same(s, Math.pow(x[t], y)));
        if (bad) throw new Error(`pow(${x[t]}, ${y}): scalar ${s}, lanes ${vec[t]}, paired ${both[0][t]}, Math.pow ${Math.pow(x[t], y)}`);
        checked++;
      }
    }
    expect(checked).toBe(x.length * ys.length);
  });

  it('UMAP epochs: the JS epoch bits on a clustered kNN graph (several seeds and sample rates)', async () => {
    const r = mulberry32(5);
    const n = 2500;
    const d = 6;
    const centres = Array.from({ length: 5 * d }, () => r() * 8);
    const x = Float32Array.from({ length: n * d }, (_, t) => centres[(Math.floor(t / d) % 5) * d + (t % d)] + r() - 0.5);
    const graph = fuzzyConnectivities(exactKnn(x, n, d, 12), n);
    for (const [seed, negativeSampleRate, minDist] of [[0, 5, 0.5], [7, 3, 0.1], [123456789, 1.7, 0.3]] as const) {
      const plan = await planUmap(graph, x, d, { seed, nEpochs: 25, negativeSampleRate, minDist });
      expectSameLayout(await umapCpu(plan, { engine: 'wasm' }), await umapCpu(plan, { engine: 'js' }));
    }
  });

  it('UMAP epochs: a hub whose terms span many batches, points at distance 0, special exponents', async () => {
    // Point 0 is joined to every other point with the top weight: its terms each epoch (~6 per
    // edge) overflow the kernel's batch many times. Points 1..40 sit on top of each other.
    const n = 1500;
    const r = mulberry32(3);
    const rows: number[][] = Array.from({ length: n }, () => []);
    const w: number[][] = Array.from({ length: n }, () => []);
    const link = (i: number, j: number, v: number) => {
      rows[i].push(j);
      w[i].push(v);
      rows[j].push(i);
      w[j].push(v);
    };
    for (let j = 1; j < n; j++) link(0, j, 1);
    for (let j = 1; j < n - 1; j++) link(j, j + 1, 0.2 + 0.8 * r());
    const indptr = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) indptr[i + 1] = indptr[i] + rows[i].length;
    const graph: SparseGraph = { n, indptr, indices: Int32Array.from(rows.flat()), data: Float32Array.from(w.flat()) };
    const coords = Float32Array.from({ length: 2 * n }, () => r() * 20 - 10);
    const plan = await planUmap(graph, coords, 2, { seed: 9, nEpochs: 12 });
    const init = Float32Array.from(plan.init);
    for (let i = 1; i <= 40; i++) init.set([1.25, -0.5], 2 * i);
    const base: UmapPlan = { ...plan, init };
    // b as fitted, and b for which b or b - 1 is 1, 2, 0.5 or 0 (pow's special cases, the scalar path).
    for (const b of [plan.b, 1, 2, 1.5, 3, 0.5]) {
      const p = { ...base, b };
      expectSameLayout(await umapCpu(p, { engine: 'wasm' }), await umapCpu(p, { engine: 'js' }));
    }
  });
});
