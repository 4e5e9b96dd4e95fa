// Raw attention scores q k^T per head (no 1/sqrt(d) scale, no softmax), for scGPT's attention
// GRN: input the packed q|k|v rows [B*M, 3d] of the chosen layer (nn.MultiheadAttention's in_proj
// layout), output [B, heads, M, M]. One 16 x 16 output tile per workgroup, q and k tiles staged
// in workgroup memory 16 columns at a time.

const T = 16;

export class QkScoresProgram {
  variableNames = ['A'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [3], y: [2], z: [0, 1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [T, T, 1];

  constructor(
    batch: number,
    private readonly m: number,
    private readonly dModel: number,
    private readonly nHeads: number,
  ) {
    this.outputShape = [batch, nHeads, m, m];
    this.dispatch = [Math.ceil(m / T), Math.ceil(m / T), batch * nHeads];
    this.shaderKey = `scweb_grn_qk_${m}_${dModel}_${nHeads}`;
  }

  getUserCode(): string {
    const { m: M, dModel: D, nHeads: H } = this;
    const HD = D / H;
    return /* wgsl */ `
      const M = ${M};
      const D = ${D};
      const H = ${H};
      const HD = ${HD};
      const T = ${T};
      var<workgroup> Qs: array<f32, ${T * T}>;
      var<workgroup> Ks: array<f32, ${T * T}>;

      fn main() {
        let b = i32(workgroupId.z) / H;
        let h = i32(workgroupId.z) % H;
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let i = i32(workgroupId.y) * T + ty;
        let j = i32(workgroupId.x) * T + tx;
        let kRow = i32(workgroupId.x) * T + ty;
        var acc = 0.0;
        for (var c0 = 0; c0 < HD; c0 += T) {
          var q = 0.0;
          var k = 0.0;
          if (i < M && c0 + tx < HD) { q = A[(b * M + i) * 3 * D + h * HD + c0 + tx]; }
          if (kRow < M && c0 + tx < HD) { k = A[(b * M + kRow) * 3 * D + D + h * HD + c0 + tx]; }
          Qs[ty * T + tx] = q;
          Ks[ty * T + tx] = k;
          workgroupBarrier();
          for (var c = 0; c < T; c++) { acc += Qs[ty * T + c] * Ks[tx * T + c]; }
          workgroupBarrier();
        }
        // The output shape is read from the uniforms (tfjs binds them; a shader that never reads them
        // loses the binding in its 'auto' layout).
        if (i < uniforms.outShape[2] && j < uniforms.outShape[3]) { result[((b * H + h) * M + i) * M + j] = acc; }
      }
    `;
  }
}
