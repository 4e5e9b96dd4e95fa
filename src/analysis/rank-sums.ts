// Wilcoxon rank sums per group for one gene: its non-zero values sorted by a radix sort on their
// float32 bit patterns (for positive floats the bits order as the numbers do, and equal bits are
// equal numbers), then one pass giving each run of ties its average rank. Ranks are half-integers
// and every partial sum stays far below 2^53, so the sums are exact: the same bits whatever the
// order the ranks are added in. This replaced a comparison sort of per-value objects (the
// markers' largest cost, about 6.5 s of the 30k-cell pipeline on one thread).
import { KERNELS_PRIVATE } from './simd-bytes.ts';
import { growTo, SimdLayout, simdSupported } from './simd.ts';

/** Sorts (key, payload) pairs by key, ascending; buffers reused from one gene to the next. */
export class PairSorter {
  /** Fill [0, m) of these, then sort(m); the result is in sortedKeys / sortedPayload. */
  keys: Uint32Array;
  payload: Int32Array;
  sortedKeys: Uint32Array;
  sortedPayload: Int32Array;
  private keys2: Uint32Array;
  private payload2: Int32Array;
  private readonly counts = new Int32Array(4 * 256);

  constructor(capacity: number) {
    this.keys = new Uint32Array(capacity);
    this.payload = new Int32Array(capacity);
    this.keys2 = new Uint32Array(capacity);
    this.payload2 = new Int32Array(capacity);
    this.sortedKeys = this.keys;
    this.sortedPayload = this.payload;
  }

  /** Room for m pairs (contents not kept). */
  reserve(m: number): void {
    if (m <= this.keys.length) return;
    const c = Math.max(m, 2 * this.keys.length);
    this.keys = new Uint32Array(c);
    this.payload = new Int32Array(c);
    this.keys2 = new Uint32Array(c);
    this.payload2 = new Int32Array(c);
  }

  sort(m: number): void {
    const keys = this.keys;
    const payload = this.payload;
    this.sortedKeys = keys;
    this.sortedPayload = payload;
    if (m <= 32) {
      // Insertion sort: below a few dozen pairs the radix passes' 256-bucket prefixes cost more.
      for (let i = 1; i < m; i++) {
        const k = keys[i];
        const p = payload[i];
        let j = i - 1;
        while (j >= 0 && keys[j] > k) {
          keys[j + 1] = keys[j];
          payload[j + 1] = payload[j];
          j--;
        }
        keys[j + 1] = k;
        payload[j + 1] = p;
      }
      return;
    }
    // LSD radix, four 8-bit digits; all four histograms in one read, and a digit every key shares is skipped.
    const counts = this.counts;
    counts.fill(0);
    for (let i = 0; i < m; i++) {
      const k = keys[i];
      counts[k & 255]++;
      counts[256 + ((k >>> 8) & 255)]++;
      counts[512 + ((k >>> 16) & 255)]++;
      counts[768 + (k >>> 24)]++;
    }
    let src = keys;
    let srcP = payload;
    let dst = this.keys2;
    let dstP = this.payload2;
    for (let pass = 0; pass < 4; pass++) {
      const base = pass * 256;
      const shift = pass * 8;
      if (counts[base + ((keys[0] >>> shift) & 255)] === m) continue;
      for (let b = 0, sum = 0; b < 256; b++) {
        const c = counts[base + b];
        counts[base + b] = sum;
        sum += c;
      }
      for (let i = 0; i < m; i++) {
        const k = src[i];
        const at = counts[base + ((k >>> shift) & 255)]++;
        dst[at] = k;
        dstP[at] = srcP[i];
      }
      const tk = src;
      src = dst;
      dst = tk;
      const tp = srcP;
      srcP = dstP;
      dstP = tp;
    }
    this.sortedKeys = src;
    this.sortedPayload = srcP;
  }
}

/**
 * Adds each sorted key's average rank (ties share the mean of their positions, 1-based, after
 * `before` smaller values) to the rank sum of its group.
 */
export function addAverageRanks(keys: Uint32Array, groups: Int32Array, m: number, before: number, rankSum: Float64Array): void {
  for (let i = 0; i < m; ) {
    const k = keys[i];
    let j = i + 1;
    while (j < m && keys[j] === k) j++;
    const rank = before + (i + 1 + j) / 2;
    for (let t = i; t < j; t++) rankSum[groups[t]] += rank;
    i = j;
  }
}

/** wasm/ranks.ts's rankSums: byte offsets into the ranker's memory. */
type RankSumsKernel = (keys: number, groups: number, keys2: number, groups2: number, counts: number, m: number, before: number, rankSum: number) => void;

/**
 * The same sort and ranks in the WebAssembly kernels (wasm/ranks.ts), about twice as fast: fill
 * keys / groups [0, m), then add(m, before) adds to rankSum. One per thread, memory grown as needed.
 */
export class WasmRanker {
  keys = new Uint32Array(0);
  groups = new Int32Array(0);
  rankSum = new Float64Array(0);
  private capacity = -1;
  private nGroups = -1;
  private at = { keys: 0, groups: 0, keys2: 0, groups2: 0, counts: 0, rankSum: 0 };

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly kernel: RankSumsKernel,
  ) {}

  /** Room for m values of G groups (views remade; contents not kept). */
  reserve(m: number, G: number): void {
    if (m <= this.capacity && G === this.nGroups) return;
    // Only more values grow the buffers (doubling); a new group count alone keeps their size.
    const words = m <= this.capacity ? this.capacity : Math.max(m, 2 * Math.max(0, this.capacity));
    const layout = new SimdLayout();
    this.at = { keys: layout.take(words, 4), groups: layout.take(words, 4), keys2: layout.take(words, 4), groups2: layout.take(words, 4), counts: layout.take(1024, 4), rankSum: layout.take(G, 8) };
    growTo(this.memory, layout.bytes);
    const buf = this.memory.buffer;
    this.keys = new Uint32Array(buf, this.at.keys, words);
    this.groups = new Int32Array(buf, this.at.groups, words);
    this.rankSum = new Float64Array(buf, this.at.rankSum, G);
    this.capacity = words;
    this.nGroups = G;
  }

  add(m: number, before: number): void {
    const a = this.at;
    this.kernel(a.keys, a.groups, a.keys2, a.groups2, a.counts, m, before, a.rankSum);
  }
}

let ranker: WasmRanker | null | undefined;

/**
 * This thread's WasmRanker, or null where the kernels cannot run (no WebAssembly SIMD, or an
 * engine that refuses to compile them synchronously: a browser's main thread).
 */
export function wasmRanker(): WasmRanker | null {
  if (ranker === undefined) {
    ranker = null;
    try {
      if (simdSupported()) {
        const memory = new WebAssembly.Memory({ initial: 1 });
        const module = new WebAssembly.Module(Uint8Array.from(atob(KERNELS_PRIVATE), (c) => c.charCodeAt(0)));
        const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as { rankSums: RankSumsKernel };
        ranker = new WasmRanker(memory, exports.rankSums);
      }
    } catch {
      ranker = null;
    }
  }
  return ranker;
}
