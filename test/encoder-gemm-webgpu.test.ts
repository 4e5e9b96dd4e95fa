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
import { TfjsEncoder, defaultKernels, initTfjsWebGPU, tfjsAdapterKey } from '../src/model/encoder-tfjs.ts';
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

const t = fixtureTokens('tiny');
const batch = { ids: t.ids, values: t.values, lengths: t.lengths, batch: t.nCells, seqLen: t.seqLen };
const weights: ScGPTWeights = await loadWeights('tiny', 'checkpoint_flash');
const d = weights.config.dModel;

/** The exact float64 CPU encoder's `<cls>` output per cell (the reference the f32 paths are held to). */
const cpuCls = Array.from({ length: t.nCells }, (_, c) => {
  const n = t.lengths[c];
  return forwardCell(weights, t.ids.subarray(c * t.seqLen, c * t.seqLen + n), t.values.subarray(c * t.seqLen, c * t.seqLen + n), n).cls;
});

async function encodeWith(enc: TfjsEncoder) {
  encoders.push(enc);
  return enc.encode(batch, { captureHidden: true, attentionLayer: -1 });
}

describe('kernels gemm, float32 weights, tiny fixture', () => {
  it('hidden states, embeddings and attention as scGPT; <cls> as close to the float64 CPU encoder as the fused path', async () => {
    const r = await encodeWith(new TfjsEncoder(weights, 'gemm', { weights: 'f32' }));
    const fused = await encodeWith(new TfjsEncoder(weights, 'fused'));
    const emb = expected('tiny', 'cell_embedding_l2');
    let worstGemm = 0;
    let worstFused = 0;
    for (let c = 0; c < t.nCells; c++) {
      expect(maxAbsDiff(l2Normalize(r.cls.slice(c * d, (c + 1) * d)), emb.data.subarray(c * d)), `cell ${c}`).toBeLessThan(1e-4);
      worstGemm = Math.max(worstGemm, maxAbsDiff(r.cls.subarray(c * d), cpuCls[c], d));
      worstFused = Math.max(worstFused, maxAbsDiff(fused.cls.subarray(c * d), cpuCls[c], d));
    }
    // float32 rounding only: within a few times the fused path's own distance from the float64 encoder.
    expect(worstGemm).toBeLessThan(Math.max(4 * worstFused, 2e-6));
    const hid = expected('tiny', 'hidden_states_first_cells');
    const k = hid.shape[1];
    const L = t.seqLen;
    for (let l = 0; l < hid.shape[0]; l++) {
      for (let c = 0; c < k; c++) {
        expect(maxAbsDiff(r.hidden![l].subarray(c * L * d), hid.data.subarray(((l * k + c) * L) * d), t.lengths[c] * d), `layer ${l} cell ${c}`).toBeLessThan(1e-4);
      }
    }
    const att = expected('tiny', 'last_layer_attention_mean_heads_first_cells');
    for (let c = 0; c < att.shape[0]; c++) {
      const n = t.lengths[c];
      for (let i = 0; i < n; i++) expect(maxAbsDiff(r.attentionMean!.subarray((c * L + i) * L), att.data.subarray((c * L + i) * L), n)).toBeLessThan(1e-5);
    }
  }, 480_000);

  it('a cell gives the same bits alone as in a batch of 16', async () => {
    const enc = new TfjsEncoder(weights, 'gemm');
    encoders.push(enc);
    const whole = await enc.encode(batch);
    const c = 3;
    const L = t.seqLen;
    const one = await enc.encode({ ids: t.ids.subarray(c * L, (c + 1) * L), values: t.values.subarray(c * L, (c + 1) * L), lengths: t.lengths.subarray(c, c + 1), batch: 1, seqLen: L });
    expect(Buffer.from(one.cls.buffer).equals(Buffer.from(whole.cls.slice(c * d, (c + 1) * d).buffer))).toBe(true);
  }, 480_000);
});

describe('kernels gemm, packed float16 weights, tiny fixture', () => {
  it("within the fixture's fp16 tolerance: 2e-3 absolute and cosine > 0.9999 per cell", async () => {
    const enc = new TfjsEncoder(weights, 'gemm', { weights: 'f16', arithmetic: 'f32' });
    expect(enc.gemmArithmetic).toBe('f32');
    const r = await encodeWith(enc);
    const emb = expected('tiny', 'cell_embedding_l2');
    for (let c = 0; c < t.nCells; c++) {
      const got = l2Normalize(r.cls.slice(c * d, (c + 1) * d));
      expect(maxAbsDiff(got, emb.data.subarray(c * d)), `cell ${c}`).toBeLessThan(2e-3);
      expect(cosine(got, emb.data.subarray(c * d), d), `cell ${c}`).toBeGreaterThan(0.9999);
    }
    // Not the float32 result: the weights really are halves.
    const f32 = await encodeWith(new TfjsEncoder(weights, 'gemm', { weights: 'f32' }));
    expect(maxAbsDiff(r.cls, f32.cls)).toBeGreaterThan(0);
  }, 480_000);

  it('f16 arithmetic is refused where the device has no shader-f16', () => {
    if (hasShaderF16()) return;
    expect(() => new TfjsEncoder(weights, 'gemm', { weights: 'f16', arithmetic: 'f16' })).toThrow(/shader-f16/);
    const enc = new TfjsEncoder(weights, 'gemm', { weights: 'f16' });
    encoders.push(enc);
    expect(enc.gemmArithmetic).toBe('f32');
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

  it('the encoder uses the remembered choice, and its kernels are the default on hardware adapters only', async () => {
    expect(defaultKernels(false)).toBe('gemm');
    expect(defaultKernels(true)).toBe('fused');
    const enc = new TfjsEncoder(weights, 'gemm', { tiles: '32x32x32/2x2' });
    encoders.push(enc);
    expect(await enc.prepare()).toBe('32x32x32/2x2');
    expect(enc.describeKernels()).toBe('gemm (weights f32, arithmetic f32, tiles 32x32x32/2x2)');
    const fused = new TfjsEncoder(weights, 'fused');
    encoders.push(fused);
    expect(await fused.prepare()).toBeNull();
  });
});
