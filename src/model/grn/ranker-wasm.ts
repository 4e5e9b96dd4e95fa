// The attention GRN on the CPU in float32: the layers before the chosen one on the WASM encoder
// (tfjs-backend-wasm, XNNPACK GEMMs, threaded in Node), per head raw q k^T as one 2-D matMul, then
// the same rank normalisation and exact integer group sums as the float64 reference (cpuRanker).
// A full-size cell takes seconds, so progress comes after every layer and every head.
import * as tf from '@tensorflow/tfjs-core';
import { resolveLayer } from '../encoder-cpu.ts';
import type { WasmEncoder } from '../encoder-wasm.ts';
import { addHeadRanks } from './rank-normalize.ts';
import type { GroupRanker } from './ranker.ts';
import { CpuGroupSums } from './ranker.ts';

/**
 * Raw per-head scores [heads, M, M] of one cell at `layer` (negative: from the end). `step(done,
 * of)` is awaited after each layer before it and each head's scores.
 */
export async function rawScoresWasm(enc: WasmEncoder, ids: Int32Array, values: Float32Array, m: number, layer: number, step?: (done: number, of: number) => Promise<void>): Promise<Float32Array> {
  const { nLayers, nHeads } = enc.weights.config;
  const l = resolveLayer(nLayers, layer);
  const of = l + nHeads;
  const heads = await enc.layerQk(ids, values, l, (done) => step?.(done, of) ?? Promise.resolve());
  const out = new Float32Array(nHeads * m * m);
  try {
    for (let h = 0; h < nHeads; h++) {
      // [n, hd] x [hd, n]: XNNPACK's layout (a transposed right operand takes tfjs's scalar path).
      const s = tf.matMul(heads[h].q, heads[h].kT);
      out.set((await s.data()) as Float32Array, h * m * m);
      s.dispose();
      await step?.(l + h + 1, of);
    }
  } finally {
    tf.dispose(heads.flatMap((p) => [p.q, p.kT]));
  }
  return out;
}

export function wasmRanker(enc: WasmEncoder, layer: number, threads: number): GroupRanker {
  const sums = new CpuGroupSums();
  const { nHeads, nLayers } = enc.weights.config;
  // Steps of a cell: the layers before the chosen one, each head's scores, each head's ranks.
  const steps = resolveLayer(nLayers, layer) + 2 * nHeads;
  return {
    name: `WASM (float32, ${threads} thread${threads === 1 ? '' : 's'})`,
    // One cell at a time: a batch would only hold more [heads, M, M] scores at once.
    batchSize: () => 1,
    async add(ids, values, groups, cells, m, within) {
      const r = new Int32Array(m * m);
      const ranks = new Int32Array(m * m);
      for (let c = 0; c < cells; c++) {
        const raw = await rawScoresWasm(enc, ids.subarray(c * m, (c + 1) * m), values.subarray(c * m, (c + 1) * m), m, layer, (done) => within?.(c + done / steps) ?? Promise.resolve());
        r.fill(0);
        for (let h = 0; h < nHeads; h++) {
          addHeadRanks(raw, m, h * m * m, ranks, r);
          await within?.(c + (steps - nHeads + h + 1) / steps);
        }
        sums.add(r, groups[c]);
      }
    },
    async sums() {
      return sums.sums();
    },
    dispose() {},
  };
}
