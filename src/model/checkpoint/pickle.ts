// A small pickle VM for what torch.save writes: dicts (OrderedDict), tuples, lists, numbers,
// strings, and tensors rebuilt from persistent storage ids. Nothing is executed: globals become
// inert markers, and only the torch rebuild functions are interpreted. Bounded: a hostile or
// truncated file fails with a PickleError, never reads past its bytes or grows without limit.

export interface StorageRef {
  kind: 'storage';
  dtype: string;
  key: string;
  numel: number;
}

export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

export interface GlobalRef {
  kind: 'global';
  name: string;
}

export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | Map<PickleValue, PickleValue> | TensorRef | StorageRef | GlobalRef | { kind: 'object'; name: string; args: PickleValue[] };

const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

const TORCH_DTYPES: Record<string, string> = { float32: 'float32', float: 'float32', float16: 'float16', half: 'float16', bfloat16: 'bfloat16', float64: 'float64', int64: 'int64', int32: 'int32', uint8: 'uint8', bool: 'bool' };

export class PickleError extends Error {}

const MARK = Symbol('mark');

/**
 * Values pushed or memoised, all told: a one-byte opcode can push one, so without a cap a file of
 * repeated opcodes grows the stack to its own length. A state dict pushes about ten per tensor.
 */
export const MAX_PICKLE_VALUES = 1 << 22;
/** Integers wider than this (LONG1) are no shape, stride or offset. */
const MAX_LONG_BYTES = 16;

/**
 * Runs the pickle in `bytes`. Every length it declares is checked against the bytes left, every
 * stack and memo read against what is there, and any other surprise (a dict opcode on a list)
 * becomes a PickleError: the file may come from anyone.
 */
export function unpickle(bytes: Uint8Array): PickleValue {
  try {
    return run(bytes);
  } catch (err) {
    if (err instanceof PickleError) throw err;
    throw new PickleError(`not a readable pickle (${err instanceof Error ? err.message : String(err)})`);
  }
}

function run(bytes: Uint8Array): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const stack: (PickleValue | typeof MARK)[] = [];
  const memo = new Map<number, PickleValue>();
  let p = 0;
  let values = 0;
  const need = (n: number, what: string) => {
    if (!(n >= 0 && n <= bytes.length - p)) throw new PickleError(`${what} at byte ${p} declares ${n} bytes but ${bytes.length - p} remain (truncated or not a pickle)`);
    return n;
  };
  const count = () => {
    if (++values > MAX_PICKLE_VALUES) throw new PickleError(`more than ${MAX_PICKLE_VALUES.toLocaleString('en-US')} values in the pickle: no checkpoint holds that many`);
  };
  const push = (v: PickleValue | typeof MARK) => {
    count();
    stack.push(v);
  };
  const u8 = () => (need(1, 'an opcode argument'), bytes[p++]);
  const u16 = () => (need(2, 'an opcode argument'), (p += 2), view.getUint16(p - 2, true));
  const i32 = () => (need(4, 'an opcode argument'), (p += 4), view.getInt32(p - 4, true));
  const u32 = () => (need(4, 'an opcode argument'), (p += 4), view.getUint32(p - 4, true));
  const u64 = () => (need(8, 'an opcode argument'), (p += 8), Number(view.getBigUint64(p - 8, true)));
  const text = (n: number, what: string) => (need(n, what), (p += n), decoder.decode(bytes.subarray(p - n, p)));
  const line = () => {
    const end = bytes.indexOf(10, p);
    if (end < 0) throw new PickleError(`a text argument at byte ${p} has no end of line (truncated)`);
    const s = decoder.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = () => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new PickleError(`pickle stack underflow at byte ${p}`);
    return v;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new PickleError(`pickle MARK not found at byte ${p}`);
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const top = () => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new PickleError(`no value on the pickle's stack at byte ${p}`);
    return v;
  };
  const list = () => {
    const l = top();
    if (!Array.isArray(l)) throw new PickleError(`APPEND at byte ${p} on something that is not a list`);
    return l;
  };
  const dict = () => {
    const d = top();
    if (!(d instanceof Map)) throw new PickleError(`SETITEM at byte ${p} on something that is not a dict`);
    return d;
  };
  const remember = (i: number) => {
    count();
    memo.set(i, top());
  };
  const get = (i: number) => {
    const v = memo.get(i);
    if (v === undefined) throw new PickleError(`memo entry ${i} read at byte ${p} was never stored`);
    return v;
  };

  for (;;) {
    if (p >= bytes.length) throw new PickleError('the pickle ends without STOP (truncated)');
    const op = bytes[p++];
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: need(u64(), 'FRAME'); break; // FRAME: a hint; its length must still fit
      case 0x2e: return pop(); // STOP
      case 0x28: push(MARK); break;
      case 0x7d: push(new Map()); break; // EMPTY_DICT
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x29: push([]); break; // EMPTY_TUPLE
      case 0x4e: push(null); break;
      case 0x88: push(true); break;
      case 0x89: push(false); break;
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x4a: push(i32()); break; // BININT
      case 0x8a: { // LONG1
        const n = u8();
        if (n > MAX_LONG_BYTES) throw new PickleError(`an integer of ${n} bytes at byte ${p}: no checkpoint field is that wide`);
        need(n, 'LONG1');
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]);
        if (n > 0 && bytes[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: need(8, 'BINFLOAT'); push(view.getFloat64(p, false)); p += 8; break; // BINFLOAT
      case 0x58: push(text(u32(), 'BINUNICODE')); break; // BINUNICODE
      case 0x8c: push(text(u8(), 'SHORT_BINUNICODE')); break; // SHORT_BINUNICODE
      case 0x8d: push(text(u64(), 'BINUNICODE8')); break;
      case 0x55: push(text(u8(), 'SHORT_BINSTRING')); break; // SHORT_BINSTRING
      case 0x54: push(text(i32(), 'BINSTRING')); break; // BINSTRING
      case 0x43: { const n = need(u8(), 'SHORT_BINBYTES'); push(bytes.slice(p, p + n)); p += n; break; } // SHORT_BINBYTES
      case 0x42: { const n = need(u32(), 'BINBYTES'); push(bytes.slice(p, p + n)); p += n; break; } // BINBYTES
      case 0x71: remember(u8()); break; // BINPUT
      case 0x72: remember(u32()); break; // LONG_BINPUT
      case 0x94: remember(memo.size); break; // MEMOIZE
      case 0x68: push(get(u8())); break; // BINGET
      case 0x6a: push(get(u32())); break; // LONG_BINGET
      case 0x63: { const mod = line(); const name = line(); push(global(mod, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const mod = pop();
        if (typeof mod !== 'string' || typeof name !== 'string') throw new PickleError(`STACK_GLOBAL at byte ${p} without two names`);
        push(global(mod, name));
        break;
      }
      case 0x74: push(popMark()); break; // TUPLE
      case 0x85: push([pop()]); break;
      case 0x86: { const b = pop(); const a = pop(); push([a, b]); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push([a, b, c]); break; }
      case 0x61: { const v = pop(); list().push(v); break; } // APPEND
      case 0x65: { const items = popMark(); list().push(...items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); dict().set(k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) throw new PickleError(`SETITEMS at byte ${p} with an odd number of items`);
        const d = dict();
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x51: push(persistent(pop())); break; // BINPERSID
      case 0x52: { const args = pop(); const fn = pop(); push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); push(call(cls, args)); break; } // NEWOBJ
      case 0x62: pop(); top(); break; // BUILD: object state (OrderedDict._metadata) is not needed
      default:
        throw new PickleError(`unsupported pickle opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}

function global(mod: string, name: string): GlobalRef {
  return { kind: 'global', name: `${mod}.${name}` };
}

function isGlobal(v: PickleValue): v is GlobalRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Uint8Array) && v.kind === 'global';
}

function persistent(pid: PickleValue): StorageRef {
  const t = pid as PickleValue[];
  if (!Array.isArray(t) || t[0] !== 'storage' || !isGlobal(t[1])) throw new PickleError('unexpected persistent id in checkpoint');
  const type = t[1].name.split('.').pop() ?? '';
  const dtype = STORAGE_DTYPES[type] ?? TORCH_DTYPES[type];
  if (!dtype) throw new PickleError(`unsupported tensor storage type ${type}`);
  const numel = Number(t[4]);
  if (!(Number.isSafeInteger(numel) && numel >= 0)) throw new PickleError(`a tensor storage of ${String(t[4])} elements`);
  return { kind: 'storage', dtype, key: String(t[2]), numel };
}

function call(fn: PickleValue, args: PickleValue): PickleValue {
  if (!isGlobal(fn)) throw new PickleError('REDUCE calls something that is not a named callable');
  if (!Array.isArray(args)) throw new PickleError(`${fn.name} is called without an argument tuple`);
  switch (fn.name) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
      return new Map();
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor': {
      const [storage, offset, shape, stride] = args as [StorageRef, number, number[], number[]];
      const ints = (v: PickleValue): v is number[] => Array.isArray(v) && v.length <= 8 && v.every((x) => Number.isSafeInteger(x) && (x as number) >= 0);
      if (typeof storage !== 'object' || storage === null || (storage as StorageRef).kind !== 'storage' || !Number.isSafeInteger(offset) || offset < 0 || !ints(shape) || !ints(stride) || shape.length !== stride.length) {
        throw new PickleError(`${fn.name} with arguments that are not a storage, an offset, a shape and strides`);
      }
      return { kind: 'tensor', storage, offset, shape: [...shape], stride: [...stride] };
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return args[0];
    default:
      return { kind: 'object', name: fn.name, args };
  }
}
