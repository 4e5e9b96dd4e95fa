// Row ranks of raw attention scores [B, heads, M, M] (float32) -> [B, heads, M, M] (int32,
// 0..M-1), ties broken by position as a stable sort does: one workgroup per row sorts the row's
// positions by (score, position) with a bitonic sort in workgroup memory (M up to 2048).
import { bitonicSortWgsl, checkSortLength, nextPow2, sortThreads as threads } from './bitonic.ts';

export class RowRankProgram {
  variableNames = ['S'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0, 3] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];

  constructor(
    batch: number,
    private readonly m: number,
    private readonly nHeads: number,
  ) {
    checkSortLength(m);
    this.workgroupSize = [threads(nextPow2(m)), 1, 1];
    this.outputShape = [batch, nHeads, m, m];
    this.dispatch = [m, nHeads, batch];
    this.shaderKey = `scweb_grn_row_rank_${m}_${nHeads}`;
  }

  getUserCode(): string {
    const { m: M, nHeads: H } = this;
    const P = nextPow2(M);
    const WG = threads(P);
    return /* wgsl */ `
      const M = ${M}u;
      var<workgroup> vals: array<f32, ${M}>;
      var<workgroup> idx: array<u32, ${P}>;

      // Strict total order: by score, then by position; padding positions (>= M) last.
      fn before(a: u32, b: u32) -> bool {
        if (b >= M) { return a < M || a < b; }
        if (a >= M) { return false; }
        let va = vals[a];
        let vb = vals[b];
        return va < vb || (va == vb && a < b);
      }

      fn main() {
        let row = workgroupId.x;
        let h = workgroupId.y;
        let b = workgroupId.z;
        let base = ((b * ${H}u + h) * M + row) * M;
        for (var t = localId.x; t < M; t += ${WG}u) { vals[t] = S[base + t]; }
        for (var t = localId.x; t < ${P}u; t += ${WG}u) { idx[t] = t; }
        workgroupBarrier();
        ${bitonicSortWgsl('idx', P, WG, 'before')}
        // Bounded by the uniforms' output shape (= M): a shader must read its uniforms to keep their binding.
        for (var t = localId.x; t < u32(uniforms.outShape[3]); t += ${WG}u) { result[base + idx[t]] = i32(t); }
      }
    `;
  }
}
