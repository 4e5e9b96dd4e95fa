// Our model bundle: manifest.json + vocab.json + binary shards of the encoder's tensors (float32 or
// float16), for public/weights/ and the browser cache. A scGPT model-zoo folder (args.json,
// vocab.json, best_model.pt) and a bundle load through the same `loadModel`.
import type { Tensor } from './checkpoint/torch.ts';
import { halfToFloat, readTorchStateDict } from './checkpoint/torch.ts';
import type { Vocab } from './vocab.ts';
import { parseVocab } from './vocab.ts';
import type { ArgsJson, ScGPTWeights } from './weights.ts';
import { buildWeights, canonicalKey } from './weights.ts';

export interface BundleManifest {
  format: 'scweb-scgpt';
  version: 1;
  dtype: 'f32' | 'f16';
  args: ArgsJson;
  source: string;
  tensors: { name: string; shape: number[]; shard: string; offset: number; length: number }[];
}

export interface LoadedModel {
  weights: ScGPTWeights;
  vocab: Vocab;
  vocabJson: Record<string, number>;
  args: ArgsJson;
  /** e.g. "scGPT checkpoint (flash-attn keys)" or "scWeb bundle (f16)". */
  description: string;
}

/** Reads a named file of the model folder, or null when absent. */
export type ModelFiles = (name: string) => Promise<Uint8Array | null>;

export class ModelError extends Error {}

const SHARD_BYTES = 64 * 1024 * 1024;

/** Only the encoder's tensors: decoders (decoder.*, mvc_decoder.*, cls_decoder.*) are not needed. */
export function isEncoderKey(key: string): boolean {
  return /^(encoder\.|value_encoder\.|transformer_encoder\.)/.test(canonicalKey(key));
}

export async function loadModel(files: ModelFiles): Promise<LoadedModel> {
  const text = async (name: string) => {
    const b = await files(name);
    return b ? new TextDecoder().decode(b) : null;
  };
  const vocabText = await text('vocab.json');
  if (!vocabText) throw new ModelError('the model folder has no vocab.json');
  const vocabJson = JSON.parse(vocabText) as Record<string, number>;
  const manifestText = await text('manifest.json');
  if (manifestText) {
    const manifest = JSON.parse(manifestText) as BundleManifest;
    if (manifest.format !== 'scweb-scgpt') throw new ModelError('manifest.json is not an scWeb scGPT bundle');
    const vocab = parseVocab(vocabJson, manifest.args.pad_token);
    const shards = new Map<string, Uint8Array>();
    const sd = new Map<string, Tensor>();
    for (const t of manifest.tensors) {
      let shard = shards.get(t.shard);
      if (!shard) {
        const bytes = await files(t.shard);
        if (!bytes) throw new ModelError(`bundle shard ${t.shard} is missing`);
        shards.set(t.shard, (shard = bytes));
      }
      sd.set(t.name, { dtype: manifest.dtype === 'f16' ? 'float16' : 'float32', shape: t.shape, data: decode(shard, t.offset, t.length, manifest.dtype) });
    }
    return { weights: buildWeights(sd, manifest.args, vocab), vocab, vocabJson, args: manifest.args, description: `scWeb bundle (${manifest.dtype}, from ${manifest.source})` };
  }
  const argsText = await text('args.json');
  const pt = await files('best_model.pt');
  if (!argsText || !pt) throw new ModelError('a model folder needs args.json, vocab.json and best_model.pt (a scGPT checkpoint), or manifest.json (an scWeb bundle)');
  return modelFromStateDict(await readTorchStateDict(pt), JSON.parse(argsText) as ArgsJson, vocabJson);
}

/** A model from a parsed checkpoint: for callers that also need the state dict (conversion), so it is parsed once. */
export function modelFromStateDict(sd: Map<string, Tensor>, args: ArgsJson, vocabJson: Record<string, number>): LoadedModel {
  const vocab = parseVocab(vocabJson, args.pad_token);
  const flash = [...sd.keys()].some((k) => k.includes('Wqkv'));
  const dtype = [...sd.values()][0]?.dtype ?? 'float32';
  return { weights: buildWeights(sd, args, vocab), vocab, vocabJson, args, description: `scGPT checkpoint (${flash ? 'flash-attn' : 'PyTorch'} keys, ${dtype})` };
}

function decode(shard: Uint8Array, offset: number, length: number, dtype: 'f32' | 'f16'): Float32Array {
  const view = new DataView(shard.buffer, shard.byteOffset + offset, dtype === 'f32' ? length * 4 : length * 2);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = dtype === 'f32' ? view.getFloat32(i * 4, true) : halfToFloat(view.getUint16(i * 2, true));
  return out;
}

const scratchF = new Float32Array(1);
const scratchU = new Uint32Array(scratchF.buffer);

/** float32 to IEEE half, round to nearest even. */
export function floatToHalf(x: number): number {
  scratchF[0] = x;
  return floatBitsToHalf(scratchU[0]);
}

/** `floatToHalf` of the float32 whose bits are `u` (whole arrays go through a Uint32Array view, no copy). */
export function floatBitsToHalf(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (rem > mid || (rem === mid && half & 1) ? half + 1 : half);
  }
  const half = mant >> 13;
  const rem = mant & 0x1fff;
  let out = (e << 10) | half;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) out++;
  if (out >> 10 >= 31) e = 31;
  return sign | (e === 31 ? 0x7c00 : out);
}

/** The encoder tensors of a model as bundle files (manifest.json, vocab.json, weights-N.bin). */
export function makeBundle(model: LoadedModel, stateDict: Map<string, Tensor>, dtype: 'f32' | 'f16', source: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const tensors: BundleManifest['tensors'] = [];
  const bytesPer = dtype === 'f32' ? 4 : 2;
  let shardIndex = 0;
  let parts: Uint8Array[] = [];
  let used = 0;
  const flush = () => {
    if (used === 0) return;
    const buf = new Uint8Array(used);
    let o = 0;
    for (const p of parts) buf.set(p, (o += p.length) - p.length);
    out.set(`weights-${shardIndex++}.bin`, buf);
    parts = [];
    used = 0;
  };
  for (const [rawKey, t] of stateDict) {
    if (!isEncoderKey(rawKey)) continue;
    const bytes = new Uint8Array(t.data.length * bytesPer);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < t.data.length; i++) {
      if (dtype === 'f32') view.setFloat32(i * 4, t.data[i], true);
      else view.setUint16(i * 2, floatToHalf(t.data[i]), true);
    }
    if (used > 0 && used + bytes.length > SHARD_BYTES) flush();
    tensors.push({ name: canonicalKey(rawKey), shape: t.shape, shard: `weights-${shardIndex}.bin`, offset: used, length: t.data.length });
    parts.push(bytes);
    used += bytes.length;
  }
  flush();
  const manifest: BundleManifest = { format: 'scweb-scgpt', version: 1, dtype, args: model.args, source, tensors };
  out.set('manifest.json', new TextEncoder().encode(JSON.stringify(manifest, null, 1)));
  out.set('vocab.json', new TextEncoder().encode(JSON.stringify(model.vocabJson)));
  return out;
}
