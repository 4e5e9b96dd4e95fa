// Harmony's initial centroids as harmonypy takes them from sklearn's KMeans(n_clusters=K,
// init='k-means++', n_init=1, max_iter=25): greedy k-means++ (2 + ln K candidates per centre, drawn
// by the cumulative squared distances, the one that lowers the potential most kept), then Lloyd
// rounds until no label changes or the centres move less than sklearn's tolerance (1e-4 x the mean
// variance of the columns), with Hamerly's bounds to skip the distances that cannot change a label.
// sklearn's draws cannot be reproduced outside sklearn; a seeded generator stands in. Distances as
// sklearn computes them: |z|^2 + |c|^2 - 2 z.c.
import type { Uniform } from '../model/random.ts';
import type { CellBlocks, HarmonyOp, LloydState } from './harmony-blocks.ts';

/** Runs one op over every block (args made per block), results in block order. */
export type RunBlocksOp = <R>(make: (from: number, to: number) => HarmonyOp) => Promise<R[]>;

export interface KmeansInitOptions {
  maxIter?: number;
  /** sklearn's tol (relative to the mean column variance). */
  tol?: number;
  /** Called once per centre and per Lloyd round (progress), may yield. */
  tick?: (message: string, fraction: number) => Promise<void>;
}

/** Centroids [K, d] (not normalised) of the cells Z [N, d], on the blocks `run` dispatches. */
export async function kmeansInit(run: RunBlocksOp, cells: CellBlocks, Z: Float64Array, N: number, d: number, K: number, rand: Uniform, opts: KmeansInitOptions = {}): Promise<Float64Array> {
  const maxIter = opts.maxIter ?? 25;
  const tick = opts.tick ?? (async () => {});
  const C = new Float64Array(K * d);
  const trials = 2 + Math.floor(Math.log(K));
  const closest = cells.f64(N);
  // [trials, cells of the block] per block, at the block's offset x trials.
  const scratch = cells.f64(N * trials);
  const row = (i: number) => Z.slice(i * d, i * d + d);
  const zn = cells.f64(N);
  for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) zn[i] += Z[i * d + j] * Z[i * d + j];

  type Seed = { pots: Float64Array; out: Float64Array | null };
  const evaluate = async (ids: number[], first: boolean): Promise<{ pots: Float64Array; keep: (u: number) => void }> => {
    const cands = new Float64Array(ids.length * d);
    ids.forEach((id, u) => cands.set(row(id), u * d));
    const parts = await run<Seed>(
      (from, to) => ({ op: 'seed', from, to, cands, zn: cells.rows(zn, 1, from, to), closest: first ? null : cells.rows(closest, 1, from, to), out: cells.out(scratch, trials, from, to) }),
    );
    const pots = new Float64Array(ids.length);
    for (const p of parts) for (let u = 0; u < ids.length; u++) pots[u] += p.pots[u];
    return {
      pots,
      keep: (u) =>
        cells.blocks.forEach(({ from, to }, b) => {
          const nb = to - from;
          const src = parts[b].out ?? scratch.subarray(from * trials, to * trials);
          closest.set(src.subarray(u * nb, (u + 1) * nb), from);
        }),
    };
  };

  const first = Math.min(N - 1, Math.floor(rand() * N));
  C.set(row(first), 0);
  const e0 = await evaluate([first], true);
  e0.keep(0);
  let pot = e0.pots[0];
  const cum = new Float64Array(N);
  for (let c = 1; c < K; c++) {
    await tick(`k-means++: centre ${c + 1} of ${K}`, c / K);
    let s = 0;
    for (let i = 0; i < N; i++) cum[i] = s += closest[i];
    const ids: number[] = [];
    for (let t = 0; t < trials; t++) {
      // np.searchsorted(cumsum, r): the first index whose cumulative sum reaches r.
      const r = rand() * pot;
      let lo = 0;
      let hi = N - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cum[mid] >= r) hi = mid;
        else lo = mid + 1;
      }
      ids.push(lo);
    }
    const e = await evaluate(ids, false);
    let best = 0;
    for (let u = 1; u < trials; u++) if (e.pots[u] < e.pots[best]) best = u;
    e.keep(best);
    pot = e.pots[best];
    C.set(row(ids[best]), c * d);
  }

  // Lloyd rounds.
  let tol = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < N; i++) m += Z[i * d + j];
    m /= N;
    let v = 0;
    for (let i = 0; i < N; i++) v += (Z[i * d + j] - m) ** 2;
    tol += v / N;
  }
  tol = (tol / d) * (opts.tol ?? 1e-4);
  const labels = cells.i32(N).fill(-1);
  const upper = cells.f64(N);
  const lower = cells.f64(N);
  const half = new Float64Array(K);
  const move = new Float64Array(K);
  const previous = new Float64Array(K * d);
  type Lloyd = { sums: Float64Array; sizes: Float64Array; changed: number; state: LloydState | null };
  for (let it = 0; it < maxIter; it++) {
    await tick(`k-means: round ${it + 1} (at most ${maxIter})`, it / maxIter);
    // Half the distance from each centre to its nearest other; how far each moved since the last round.
    half.fill(Infinity);
    for (let k = 0; k < K; k++) {
      for (let m = k + 1; m < K; m++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (C[k * d + j] - C[m * d + j]) ** 2;
        const h = Math.sqrt(s) / 2;
        if (h < half[k]) half[k] = h;
        if (h < half[m]) half[m] = h;
      }
      let s = 0;
      if (it > 0) for (let j = 0; j < d; j++) s += (C[k * d + j] - previous[k * d + j]) ** 2;
      move[k] = Math.sqrt(s);
    }
    previous.set(C);
    const centres = C.slice();
    const bounds = { half: half.slice(), move: move.slice() };
    const parts = await run<Lloyd>((from, to) => ({
      op: 'lloyd',
      from,
      to,
      C: centres,
      bounds,
      state: { labels: cells.rows(labels, 1, from, to), upper: cells.rows(upper, 1, from, to), lower: cells.rows(lower, 1, from, to) },
      ret: !cells.inPlace,
    }));
    const sums = new Float64Array(K * d);
    const sizes = new Float64Array(K);
    let changed = 0;
    parts.forEach((p, b) => {
      for (let t = 0; t < K * d; t++) sums[t] += p.sums[t];
      for (let k = 0; k < K; k++) sizes[k] += p.sizes[k];
      changed += p.changed;
      if (!p.state) return;
      const from = cells.blocks[b].from;
      labels.set(p.state.labels, from);
      upper.set(p.state.upper, from);
      lower.set(p.state.lower, from);
    });
    let shift = 0;
    for (let k = 0; k < K; k++) {
      if (sizes[k] === 0) continue; // an empty cluster keeps its centre
      for (let j = 0; j < d; j++) {
        const v = sums[k * d + j] / sizes[k];
        shift += (v - C[k * d + j]) ** 2;
        C[k * d + j] = v;
      }
    }
    if (changed === 0 || shift <= tol) break;
  }
  return C;
}
