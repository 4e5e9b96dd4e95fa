// A small pickle VM for what torch.save writes: dicts (OrderedDict), tuples, lists, numbers,
// strings, and tensors rebuilt from persistent storage ids. Nothing is executed: globals become
// inert markers, and only the torch rebuild functions are interpreted.

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

export function unpickle(bytes: Uint8Array): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const stack: (PickleValue | typeof MARK)[] = [];
  const memo = new Map<number, PickleValue>();
  let p = 0;
  const u8 = () => bytes[p++];
  const u32 = () => ((p += 4), view.getUint32(p - 4, true));
  const text = (n: number) => ((p += n), decoder.decode(bytes.subarray(p - n, p)));
  const line = () => {
    const end = bytes.indexOf(10, p);
    const s = decoder.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = () => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new PickleError('pickle stack underflow');
    return v;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new PickleError('pickle MARK not found');
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const top = () => stack[stack.length - 1] as PickleValue;

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: p++; break; // PROTO
      case 0x95: p += 8; break; // FRAME
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break;
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(view.getUint16(p, true)); p += 2; break; // BININT2
      case 0x4a: stack.push(view.getInt32(p, true)); p += 4; break; // BININT
      case 0x8a: { // LONG1
        const n = u8();
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]);
        if (n > 0 && bytes[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: stack.push(view.getFloat64(p, false)); p += 8; break; // BINFLOAT
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x8d: { const n = Number(view.getBigUint64(p, true)); p += 8; stack.push(text(n)); break; }
      case 0x55: stack.push(text(u8())); break; // SHORT_BINSTRING
      case 0x54: stack.push(text(u32())); break; // BINSTRING
      case 0x43: { const n = u8(); stack.push(bytes.slice(p, p + n)); p += n; break; } // SHORT_BINBYTES
      case 0x42: { const n = u32(); stack.push(bytes.slice(p, p + n)); p += n; break; } // BINBYTES
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memo.get(u8()) as PickleValue); break; // BINGET
      case 0x6a: stack.push(memo.get(u32()) as PickleValue); break; // LONG_BINGET
      case 0x63: { const mod = line(); const name = line(); stack.push(global(mod, name)); break; } // GLOBAL
      case 0x93: { const name = pop() as string; const mod = pop() as string; stack.push(global(mod, name)); break; } // STACK_GLOBAL
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break;
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; }
      case 0x61: { const v = pop(); (top() as PickleValue[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); (top() as PickleValue[]).push(...items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); (top() as Map<PickleValue, PickleValue>).set(k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = top() as Map<PickleValue, PickleValue>;
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID
      case 0x52: { const args = pop() as PickleValue[]; const fn = pop() as GlobalRef; stack.push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop() as PickleValue[]; const cls = pop() as GlobalRef; stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x62: pop(); break; // BUILD: object state (OrderedDict._metadata) is not needed
      default:
        throw new PickleError(`unsupported pickle opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}

function global(mod: string, name: string): GlobalRef {
  return { kind: 'global', name: `${mod}.${name}` };
}

function persistent(pid: PickleValue): StorageRef {
  const t = pid as PickleValue[];
  if (!Array.isArray(t) || t[0] !== 'storage') throw new PickleError('unexpected persistent id in checkpoint');
  const type = (t[1] as GlobalRef).name.split('.').pop() ?? '';
  const dtype = STORAGE_DTYPES[type] ?? TORCH_DTYPES[type];
  if (!dtype) throw new PickleError(`unsupported tensor storage type ${type}`);
  return { kind: 'storage', dtype, key: String(t[2]), numel: Number(t[4]) };
}

function call(fn: GlobalRef, args: PickleValue[]): PickleValue {
  switch (fn.name) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
      return new Map();
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor': {
      const [storage, offset, shape, stride] = args as [StorageRef, number, number[], number[]];
      return { kind: 'tensor', storage, offset, shape: [...shape], stride: [...stride] };
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return args[0];
    default:
      return { kind: 'object', name: fn.name, args };
  }
}
