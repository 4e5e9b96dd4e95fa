// The scGPT encoder on the CPU, one cell at a time over its real tokens only (no padding, so no
// mask is needed: padded keys get zero weight in scGPT). Sums run in float64. This is the reference
// every GPU kernel is tested against, and the fallback where WebGPU is missing.
import type { LayerWeights, ScGPTWeights } from './weights.ts';

export interface CellForward {
  /** Encoder output at `<cls>` (not normalised). */
  cls: Float32Array;
  /** Input of layer 0 and each layer's output, [n, d] each, when asked for. */
  hidden?: Float32Array[];
  /** Softmax attention averaged over heads, [n, n], of the layer asked for. */
  attentionMean?: Float32Array;
}

export interface ForwardOptions {
  captureHidden?: boolean;
  /** Layer index whose head-averaged attention to return (-1 for the last). */
  attentionLayer?: number;
}

/** y[i, o] = b[o] + sum_k x[i, k] * w[o, k]  (x: [n, inDim], w: [outDim, inDim] as in nn.Linear). */
export function linear(x: Float32Array, n: number, inDim: number, w: Float32Array, b: Float32Array, outDim: number): Float32Array {
  const y = new Float32Array(n * outDim);
  for (let i = 0; i < n; i++) {
    const xi = i * inDim;
    for (let o = 0; o < outDim; o++) {
      const wo = o * inDim;
      let s = 0;
      for (let k = 0; k < inDim; k++) s += x[xi + k] * w[wo + k];
      y[i * outDim + o] = s + b[o];
    }
  }
  return y;
}

/** In-place LayerNorm over the last dimension (biased variance, as torch). */
export function layerNorm(x: Float32Array, n: number, d: number, g: Float32Array, b: Float32Array, eps: number): Float32Array {
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let mean = 0;
    for (let k = 0; k < d; k++) mean += x[o + k];
    mean /= d;
    let v = 0;
    for (let k = 0; k < d; k++) v += (x[o + k] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let k = 0; k < d; k++) x[o + k] = (x[o + k] - mean) * inv * g[k] + b[k];
  }
  return x;
}

/** LayerNorm(Embedding(id)) for each id: the gene token embeddings scGPT's GRN analysis uses. */
export function geneTokenEmbeddings(w: ScGPTWeights, ids: ArrayLike<number>): Float32Array {
  const d = w.config.dModel;
  const out = new Float32Array(ids.length * d);
  for (let i = 0; i < ids.length; i++) out.set(w.embedding.subarray(ids[i] * d, (ids[i] + 1) * d), i * d);
  return layerNorm(out, ids.length, d, w.encNormG, w.encNormB, w.config.layerNormEps);
}

/** Gene embedding + value embedding: the input of the first encoder layer. */
export function embedInputs(w: ScGPTWeights, ids: Int32Array, values: Float32Array, n: number): Float32Array {
  const { dModel: d, maxValue, layerNormEps: eps } = w.config;
  const genes = geneTokenEmbeddings(w, ids.subarray(0, n));
  const h = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const v = Math.min(values[i], maxValue);
    for (let k = 0; k < d; k++) h[i * d + k] = Math.max(0, v * w.valW1[k] + w.valB1[k]);
  }
  const val = layerNorm(linear(h, n, d, w.valW2, w.valB2, d), n, d, w.valNormG, w.valNormB, eps);
  for (let i = 0; i < n * d; i++) genes[i] += val[i];
  return genes;
}

function attention(x: Float32Array, n: number, d: number, nHeads: number, L: LayerWeights, meanOut: Float32Array | null): Float32Array {
  const qkv = linear(x, n, d, L.wqkv, L.bqkv, 3 * d);
  const hd = d / nHeads;
  const scale = 1 / Math.sqrt(hd);
  const ctx = new Float32Array(n * d);
  const scores = new Float64Array(n);
  for (let h = 0; h < nHeads; h++) {
    const qo = h * hd;
    const ko = d + h * hd;
    const vo = 2 * d + h * hd;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < hd; k++) s += qkv[i * 3 * d + qo + k] * qkv[j * 3 * d + ko + k];
        scores[j] = s * scale;
        if (scores[j] > max) max = scores[j];
      }
      let sum = 0;
      for (let j = 0; j < n; j++) sum += scores[j] = Math.exp(scores[j] - max);
      for (let j = 0; j < n; j++) {
        const p = scores[j] / sum;
        if (meanOut) meanOut[i * n + j] += p / nHeads;
        for (let k = 0; k < hd; k++) ctx[i * d + qo + k] += p * qkv[j * 3 * d + vo + k];
      }
    }
  }
  return linear(ctx, n, d, L.wo, L.bo, d);
}

/** One post-norm encoder layer (attention, add & LayerNorm, FFN, add & LayerNorm). */
function encoderLayer(w: ScGPTWeights, L: LayerWeights, x: Float32Array, n: number, meanOut: Float32Array | null): Float32Array {
  const { dModel: d, nHeads, dHid, layerNormEps: eps } = w.config;
  const a = attention(x, n, d, nHeads, L, meanOut);
  for (let i = 0; i < n * d; i++) a[i] += x[i];
  const x1 = layerNorm(a, n, d, L.ln1g, L.ln1b, eps);
  const h = linear(x1, n, d, L.w1, L.b1, dHid);
  for (let i = 0; i < h.length; i++) if (h[i] < 0) h[i] = 0;
  const f = linear(h, n, dHid, L.w2, L.b2, d);
  for (let i = 0; i < n * d; i++) f[i] += x1[i];
  return layerNorm(f, n, d, L.ln2g, L.ln2b, eps);
}

/** A layer index that may count from the end (-1: the last), checked against the model's depth. */
export function resolveLayer(nLayers: number, layer: number): number {
  const li = layer < 0 ? nLayers + layer : layer;
  if (!Number.isInteger(layer) || li < 0 || li >= nLayers) throw new RangeError(`layer ${layer} is outside the model's ${nLayers} layers (use 0..${nLayers - 1}, or -1 for the last)`);
  return li;
}

/** The input of layer `layer` for one cell's `n` tokens: the layers before it run as usual. */
export function layerInput(w: ScGPTWeights, ids: Int32Array, values: Float32Array, n: number, layer: number): Float32Array {
  const li = resolveLayer(w.config.nLayers, layer);
  let x = embedInputs(w, ids, values, n);
  for (let l = 0; l < li; l++) x = encoderLayer(w, w.layers[l], x, n, null);
  return x;
}

/** scGPT's encoder for one cell's `n` tokens. */
export function forwardCell(w: ScGPTWeights, ids: Int32Array, values: Float32Array, n: number, opts: ForwardOptions = {}): CellForward {
  const { dModel: d, nLayers } = w.config;
  let x = embedInputs(w, ids, values, n);
  const hidden = opts.captureHidden ? [x.slice()] : undefined;
  const attnLayer = opts.attentionLayer === undefined ? null : opts.attentionLayer < 0 ? nLayers + opts.attentionLayer : opts.attentionLayer;
  let attentionMean: Float32Array | undefined;
  w.layers.forEach((L, li) => {
    const mean = li === attnLayer ? new Float32Array(n * n) : null;
    x = encoderLayer(w, L, x, n, mean);
    if (mean) attentionMean = mean;
    hidden?.push(x.slice());
  });
  return { cls: x.slice(0, d), hidden, attentionMean };
}

export function l2Normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s);
  return v.map((x) => x * inv);
}
