// Reads a torch.save archive (best_model.pt) into named float32 tensors, without Python.
import type { PickleValue, TensorRef } from './pickle.ts';
import { unpickle } from './pickle.ts';
import { entryBytes, readZipDirectory } from './zip.ts';

export interface Tensor {
  /** The dtype stored in the checkpoint; `data` is always float32 (fp16 widened exactly). */
  dtype: string;
  shape: number[];
  data: Float32Array;
}

export class CheckpointError extends Error {}

const ITEM_SIZE: Record<string, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

/** A torch.save archive opened: its pickled root object, and its tensors read on demand. */
export interface TorchArchive {
  root: PickleValue;
  /** The tensor `t` (named `name` in messages) as float32. */
  tensor(name: string, t: TensorRef): Promise<Tensor>;
}

export async function openTorchArchive(bytes: Uint8Array): Promise<TorchArchive> {
  const entries = readZipDirectory(bytes);
  const pkl = [...entries.values()].find((e) => e.name.endsWith('/data.pkl') || e.name === 'data.pkl');
  if (!pkl) throw new CheckpointError('no data.pkl in the archive: not a torch.save checkpoint');
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const root = unpickle(await entryBytes(bytes, pkl));
  const storages = new Map<string, Uint8Array>();
  return {
    root,
    async tensor(name, t) {
      let raw = storages.get(t.storage.key);
      if (!raw) {
        const entry = entries.get(`${prefix}data/${t.storage.key}`);
        if (!entry) throw new CheckpointError(`tensor ${name}: storage ${t.storage.key} is missing from the archive`);
        raw = await entryBytes(bytes, entry);
        storages.set(t.storage.key, raw);
      }
      return materialize(name, t, raw);
    },
  };
}

export async function readTorchStateDict(bytes: Uint8Array): Promise<Map<string, Tensor>> {
  const archive = await openTorchArchive(bytes);
  const dict = findStateDict(archive.root);
  if (!dict) throw new CheckpointError('the checkpoint holds no state_dict (a mapping of parameter names to tensors)');
  const out = new Map<string, Tensor>();
  for (const [k, v] of dict) {
    if (typeof k !== 'string' || !isTensor(v)) continue;
    out.set(k, await archive.tensor(k, v));
  }
  return out;
}

export function isTensor(v: PickleValue): v is TensorRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Uint8Array) && (v as TensorRef).kind === 'tensor';
}

function findStateDict(v: PickleValue): Map<PickleValue, PickleValue> | null {
  if (!(v instanceof Map)) return null;
  if ([...v.values()].some(isTensor)) return v;
  for (const key of ['model_state_dict', 'state_dict', 'model']) {
    const inner = v.get(key);
    if (inner instanceof Map) return findStateDict(inner);
  }
  return null;
}

function materialize(name: string, t: TensorRef, raw: Uint8Array): Tensor {
  const { dtype } = t.storage;
  const size = ITEM_SIZE[dtype];
  const n = t.shape.reduce((a, b) => a * b, 1);
  // Elements the storage holds: a shape, offset or stride past them is refused before any allocation.
  const held = Math.floor(raw.byteLength / size);
  if (!(Number.isSafeInteger(n) && n <= held)) throw new CheckpointError(`tensor ${name}: its shape ${JSON.stringify(t.shape)} needs more elements than its storage holds (${held})`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = (i: number): number => {
    const at = i * size;
    switch (dtype) {
      case 'float32': return view.getFloat32(at, true);
      case 'float16': return halfToFloat(view.getUint16(at, true));
      case 'bfloat16': return new Float32Array(new Uint32Array([view.getUint16(at, true) << 16]).buffer)[0];
      case 'float64': return view.getFloat64(at, true);
      case 'int64': return Number(view.getBigInt64(at, true));
      case 'int32': return view.getInt32(at, true);
      case 'int16': return view.getInt16(at, true);
      case 'int8': return view.getInt8(at);
      default: return view.getUint8(at);
    }
  };
  if (n > 0 && t.offset + maxIndex(t) >= held) {
    throw new CheckpointError(`tensor ${name}: its storage is shorter than its shape ${JSON.stringify(t.shape)} needs`);
  }
  const data = new Float32Array(n);
  // Walk the tensor in row-major order through its strides (state dicts are nearly always contiguous).
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = t.offset;
    for (let d = 0; d < idx.length; d++) off += idx[d] * t.stride[d];
    data[i] = read(off);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return { dtype, shape: t.shape, data };
}

function maxIndex(t: TensorRef): number {
  return t.shape.reduce((acc, s, d) => acc + (s - 1) * t.stride[d], 0);
}

/** IEEE half to float, exactly (subnormals included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
