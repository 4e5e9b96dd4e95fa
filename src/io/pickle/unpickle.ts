// A Python pickle reader for protocols 2 to 5 (and the few text opcodes they still use), as
// CPython's pickle.py interprets them, that builds plain data and never runs anything: the
// callables a pickle names are looked up in an allow-list (globals.ts) and everything else is
// refused with the file and the name. Every length a pickle declares is checked against the bytes
// that remain before anything is allocated, so a hostile or truncated file fails fast.
import { ACCEPTED_GLOBALS, acceptedSummary, applyBuild } from './globals.ts';
import { PickleError } from './numpy.ts';
import { PyDict, PyGlobal, PyObject, PySet, PyTuple, describe, type PyValue } from './values.ts';

export { PickleError };

/** The largest pickle read (CellTypist's biggest models are tens of MB). */
export const MAX_PICKLE_BYTES = 512 * 2 ** 20;
/** Integers wider than this many bytes (LONG1/LONG4) are no model parameter. */
const MAX_LONG_BYTES = 64;
/**
 * Values put on the stack or in the memo, all told. A one-byte opcode can push one (None, DUP, a
 * memo read), so without a cap a file of repeated opcodes would grow the stack to its own length;
 * a real model pushes one per array, name or parameter (a few hundred thousand at most).
 */
export const MAX_PICKLE_VALUES = 2 ** 24;

const OPNAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT', 0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2',
  0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE', 0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE',
  0x61: 'APPEND', 0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET', 0x69: 'INST', 0x6a: 'LONG_BINGET',
  0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS',
  0x47: 'BINFLOAT', 0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE',
  0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

export interface UnpickleResult {
  value: PyValue;
  /** The protocol the PROTO opcode declared (0 when there was none). */
  protocol: number;
  /** `module.name` of every callable the pickle named, in order of first use. */
  globals: string[];
}

/** Reads one pickle from `bytes`; `fileName` goes into every message. */
export function unpickle(bytes: Uint8Array, fileName: string): UnpickleResult {
  if (bytes.length > MAX_PICKLE_BYTES) throw new PickleError(fileName, `${bytes.length.toLocaleString('en-US')} bytes is more than a model pickle is read to (${MAX_PICKLE_BYTES / 2 ** 20} MiB)`);
  try {
    return new Reader(bytes, fileName).run();
  } catch (err) {
    if (err instanceof PickleError) throw err;
    // A nesting deep enough to exhaust the JS stack, or a value of the wrong kind somewhere.
    throw new PickleError(fileName, `not a readable pickle (${err instanceof Error ? err.message : String(err)})`);
  }
}

class Reader {
  private pos = 0;
  private stack: Slot[] = [];
  private readonly metastack: Slot[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private protocol = 0;
  private readonly named = new Set<string>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(message: string): never {
    throw new PickleError(this.file, message);
  }

  private need(n: number | bigint, what: string): number {
    const left = this.bytes.length - this.pos;
    if (typeof n === 'bigint' ? n > BigInt(left) : n > left) this.fail(`${what} declares ${n.toLocaleString('en-US')} bytes at byte ${this.pos} but only ${left.toLocaleString('en-US')} remain (truncated or not a pickle)`);
    if (Number(n) < 0) this.fail(`${what} declares a negative length at byte ${this.pos}`);
    return Number(n);
  }

  private take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private u8(): number {
    this.need(1, 'an opcode argument');
    return this.bytes[this.pos++];
  }
  private u16(): number {
    this.need(2, 'an opcode argument');
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  private i32(): number {
    this.need(4, 'an opcode argument');
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private u32(): number {
    this.need(4, 'an opcode argument');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private u64(): bigint {
    this.need(8, 'an opcode argument');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail(`a text argument at byte ${this.pos} has no end of line (truncated)`);
    const s = latin1(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  private values = 0;

  private count(): void {
    if (++this.values > MAX_PICKLE_VALUES) this.fail(`more than ${MAX_PICKLE_VALUES.toLocaleString('en-US')} values at byte ${this.pos}: no model pickle holds that many; refusing it before memory runs out`);
  }

  private push(v: PyValue): void {
    this.count();
    this.stack.push(v);
  }

  private remember(i: number): void {
    this.count();
    this.memo.set(i, this.top());
  }
  private pop(): PyValue {
    if (this.stack.length === 0) this.fail(`the pickle's stack is empty at byte ${this.pos}`);
    const v = this.stack.pop()!;
    if (v === MARK) this.fail(`a MARK where a value was expected at byte ${this.pos}`);
    return v;
  }
  private top(): PyValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined || v === MARK) this.fail(`no value on the pickle's stack at byte ${this.pos}`);
    return v;
  }
  private popMark(): PyValue[] {
    const items = this.stack as PyValue[];
    const prev = this.metastack.pop();
    if (!prev) this.fail(`an opcode at byte ${this.pos} needs a MARK that is not there`);
    this.stack = prev;
    return items;
  }

  private text(b: Uint8Array): string {
    return new TextDecoder().decode(b);
  }

  run(): UnpickleResult {
    const b = this.bytes;
    for (;;) {
      if (this.pos >= b.length) this.fail('the pickle ends without STOP (truncated)');
      const at = this.pos;
      const op = b[this.pos++];
      switch (op) {
        case 0x80: {
          const p = this.u8();
          if (p > 5) this.fail(`pickle protocol ${p} is newer than this reader (protocols 2 to 5)`);
          this.protocol = p;
          break;
        }
        case 0x95: // FRAME: a hint for buffered readers; its length must still fit.
          this.need(this.u64(), 'FRAME');
          break;
        case 0x2e: {
          // STOP
          const value = this.pop();
          return { value, protocol: this.protocol, globals: [...this.named] };
        }
        case 0x28:
          this.count();
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case 0x30:
          if (this.stack.length) this.stack.pop();
          else this.popMark();
          break;
        case 0x31:
          this.popMark();
          break;
        case 0x32:
          this.push(this.top());
          break;
        case 0x4e:
          this.push(null);
          break;
        case 0x88:
          this.push(true);
          break;
        case 0x89:
          this.push(false);
          break;
        case 0x49: {
          // INT (text): "01"/"00" are True/False in protocol 0.
          const s = this.line();
          if (s === '01' || s === '00') this.push(s === '01');
          else this.push(parseIntText(s, this.file));
          break;
        }
        case 0x4c:
          this.push(parseIntText(this.line().replace(/L$/, ''), this.file));
          break;
        case 0x46: {
          const x = Number(this.line());
          this.push(x);
          break;
        }
        case 0x4a:
          this.push(this.i32());
          break;
        case 0x4b:
          this.push(this.u8());
          break;
        case 0x4d:
          this.push(this.u16());
          break;
        case 0x8a:
        case 0x8b: {
          const n = op === 0x8a ? this.u8() : this.i32();
          if (n > MAX_LONG_BYTES) this.fail(`an integer of ${n} bytes at byte ${at} (no model parameter is that wide)`);
          this.push(longFromBytes(this.take(n, 'LONG')));
          break;
        }
        case 0x47: {
          this.need(8, 'BINFLOAT');
          this.push(this.view.getFloat64(this.pos, false));
          this.pos += 8;
          break;
        }
        case 0x54:
        case 0x55: {
          // Python 2 str: read as text of the bytes (numpy takes it as bytes again).
          const n = op === 0x55 ? this.u8() : this.i32();
          this.push(latin1(this.take(this.need(n, OPNAMES[op]), OPNAMES[op])));
          break;
        }
        case 0x58:
          this.push(this.text(this.take(this.need(this.u32(), 'BINUNICODE'), 'BINUNICODE')));
          break;
        case 0x8c:
          this.push(this.text(this.take(this.u8(), 'SHORT_BINUNICODE')));
          break;
        case 0x8d:
          this.push(this.text(this.take(this.need(this.u64(), 'BINUNICODE8'), 'BINUNICODE8')));
          break;
        case 0x42:
          this.push(this.take(this.need(this.u32(), 'BINBYTES'), 'BINBYTES'));
          break;
        case 0x43:
          this.push(this.take(this.u8(), 'SHORT_BINBYTES'));
          break;
        case 0x8e:
        case 0x96:
          this.push(this.take(this.need(this.u64(), OPNAMES[op]), OPNAMES[op]));
          break;
        case 0x29:
          this.push(new PyTuple([]));
          break;
        case 0x74:
          this.push(new PyTuple(this.popMark()));
          break;
        case 0x85:
        case 0x86:
        case 0x87: {
          const n = op - 0x84;
          const items: PyValue[] = new Array(n);
          for (let i = n - 1; i >= 0; i--) items[i] = this.pop();
          this.push(new PyTuple(items));
          break;
        }
        case 0x5d:
          this.push([]);
          break;
        case 0x6c:
          this.push(this.popMark());
          break;
        case 0x61: {
          const v = this.pop();
          this.listAt(at).push(v);
          break;
        }
        case 0x65: {
          const items = this.popMark();
          const list = this.listAt(at);
          for (const v of items) list.push(v);
          break;
        }
        case 0x7d:
          this.push(new PyDict());
          break;
        case 0x64: {
          const items = this.popMark();
          if (items.length % 2) this.fail(`DICT at byte ${at} with an odd number of items`);
          const d = new PyDict();
          for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
          this.push(d);
          break;
        }
        case 0x73: {
          const v = this.pop();
          const k = this.pop();
          this.dictAt(at).set(k, v);
          break;
        }
        case 0x75: {
          const items = this.popMark();
          if (items.length % 2) this.fail(`SETITEMS at byte ${at} with an odd number of items`);
          const d = this.dictAt(at);
          for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
          break;
        }
        case 0x8f:
          this.push(new PySet([], false));
          break;
        case 0x90: {
          const items = this.popMark();
          const s = this.top();
          if (!(s instanceof PySet) || s.frozen) this.fail(`ADDITEMS at byte ${at} on ${describe(s)}`);
          for (const v of items) s.items.push(v);
          break;
        }
        case 0x91:
          this.push(new PySet(this.popMark(), true));
          break;
        case 0x63: {
          const module = this.line();
          const name = this.line();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail(`STACK_GLOBAL at byte ${at} with ${describe(module)} and ${describe(name)} instead of two names`);
          this.push(this.global(module, name));
          break;
        }
        case 0x52: {
          const args = this.pop();
          const fn = this.pop();
          this.push(this.call(fn, args, at));
          break;
        }
        case 0x81: {
          const args = this.pop();
          const cls = this.pop();
          this.push(this.instantiate(cls, args, at));
          break;
        }
        case 0x92: {
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!(kwargs instanceof PyDict) || kwargs.entries.length > 0) this.fail(`NEWOBJ_EX at byte ${at} with keyword arguments`);
          this.push(this.instantiate(cls, args, at));
          break;
        }
        case 0x62: {
          const state = this.pop();
          applyBuild(this.top(), state, this.file);
          break;
        }
        case 0x94:
          this.remember(this.memo.size);
          break;
        case 0x71:
          this.remember(this.u8());
          break;
        case 0x72:
          this.remember(this.u32());
          break;
        case 0x70:
          this.remember(memoIndex(this.line(), this.file));
          break;
        case 0x68:
          this.push(this.get(this.u8(), at));
          break;
        case 0x6a:
          this.push(this.get(this.u32(), at));
          break;
        case 0x67:
          this.push(this.get(memoIndex(this.line(), this.file), at));
          break;
        case 0x97:
        case 0x98:
          this.fail(`${OPNAMES[op]} at byte ${at}: out-of-band buffers (pickle protocol 5 with buffer_callback) are not part of a model file`);
          break;
        case 0x82:
        case 0x83:
        case 0x84:
          this.fail(`${OPNAMES[op]} at byte ${at}: the copyreg extension registry is not accepted (it names callables by number)`);
          break;
        case 0x50:
        case 0x51:
          this.fail(`${OPNAMES[op]} at byte ${at}: persistent ids are not part of a model file`);
          break;
        case 0x69:
        case 0x6f:
          this.fail(`${OPNAMES[op]} at byte ${at}: protocol 0/1 instance creation is not supported (CellTypist models are protocol 2 or later)`);
          break;
        default:
          this.fail(`${OPNAMES[op] ?? `unknown opcode 0x${op.toString(16).padStart(2, '0')}`} at byte ${at} is not supported here (pickle protocols 2 to 5)${op === 0x53 || op === 0x56 ? '' : '; the file may be damaged or not a pickle'}`);
      }
    }
  }

  private listAt(at: number): PyValue[] {
    const l = this.top();
    if (!Array.isArray(l)) this.fail(`APPEND at byte ${at} on ${describe(l)}`);
    return l;
  }

  private dictAt(at: number): PyDict {
    const d = this.top();
    if (!(d instanceof PyDict)) this.fail(`SETITEM at byte ${at} on ${describe(d)}`);
    return d;
  }

  private get(i: number, at: number): PyValue {
    const v = this.memo.get(i);
    if (v === undefined) this.fail(`memo entry ${i} read at byte ${at} was never stored`);
    return v;
  }

  private global(module: string, name: string): PyGlobal {
    const q = `${module}.${name}`;
    if (!ACCEPTED_GLOBALS.has(q)) {
      this.fail(`refused the Python global ${q}: a CellTypist model names only ${acceptedSummary()}, and loading this pickle in Python would import and may run ${q}. Nothing was loaded`);
    }
    this.named.add(q);
    return new PyGlobal(module, name);
  }

  private call(fn: PyValue, args: PyValue, at: number): PyValue {
    if (!(fn instanceof PyGlobal)) this.fail(`REDUCE at byte ${at} calls ${describe(fn)}`);
    if (!(args instanceof PyTuple)) this.fail(`REDUCE at byte ${at} with ${describe(args)} as arguments`);
    const kind = ACCEPTED_GLOBALS.get(fn.qualified)!;
    if (!kind.call) this.fail(`${fn.qualified} is not callable here`);
    return kind.call(args.items, this.file);
  }

  private instantiate(cls: PyValue, args: PyValue, at: number): PyObject {
    if (!(cls instanceof PyGlobal)) this.fail(`NEWOBJ at byte ${at} on ${describe(cls)}`);
    if (!(args instanceof PyTuple)) this.fail(`NEWOBJ at byte ${at} with ${describe(args)} as arguments`);
    if (!ACCEPTED_GLOBALS.get(cls.qualified)!.instantiate) this.fail(`NEWOBJ at byte ${at}: ${cls.qualified} is not a class accepted here`);
    return new PyObject(cls.qualified, args.items);
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** A little-endian two's-complement integer (LONG1/LONG4): a number when exact, else a bigint. */
function longFromBytes(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIntText(s: string, file: string): number | bigint {
  if (!/^[-+]?\d{1,40}$/.test(s.trim())) throw new PickleError(file, `"${s.slice(0, 40)}" is not an integer`);
  const v = BigInt(s.trim());
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function memoIndex(s: string, file: string): number {
  if (!/^\d{1,10}$/.test(s)) throw new PickleError(file, `memo index "${s.slice(0, 20)}" is not a number`);
  return Number(s);
}
