// The float32 WASM encoder (tfjs-backend-wasm) against what scGPT computes (the parity fixtures),
// against our exact float64 CPU encoder, and its invariances: a cell's bits do not depend on the
// batch it is in nor on the number of threads.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { forwardCell, l2Normalize } from '../src/model/encoder-cpu.ts';
import type { TokenBatch } from '../src/model/encoder-tfjs.ts';
import { WasmEncoder } from '../src/model/encoder-wasm.ts';
import { initNodeWasm } from '../src/model/node-wasm.ts';
import { expected, fixturePath, fixtureTokens, loadWeights, maxAbsDiff } from './model-fixtures.ts';

beforeAll(async () => {
  await initNodeWasm(1);
});

function cellsOf(t: ReturnType<typeof fixtureTokens>, cells: number[]): TokenBatch {
  const L = Math.max(...cells.map((c) => t.lengths[c]));
  const ids = new Int32Array(cells.length * L);
  const values = new Float32Array(cells.length * L);
  cells.forEach((c, k) => {
    ids.set(t.ids.subarray(c * t.seqLen, c * t.seqLen + L), k * L);
    values.set(t.values.subarray(c * t.seqLen, c * t.seqLen + L), k * L);
  });
  return { ids, values, lengths: Int32Array.from(cells, (c) => t.lengths[c]), batch: cells.length, seqLen: L };
}

const all = (t: { nCells: number }) => Array.from({ length: t.nCells }, (_, c) => c);

describe('WASM encoder matches scGPT (fixture tolerances of an fp32 port)', () => {
  for (const name of ['tiny', 'wide'] as const) {
    it(`${name}: every cell embedding, hidden states of the first cells`, async () => {
      const w = await loadWeights(name);
      const t = fixtureTokens(name);
      const d = w.config.dModel;
      const enc = new WasmEncoder(w);
      const r = await enc.encode(cellsOf(t, all(t)), { captureHidden: true });
      enc.dispose();
      const emb = expected(name, 'cell_embedding_l2');
      for (let c = 0; c < t.nCells; c++) {
        expect(maxAbsDiff(l2Normalize(r.cls.slice(c * d, (c + 1) * d)), emb.data.subarray(c * d), d), `cell ${c}`).toBeLessThan(1e-5);
      }
      const hid = expected(name, 'hidden_states_first_cells');
      const k = hid.shape[1];
      expect(r.hidden).toHaveLength(hid.shape[0]);
      for (let l = 0; l < hid.shape[0]; l++) {
        for (let c = 0, row = 0; c < k; row += t.lengths[c], c++) {
          expect(maxAbsDiff(r.hidden![l].subarray(row * d), hid.data.subarray((l * k + c) * t.seqLen * d), t.lengths[c] * d), `layer ${l} cell ${c}`).toBeLessThan(1e-4);
        }
      }
    }, 120_000);
  }

  it('tiny: agrees with the exact float64 CPU encoder on <cls> before normalisation', async () => {
    const w = await loadWeights('tiny');
    const t = fixtureTokens('tiny');
    const d = w.config.dModel;
    const enc = new WasmEncoder(w);
    const { cls } = await enc.encode(cellsOf(t, all(t)));
    enc.dispose();
    for (let c = 0; c < t.nCells; c++) {
      const ref = forwardCell(w, t.ids.subarray(c * t.seqLen), t.values.subarray(c * t.seqLen), t.lengths[c]).cls;
      expect(maxAbsDiff(cls.subarray(c * d, (c + 1) * d), ref), `cell ${c}`).toBeLessThan(1e-4);
    }
  });
});

describe('WASM encoder invariances', () => {
  it('same bits for a cell alone and in batches of 4 (other cells, other padding)', async () => {
    for (const name of ['tiny', 'wide'] as const) {
      const w = await loadWeights(name);
      const t = fixtureTokens(name);
      const d = w.config.dModel;
      const enc = new WasmEncoder(w);
      const alone = new Float32Array(t.nCells * d);
      for (let c = 0; c < t.nCells; c++) alone.set((await enc.encode(cellsOf(t, [c]))).cls, c * d);
      const order = all(t).reverse();
      for (let i = 0; i < order.length; i += 4) {
        const group = order.slice(i, i + 4);
        const { cls } = await enc.encode(cellsOf(t, group));
        group.forEach((c, k) => expect(Array.from(cls.subarray(k * d, (k + 1) * d)), `${name} cell ${c}`).toEqual(Array.from(alone.subarray(c * d, (c + 1) * d))));
      }
      enc.dispose();
    }
  }, 120_000);

  it('same bits with 1 and 2 threads (`scweb embed --backend wasm --threads N`, separate processes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-wasm-threads-'));
    const run = (threads: number) =>
      new Promise<{ status: number | null; stderr: string; out: string }>((resolve) => {
        const out = join(dir, `t${threads}.npy`);
        const args = [join(__dirname, '../bin/scweb.mjs'), 'embed', fixturePath('wide', 'cells.h5ad'), '--model', fixturePath('wide', 'checkpoint_flash'), '--backend', 'wasm', '--threads', String(threads), '--max-length', '300', '--batch-size', '4', '--out', out];
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (b) => (stderr += b));
        child.on('close', (status) => resolve({ status, stderr, out }));
      });
    const one = await run(1);
    const two = await run(2);
    expect(one.status, one.stderr).toBe(0);
    expect(two.status, two.stderr).toBe(0);
    expect(one.stderr).toMatch(/WebAssembly.*1 thread\b/);
    expect(two.stderr).toMatch(/WebAssembly.*2 threads/);
    const [a, b] = [readFileSync(one.out), readFileSync(two.out)];
    expect(a.length).toBeGreaterThan(6 * 512 * 4);
    expect(a.equals(b)).toBe(true);
  }, 120_000);
});
