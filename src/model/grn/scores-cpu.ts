// Raw attention scores of one layer on the CPU, the reference for the WGSL path: the layers
// before it as scGPT runs them (float64 sums, src/model/encoder-cpu.ts), then per head q k^T from
// the layer's in_proj with no 1/sqrt(d) scale and no softmax (what scGPT's attention-GRN tutorial
// reads out of its flash-attn layer), rounded to float32 as torch returns them.
import { layerInput, linear, resolveLayer } from '../encoder-cpu.ts';
import type { ScGPTWeights } from '../weights.ts';

/** Raw per-head scores [heads, M, M] of one cell's M tokens at `layer` (negative: from the end). */
export function rawScoresCpu(w: ScGPTWeights, ids: Int32Array, values: Float32Array, m: number, layer: number): Float32Array {
  const { dModel: d, nHeads } = w.config;
  const L = w.layers[resolveLayer(w.config.nLayers, layer)];
  const qkv = linear(layerInput(w, ids, values, m, layer), m, d, L.wqkv, L.bqkv, 3 * d);
  const hd = d / nHeads;
  const out = new Float32Array(nHeads * m * m);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < m; i++) {
      const q = i * 3 * d + h * hd;
      for (let j = 0; j < m; j++) {
        const k = j * 3 * d + d + h * hd;
        let s = 0;
        for (let c = 0; c < hd; c++) s += qkv[q + c] * qkv[k + c];
        out[(h * m + i) * m + j] = s;
      }
    }
  }
  return out;
}
