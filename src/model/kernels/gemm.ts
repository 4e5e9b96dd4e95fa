// Y = X W^T + b (then ReLU, then + residual) for the encoder's linear layers: X [M, K] float32
// activations, W [N, K] as PyTorch stores nn.Linear weights. tfjs's generic matMul reaches about a
// tenth of a GPU's fp32 rate on these shapes; this is the classic tiled SGEMM: each workgroup
// stages a BM x BK tile of X and a BN x BK tile of W in workgroup memory (vec4 loads along K, both
// operands being K-contiguous), and each invocation keeps an RM x RN block of outputs in registers.
//
// Weights come as float32 or as float16 pairs packed in u32 words (half the memory and traffic,
// unpacked with core WGSL's unpack2x16float, so every adapter runs it). With the adapter's
// `shader-f16` the tiles and products can be f16 too ('f16' arithmetic). tfjs 4.22 prepends its own
// header to a program's code, where `enable f16;` cannot go, and keys its pipeline cache on the
// dispatch shape too (a single row of workgroups compiles a second pipeline, seconds each on
// SwiftShader), so every variant is a raw pipeline on tfjs's device, recorded into tfjs's command
// encoder so that it stays in order with tfjs's work, its pipelines cached per shader text. Sizes
// and the ReLU / residual flags are uniforms: one pipeline per tile configuration and weight
// format serves every layer and batch.
//
// Every tile configuration adds the K products of an output in the same order (k = 0, 1, ..., K-1,
// zeros past K), so the tile choice, the batch and the row count never change a result's bits.
import * as tf from '@tensorflow/tfjs-core';
import { floatBitsToHalf } from '../bundle.ts';

export type WeightFormat = 'f32' | 'f16';
export type Arithmetic = 'f32' | 'f16';

export interface TileConfig {
  /** Output rows and columns per workgroup, K per workgroup-memory stage. */
  bm: number;
  bn: number;
  bk: number;
  /** Output rows and columns per invocation. */
  rm: number;
  rn: number;
}

/** The candidates of the per-adapter trial; the first is the default before (or without) one. */
export const TILE_CONFIGS: Record<string, TileConfig> = {
  '64x64x16/4x4': { bm: 64, bn: 64, bk: 16, rm: 4, rn: 4 },
  '32x64x16/4x4': { bm: 32, bn: 64, bk: 16, rm: 4, rn: 4 },
  '128x64x8/8x4': { bm: 128, bn: 64, bk: 8, rm: 8, rn: 4 },
  '64x128x8/4x8': { bm: 64, bn: 128, bk: 8, rm: 4, rn: 8 },
  '32x32x32/2x2': { bm: 32, bn: 32, bk: 32, rm: 2, rn: 2 },
};
export const DEFAULT_TILES = '64x64x16/4x4';

/** A linear layer's weights on the GPU, rows padded to a multiple of 4 along K (zeros) for vec4 loads. */
export interface GemmWeights {
  format: WeightFormat;
  /** Output features (rows of W) and input features. */
  n: number;
  k: number;
  /** K rounded up to a multiple of 4. */
  kp: number;
  /** f32: [n, kp] float32; f16: [n, kp / 2] int32 words, two halves each (low half first). */
  w: tf.Tensor2D;
  bias: tf.Tensor1D;
}

export function paddedK(k: number): number {
  return Math.ceil(k / 4) * 4;
}

/**
 * Row-major W [n, k] as halves (round to nearest even, as torch's .half(): subnormals kept,
 * overflow to infinity), rows padded with zeros to kp, two halves per u32 word, the lower-index
 * one in the low 16 bits (what unpack2x16float reads as .x).
 */
export function packHalves(w: Float32Array, n: number, k: number): Uint32Array {
  const kp = paddedK(k);
  const bits = new Uint32Array(w.buffer, w.byteOffset, w.length);
  const out = new Uint32Array((n * kp) / 2);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      const h = floatBitsToHalf(bits[r * k + c]);
      const word = (r * kp + c) >> 1;
      out[word] |= (c & 1) === 0 ? h : h << 16;
    }
  }
  return out;
}

function padRows(w: Float32Array, n: number, k: number): Float32Array {
  const kp = paddedK(k);
  if (kp === k) return w;
  const out = new Float32Array(n * kp);
  for (let r = 0; r < n; r++) out.set(w.subarray(r * k, (r + 1) * k), r * kp);
  return out;
}

/** Uploads W [n, k] (row-major, as in the state dict) and its bias in the given format. */
export function gemmWeights(w: Float32Array, bias: Float32Array, n: number, k: number, format: WeightFormat): GemmWeights {
  if (w.length !== n * k) throw new Error(`gemmWeights: ${w.length} values for a ${n} x ${k} weight`);
  if (bias.length !== n) throw new Error(`gemmWeights: bias of ${bias.length} for ${n} outputs`);
  const kp = paddedK(k);
  const t = format === 'f32' ? tf.tensor2d(padRows(w, n, k), [n, kp]) : tf.tensor2d(new Int32Array(packHalves(w, n, k).buffer), [n, kp / 2], 'int32');
  return { format, n, k, kp, w: t, bias: tf.tensor1d(bias) };
}

export interface GemmOptions {
  relu?: boolean;
  /** Added after the bias (and the ReLU): [M, N]. */
  residual?: tf.Tensor2D;
  tiles?: string;
  arithmetic?: Arithmetic;
}

interface ShaderSpec {
  n: number;
  k: number;
  kp: number;
  format: WeightFormat;
  arithmetic: Arithmetic;
  relu: boolean;
  residual: boolean;
  tiles: TileConfig;
}

/**
 * The kernel: expects `X` (array<vec4<f32>> when K % 4 == 0, else array<f32>), `W`
 * (array<vec4<f32>>, or for f16 weights vec2 of 32-bit words), `Bias`, `R`, `result`
 * (array<f32>), the sizes and flags in `uniforms`, and the `localId` / `workgroupId` builtins as
 * private variables (tfjs's convention, kept so the body could also run as a tfjs program).
 */
function kernelBody(s: ShaderSpec): string {
  const { bm, bn, bk, rm, rn } = s.tiles;
  const tx = bn / rn;
  const ty = bm / rm;
  const threads = tx * ty;
  const SH = s.arithmetic;
  const vecX = s.k % 4 === 0;
  const loadX = vecX
    ? `if (m >= uniforms.M || k >= uniforms.K) { return vec4<f32>(0.0); }
        return X[(m * uniforms.K + k) / 4];`
    : `var v = vec4<f32>(0.0);
        if (m < uniforms.M) {
          for (var j = 0; j < 4; j++) { if (k + j < uniforms.K) { v[j] = X[m * uniforms.K + k + j]; } }
        }
        return v;`;
  let loadW: string;
  if (s.format === 'f32') {
    loadW = `if (n >= uniforms.N || k >= uniforms.KP) { return vec4<${SH}>(0.0); }
        return vec4<${SH}>(W[(n * uniforms.KP + k) / 4]);`;
  } else if (SH === 'f16') {
    loadW = `if (n >= uniforms.N || k >= uniforms.KP) { return vec4<f16>(0.0); }
        let w = W[(n * uniforms.KP + k) / 4];
        return vec4<f16>(bitcast<vec2<f16>>(w.x), bitcast<vec2<f16>>(w.y));`;
  } else {
    loadW = `if (n >= uniforms.N || k >= uniforms.KP) { return vec4<f32>(0.0); }
        let w = W[(n * uniforms.KP + k) / 4];
        return vec4<f32>(unpack2x16float(bitcast<u32>(w.x)), unpack2x16float(bitcast<u32>(w.y)));`;
  }
  const rows = [...Array(rm).keys()];
  const cols = [...Array(rn).keys()];
  const both = rows.flatMap((r) => cols.map((c) => [r, c] as const));
  // f16 arithmetic: products summed in f16 over one BK stage, each stage's sum added to an f32
  // accumulator, so the rounding error does not grow with K.
  const inner = both.map(([r, c]) => `p_${r}_${c} = p_${r}_${c} + a${r} * b${c};`).join('\n            ');
  const stage =
    SH === 'f32'
      ? `for (var kk = 0; kk < G_BK; kk++) {
            ${rows.map((r) => `let a${r} = Xs[kk * G_BM + ty + ${r * ty}];`).join('\n            ')}
            ${cols.map((c) => `let b${c} = Ws[kk * G_BN + tx + ${c * tx}];`).join('\n            ')}
            ${both.map(([r, c]) => `acc_${r}_${c} = acc_${r}_${c} + a${r} * b${c};`).join('\n            ')}
          }`
      : `${both.map(([r, c]) => `var p_${r}_${c} = f16(0.0);`).join('\n          ')}
          for (var kk = 0; kk < G_BK; kk++) {
            ${rows.map((r) => `let a${r} = Xs[kk * G_BM + ty + ${r * ty}];`).join('\n            ')}
            ${cols.map((c) => `let b${c} = Ws[kk * G_BN + tx + ${c * tx}];`).join('\n            ')}
            ${inner}
          }
          ${both.map(([r, c]) => `acc_${r}_${c} = acc_${r}_${c} + f32(p_${r}_${c});`).join('\n          ')}`;
  const epilogue = both
    .map(
      ([r, c]) => `if (row${r} < uniforms.M && col${c} < uniforms.N) {
          var y = acc_${r}_${c} + Bias[col${c}];
          if (uniforms.RELU != 0) { y = max(y, 0.0); }
          if (uniforms.RES != 0) { y = y + R[row${r} * uniforms.N + col${c}]; }
          result[row${r} * uniforms.N + col${c}] = y;
        }`,
    )
    .join('\n        ');
  return /* wgsl */ `
      const G_BM = ${bm};
      const G_BN = ${bn};
      const G_BK = ${bk};
      const G_T = ${threads};
      var<workgroup> Xs: array<${SH}, ${bk * bm}>;
      var<workgroup> Ws: array<${SH}, ${bk * bn}>;

      fn loadX(m: i32, k: i32) -> vec4<f32> {
        ${loadX}
      }

      fn loadW(n: i32, k: i32) -> vec4<${SH}> {
        ${loadW}
      }

      fn main() {
        let tid = i32(localId.x);
        let tx = tid % ${tx};
        let ty = tid / ${tx};
        let m0 = i32(workgroupId.y) * G_BM;
        let n0 = i32(workgroupId.x) * G_BN;
        ${both.map(([r, c]) => `var acc_${r}_${c} = 0.0;`).join('\n        ')}
        for (var k0 = 0; k0 < uniforms.K; k0 += G_BK) {
          for (var i = tid; i < G_BM * G_BK / 4; i += G_T) {
            let row = i / (G_BK / 4);
            let kq = (i % (G_BK / 4)) * 4;
            let v = loadX(m0 + row, k0 + kq);
            Xs[kq * G_BM + row] = ${SH}(v.x);
            Xs[(kq + 1) * G_BM + row] = ${SH}(v.y);
            Xs[(kq + 2) * G_BM + row] = ${SH}(v.z);
            Xs[(kq + 3) * G_BM + row] = ${SH}(v.w);
          }
          for (var i = tid; i < G_BN * G_BK / 4; i += G_T) {
            let col = i / (G_BK / 4);
            let kq = (i % (G_BK / 4)) * 4;
            let v = loadW(n0 + col, k0 + kq);
            Ws[kq * G_BN + col] = v.x;
            Ws[(kq + 1) * G_BN + col] = v.y;
            Ws[(kq + 2) * G_BN + col] = v.z;
            Ws[(kq + 3) * G_BN + col] = v.w;
          }
          workgroupBarrier();
          ${stage}
          workgroupBarrier();
        }
        ${rows.map((r) => `let row${r} = m0 + ty + ${r * ty};`).join('\n        ')}
        ${cols.map((c) => `let col${c} = n0 + tx + ${c * tx};`).join('\n        ')}
        ${epilogue}
      }
    `;
}

function sizeUniforms(m: number, s: ShaderSpec): { type: string; data: number[] }[] {
  return [m, s.n, s.k, s.kp, Number(s.relu), Number(s.residual)].map((v) => ({ type: 'int32', data: [v] }));
}

function checkTiles(name: string): TileConfig {
  const t = TILE_CONFIGS[name];
  if (!t) throw new Error(`unknown GEMM tile configuration '${name}' (one of ${Object.keys(TILE_CONFIGS).join(', ')})`);
  return t;
}

/** The whole shader: our own declarations, so that `enable f16;` can lead it. */
export function rawGemmShader(spec: ShaderSpec): string {
  const { bm, bn, rm, rn } = spec.tiles;
  const wType = spec.format === 'f32' ? 'vec4<f32>' : spec.arithmetic === 'f16' ? 'vec2<u32>' : 'vec2<i32>';
  const decls = [
    `@group(0) @binding(0) var<storage, read_write> result: array<f32>;`,
    `@group(0) @binding(1) var<storage, read> X: array<${spec.k % 4 === 0 ? 'vec4<f32>' : 'f32'}>;`,
    `@group(0) @binding(2) var<storage, read> W: array<${wType}>;`,
    `@group(0) @binding(3) var<storage, read> Bias: array<f32>;`,
    `@group(0) @binding(4) var<storage, read> R: array<f32>;`,
    `@group(0) @binding(5) var<uniform> uniforms: Uniforms;`,
  ];
  return /* wgsl */ `${spec.arithmetic === 'f16' ? 'enable f16;\n' : ''}
      struct Uniforms { M: i32, N: i32, K: i32, KP: i32, RELU: i32, RES: i32 };
      ${decls.join('\n      ')}
      var<private> localId: vec3<u32>;
      var<private> workgroupId: vec3<u32>;
      ${kernelBody(spec)}
      @compute @workgroup_size(${(bm / rm) * (bn / rn)}, 1, 1)
      fn gemmEntry(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
        localId = lid;
        workgroupId = wid;
        main();
      }
    `;
}

// What the raw path needs of tfjs's backend beyond its public surface (tfjs 4.22).
interface BackendInternals {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  uploadToGPU(dataId: object): void;
  tensorToBinding(t: tf.TensorInfo): GPUBufferBinding;
  makeUniforms(u: { type: string; data: number[] }[]): GPUBufferBinding;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const rawPipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function rawGemm(be: BackendInternals, x: tf.Tensor2D, W: GemmWeights, spec: ShaderSpec): tf.Tensor2D {
  const m = x.shape[0];
  // What the shader text depends on (sizes and flags are uniforms).
  const { bm, bn, bk, rm, rn } = spec.tiles;
  const key = `${spec.k % 4 === 0}|${spec.format}|${spec.arithmetic}|${bm},${bn},${bk},${rm},${rn}`;
  let cache = rawPipelines.get(be.device);
  if (!cache) rawPipelines.set(be.device, (cache = new Map()));
  let pipeline = cache.get(key);
  if (!pipeline) {
    const code = rawGemmShader(spec);
    pipeline = be.device.createComputePipeline({ layout: 'auto', compute: { module: be.device.createShaderModule({ code }), entryPoint: 'gemmEntry' } });
    cache.set(key, pipeline);
  }
  const out = be.makeTensorInfo([m, spec.n], 'float32');
  // Without a residual the bias stands in for R (never read then: the flag is a uniform).
  const inputs: tf.TensorInfo[] = [x, W.w, W.bias, (spec as { r?: tf.Tensor2D }).r ?? W.bias];
  for (const t of [out, ...inputs]) be.uploadToGPU(t.dataId);
  const entries = [out, ...inputs].map((t, i) => ({ binding: i, resource: be.tensorToBinding(t) }));
  entries.push({ binding: entries.length, resource: be.makeUniforms(sizeUniforms(m, spec)) });
  for (const t of [out, ...inputs]) be.commandQueueOwnedIds.add(t.dataId);
  const bindGroup = be.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  be.ensureCommandEncoderReady();
  be.computePassEncoder ??= be.commandEncoder!.beginComputePass({});
  be.computePassEncoder.setPipeline(pipeline);
  be.computePassEncoder.setBindGroup(0, bindGroup);
  be.computePassEncoder.dispatchWorkgroups(Math.ceil(spec.n / spec.tiles.bn), Math.ceil(m / spec.tiles.bm), 1);
  // As tfjs's recordAndSubmit: submit every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches.
  if (++be.dispatchCountInPass >= (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    be.endComputePassEncoder();
    be.submitQueue();
  }
  return tf.engine().makeTensorFromTensorInfo(out) as tf.Tensor2D;
}

/** The adapter's device can run the f16-arithmetic variant. */
export function hasShaderF16(): boolean {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  return !!device?.features?.has('shader-f16');
}

/**
 * X [M, K] times W^T plus the bias (then ReLU, then + residual) on tfjs's WebGPU backend, as a
 * tensor that tfjs owns (dispose it as any other).
 */
export function gemm(x: tf.Tensor2D, W: GemmWeights, opts: GemmOptions = {}): tf.Tensor2D {
  const [m, k] = x.shape;
  if (k !== W.k) throw new Error(`gemm: X has ${k} columns, the weight ${W.k}`);
  const arithmetic = opts.arithmetic ?? 'f32';
  if (arithmetic === 'f16' && W.format !== 'f16') throw new Error('gemm: f16 arithmetic takes packed f16 weights');
  if (arithmetic === 'f16' && !hasShaderF16()) throw new Error("gemm: f16 arithmetic needs the adapter's shader-f16 feature, which this device does not have");
  if (opts.residual && (opts.residual.shape[0] !== m || opts.residual.shape[1] !== W.n)) throw new Error(`gemm: residual of shape ${opts.residual.shape} for output [${m}, ${W.n}]`);
  const spec: ShaderSpec & { r?: tf.Tensor2D } = {
    n: W.n,
    k: W.k,
    kp: W.kp,
    format: W.format,
    arithmetic,
    relu: !!opts.relu,
    residual: !!opts.residual,
    tiles: checkTiles(opts.tiles ?? DEFAULT_TILES),
    r: opts.residual,
  };
  if (m === 0) return tf.zeros([0, W.n]);
  return rawGemm(tf.backend() as unknown as BackendInternals, x, W, spec);
}

export function disposeGemmWeights(W: GemmWeights): void {
  W.w.dispose();
  W.bias.dispose();
}
