// The WebAssembly SIMD kernels against the JavaScript they replace. pow: umapPow (umap-pow.ts) in
// the kernel's scalar and two-lane paths, on the inputs at the edges of every branch. The UMAP
// epoch: the JS epoch's bits on graphs that take each path of the kernel (batches that end inside
// a point, points at distance 0, exponents for which the scalar tail runs).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SparseGraph } from '../src/analysis/connectivities.ts';
import { fuzzyConnectivities } from '../src/analysis/connectivities.ts';
import { exactKnn } from '../src/analysis/knn.ts';
import { SimdLayout, simdKernels, simdMemory, simdSupported } from '../src/analysis/simd.ts';
import { findAB, planUmap, umapCpu, type UmapPlan } from '../src/analysis/umap.ts';
import { POW_SLOTS, umapPow, umapPowTable } from '../src/analysis/umap-pow.ts';
import { mulberry32 } from '../src/model/random.ts';

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function expectSameLayout(wasm: Float32Array, js: Float32Array): void {
  expect(bytes(wasm).equals(bytes(js))).toBe(true);
}

/** Inputs at the edges of pow's branches (and the reference file's), and ordinary ones. */
function powInputs(ys: number[]): Float64Array {
  const r = mulberry32(11);
  const xs: number[] = [0, -0, 1, -1, 2, 0.5, Infinity, -Infinity, NaN, 5e-324, 2.225073858507201e-308, 2.2250738585072014e-308, 1.7976931348623157e308, 1 + 2 ** -52, 1 - 2 ** -53, -2.5, 1e-300, 1e300];
  const ref = readFileSync(new URL('./fixtures/umap-pow/reference.bin', import.meta.url));
  const rows = new Float64Array(ref.buffer, ref.byteOffset, ref.byteLength / 8);
  for (let t = 0; t < rows.length; t += 4) xs.push(rows[t]);
  const word = new Float64Array(1);
  const hi = new Uint32Array(word.buffer);
  // High mantissa words on each side of where m rounds to the next multiple of 1/256.
  for (const j of [0, 1, 0x7ff, 0x800, 0x801, 0xfff, 0x1000, 0xff7ff, 0xff800, 0xfffff]) {
    for (let t = 0; t < 20; t++) {
      hi[1] = (((700 + Math.floor(r() * 650)) << 20) | j) >>> 0;
      hi[0] = Math.floor(r() * 2 ** 32);
      xs.push(word[0]);
    }
  }
  for (const y of ys) {
    if (y === 0) continue;
    // y log2 x near the over- and underflow thresholds and in the subnormal range.
    for (const z of [1023.99, 1024, 1024.01, -1020.99, -1021, -1021.01, -1022, -1060, -1074.5, -1075, -1080]) {
      const x = 2 ** (z / y);
      if (!(x > 0 && Number.isFinite(x))) continue;
      for (let u = -3; u <= 3; u++) xs.push(x * (1 + u * 2 ** -52));
    }
  }
  for (let t = 0; t < 20000; t++) xs.push(2 ** ((r() - 0.5) * 120));
  for (let t = 0; t < 2000; t++) xs.push(2 ** ((r() - 0.5) * 2100));
  return Float64Array.from(xs);
}

describe.runIf(simdSupported())('WebAssembly SIMD kernels', () => {
  it('pow: the scalar and two-lane paths give umapPow\'s bits, special cases included', async () => {
    const { b } = findAB(1, 0.5);
    const t = findAB(1, 0.1);
    const ys = [b, b - 1, t.b, 0, 1, 2, 3, 0.5, -1, 1.5, 0.25, -2.5, 7.3, 63.9, -64];
    const x = powInputs(ys);
    const m = x.length + 2;
    const layout = new SimdLayout();
    const src = layout.take(m, 8);
    const out = layout.take(m, 8);
    const table = layout.take(POW_SLOTS, 8);
    const memory = simdMemory(layout.bytes, false);
    const k = await simdKernels(memory);
    new Float64Array(memory.buffer, src, x.length).set(x);
    let checked = 0;
    for (const y of ys) {
      const tab = umapPowTable(y);
      new Float64Array(memory.buffer, table, POW_SLOTS).set(tab);
      k.powPairs(src, out, x.length, table);
      const lanes = new Float64Array(memory.buffer, out, x.length).slice();
      for (let i = 0; i < x.length; i++) {
        const js = umapPow(x[i], tab);
        const s = k.powScalar(x[i], table);
        if (!Object.is(s, js) || !Object.is(lanes[i], js)) throw new Error(`pow(${x[i]}, ${y}): umapPow ${js}, kernel scalar ${s}, lanes ${lanes[i]}`);
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
    // b as fitted, and round exponents (b = 0: every pow is exactly 1).
    for (const b of [plan.b, 1, 2, 1.5, 3, 0.5, 0]) {
      const p = { ...base, b };
      expectSameLayout(await umapCpu(p, { engine: 'wasm' }), await umapCpu(p, { engine: 'js' }));
    }
  });
});
