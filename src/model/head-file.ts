// A trained scGPT classifier head as a file: train once on a reference, annotate many datasets,
// or take the weights to PyTorch.
//
// Layout: one torch.save archive (.pt) holding a dict:
//   state_dict     the head under scGPT's own names (cls_decoder._decoder.N.*, cls_decoder.out_layer.*)
//                  and, when the encoder's last layer was trained, that layer under
//                  transformer_encoder.layers.<i>.* (nn.TransformerEncoderLayer's names)
//   classes        the labels, in the order of the logits
//   label_column, n_cls, nlayers_cls, unfrozen_layer
//   encoder        the checkpoint it was trained on: name, sha256 fingerprint of its weights (and
//                  sha256_f16, of them rounded to float16), vocab_size, d_model, n_layers, ...
//   tokenization   what predicting needs to build the same inputs (max_length, n_bins, ...)
//   training       how it was trained and what it scored on held-out reference cells
// Why one .pt and not a state dict plus a sidecar JSON: a PyTorch user loads it in one line,
// `ck = torch.load("head.pt")`, then `model.load_state_dict(ck["state_dict"], strict=False)` in
// scGPT's TransformerModel and `ck["classes"]` names the logits; the class order and the encoder's
// identity cannot be separated from the weights they belong to (a lost or mismatched sidecar would
// silently relabel every cell); and only plain data is inside, so torch >= 2's
// `torch.load(..., weights_only=True)` (the default since 2.6) opens it.
// Reading treats the file as untrusted: its size, every tensor's name and shape, the values
// (finite) and the metadata are checked, and anything else is refused with the file's name.
import type { PyOut } from '../io/pickle/pickler.ts';
import { dict, int } from '../io/pickle/pickler.ts';
import type { ClsDecoderWeights } from './cls-decoder.ts';
import { clsDecoderKeys } from './cls-decoder.ts';
import type { PickleValue, TensorRef } from './checkpoint/pickle.ts';
import { isTensor, openTorchArchive } from './checkpoint/torch.ts';
import type { TensorOut } from './checkpoint/torch-save.ts';
import { torchSave } from './checkpoint/torch-save.ts';
import type { LayerWeights, ModelConfig, ScGPTWeights } from './weights.ts';
import { canonicalKey } from './weights.ts';
import { floatBitsToHalf } from './bundle.ts';

export const HEAD_FORMAT = 'scweb-scgpt-cls-head';
export const HEAD_VERSION = 1;
/** Far above any head: scGPT_human's head with its last layer trained is about 8 MiB. */
export const MAX_HEAD_BYTES = 256 * 2 ** 20;
const MAX_CLASSES = 10_000;
const MAX_TEXT = 4096;

/** Which encoder checkpoint a head belongs to. */
export interface EncoderIdentity {
  /** What the user called it (the --model argument, the app's model name): for messages only. */
  name: string;
  /** `encoderFingerprint` of its weights: the identity that is checked. */
  sha256: string;
  /**
   * The same of its weights rounded to float16: an fp16 copy of the encoder (the hub's cached
   * bundle, an fp16 checkpoint) matches here, and is taken with a note.
   */
  sha256F16: string;
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  dHid: number;
}

/** What turns a cell into the encoder's input (model/tokenize.ts and embed.ts), as the head was trained. */
export interface HeadTokenization {
  maxLength: number;
  nBins: number;
  padValue: number;
  /** Seeds each cell's binning draws and gene subset (cellUniform(seed, cell)). */
  seed: number;
  /** The matrix the reference was read from (e.g. layers/counts) and where its gene symbols were: a record, the query picks its own. */
  matrix: string;
  geneSource: string;
}

export interface HeadTraining {
  reference: string;
  nTrain: number;
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
  holdout: number;
  heldOut: { n: number; accuracy: number; macroF1: number } | null;
  backend: string;
  createdBy: string;
}

export interface SavedHead {
  head: ClsDecoderWeights;
  /** The encoder's last layer as trained with the head, or null (the encoder frozen). */
  lastLayer: { index: number; weights: LayerWeights } | null;
  classes: string[];
  labelColumn: string;
  encoder: EncoderIdentity;
  tokenization: HeadTokenization;
  training: HeadTraining;
}

/** A file that is not a head, or a damaged one: `fileName: what is wrong (what to do)`. */
export class HeadFileError extends Error {
  constructor(
    readonly fileName: string,
    message: string,
  ) {
    super(`${fileName}: ${message}`);
    this.name = 'HeadFileError';
  }
}

/** One encoder layer's tensors under nn.TransformerEncoderLayer's names (scGPT without flash-attn), [out, in] as stored. */
export function layerTensors(L: LayerWeights, cfg: Pick<ModelConfig, 'dModel' | 'dHid'>, prefix: string): { name: string; shape: number[]; data: Float32Array }[] {
  const { dModel: d, dHid } = cfg;
  return [
    { name: `${prefix}self_attn.in_proj_weight`, shape: [3 * d, d], data: L.wqkv },
    { name: `${prefix}self_attn.in_proj_bias`, shape: [3 * d], data: L.bqkv },
    { name: `${prefix}self_attn.out_proj.weight`, shape: [d, d], data: L.wo },
    { name: `${prefix}self_attn.out_proj.bias`, shape: [d], data: L.bo },
    { name: `${prefix}linear1.weight`, shape: [dHid, d], data: L.w1 },
    { name: `${prefix}linear1.bias`, shape: [dHid], data: L.b1 },
    { name: `${prefix}linear2.weight`, shape: [d, dHid], data: L.w2 },
    { name: `${prefix}linear2.bias`, shape: [d], data: L.b2 },
    { name: `${prefix}norm1.weight`, shape: [d], data: L.ln1g },
    { name: `${prefix}norm1.bias`, shape: [d], data: L.ln1b },
    { name: `${prefix}norm2.weight`, shape: [d], data: L.ln2g },
    { name: `${prefix}norm2.bias`, shape: [d], data: L.ln2b },
  ];
}

/** The encoder's tensors (what cell embedding uses) in state-dict order, under scGPT's PyTorch names. */
export function encoderTensors(w: ScGPTWeights): { name: string; shape: number[]; data: Float32Array }[] {
  const { dModel: d, vocabSize } = w.config;
  return [
    { name: 'encoder.embedding.weight', shape: [vocabSize, d], data: w.embedding },
    { name: 'encoder.enc_norm.weight', shape: [d], data: w.encNormG },
    { name: 'encoder.enc_norm.bias', shape: [d], data: w.encNormB },
    { name: 'value_encoder.linear1.weight', shape: [d, 1], data: w.valW1 },
    { name: 'value_encoder.linear1.bias', shape: [d], data: w.valB1 },
    { name: 'value_encoder.linear2.weight', shape: [d, d], data: w.valW2 },
    { name: 'value_encoder.linear2.bias', shape: [d], data: w.valB2 },
    { name: 'value_encoder.norm.weight', shape: [d], data: w.valNormG },
    { name: 'value_encoder.norm.bias', shape: [d], data: w.valNormB },
    ...w.layers.flatMap((L, i) => layerTensors(L, w.config, `transformer_encoder.layers.${i}.`)),
  ];
}

const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

async function sha256Hex(b: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('fingerprinting the model needs the Web Crypto API (open scWeb over https or on localhost)');
  const digest = new Uint8Array(await subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('');
}

const fingerprints = { f32: new WeakMap<ScGPTWeights, Promise<string>>(), f16: new WeakMap<ScGPTWeights, Promise<string>>() };

/**
 * The identity of an encoder's weights: SHA-256 of the lines `NAME SHAPE SHA256\n`, one per
 * encoder tensor in `encoderTensors` order (SHAPE as 512x64, SHA256 of its float32 little-endian
 * bytes, or with `f16` of its values rounded to float16, little-endian). The same numbers give the
 * same fingerprint whether they came from a checkpoint (PyTorch or flash-attn keys) or an scWeb
 * bundle. In Python (`t.half()` for f16):
 *   lines = "".join(f"{k} {'x'.join(map(str, t.shape))} {hashlib.sha256(t.float().numpy().tobytes()).hexdigest()}\n" for k, t in tensors)
 *   hashlib.sha256(lines.encode()).hexdigest()
 */
export function encoderFingerprint(w: ScGPTWeights, dtype: 'f32' | 'f16' = 'f32'): Promise<string> {
  let f = fingerprints[dtype].get(w);
  if (!f) {
    f = (async () => {
      let lines = '';
      for (const t of encoderTensors(w)) {
        const bytes = dtype === 'f16' ? halfBytes(t.data) : LITTLE_ENDIAN ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : littleEndian(t.data);
        lines += `${t.name} ${t.shape.join('x')} ${await sha256Hex(bytes)}\n`;
      }
      return sha256Hex(new TextEncoder().encode(lines));
    })();
    fingerprints[dtype].set(w, f);
  }
  return f;
}

function littleEndian(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const v = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) v.setFloat32(i * 4, a[i], true);
  return out;
}

/** float16 (round to nearest even, as torch's .half()) of every value, little-endian. */
function halfBytes(a: Float32Array): Uint8Array {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const out = new Uint8Array(a.length * 2);
  for (let i = 0; i < a.length; i++) {
    const h = floatBitsToHalf(bits[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}

/** The identity of a loaded model, under the name the user knows it by. */
export async function encoderIdentity(w: ScGPTWeights, name: string): Promise<EncoderIdentity> {
  const c = w.config;
  return { name, sha256: await encoderFingerprint(w), sha256F16: await encoderFingerprint(w, 'f16'), vocabSize: c.vocabSize, dModel: c.dModel, nLayers: c.nLayers, nHeads: c.nHeads, dHid: c.dHid };
}

export function describeEncoder(e: EncoderIdentity): string {
  return `"${e.name}" (sha256 ${e.sha256.slice(0, 12)}…, vocab ${e.vocabSize}, d_model ${e.dModel}, ${e.nLayers} layers)`;
}

/**
 * Refuses a head trained on another encoder than `current`, naming both and the fix. Returns a
 * note when `current` holds the same weights at another precision (one is an fp16 copy of the
 * other): the head applies, its probabilities within fp16's rounding of the training encoder's.
 */
export function checkHeadEncoder(h: SavedHead, current: EncoderIdentity, fileName: string, fix: string): string | null {
  const e = h.encoder;
  const shape = e.vocabSize === current.vocabSize && e.dModel === current.dModel && e.nLayers === current.nLayers && e.nHeads === current.nHeads && e.dHid === current.dHid;
  if (shape && e.sha256 === current.sha256) return null;
  if (shape && e.sha256F16 === current.sha256F16) return `the model loaded (${describeEncoder(current)}) holds the weights the head was trained on (${describeEncoder(e)}) at another precision (float16 and float32): its probabilities agree within float16's rounding`;
  throw new HeadFileError(fileName, `this head was trained on the encoder ${describeEncoder(e)}, but the model loaded is ${describeEncoder(current)}: its predictions would mean nothing. ${fix}`);
}

const str = (s: string): PyOut => s;
const num = (x: number): PyOut => (Number.isInteger(x) ? int(x) : x);

/** The head as a .pt (torch.save archive), written with the project's pickler and ZIP writer. */
export function writeHeadFile(h: SavedHead): Uint8Array {
  return torchSave((tensor) => headFileValue(h, tensor));
}

/** The dict a head file holds, its tensors made by `tensor`. */
export function headFileValue(h: SavedHead, tensor: TensorOut): PyOut {
  const { head } = h;
  const d = head.dModel;
  const C = head.nClasses;
  if (h.classes.length !== C) throw new Error(`the head has ${C} outputs but ${h.classes.length} class names`);
  const keys = clsDecoderKeys(head.blocks.length);
  const sd: [PyOut, PyOut][] = [];
  head.blocks.forEach((B, i) => {
    sd.push([keys[4 * i], tensor(B.w, [d, d])], [keys[4 * i + 1], tensor(B.b, [d])], [keys[4 * i + 2], tensor(B.g, [d])], [keys[4 * i + 3], tensor(B.beta, [d])]);
  });
  sd.push([keys[4 * head.blocks.length], tensor(head.outW, [C, d])], [keys[4 * head.blocks.length + 1], tensor(head.outB, [C])]);
  if (h.lastLayer) {
    for (const t of layerTensors(h.lastLayer.weights, { dModel: d, dHid: h.encoder.dHid }, `transformer_encoder.layers.${h.lastLayer.index}.`)) sd.push([t.name, tensor(t.data, t.shape)]);
  }
  const e = h.encoder;
  const k = h.tokenization;
  const t = h.training;
  return dict({
    format: str(HEAD_FORMAT),
    version: int(HEAD_VERSION),
    state_dict: { t: 'dict', entries: sd },
    classes: { t: 'list', items: h.classes.map(str) },
    label_column: str(h.labelColumn),
    n_cls: int(C),
    nlayers_cls: int(head.blocks.length + 1),
    unfrozen_layer: h.lastLayer ? int(h.lastLayer.index) : null,
    encoder: dict({ name: str(e.name), sha256: str(e.sha256), sha256_f16: str(e.sha256F16), vocab_size: int(e.vocabSize), d_model: int(e.dModel), n_layers: int(e.nLayers), n_heads: int(e.nHeads), d_hid: int(e.dHid) }),
    tokenization: dict({
      max_length: int(k.maxLength),
      n_bins: int(k.nBins),
      pad_value: num(k.padValue),
      seed: int(k.seed),
      cell_emb_style: 'cls',
      include_zero_gene: false,
      append_cls: true,
      normalize_embedding: false,
      matrix: str(k.matrix),
      gene_source: str(k.geneSource),
    }),
    training: dict({
      reference: str(t.reference),
      n_train: int(t.nTrain),
      epochs: int(t.epochs),
      lr: t.lr,
      batch_size: int(t.batchSize),
      seed: int(t.seed),
      holdout: t.holdout,
      held_out: t.heldOut ? dict({ n: int(t.heldOut.n), accuracy: t.heldOut.accuracy, macro_f1: t.heldOut.macroF1 }) : null,
      backend: str(t.backend),
      created_by: str(t.createdBy),
    }),
  });
}

/** Reads a head written by `writeHeadFile` (or by PyTorch with the same layout); refuses anything else with `fileName` and why. */
export async function readHeadFile(bytes: Uint8Array, fileName: string): Promise<SavedHead> {
  const notAHead = `is not an scGPT head saved by scWeb (a .pt written by "scweb annotate --method scgpt-head --head-out" or the app's "Save head")`;
  if (bytes.length > MAX_HEAD_BYTES) throw new HeadFileError(fileName, `${(bytes.length / 2 ** 20).toFixed(0)} MiB is far more than a classifier head (at most ${MAX_HEAD_BYTES / 2 ** 20} MiB read): ${notAHead}`);
  let archive: Awaited<ReturnType<typeof openTorchArchive>>;
  try {
    archive = await openTorchArchive(bytes);
  } catch (err) {
    // ZipError, PickleError, CheckpointError, or the platform's inflate refusing a damaged entry.
    throw new HeadFileError(fileName, `${err instanceof Error ? err.message : String(err)}: it ${notAHead}`);
  }
  const root = archive.root;
  if (!(root instanceof Map) || root.get('format') !== HEAD_FORMAT) {
    const sd = root instanceof Map && [...root.values()].some(isTensor);
    throw new HeadFileError(fileName, sd ? `it holds a bare state dict (a model checkpoint?), not a head with its class names: it ${notAHead}` : `it ${notAHead}`);
  }
  const fail: (what: string) => never = (what) => {
    throw new HeadFileError(fileName, `${what} (the file is damaged, or was edited; save the head again)`);
  };
  const version = root.get('version');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) fail('its "version" is missing');
  if ((version as number) > HEAD_VERSION) throw new HeadFileError(fileName, `it is a head of format version ${String(version)}, newer than this scWeb reads (${HEAD_VERSION}): update scWeb`);
  const text = (m: Map<PickleValue, PickleValue>, key: string, where: string): string => {
    const v = m.get(key);
    if (typeof v !== 'string' || v.length > MAX_TEXT) fail(`${where}"${key}" is not a text`);
    return v as string;
  };
  const whole = (m: Map<PickleValue, PickleValue>, key: string, where: string, lo: number, hi: number): number => {
    const v = m.get(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(`${where}"${key}" is not a whole number in [${lo}, ${hi}]`);
    return v as number;
  };
  const real = (m: Map<PickleValue, PickleValue>, key: string, where: string): number => {
    const v = m.get(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${where}"${key}" is not a number`);
    return v as number;
  };
  const sub = (m: Map<PickleValue, PickleValue>, key: string): Map<PickleValue, PickleValue> => {
    const v = m.get(key);
    if (!(v instanceof Map)) fail(`its "${key}" is not a dict`);
    return v as Map<PickleValue, PickleValue>;
  };

  const enc = sub(root, 'encoder');
  const encoder: EncoderIdentity = {
    name: text(enc, 'name', 'encoder '),
    sha256: text(enc, 'sha256', 'encoder '),
    sha256F16: text(enc, 'sha256_f16', 'encoder '),
    vocabSize: whole(enc, 'vocab_size', 'encoder ', 1, 2 ** 24),
    dModel: whole(enc, 'd_model', 'encoder ', 1, 8192),
    nLayers: whole(enc, 'n_layers', 'encoder ', 1, 256),
    nHeads: whole(enc, 'n_heads', 'encoder ', 1, 1024),
    dHid: whole(enc, 'd_hid', 'encoder ', 1, 65_536),
  };
  if (![encoder.sha256, encoder.sha256F16].every((h) => /^[0-9a-f]{64}$/.test(h))) fail('its encoder "sha256" or "sha256_f16" is not a SHA-256');
  const d = encoder.dModel;
  const C = whole(root, 'n_cls', '', 2, MAX_CLASSES);
  const nLayersCls = whole(root, 'nlayers_cls', '', 1, 16);
  const classesV = root.get('classes');
  if (!Array.isArray(classesV) || classesV.length !== C || !classesV.every((c) => typeof c === 'string' && c.length <= MAX_TEXT)) fail(`its "classes" are not ${C} names`);
  const classes = classesV as string[];
  if (new Set(classes).size !== C) fail('its "classes" repeat a name');
  const unfrozen = root.get('unfrozen_layer');
  if (unfrozen !== null && unfrozen !== undefined && unfrozen !== encoder.nLayers - 1) fail(`its "unfrozen_layer" is ${String(unfrozen)}, not the encoder's last layer (${encoder.nLayers - 1})`);
  const layerIndex = typeof unfrozen === 'number' ? unfrozen : null;

  const sdV = root.get('state_dict');
  if (!(sdV instanceof Map)) fail('its "state_dict" is not a dict');
  const sd = new Map<string, TensorRef>();
  for (const [k, v] of sdV as Map<PickleValue, PickleValue>) {
    if (typeof k !== 'string' || !isTensor(v)) fail(`its state_dict holds ${typeof k === 'string' ? `"${k.slice(0, 80)}"` : 'a key'} that is not a named tensor`);
    sd.set(canonicalKey(k as string), v as TensorRef);
  }
  const expected = new Map<string, number[]>();
  const headKeys = clsDecoderKeys(nLayersCls - 1);
  for (let i = 0; i < nLayersCls - 1; i++) [[d, d], [d], [d], [d]].forEach((s, j) => expected.set(headKeys[4 * i + j], s));
  expected.set(headKeys[headKeys.length - 2], [C, d]);
  expected.set(headKeys[headKeys.length - 1], [C]);
  const prefix = `transformer_encoder.layers.${layerIndex}.`;
  const zero = new Float32Array(0);
  const layerShapes = layerIndex === null ? [] : layerTensors({ wqkv: zero, bqkv: zero, wo: zero, bo: zero, w1: zero, b1: zero, w2: zero, b2: zero, ln1g: zero, ln1b: zero, ln2g: zero, ln2b: zero }, { dModel: d, dHid: encoder.dHid }, prefix);
  for (const t of layerShapes) expected.set(t.name, t.shape);
  for (const k of sd.keys()) if (!expected.has(k)) fail(`its state_dict holds "${k.slice(0, 120)}", which is not part of a ${nLayersCls}-layer head${layerIndex === null ? ' (with the encoder frozen)' : ` and encoder layer ${layerIndex}`}`);
  const values = new Map<string, Float32Array>();
  for (const [k, shape] of expected) {
    const ref = sd.get(k);
    if (!ref) fail(`its state_dict lacks "${k}"`);
    if (ref.shape.length !== shape.length || ref.shape.some((s, i) => s !== shape[i])) fail(`"${k}" has shape [${ref.shape.join(', ')}], not [${shape.join(', ')}] (d_model ${d}, ${C} classes)`);
    const t = await archive.tensor(k, ref).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
    if (!t.data.every(Number.isFinite)) fail(`"${k}" holds values that are not finite numbers`);
    values.set(k, t.data);
  }
  const at = (k: string) => values.get(k)!;
  const head: ClsDecoderWeights = {
    dModel: d,
    nClasses: C,
    blocks: Array.from({ length: nLayersCls - 1 }, (_, i) => ({ w: at(headKeys[4 * i]), b: at(headKeys[4 * i + 1]), g: at(headKeys[4 * i + 2]), beta: at(headKeys[4 * i + 3]) })),
    outW: at(headKeys[headKeys.length - 2]),
    outB: at(headKeys[headKeys.length - 1]),
  };
  const L = (n: string) => at(`${prefix}${n}`);
  const lastLayer =
    layerIndex === null
      ? null
      : {
          index: layerIndex,
          weights: {
            wqkv: L('self_attn.in_proj_weight'),
            bqkv: L('self_attn.in_proj_bias'),
            wo: L('self_attn.out_proj.weight'),
            bo: L('self_attn.out_proj.bias'),
            w1: L('linear1.weight'),
            b1: L('linear1.bias'),
            w2: L('linear2.weight'),
            b2: L('linear2.bias'),
            ln1g: L('norm1.weight'),
            ln1b: L('norm1.bias'),
            ln2g: L('norm2.weight'),
            ln2b: L('norm2.bias'),
          },
        };

  const tok = sub(root, 'tokenization');
  const tokenization: HeadTokenization = {
    maxLength: whole(tok, 'max_length', 'tokenization ', 2, 1 << 20),
    nBins: whole(tok, 'n_bins', 'tokenization ', 2, 1 << 16),
    padValue: real(tok, 'pad_value', 'tokenization '),
    seed: whole(tok, 'seed', 'tokenization ', 0, Number.MAX_SAFE_INTEGER),
    matrix: text(tok, 'matrix', 'tokenization '),
    geneSource: text(tok, 'gene_source', 'tokenization '),
  };
  for (const [key, want] of [['cell_emb_style', 'cls'], ['include_zero_gene', false], ['append_cls', true], ['normalize_embedding', false]] as const) {
    if (tok.get(key) !== want) throw new HeadFileError(fileName, `its tokenization says ${key} = ${String(tok.get(key))}; scWeb feeds the head ${key} = ${String(want)} only`);
  }
  const tr = sub(root, 'training');
  const held = tr.get('held_out');
  let heldOut: HeadTraining['heldOut'] = null;
  if (held instanceof Map) heldOut = { n: whole(held, 'n', 'held_out ', 0, Number.MAX_SAFE_INTEGER), accuracy: real(held, 'accuracy', 'held_out '), macroF1: real(held, 'macro_f1', 'held_out ') };
  else if (held !== null && held !== undefined) fail('its training "held_out" is not a dict');
  const training: HeadTraining = {
    reference: text(tr, 'reference', 'training '),
    nTrain: whole(tr, 'n_train', 'training ', 0, Number.MAX_SAFE_INTEGER),
    epochs: whole(tr, 'epochs', 'training ', 1, Number.MAX_SAFE_INTEGER),
    lr: real(tr, 'lr', 'training '),
    batchSize: whole(tr, 'batch_size', 'training ', 1, Number.MAX_SAFE_INTEGER),
    seed: whole(tr, 'seed', 'training ', 0, Number.MAX_SAFE_INTEGER),
    holdout: real(tr, 'holdout', 'training '),
    heldOut,
    backend: text(tr, 'backend', 'training '),
    createdBy: text(tr, 'created_by', 'training '),
  };
  return { head, lastLayer, classes, labelColumn: text(root, 'label_column', ''), encoder, tokenization, training };
}
