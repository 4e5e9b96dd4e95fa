// scGPT's attention-GRN rank normalisation on the CPU (the reference for the WGSL kernels): per
// head, each row of raw scores ranked 0..M-1 (ties by position: a stable sort), then each column
// of those ranks ranked the same way. The sum over heads of the column ranks is an integer; the
// rank-normalised matrix averaged over heads is that sum / (heads * M). Sums stay integers so
// that group sums are exact whatever the order cells arrive in.

/** float32 bits mapped so unsigned order is numeric order (-0 and +0 made equal first). */
function orderedBits(x: number, f: Float32Array, u: Uint32Array): number {
  f[0] = x + 0;
  const b = u[0];
  return b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}

/** Row ranks of one head's [M, M] float32 scores, written to `out` (ranks 0..M-1). */
export function rowRanks(scores: Float32Array, m: number, at: number, out: Int32Array): void {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  // key = orderedBits * M + position: unique, exact in float64 (< 2^43), so a numeric sort is stable.
  const keys = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const row = at + i * m;
    for (let j = 0; j < m; j++) keys[j] = orderedBits(scores[row + j], f, u) * m + j;
    keys.sort();
    for (let r = 0; r < m; r++) out[i * m + (keys[r] % m)] = r;
  }
}

/** Adds the column ranks of `ranks` [M, M] (ties by row position) into `sum` [M, M]. */
export function addColumnRanks(ranks: Int32Array, m: number, sum: Int32Array | Float64Array): void {
  const keys = new Uint32Array(m);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < m; i++) keys[i] = ranks[i * m + j] * m + i;
    keys.sort();
    for (let r = 0; r < m; r++) sum[(keys[r] % m) * m + j] += r;
  }
}

/** Sum over heads of the column ranks of the row ranks, [M, M], for scores [heads, M, M]. */
export function headRankSums(scores: Float32Array, heads: number, m: number): Int32Array {
  const sum = new Int32Array(m * m);
  const ranks = new Int32Array(m * m);
  for (let h = 0; h < heads; h++) addHeadRanks(scores, m, h * m * m, ranks, sum);
  return sum;
}

/** Adds the column ranks of the row ranks of one head's scores (from `at`) into `sum`; `ranks` [M, M] is scratch. */
export function addHeadRanks(scores: Float32Array, m: number, at: number, ranks: Int32Array, sum: Int32Array): void {
  rowRanks(scores, m, at, ranks);
  addColumnRanks(ranks, m, sum);
}
