// The WebGPU encoder with our GEMM kernels (kernels 'gemm', kernels/gemm.ts) on the scGPT parity
// fixtures, through Dawn in Node (SwiftShader in CI: see the Makefile's GPU_ENV): float32 weights
// as close to the exact float64 CPU encoder as the fused tfjs-matmul path, packed float16 weights
// within the fixture README's fp16 tolerance (2e-3 absolute, cosine > 0.9999 per cell), f16
// arithmetic where the adapter has shader-f16 (skipped on SwiftShader), and the per-adapter tile
// trial and its stores. Small shapes: SwiftShader runs on the CPU.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forwardCell, l2Normalize } from '../src/model/encoder-cpu.ts';
import { TfjsEncoder, defaultGemmChoice, defaultKernels, initTfjsWebGPU, tfjsAdapterKey } from '../src/model/encoder-tfjs.ts';
import { TILE_CONFIGS, hasShaderF16 } from '../src/model/kernels/gemm.ts';
import { SOFTWARE_TILES, chooseTiles, memoryTileStore, parseChoices, resetTileMemo, tileKey } from '../src/model/kernels/gemm-tiles.ts';
import { fileTileStore } from '../src/model/kernels/gemm-tiles-node.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import type { ScGPTWeights } from '../src/model/weights.ts';
import { expected, fixtureTokens, loadWeights, maxAbsDiff } from './model-fixtures.ts';

await installNodeWebGPU();
if (!(await initTfjsWebGPU())) throw new Error('no WebGPU adapter in Node: run with LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (make unit does)');

const encoders: TfjsEncoder[] = [];
afterAll(() => encoders.forEach((e) => e.dispose()));

function cosine(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

// The first 4 cells of the tiny fixture (SwiftShader runs on the CPU), padded to the longest of them.
const full = fixtureTokens('tiny');
const N = 4;
const L = Math.max(...full.lengths.subarray(0, N));
const pick = <T extends Int32Array | Float32Array>(a: T): T => {
  const out = new (a.constructor as new (n: number) => T)(N * L);
  for (let c = 0; c < N; c++) out.set(a.subarray(c * full.seqLen, c * full.seqLen + L), c * L);
  return out;
};
const batch = { ids: pick(full.ids), values: pick(full.values), lengths: full.lengths.slice(0, N), batch: N, seqLen: L };
const weights: ScGPTWeights = await loadWeights('tiny', 'checkpoint_flash');
const d = weights.config.dModel;

/** The exact float64 CPU encoder's `<cls>` output per cell. */
function cpuCls(w: ScGPTWeights): Float32Array[] {
  return Array.from({ length: N }, (_, c) => {
    const n = batch.lengths[c];
    return forwardCell(w, batch.ids.subarray(c * L, c * L + n), batch.values.subarray(c * L, c * L + n), n).cls;
  });
}

function worstCls(got: Float32Array, want: Float32Array[]): number {
  return Math.max(...want.map((w, c) => maxAbsDiff(got.subarray(c * d, (c + 1) * d), w, d)));
}

describe('kernels gemm, float32 weights, tiny fixture', () => {
  it('hidden states and embeddings as scGPT; <cls> within float32 rounding of the float64 CPU encoder', async () => {
    const enc = new TfjsEncoder(weights, 'gemm', { weights: 'f32' });
    encoders.push(enc);
    const r = await enc.encode(batch, { captureHidden: true });
    const emb = expected('tiny', 'cell_embedding_l2');
    for (let c = 0; c < N; c++) {
      expect(maxAbsDiff(l2Normalize(r.cls.slice(c * d, (c + 1) * d)), emb.data.subarray(c * d)), `cell ${c}`).toBeLessThan(1e-4);
    }
    expect(worstCls(r.cls, cpuCls(weights))).toBeLessThan(1e-5);
    const hid = expected('tiny', 'hidden_states_first_cells');
    const k = hid.shape[1];
    for (let l = 0; l < hid.shape[0]; l++) {
      for (let c = 0; c < k; c++) {
        expect(maxAbsDiff(r.hidden![l].subarray(c * L * d), hid.data.subarray(((l * k + c) * full.seqLen) * d), batch.lengths[c] * d), `layer ${l} cell ${c}`).toBeLessThan(1e-4);
      }
    }
  }, 480_000);

  it('a cell gives the same bits alone as in the batch', async () => {
    const enc = new TfjsEncoder(weights, 'gemm');
    encoders.push(enc);
    const whole = await enc.encode(batch);
    const c = 2;
    const one = await enc.encode({ ids: batch.ids.subarray(c * L, (c + 1) * L), values: batch.values.subarray(c * L, (c + 1) * L), lengths: batch.lengths.subarray(c, c + 1), batch: 1, seqLen: L });
    expect(Buffer.from(one.cls.buffer).equals(Buffer.from(whole.cls.slice(c * d, (c + 1) * d).buffer))).toBe(true);
  }, 480_000);
});

describe('kernels gemm, packed float16 weights, tiny fixture', () => {
  it("within the fixture's fp16 tolerance (2e-3 absolute, cosine > 0.9999 per cell), and float32 rounding of the CPU encoder on the fp16 checkpoint", async () => {
    const enc = new TfjsEncoder(weights, 'gemm', { weights: 'f16', arithmetic: 'f32' });
    encoders.push(enc);
    expect(enc.gemmArithmetic).toBe('f32');
    const r = await enc.encode(batch);
    const emb = expected('tiny', 'cell_embedding_l2');
    for (let c = 0; c < N; c++) {
      const got = l2Normalize(r.cls.slice(c * d, (c + 1) * d));
      expect(maxAbsDiff(got, emb.data.subarray(c * d)), `cell ${c}`).toBeLessThan(2e-3);
      expect(cosine(got, emb.data.subarray(c * d), d), `cell ${c}`).toBeGreaterThan(0.9999);
    }
    // The exact reference of this path: the float64 CPU encoder with the linear layers' weights
    // taken from the fixture's fp16 checkpoint (the same weights saved as float16), the rest float32.
    const half = await loadWeights('tiny', 'checkpoint_fp16');
    const mixed: ScGPTWeights = { ...weights, valW2: half.valW2, layers: weights.layers.map((l, i) => ({ ...l, wqkv: half.layers[i].wqkv, wo: half.layers[i].wo, w1: half.layers[i].w1, w2: half.layers[i].w2 })) };
    expect(worstCls(r.cls, cpuCls(mixed))).toBeLessThan(1e-5);
    expect(worstCls(r.cls, cpuCls(weights))).toBeGreaterThan(1e-5);
  }, 480_000);

  it('f16 arithmetic is refused where the device has no shader-f16', () => {
    if (hasShaderF16()) return;
    expect(() => new TfjsEncoder(weights, 'gemm', { weights: 'f16', arithmetic: 'f16' })).toThrow(/shader-f16/);
    const enc = new TfjsEncoder(weights, 'gemm', { weights: 'f16' });
    encoders.push(enc);
    expect(enc.gemmArithmetic).toBe('f32');
  });

  it('by default packs the weights as halves only where that loses nothing (an f16 checkpoint or bundle)', async () => {
    expect(defaultGemmChoice(await loadWeights('tiny', 'checkpoint_fp16'))).toEqual({ weights: 'f16', arithmetic: 'f32' });
    expect(defaultGemmChoice(weights)).toEqual({ weights: 'f32', arithmetic: 'f32' });
  });
});

describe.skipIf(!hasShaderF16())('kernels gemm, f16 arithmetic (adapters with shader-f16; not SwiftShader)', () => {
  it("tiny and wide fixtures within the fp16 tolerance", async () => {
    for (const name of ['tiny', 'wide'] as const) {
      const w = await loadWeights(name);
      const enc = new TfjsEncoder(w, 'gemm', { weights: 'f16' });
      encoders.push(enc);
      expect(enc.gemmArithmetic).toBe('f16');
      const tk = fixtureTokens(name);
      const r = await enc.encode({ ids: tk.ids, values: tk.values, lengths: tk.lengths, batch: tk.nCells, seqLen: tk.seqLen });
      const emb = expected(name, 'cell_embedding_l2');
      const dd = w.config.dModel;
      for (let c = 0; c < tk.nCells; c++) {
        const got = l2Normalize(r.cls.slice(c * dd, (c + 1) * dd));
        expect(maxAbsDiff(got, emb.data.subarray(c * dd)), `${name} cell ${c}`).toBeLessThan(2e-3);
        expect(cosine(got, emb.data.subarray(c * dd), dd), `${name} cell ${c}`).toBeGreaterThan(0.9999);
      }
    }
  }, 480_000);
});

describe('GEMM tile choice per adapter', () => {
  it('a timed trial on first use, remembered under the adapter and weight format; software adapters take the measured default', async () => {
    resetTileMemo();
    const store = memoryTileStore();
    const candidates = ['32x64x16/4x4', '64x128x8/4x8'];
    const adapter = tfjsAdapterKey();
    expect(adapter).toMatch(/\S/);
    const tiles = await chooseTiles({ adapter, software: true, force: true, format: 'f32', arithmetic: 'f32', n: 64, k: 64, rows: 256, candidates, store });
    expect(candidates).toContain(tiles);
    const saved = (await store.load())[tileKey(adapter, 'f32', 'f32')];
    expect(saved.tiles).toBe(tiles);
    expect(Object.keys(saved.ms).sort()).toEqual([...candidates].sort());
    // Remembered: a later session reads the store and times nothing.
    resetTileMemo();
    await store.save({ [tileKey(adapter, 'f32', 'f32')]: { tiles: '32x32x32/2x2', ms: {} } });
    expect(await chooseTiles({ adapter, software: false, format: 'f32', arithmetic: 'f32', n: 64, k: 64, store })).toBe('32x32x32/2x2');
    // Without a remembered choice a software adapter gets the configuration measured on SwiftShader.
    expect(await chooseTiles({ adapter: 'another', software: true, format: 'f16', arithmetic: 'f32', n: 64, k: 64, store })).toBe(SOFTWARE_TILES);
    expect(SOFTWARE_TILES in TILE_CONFIGS).toBe(true);
    resetTileMemo();
  }, 240_000);

  it("the CLI's file store round-trips, and a damaged or foreign file counts as empty", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gemm-tiles-'));
    const path = join(dir, 'sub', 'gemm-tiles.json');
    const s = fileTileStore(path);
    expect(await s.load()).toEqual({});
    await s.save({ a: { tiles: '64x64x16/4x4', ms: { '64x64x16/4x4': 1.5 } } });
    expect(await fileTileStore(path).load()).toEqual({ a: { tiles: '64x64x16/4x4', ms: { '64x64x16/4x4': 1.5 } } });
    expect(JSON.parse(readFileSync(path, 'utf8')).a.tiles).toBe('64x64x16/4x4');
    writeFileSync(path, '{"a": {"tiles": "no-such"}, "b": 3, "c": {"tiles": "32x32x32/2x2"}');
    expect(await s.load()).toEqual({});
    expect(parseChoices('{"a": {"tiles": "no-such"}, "b": 3, "c": {"tiles": "32x32x32/2x2"}}')).toEqual({ c: { tiles: '32x32x32/2x2', ms: {} } });
  });

  it('the encoder uses the given tile choice; its kernels are the default on hardware and software adapters', async () => {
    expect(defaultKernels(false)).toBe('gemm');
    expect(defaultKernels(true)).toBe('gemm');
    const enc = new TfjsEncoder(weights, 'gemm', { tiles: '32x32x32/2x2' });
    encoders.push(enc);
    expect(await enc.prepare()).toBe('32x32x32/2x2');
    expect(enc.describeKernels()).toBe('gemm (weights f32, arithmetic f32, tiles 32x32x32/2x2)');
    const fused = new TfjsEncoder(weights, 'fused');
    encoders.push(fused);
    expect(await fused.prepare()).toBeNull();
  });
});
