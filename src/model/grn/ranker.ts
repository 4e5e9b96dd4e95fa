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
  /**
   * ids / values [cells * M]; groups[c] holds GROUP_A / GROUP_B bits. Only the last batch may hold
   * fewer cells than the first. A ranker whose batch takes long awaits `within(cellsDone)` (cells
   * of this batch done so far, fractional) along the way: it reports progress and may throw to cancel.
   */
  add(ids: Int32Array, values: Float32Array, groups: Uint8Array, cells: number, m: number, within?: (cellsDone: number) => Promise<void>): Promise<void>;
  /** Sums over each group's cells of the head-summed column ranks, [M * M] each (integers). */
  sums(): Promise<{ a: Float64Array; b: Float64Array }>;
  dispose(): void;
}

/** The two groups' sums on the CPU: integers below 2^53, so exact in any order. */
export class CpuGroupSums {
  private a: Float64Array | null = null;
  private b: Float64Array | null = null;

  /** Adds one cell's head-summed rank matrix `r` [M * M] to the groups in `group`'s bits. */
  add(r: Int32Array, group: number): void {
    const a = (this.a ??= new Float64Array(r.length));
    const b = (this.b ??= new Float64Array(r.length));
    if (group & GROUP_A) for (let e = 0; e < r.length; e++) a[e] += r[e];
    if (group & GROUP_B) for (let e = 0; e < r.length; e++) b[e] += r[e];
  }

  sums(): { a: Float64Array; b: Float64Array } {
    if (!this.a || !this.b) throw new Error('no cells were added');
    return { a: this.a, b: this.b };
  }
}

export function cpuRanker(w: ScGPTWeights, layer: number): GroupRanker {
  const sums = new CpuGroupSums();
  return {
    name: 'CPU (float64 sums)',
    batchSize: () => 1,
    async add(ids, values, groups, cells, m) {
      for (let c = 0; c < cells; c++) {
        const s = rawScoresCpu(w, ids.subarray(c * m, (c + 1) * m), values.subarray(c * m, (c + 1) * m), m, layer);
        sums.add(headRankSums(s, w.config.nHeads, m), groups[c]);
      }
    },
    async sums() {
      return sums.sums();
    },
    dispose() {},
  };
}
