// Fused multi-head attention for tfjs-webgpu: softmax(Q K^T / sqrt(hd)) V with a key padding mask,
// computed tile by tile with an online softmax (FlashAttention's recurrence), so the L x L score
// matrix never exists: memory is O(B * L * d) instead of O(B * heads * L * L).
//
// Input A: packed q|k|v rows [B, L, 3d] as nn.MultiheadAttention's in_proj produces them.
// Input B: the real token count of each cell [B] (int32); keys at or past it are masked out and
// query rows past it are written as zeros.
// One workgroup handles TQ query rows of one head of one cell; each thread one query row.

export interface AttentionShape {
  batch: number;
  seqLen: number;
  dModel: number;
  nHeads: number;
}

/** Key rows per shared-memory tile: K and V tiles must fit WebGPU's default 16 KiB workgroup storage. */
export function keyTile(headDim: number): number {
  return Math.max(1, Math.min(64, Math.floor(2048 / headDim)));
}

const TQ = 64;

export class FusedAttentionProgram {
  variableNames = ['A', 'B'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [1], y: [2], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [TQ, 1, 1];
  // The length is a uniform, not a constant: one pipeline serves every length bucket.
  uniforms = 'seqLen : i32,';

  constructor(private readonly s: AttentionShape) {
    this.outputShape = [s.batch, s.seqLen, s.dModel];
    this.dispatch = [Math.ceil(s.seqLen / TQ), s.nHeads, s.batch];
    this.shaderKey = `scweb_attention_${s.dModel}_${s.nHeads}`;
  }

  getUserCode(): string {
    const { dModel: D, nHeads } = this.s;
    const HD = D / nHeads;
    const TK = keyTile(HD);
    const scale = 1 / Math.sqrt(HD);
    return /* wgsl */ `
      const D = ${D};
      const HD = ${HD};
      const TK = ${TK};
      const TQ = ${TQ};
      var<workgroup> Ks: array<f32, ${TK * HD}>;
      var<workgroup> Vs: array<f32, ${TK * HD}>;
      var<workgroup> lenShared: i32;

      fn main() {
        let L = uniforms.seqLen;
        let head = i32(workgroupId.y);
        let b = i32(workgroupId.z);
        // The loop below has barriers, so its bound must be provably uniform (see add-layernorm.ts).
        if (localId.x == 0u) { lenShared = B[b]; }
        let len = workgroupUniformLoad(&lenShared);
        let qi = i32(workgroupId.x) * TQ + i32(localId.x);
        let rowStride = 3 * D;
        let base = b * L * rowStride;
        let isRow = qi < len;
        var q: array<f32, ${HD}>;
        var acc: array<f32, ${HD}>;
        if (isRow) {
          for (var k = 0; k < HD; k++) {
            q[k] = A[base + qi * rowStride + head * HD + k] * ${scale};
          }
        }
        var m = -3.0e38;
        var l = 0.0;
        var s: array<f32, ${TK}>;
        for (var kt = 0; kt < L; kt += TK) {
          if (kt >= len) { break; }
          workgroupBarrier();
          for (var e = i32(localId.x); e < TK * HD; e += TQ) {
            let j = kt + e / HD;
            let c = e % HD;
            var kv = 0.0;
            var vv = 0.0;
            if (j < len) {
              kv = A[base + j * rowStride + D + head * HD + c];
              vv = A[base + j * rowStride + 2 * D + head * HD + c];
            }
            Ks[e] = kv;
            Vs[e] = vv;
          }
          workgroupBarrier();
          if (isRow) {
            let nk = min(TK, len - kt);
            var tmax = -3.0e38;
            for (var j = 0; j < nk; j++) {
              var dot = 0.0;
              for (var k = 0; k < HD; k++) { dot += q[k] * Ks[j * HD + k]; }
              s[j] = dot;
              tmax = max(tmax, dot);
            }
            let mNew = max(m, tmax);
            let corr = exp(m - mNew);
            l = l * corr;
            for (var k = 0; k < HD; k++) { acc[k] = acc[k] * corr; }
            for (var j = 0; j < nk; j++) {
              let p = exp(s[j] - mNew);
              l += p;
              for (var k = 0; k < HD; k++) { acc[k] += p * Vs[j * HD + k]; }
            }
            m = mNew;
          }
        }
        if (qi < L) {
          let out = (b * L + qi) * D + head * HD;
          let inv = select(0.0, 1.0 / l, isRow);
          for (var k = 0; k < HD; k++) { result[out + k] = acc[k] * inv; }
        }
      }
    `;
  }
}
