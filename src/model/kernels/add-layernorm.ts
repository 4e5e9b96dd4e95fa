// LayerNorm(a + b) * gamma + beta over rows of width d, one workgroup per row: the residual add
// and the normalisation in one pass over memory, where tfjs would run six kernels. Two-pass
// (mean, then centred variance) for the same accuracy as torch.
//
// Where the device has subgroups of one fixed size S (registerTfjsWebGPU asked for them), a row
// goes to a workgroup of exactly S invocations, one subgroup: the sums are subgroupAdd, with no
// workgroup memory and no barriers (the other path: a 64-wide tree, 17 barriers a row).
import { SUBGROUPS_MARKER, kernelSubgroupSize } from '../tfjs-webgpu-device.ts';

const WG = 64;

export class AddLayerNormProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0], y: [1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  // The row count is a uniform, not a constant: one pipeline serves every batch shape.
  uniforms = 'rows : i32,';

  constructor(
    rows: number,
    private readonly d: number,
    private readonly eps: number,
    private readonly withResidual: boolean,
    /** Subgroup size to reduce with, null for the workgroup-memory path; default: the device's. */
    private readonly subgroupSize: number | null = kernelSubgroupSize(),
  ) {
    // Only declared inputs may be bound: WebGPU's 'auto' layout drops bindings the shader never reads.
    this.variableNames = withResidual ? ['A', 'B', 'G', 'Beta'] : ['A', 'G', 'Beta'];
    this.outputShape = [rows, d];
    this.dispatch = [Math.min(rows, 65535), Math.ceil(rows / 65535), 1];
    this.workgroupSize = [subgroupSize ?? WG, 1, 1];
    this.shaderKey = `scweb_add_ln_${d}_${eps}_${withResidual}_${subgroupSize ? `sg${subgroupSize}` : 'wg'}`;
  }

  getUserCode(): string {
    const { d, eps } = this;
    const read = this.withResidual ? 'A[o + k] + B[o + k]' : 'A[o + k]';
    const S = this.subgroupSize;
    if (S) {
      return /* wgsl */ `
      ${SUBGROUPS_MARKER}
      // The row is the workgroup's, so the same in the whole subgroup; tfjs passes the builtins
      // through private variables, which the uniformity analysis cannot follow.
      @diagnostic(off, subgroup_uniformity)
      fn main() {
        let row = i32(workgroupId.y) * 65535 + i32(workgroupId.x);
        if (row >= uniforms.rows) { return; }
        let o = row * ${d};
        let t = i32(localId.x);
        var sum = 0.0;
        for (var k = t; k < ${d}; k += ${S}) { sum += ${read}; }
        let mean = subgroupAdd(sum) / f32(${d});
        var sq = 0.0;
        for (var k = t; k < ${d}; k += ${S}) { let x = ${read} - mean; sq += x * x; }
        let inv = inverseSqrt(subgroupAdd(sq) / f32(${d}) + ${eps.toExponential()});
        for (var k = t; k < ${d}; k += ${S}) {
          result[o + k] = (${read} - mean) * inv * G[k] + Beta[k];
        }
      }
    `;
    }
    return /* wgsl */ `
      var<workgroup> part: array<f32, ${WG}>;
      var<workgroup> rowShared: i32;

      fn reduceSum(v: f32) -> f32 {
        let t = i32(localId.x);
        part[t] = v;
        workgroupBarrier();
        for (var w = ${WG / 2}; w > 0; w = w / 2) {
          if (t < w) { part[t] += part[t + w]; }
          workgroupBarrier();
        }
        let total = part[0];
        workgroupBarrier();
        return total;
      }

      fn main() {
        // tfjs hands builtins over through private variables, which WGSL cannot prove uniform;
        // workgroupUniformLoad gives the barrier-safe (uniform) copy.
        if (localId.x == 0u) { rowShared = i32(workgroupId.y) * 65535 + i32(workgroupId.x); }
        let row = workgroupUniformLoad(&rowShared);
        if (row >= uniforms.rows) { return; }
        let o = row * ${d};
        let t = i32(localId.x);
        var sum = 0.0;
        for (var k = t; k < ${d}; k += ${WG}) { sum += ${read}; }
        let mean = reduceSum(sum) / f32(${d});
        var sq = 0.0;
        for (var k = t; k < ${d}; k += ${WG}) { let x = ${read} - mean; sq += x * x; }
        let inv = inverseSqrt(reduceSum(sq) / f32(${d}) + ${eps.toExponential()});
        for (var k = t; k < ${d}; k += ${WG}) {
          result[o + k] = (${read} - mean) * inv * G[k] + Beta[k];
        }
      }
    `;
  }
}
