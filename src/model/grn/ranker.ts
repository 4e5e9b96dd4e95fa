// What the attention GRN asks of a backend: take batches of cells' tokens (all M long), add each
// cell's head-summed rank matrix into the sums of its groups, and hand the two [M, M] sums back
// at the end. The sums are integers, so every backend and batching gives identical bits.
import type { ScGPTWeights } from '../weights.ts';
import { headRankSums } from './rank-normalize.ts';
import { rawScoresCpu } from './scores-cpu.ts';

/** Group bits of a cell: it may be in both groups (then it counts in each). */
export const GROUP_A = 1;
export const GROUP_B = 2;

export interface GroupRanker {
  name: string;
  /** Cells per batch at M tokens (bounded memory). */
  batchSize(m: number): number;
  /** ids / values [cells * M]; groups[c] holds GROUP_A / GROUP_B bits. Only the last batch may hold fewer cells than the first. */
  add(ids: Int32Array, values: Float32Array, groups: Uint8Array, cells: number, m: number): Promise<void>;
  /** Sums over each group's cells of the head-summed column ranks, [M * M] each (integers). */
  sums(): Promise<{ a: Float64Array; b: Float64Array }>;
  dispose(): void;
}

export function cpuRanker(w: ScGPTWeights, layer: number): GroupRanker {
  let a: Float64Array | null = null;
  let b: Float64Array | null = null;
  return {
    name: 'CPU (float64 sums)',
    batchSize: () => 1,
    async add(ids, values, groups, cells, m) {
      a ??= new Float64Array(m * m);
      b ??= new Float64Array(m * m);
      for (let c = 0; c < cells; c++) {
        const s = rawScoresCpu(w, ids.subarray(c * m, (c + 1) * m), values.subarray(c * m, (c + 1) * m), m, layer);
        const r = headRankSums(s, w.config.nHeads, m);
        if (groups[c] & GROUP_A) for (let e = 0; e < r.length; e++) a[e] += r[e];
        if (groups[c] & GROUP_B) for (let e = 0; e < r.length; e++) b[e] += r[e];
      }
    },
    async sums() {
      if (!a || !b) throw new Error('no cells were added');
      return { a, b };
    },
    dispose() {},
  };
}
