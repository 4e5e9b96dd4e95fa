// The Wilcoxon markers' radix sort and one-pass average ranks against plain references: a
// comparison sort with average ties, and the per-value-object algorithm the markers used before
// (its statistics must come out bit for bit the same).
import { describe, expect, it } from 'vitest';
import { erfc, markerStats } from '../src/analysis/markers.ts';
import { addAverageRanks, PairSorter, wasmRanker } from '../src/analysis/rank-sums.ts';
import type { CsrArrays } from '../src/io/csr.ts';
import { mulberry32 } from '../src/model/random.ts';

const f32bits = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0];

/** Rank sums per group by a comparison sort of the numbers, ties averaged (1-based, after `before`). */
function referenceRankSums(values: number[], groups: number[], G: number, before: number): Float64Array {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const sums = new Float64Array(G);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && values[order[j]] === values[order[i]]) j++;
    for (let t = i; t < j; t++) sums[groups[order[t]]] += before + (i + 1 + j) / 2;
    i = j;
  }
  return sums;
}

describe('radix sort of float32 bit patterns and average ranks', () => {
  const rng = mulberry32(7);
  const cases: [string, () => number][] = [
    ['heavy ties (5 levels)', () => Math.log1p(1 + Math.floor(rng() * 5))],
    ['all equal', () => 2.5],
    ['magnitudes from 1e-30 to 1e30', () => Math.exp((rng() - 0.5) * 138)],
    ['log-normalised-like', () => Math.log1p(Math.floor(rng() * 40 + 1) * (1 + rng()))],
  ];
  const sorter = new PairSorter(4);
  for (const [name, draw] of cases) {
    it.each([0, 1, 2, 31, 32, 33, 257, 5000])(`${name}: %i values`, (m) => {
      const values = Array.from({ length: m }, () => Math.fround(draw()));
      const groups = values.map(() => Math.floor(rng() * 4));
      sorter.reserve(m);
      values.forEach((v, i) => {
        sorter.keys[i] = f32bits(v);
        sorter.payload[i] = groups[i];
      });
      sorter.sort(m);
      const keys = Array.from(sorter.sortedKeys.subarray(0, m));
      for (let i = 1; i < m; i++) expect(keys[i - 1] <= keys[i]).toBe(true);
      // The same (value, group) pairs, only reordered.
      const pairs = (k: number[], g: ArrayLike<number>) => k.map((x, i) => `${x}:${g[i]}`).sort();
      expect(pairs(keys, sorter.sortedPayload)).toEqual(pairs(values.map(f32bits), groups));
      const zeros = 17;
      const sums = new Float64Array(4);
      addAverageRanks(sorter.sortedKeys, sorter.sortedPayload, m, zeros, sums);
      const want = Array.from(referenceRankSums(values, groups, 4, zeros));
      expect(Array.from(sums)).toEqual(want);
      // The WebAssembly kernel (Node runs it): the same sums, added to what its sums held.
      const wasm = wasmRanker()!;
      wasm.reserve(m, 4);
      values.forEach((v, i) => {
        wasm.keys[i] = f32bits(v);
        wasm.groups[i] = groups[i];
      });
      wasm.rankSum.set([1.5, 0, 2, 0]);
      wasm.add(m, zeros);
      expect(Array.from(wasm.rankSum)).toEqual(want.map((x, g) => x + [1.5, 0, 2, 0][g]));
    });
  }
});

/** markerStats' Wilcoxon as it was computed before the radix sort: objects sorted by value. */
function referenceWilcoxon(m: CsrArrays, codes: Int32Array, G: number) {
  const cells = Array.from(codes.keys()).filter((i) => codes[i] >= 0);
  const n = cells.length;
  const nPer = new Float64Array(G);
  for (const i of cells) nPer[codes[i]]++;
  const columns: { cell: number; v: number }[][] = Array.from({ length: m.nCols }, () => []);
  for (const i of cells) for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) columns[m.indices[k]].push({ cell: i, v: m.data[k] });
  const out = { scores: [] as number[][], pvals: [] as number[][], lfc: [] as number[][], pctIn: [] as number[][], pctOut: [] as number[][] };
  for (let g = 0; g < G; g++) for (const key of Object.keys(out) as (keyof typeof out)[]) out[key][g] = [];
  for (const col of columns) {
    const vals = col.filter((x) => x.v !== 0).map((x) => ({ v: x.v, g: codes[x.cell] }));
    const rankSum = new Float64Array(G);
    const valueSum = new Float64Array(G);
    const nz = new Float64Array(G);
    let total = 0;
    for (const x of vals) {
      valueSum[x.g] += x.v;
      nz[x.g]++;
      total += x.v;
    }
    const zeros = n - vals.length;
    for (let g = 0; g < G; g++) rankSum[g] = ((nPer[g] - nz[g]) * (zeros + 1)) / 2;
    const sums = referenceRankSums(vals.map((x) => x.v), vals.map((x) => x.g), G, zeros);
    for (let g = 0; g < G; g++) {
      rankSum[g] += sums[g];
      const n1 = nPer[g];
      const n2 = n - n1;
      const sd = Math.sqrt((n1 * n2 * (n + 1)) / 12);
      const z = sd > 0 ? (rankSum[g] - (n1 * (n + 1)) / 2) / sd : 0;
      out.scores[g].push(z);
      out.pvals[g].push(erfc(Math.abs(z) / Math.SQRT2));
      out.lfc[g].push(Math.log2((Math.expm1(n1 > 0 ? valueSum[g] / n1 : 0) + 1e-9) / (Math.expm1(n2 > 0 ? (total - valueSum[g]) / n2 : 0) + 1e-9)));
      out.pctIn[g].push(n1 > 0 ? nz[g] / n1 : 0);
      out.pctOut[g].push(n2 > 0 ? (vals.length - nz[g]) / n2 : 0);
    }
  }
  return out;
}

describe('Wilcoxon markers against the comparison-sort algorithm', () => {
  it.each(['float32', 'float64'] as const)('bit for bit: ties, all-zero genes, a gene non-zero everywhere, cells in no group (%s values)', (kind) => {
    const rng = mulberry32(3);
    const n = 300;
    const p = 40;
    const G = 4;
    const codes = Int32Array.from({ length: n }, (_, i) => (i % 37 === 5 ? -1 : Math.floor(rng() * G)));
    const indptr = new Float64Array(n + 1);
    const idx: number[] = [];
    const val: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        // Gene 0 and 1: never expressed; gene 2: everywhere; gene 3: a stored explicit zero now and then.
        const density = j < 2 ? 0 : j === 2 ? 1 : 0.05 + (j % 4 === Math.max(0, codes[i]) ? 0.5 : 0.1);
        if (rng() < density) {
          idx.push(j);
          const v = j === 3 && rng() < 0.3 ? 0 : j % 2 ? Math.log1p(1 + Math.floor(rng() * 4)) : Math.log1p(rng() * 50);
          val.push(kind === 'float64' ? v * (1 + 1e-12) : Math.fround(v));
        }
      }
      indptr[i + 1] = idx.length;
    }
    const m: CsrArrays = { nRows: n, nCols: p, indptr, indices: Uint32Array.from(idx), data: kind === 'float64' ? Float64Array.from(val) : Float32Array.from(val) };
    const ref = referenceWilcoxon(m, codes, G);
    for (const engine of ['js', 'wasm'] as const) {
    const st = markerStats('wilcoxon', m, codes, G, engine);
    for (let g = 0; g < G; g++) {
      expect(Array.from(st.scores[g])).toEqual(ref.scores[g]);
      expect(Array.from(st.pvals[g])).toEqual(ref.pvals[g]);
      expect(Array.from(st.logFoldChanges[g])).toEqual(ref.lfc[g]);
      expect(Array.from(st.pctIn[g])).toEqual(ref.pctIn[g]);
      expect(Array.from(st.pctOut[g])).toEqual(ref.pctOut[g]);
      // The never-expressed genes: every cell tied at rank (n + 1) / 2, z = 0.
      expect(st.scores[g][0]).toBe(0);
      expect(st.scores[g][1]).toBe(0);
    }
    }
  });
});

describe('WasmRanker.reserve', () => {
  it('keeps its capacity when only the number of groups changes (no doubling per call)', () => {
    const wasm = wasmRanker()!;
    wasm.reserve(1000, 3);
    const cap = wasm.keys.length;
    const pages = (wasm as unknown as { memory: WebAssembly.Memory }).memory.buffer.byteLength;
    // Marker runs over different groupings (clusters, then cell types, then clusters, ...).
    for (let r = 0; r < 30; r++) wasm.reserve(1000, 3 + (r % 2));
    expect(wasm.keys.length).toBe(cap);
    expect(wasm.groups.length).toBe(cap);
    expect((wasm as unknown as { memory: WebAssembly.Memory }).memory.buffer.byteLength).toBeLessThanOrEqual(pages + 65536);
    // And it still grows for more values than it holds.
    wasm.reserve(cap + 1, 4);
    expect(wasm.keys.length).toBeGreaterThan(cap);
    expect(wasm.rankSum.length).toBe(4);
  });
});
