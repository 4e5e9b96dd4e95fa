// scGPT encoder weights, taken from a state dict of either key flavour (PyTorch `in_proj_weight`
// or flash-attn `Wqkv.weight`, with or without `_impl.` / `module.`), checked whole before use:
// a checkpoint either loads completely or not at all.
import type { Tensor } from './checkpoint/torch.ts';

export interface ModelConfig {
  nLayers: number;
  dModel: number;
  nHeads: number;
  dHid: number;
  vocabSize: number;
  padId: number;
  clsId: number;
  padValue: number;
  /** ContinuousValueEncoder clamps values at this maximum (scGPT: 512). */
  maxValue: number;
  layerNormEps: number;
}

export interface LayerWeights {
  wqkv: Float32Array; // [3d, d], rows q | k | v
  bqkv: Float32Array; // [3d]
  wo: Float32Array; // [d, d]
  bo: Float32Array;
  w1: Float32Array; // [dHid, d]
  b1: Float32Array;
  w2: Float32Array; // [d, dHid]
  b2: Float32Array;
  ln1g: Float32Array;
  ln1b: Float32Array;
  ln2g: Float32Array;
  ln2b: Float32Array;
}

export interface ScGPTWeights {
  config: ModelConfig;
  embedding: Float32Array; // [vocab, d]
  encNormG: Float32Array;
  encNormB: Float32Array;
  valW1: Float32Array; // [d] (Linear(1, d) weight)
  valB1: Float32Array;
  valW2: Float32Array; // [d, d]
  valB2: Float32Array;
  valNormG: Float32Array;
  valNormB: Float32Array;
  layers: LayerWeights[];
}

export class WeightsError extends Error {}

/** Canonical key: no DDP `module.` prefix, no `_impl.`, flash-attn's Wqkv named like PyTorch's in_proj. */
export function canonicalKey(key: string): string {
  return key
    .replace(/^module\./, '')
    .replace(/\._impl\./g, '.')
    .replace(/self_attn\.Wqkv\.weight$/, 'self_attn.in_proj_weight')
    .replace(/self_attn\.Wqkv\.bias$/, 'self_attn.in_proj_bias');
}

export interface ArgsJson {
  embsize: number;
  nheads: number;
  d_hid: number;
  nlayers: number;
  pad_token?: string;
  pad_value?: number;
}

export function buildWeights(stateDict: Map<string, Tensor>, args: ArgsJson, vocab: { size: number; padId: number; clsId: number }): ScGPTWeights {
  const sd = new Map<string, Tensor>();
  for (const [k, v] of stateDict) sd.set(canonicalKey(k), v);
  const d = args.embsize;
  const dHid = args.d_hid;
  const problems: string[] = [];
  const take = (key: string, shape: number[]): Float32Array => {
    const t = sd.get(key);
    if (!t) {
      problems.push(`missing ${key}`);
      return new Float32Array(shape.reduce((a, b) => a * b, 1));
    }
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      problems.push(`${key} has shape [${t.shape}] but args.json implies [${shape}]`);
    }
    return t.data;
  };
  const emb = sd.get('encoder.embedding.weight');
  if (emb && emb.shape[0] !== vocab.size) {
    problems.push(`the gene embedding table has ${emb.shape[0]} rows but vocab.json has ${vocab.size} tokens: the vocab does not belong to this checkpoint`);
  }
  if (d % args.nheads !== 0) problems.push(`embsize ${d} is not divisible by nheads ${args.nheads}`);
  const layerCount = new Set([...sd.keys()].map((k) => /^transformer_encoder\.layers\.(\d+)\./.exec(k)?.[1]).filter(Boolean)).size;
  if (layerCount !== args.nlayers) problems.push(`args.json says nlayers ${args.nlayers} but the checkpoint has ${layerCount} encoder layers`);
  const weights: ScGPTWeights = {
    config: {
      nLayers: args.nlayers,
      dModel: d,
      nHeads: args.nheads,
      dHid,
      vocabSize: vocab.size,
      padId: vocab.padId,
      clsId: vocab.clsId,
      padValue: args.pad_value ?? -2,
      maxValue: 512,
      layerNormEps: 1e-5,
    },
    embedding: take('encoder.embedding.weight', [vocab.size, d]),
    encNormG: take('encoder.enc_norm.weight', [d]),
    encNormB: take('encoder.enc_norm.bias', [d]),
    valW1: take('value_encoder.linear1.weight', [d, 1]),
    valB1: take('value_encoder.linear1.bias', [d]),
    valW2: take('value_encoder.linear2.weight', [d, d]),
    valB2: take('value_encoder.linear2.bias', [d]),
    valNormG: take('value_encoder.norm.weight', [d]),
    valNormB: take('value_encoder.norm.bias', [d]),
    layers: Array.from({ length: args.nlayers }, (_, i) => {
      const p = `transformer_encoder.layers.${i}.`;
      return {
        wqkv: take(`${p}self_attn.in_proj_weight`, [3 * d, d]),
        bqkv: take(`${p}self_attn.in_proj_bias`, [3 * d]),
        wo: take(`${p}self_attn.out_proj.weight`, [d, d]),
        bo: take(`${p}self_attn.out_proj.bias`, [d]),
        w1: take(`${p}linear1.weight`, [dHid, d]),
        b1: take(`${p}linear1.bias`, [dHid]),
        w2: take(`${p}linear2.weight`, [d, dHid]),
        b2: take(`${p}linear2.bias`, [d]),
        ln1g: take(`${p}norm1.weight`, [d]),
        ln1b: take(`${p}norm1.bias`, [d]),
        ln2g: take(`${p}norm2.weight`, [d]),
        ln2b: take(`${p}norm2.bias`, [d]),
      };
    }),
  };
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).join('; ');
    throw new WeightsError(`the checkpoint does not match an scGPT encoder: ${shown}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}`);
  }
  return weights;
}
