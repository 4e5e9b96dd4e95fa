// Wilcoxon rank sums of one gene (rank-sums.ts's PairSorter.sort + addAverageRanks, the same
// steps): its non-zero values' float32 bit patterns (keys) sorted by an LSD radix of four 8-bit
// digits with each value's group carried along, then each run of ties adds its average rank to
// its groups' sums. About twice the JavaScript's speed (no bounds checks, plain loads and stores).
// Layout (byte offsets): keys, groups, and two scratch arrays of m 32-bit words; 4 x 256 int32
// digit counts; a float64 rank sum per group (added to, not cleared).
export function rankSums(keys: usize, groups: usize, keys2: usize, groups2: usize, counts: usize, m: i32, before: f64, rankSum: usize): void {
  if (m == 0) return;
  memory.fill(counts, 0, 4096);
  for (let i = 0; i < m; i++) {
    const k = load<u32>(keys + (<usize>i << 2));
    const a = counts + ((<usize>(k & 255)) << 2);
    store<i32>(a, load<i32>(a) + 1);
    const b = counts + 1024 + ((<usize>((k >>> 8) & 255)) << 2);
    store<i32>(b, load<i32>(b) + 1);
    const c = counts + 2048 + ((<usize>((k >>> 16) & 255)) << 2);
    store<i32>(c, load<i32>(c) + 1);
    const d = counts + 3072 + ((<usize>(k >>> 24)) << 2);
    store<i32>(d, load<i32>(d) + 1);
  }
  let src = keys;
  let srcG = groups;
  let dst = keys2;
  let dstG = groups2;
  const first = load<u32>(keys);
  for (let pass = 0; pass < 4; pass++) {
    const base = counts + (<usize>pass << 10);
    const shift = <u32>(pass * 8);
    // A digit every key shares leaves the order as it is.
    if (load<i32>(base + ((<usize>((first >>> shift) & 255)) << 2)) == m) continue;
    let sum = 0;
    for (let b = 0; b < 256; b++) {
      const a = base + (<usize>b << 2);
      const c = load<i32>(a);
      store<i32>(a, sum);
      sum += c;
    }
    for (let i = 0; i < m; i++) {
      const off = <usize>i << 2;
      const k = load<u32>(src + off);
      const a = base + ((<usize>((k >>> shift) & 255)) << 2);
      const at = load<i32>(a);
      store<i32>(a, at + 1);
      store<u32>(dst + (<usize>at << 2), k);
      store<i32>(dstG + (<usize>at << 2), load<i32>(srcG + off));
    }
    const t = src;
    src = dst;
    dst = t;
    const tg = srcG;
    srcG = dstG;
    dstG = tg;
  }
  for (let i = 0; i < m; ) {
    const k = load<u32>(src + (<usize>i << 2));
    let j = i + 1;
    while (j < m && load<u32>(src + (<usize>j << 2)) == k) j++;
    const rank = before + <f64>(i + 1 + j) / 2;
    for (let t = i; t < j; t++) {
      const a = rankSum + (<usize>load<i32>(srcG + (<usize>t << 2)) << 3);
      store<f64>(a, load<f64>(a) + rank);
    }
    i = j;
  }
}
