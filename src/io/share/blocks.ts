// A byte source read in fixed blocks with a bounded LRU cache. The same bookkeeping serves the
// synchronous path (HDF5 in the worker) and the asynchronous one (signature checks, Node), so
// the two cannot disagree about what is cached.

export interface ByteSource {
  readonly size: number;
  readSync(start: number, end: number): Uint8Array;
  read(start: number, end: number): Promise<Uint8Array>;
}

/** Loads blocks first..last (inclusive) and returns them in order. */
export type LoadBlocks<R> = (first: number, last: number) => R;

export class BlockCache implements ByteSource {
  private readonly cache = new Map<number, Uint8Array>();

  constructor(
    readonly size: number,
    readonly blockSize: number,
    private readonly maxBlocks: number,
    private readonly loadSync: LoadBlocks<Uint8Array[]>,
    private readonly loadAsync: LoadBlocks<Promise<Uint8Array[]>>,
  ) {}

  /** Seeds the cache (the probe request that learned the size already holds the first block). */
  put(block: number, bytes: Uint8Array): void {
    this.cache.delete(block);
    this.cache.set(block, bytes);
    while (this.cache.size > this.maxBlocks) this.cache.delete(this.cache.keys().next().value!);
  }

  readSync(start: number, end: number): Uint8Array {
    const plan = this.plan(start, end);
    if (!plan) return new Uint8Array(0);
    const got = new Map<number, Uint8Array>();
    for (const [a, b] of plan.runs) this.loadSync(a, b).forEach((bytes, i) => got.set(a + i, bytes));
    return this.assemble(plan.start, plan.end, got);
  }

  async read(start: number, end: number): Promise<Uint8Array> {
    const plan = this.plan(start, end);
    if (!plan) return new Uint8Array(0);
    const got = new Map<number, Uint8Array>();
    const loaded = await Promise.all(plan.runs.map(([a, b]) => this.loadAsync(a, b)));
    plan.runs.forEach(([a], r) => loaded[r].forEach((bytes, i) => got.set(a + i, bytes)));
    return this.assemble(plan.start, plan.end, got);
  }

  private plan(start: number, end: number): { start: number; end: number; runs: [number, number][] } | null {
    start = Math.max(0, start);
    end = Math.min(end, this.size);
    if (start >= end) return null;
    const first = Math.floor(start / this.blockSize);
    const last = Math.floor((end - 1) / this.blockSize);
    // Contiguous missing blocks become one request: fewer round trips for a large read.
    const runs: [number, number][] = [];
    for (let b = first; b <= last; b++) {
      if (this.cache.has(b)) continue;
      const run = runs[runs.length - 1];
      if (run && run[1] === b - 1) run[1] = b;
      else runs.push([b, b]);
    }
    return { start, end, runs };
  }

  private assemble(start: number, end: number, got: Map<number, Uint8Array>): Uint8Array {
    const out = new Uint8Array(end - start);
    const first = Math.floor(start / this.blockSize);
    const last = Math.floor((end - 1) / this.blockSize);
    for (let b = first; b <= last; b++) {
      const bytes = got.get(b) ?? this.cache.get(b)!;
      if (!got.has(b)) this.put(b, bytes);
      const base = b * this.blockSize;
      const from = Math.max(start, base) - base;
      const to = Math.min(end, base + bytes.length) - base;
      out.set(bytes.subarray(from, to), base + from - start);
    }
    for (const [b, bytes] of got) this.put(b, bytes);
    return out;
  }
}

/** Splits bytes that cover consecutive blocks starting at `first` into one array per block. */
export function splitBlocks(bytes: Uint8Array, blockSize: number, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(bytes.slice(i * blockSize, Math.min(bytes.length, (i + 1) * blockSize)));
  return out;
}
