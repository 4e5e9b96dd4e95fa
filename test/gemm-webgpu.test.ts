// Our WGSL GEMM (src/model/kernels/gemm.ts) against a float64 CPU matmul, through Dawn in Node
// (SwiftShader in CI, see the Makefile's GPU_ENV): shapes that are not multiples of any tile, every
// tile configuration (and the same bits from each), the fused bias / ReLU / residual, f16 weights
// packed two to a u32 word (the halves as torch's .half() rounds them), and the f16-arithmetic variant where the adapter has shader-f16 (SwiftShader has not: skipped there).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { halfToFloat } from '../src/model/checkpoint/torch.ts';
import { initTfjsWebGPU } from '../src/model/encoder-tfjs.ts';
import { DEFAULT_TILES, TILE_CONFIGS, disposeGemmWeights, gemm, gemmWeights, hasShaderF16, packHalves, type GemmOptions, type WeightFormat } from '../src/model/kernels/gemm.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { rng } from '../bench/synthetic.ts';
import { loadWeights } from './model-fixtures.ts';

// At the top (not in beforeAll): which tests run depends on the device's features.
await installNodeWebGPU();
if (!(await initTfjsWebGPU())) throw new Error('no WebGPU adapter in Node: run with LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (make unit does)');

function randoms(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** float64 X W^T + b (then ReLU, then + R), W taken as given (already half-rounded where wanted). */
function cpuLinear(x: Float32Array, w: ArrayLike<number>, b: Float32Array, m: number, k: number, n: number, relu = false, r?: Float32Array): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += x[i * k + t] * w[j * k + t];
      s += b[j];
      if (relu) s = Math.max(s, 0);
      if (r) s += r[i * n + j];
      y[i * n + j] = s;
    }
  }
  return y;
}

function halfRounded(w: Float32Array, n: number, k: number): Float64Array {
  const packed = packHalves(w, n, k);
  const kp = Math.ceil(k / 4) * 4;
  const out = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      const word = packed[(r * kp + c) >> 1];
      out[r * k + c] = halfToFloat(c & 1 ? word >>> 16 : word & 0xffff);
    }
  }
  return out;
}

function worstRelative(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  return worst / scale;
}

async function run(m: number, k: number, n: number, format: WeightFormat, opts: GemmOptions & { seed?: number } = {}) {
  const seed = opts.seed ?? m * 7919 + k * 31 + n;
  const xs = randoms(m * k, seed);
  const ws = randoms(n * k, seed + 1, 0.2);
  const bs = randoms(n, seed + 2);
  const rs = randoms(m * n, seed + 3);
  const W = gemmWeights(ws, bs, n, k, format);
  const x = tf.tensor2d(xs, [m, k]);
  const r = opts.residual ? tf.tensor2d(rs, [m, n]) : undefined;
  const y = gemm(x, W, { ...opts, residual: r });
  const got = (await y.data()) as Float32Array;
  tf.dispose([x, y, ...(r ? [r] : [])]);
  disposeGemmWeights(W);
  const want = cpuLinear(xs, format === 'f16' ? halfRounded(ws, n, k) : ws, bs, m, k, n, opts.relu, opts.residual ? rs : undefined);
  return { got, want };
}

const dummy = tf.zeros([1, 1]) as tf.Tensor2D;

describe('GEMM (f32 weights) vs a float64 CPU matmul', () => {
  it.each([
    [37, 53, 19],
    [70, 64, 72],
    [5, 96, 130],
    [129, 12, 3],
  ])('M %i, K %i, N %i: every tile configuration, the same bits from each', async (m, k, n) => {
    let first: Float32Array | null = null;
    for (const tiles of Object.keys(TILE_CONFIGS)) {
      const { got, want } = await run(m, k, n, 'f32', { tiles });
      expect(worstRelative(got, want), tiles).toBeLessThan(1e-6);
      if (first) expect(Buffer.from(got.buffer).equals(Buffer.from(first.buffer)), `${tiles} vs ${DEFAULT_TILES}`).toBe(true);
      first ??= got;
    }
  });

  it('bias + ReLU fused: negative pre-activations are zero, the rest as the CPU', async () => {
    const { got, want } = await run(33, 20, 41, 'f32', { relu: true });
    expect(want.some((v) => v === 0) && want.some((v) => v > 0)).toBe(true);
    expect(worstRelative(got, want)).toBeLessThan(1e-6);
    for (let i = 0; i < want.length; i++) if (want[i] === 0) expect(got[i]).toBe(0);
  });

  it('residual add fused (with and without ReLU)', async () => {
    for (const relu of [false, true]) {
      const { got, want } = await run(66, 28, 17, 'f32', { residual: dummy, relu });
      expect(worstRelative(got, want)).toBeLessThan(1e-6);
    }
  });

  it('f16 weights: the same bits from every tile configuration', async () => {
    let first: Float32Array | null = null;
    for (const tiles of Object.keys(TILE_CONFIGS)) {
      const { got } = await run(37, 53, 19, 'f16', { tiles });
      if (first) expect(Buffer.from(got.buffer).equals(Buffer.from(first.buffer)), tiles).toBe(true);
      first ??= got;
    }
  });

  it('rejects mismatched shapes with what is wrong', () => {
    const W = gemmWeights(new Float32Array(6), new Float32Array(2), 2, 3, 'f32');
    const x = tf.zeros([4, 5]) as tf.Tensor2D;
    expect(() => gemm(x, W)).toThrow(/X has 5 columns, the weight 3/);
    expect(() => gemm(tf.zeros([4, 3]) as tf.Tensor2D, W, { tiles: 'huge' })).toThrow(/unknown GEMM tile configuration 'huge'/);
    expect(() => gemmWeights(new Float32Array(5), new Float32Array(2), 2, 3, 'f32')).toThrow(/5 values for a 2 x 3 weight/);
    x.dispose();
    disposeGemmWeights(W);
  });
});

describe('packed f16 weights', () => {
  // torch.from_numpy(v).half() of these float32 values, as bits (PyTorch 2 on this machine):
  // ties to even, overflow to infinity, subnormals kept, below half the least subnormal to zero.
  const values = [0, -0, 1, 65504, 65519, 65520, 1e5, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -26, 2 ** -14, 2 ** -14 - 2 ** -25, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 0.1, -3.14159, Infinity, -Infinity, 1.5e-5, -7.0e-6];
  const torchHalf = [0x0, 0x8000, 0x3c00, 0x7bff, 0x7bff, 0x7c00, 0x7c00, 0x1, 0x0, 0x1, 0x0, 0x400, 0x400, 0x3c00, 0x3c02, 0x2e66, 0xc248, 0x7c00, 0xfc00, 0xfc, 0x8075];

  it('packHalves rounds as torch .half() and packs the lower index in the low 16 bits, rows padded to 4', () => {
    const k = values.length; // 21: padded to 24
    const packed = packHalves(Float32Array.from(values), 1, k);
    expect(packed.length).toBe(12);
    const halves = Array.from({ length: 24 }, (_, c) => (c & 1 ? packed[c >> 1] >>> 16 : packed[c >> 1] & 0xffff));
    expect(halves.slice(0, k)).toEqual(torchHalf);
    expect(halves.slice(k)).toEqual([0, 0, 0]);
  });

  it('unpack2x16float on the GPU returns every finite half exactly (identity X: Y = W)', async () => {
    const finite = values.map((v, i) => [v, i] as const).filter(([v, i]) => Number.isFinite(halfToFloat(torchHalf[i])) && Number.isFinite(v));
    const k = 8;
    const n = finite.length;
    const w = new Float32Array(n * k);
    finite.forEach(([v], j) => (w[j * k + (j % k)] = v));
    const W = gemmWeights(w, new Float32Array(n), n, k, 'f16');
    const eye = tf.eye(k) as tf.Tensor2D;
    const y = gemm(eye, W);
    const got = (await y.data()) as Float32Array;
    finite.forEach(([, i], j) => expect(got[(j % k) * n + j] + 0, `value ${values[i]}`).toBe(halfToFloat(torchHalf[i]) + 0));
    // (+ 0: the accumulator starts at +0, and +0 + -0 is +0)
    tf.dispose([eye, y]);
    disposeGemmWeights(W);
  });

  it("the tiny fixture's weights packed equal its fp16 checkpoint (the same weights saved as float16)", async () => {
    const [w32, w16] = await Promise.all([loadWeights('tiny', 'checkpoint_flash'), loadWeights('tiny', 'checkpoint_fp16')]);
    const d = w32.config.dModel;
    for (const [li, L] of w32.layers.entries()) {
      for (const [name, n, k] of [['wqkv', 3 * d, d], ['w1', w32.config.dHid, d], ['w2', d, w32.config.dHid]] as const) {
        const got = halfRounded(L[name], n, k);
        const want = w16.layers[li][name];
        let diff = 0;
        for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) diff++;
        expect(diff, `layer ${li} ${name}`).toBe(0);
      }
    }
  });

  it.each([
    [37, 53, 19],
    [64, 96, 130],
  ])('GEMM with packed f16 weights, M %i K %i N %i: as the CPU with the half-rounded weights', async (m, k, n) => {
    for (const tiles of [DEFAULT_TILES, '32x32x32/2x2']) {
      const { got, want } = await run(m, k, n, 'f16', { tiles, relu: true, residual: dummy });
      expect(worstRelative(got, want), tiles).toBeLessThan(1e-6);
    }
  });
});

describe.skipIf(!hasShaderF16())('f16 arithmetic (adapters with shader-f16; not SwiftShader)', () => {
  it.each([
    [37, 53, 19],
    [128, 512, 96],
  ])('M %i, K %i, N %i: within half precision of the CPU', async (m, k, n) => {
    for (const tiles of Object.keys(TILE_CONFIGS)) {
      const { got, want } = await run(m, k, n, 'f16', { tiles, arithmetic: 'f16', relu: true, residual: dummy });
      expect(worstRelative(got, want), tiles).toBeLessThan(4e-3);
    }
  });
});
