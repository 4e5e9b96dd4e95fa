// Adds a batch's per-cell rank sums [B, M*M] (int32) into the two groups' running sums, exactly:
// each sum is kept as two int32 words, lo (< 2^24) and hi (units of 2^24), so it holds up to
// 2^55 (millions of cells at M = 1201) without the rounding a float32 sum would bring.
// Input S: sums [group A lo, group A hi, group B lo, group B hi] x [M*M]; C: the batch's sums;
// G: each cell's groups as bits (1: A, 2: B; 0 for unused batch slots). Output: the new sums.

const WG = 256;

export class GroupAccumulateProgram {
  variableNames = ['S', 'C', 'G'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'cells : i32,';

  constructor(private readonly mm: number) {
    this.outputShape = [4, mm];
    const groups = Math.ceil(mm / WG);
    this.dispatch = [Math.min(groups, 65535), Math.ceil(groups / 65535), 1];
    this.shaderKey = `scweb_grn_group_acc_${mm}`;
  }

  getUserCode(): string {
    const MM = this.mm;
    return /* wgsl */ `
      const MM = ${MM};
      fn main() {
        let e = (i32(workgroupId.y) * 65535 + i32(workgroupId.x)) * ${WG} + i32(localId.x);
        if (e >= MM) { return; }
        for (var g = 0; g < 2; g++) {
          var lo = S[(2 * g) * MM + e];
          var hi = S[(2 * g + 1) * MM + e];
          for (var b = 0; b < uniforms.cells; b++) {
            if ((G[b] & (1 << u32(g))) != 0) {
              lo += C[b * MM + e];
              hi += lo >> 24u;
              lo = lo & 0xffffff;
            }
          }
          result[(2 * g) * MM + e] = lo;
          result[(2 * g + 1) * MM + e] = hi;
        }
      }
    `;
  }
}
