// Column ranks of row ranks [B, heads, M, M] (int32), ties broken by row position, summed over
// heads -> [B, M, M] (int32; at most heads * (M - 1)). One workgroup per (column, cell): the key
// rank * M + row is unique, so a plain bitonic sort of u32 keys gives the stable order.
import { bitonicSortWgsl, checkSortLength, nextPow2, sortThreads as threads } from './bitonic.ts';

export class ColumnRankSumProgram {
  variableNames = ['R'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [0], z: [1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];

  constructor(
    batch: number,
    private readonly m: number,
    private readonly nHeads: number,
  ) {
    checkSortLength(m);
    this.workgroupSize = [threads(nextPow2(m)), 1, 1];
    this.outputShape = [batch, m, m];
    this.dispatch = [m, batch, 1];
    this.shaderKey = `scweb_grn_col_rank_${m}_${nHeads}`;
  }

  getUserCode(): string {
    const { m: M, nHeads: H } = this;
    const P = nextPow2(M);
    const WG = threads(P);
    return /* wgsl */ `
      const M = ${M}u;
      var<workgroup> keys: array<u32, ${P}>;
      var<workgroup> acc: array<u32, ${M}>;

      fn before(a: u32, b: u32) -> bool { return a < b; }

      fn main() {
        let col = workgroupId.x;
        let b = workgroupId.y;
        for (var t = localId.x; t < M; t += ${WG}u) { acc[t] = 0u; }
        for (var h = 0u; h < ${H}u; h++) {
          for (var t = localId.x; t < ${P}u; t += ${WG}u) {
            var key = 0xffffffffu;
            if (t < M) { key = u32(R[((b * ${H}u + h) * M + t) * M + col]) * M + t; }
            keys[t] = key;
          }
          workgroupBarrier();
          ${bitonicSortWgsl('keys', P, WG, 'before')}
          // Each row appears once among the first M keys: no two threads touch one acc entry.
          for (var t = localId.x; t < M; t += ${WG}u) { acc[keys[t] % M] += t; }
          workgroupBarrier();
        }
        // Bounded by the uniforms' output shape (= M): a shader must read its uniforms to keep their binding.
        for (var t = localId.x; t < u32(uniforms.outShape[2]); t += ${WG}u) { result[(b * M + t) * M + col] = i32(acc[t]); }
      }
    `;
  }
}
