// A Python pickle writer (protocol 4, without frames, which readers treat as optional) for plain
// data, numpy arrays in numpy's own pickled form (_reconstruct + state, as numpy 1.x writes them,
// which numpy 2 still reads), instances of named classes (NEWOBJ + BUILD of their __dict__), and
// the calls and persistent ids torch.save's data.pkl is made of (model/checkpoint/torch-save.ts).

/** What can be written. JS numbers are floats; ints are `{ int }`. */
export type PyOut =
  | null
  | boolean
  | string
  | number
  | { t: 'int'; v: number | bigint }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'list'; items: PyOut[] }
  | { t: 'tuple'; items: PyOut[] }
  | { t: 'dict'; entries: [PyOut, PyOut][] }
  /** cls.__new__(cls) then obj.__dict__.update(state): how pickle stores an sklearn estimator. */
  | { t: 'object'; module: string; name: string; state: PyOut }
  /** The callable `module.name` itself (GLOBAL), e.g. a storage type inside a persistent id. */
  | { t: 'global'; module: string; name: string }
  /** module.name(*args) (REDUCE): how torch.save rebuilds a tensor or an empty OrderedDict. */
  | { t: 'call'; module: string; name: string; args: PyOut[] }
  /** A persistent id (BINPERSID): the unpickler's persistent_load resolves it (torch.save's storages). */
  | { t: 'persid'; pid: PyOut }
  | { t: 'ndarray'; dtype: OutDtype; shape: number[]; data: ArrayLike<number> | readonly string[] }
  | { t: 'scalar'; dtype: Exclude<OutDtype, 'O'>; value: number };

export type OutDtype = 'f8' | 'i4' | 'i8' | 'O';

export const int = (v: number | bigint): PyOut => ({ t: 'int', v });
export const dict = (o: Record<string, PyOut>): PyOut => ({ t: 'dict', entries: Object.entries(o) });

const NUMPY_CORE = 'numpy.core.multiarray';

class Out {
  /** 2: only protocol 2's opcodes (BINUNICODE, text GLOBAL), as torch.save writes and its weights_only loader reads. */
  constructor(readonly protocol: 2 | 4) {}
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(1 << 16);
  private n = 0;
  private readonly enc = new TextEncoder();

  private room(k: number) {
    if (this.n + k <= this.cur.length) return;
    this.chunks.push(this.cur.subarray(0, this.n));
    this.cur = new Uint8Array(Math.max(1 << 16, k));
    this.n = 0;
  }
  byte(b: number) {
    this.room(1);
    this.cur[this.n++] = b;
  }
  raw(b: Uint8Array) {
    this.room(b.length);
    this.cur.set(b, this.n);
    this.n += b.length;
  }
  u16(v: number) {
    this.byte(v & 255);
    this.byte(v >>> 8);
  }
  u32(v: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.raw(b);
  }
  u64(v: number) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    this.raw(b);
  }

  str(s: string) {
    const b = this.enc.encode(s);
    if (b.length < 256 && this.protocol >= 4) {
      this.byte(0x8c);
      this.byte(b.length);
    } else {
      this.byte(0x58);
      this.u32(b.length);
    }
    this.raw(b);
  }
  bytes(b: Uint8Array) {
    if (this.protocol < 3) throw new Error('pickle: bytes need protocol 3 or later');
    if (b.length < 256) {
      this.byte(0x43);
      this.byte(b.length);
    } else if (b.length < 2 ** 32) {
      this.byte(0x42);
      this.u32(b.length);
    } else {
      this.byte(0x8e);
      this.u64(b.length);
    }
    this.raw(b);
  }
  int(v: number | bigint) {
    if (typeof v === 'number' && !Number.isInteger(v)) throw new Error(`pickle: ${v} is not an integer`);
    const x = BigInt(v);
    if (x >= 0n && x < 256n) {
      this.byte(0x4b);
      this.byte(Number(x));
    } else if (x >= 0n && x < 65536n) {
      this.byte(0x4d);
      this.u16(Number(x));
    } else if (x >= -(2n ** 31n) && x < 2n ** 31n) {
      this.byte(0x4a);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, Number(x), true);
      this.raw(b);
    } else {
      // LONG1: little-endian two's complement, as short as it can be.
      const bytes: number[] = [];
      let y = x;
      for (;;) {
        bytes.push(Number(y & 255n));
        y >>= 8n;
        if ((y === 0n && !(bytes[bytes.length - 1] & 0x80)) || (y === -1n && bytes[bytes.length - 1] & 0x80)) break;
      }
      this.byte(0x8a);
      this.byte(bytes.length);
      this.raw(Uint8Array.from(bytes));
    }
  }
  float(x: number) {
    this.byte(0x47);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    this.raw(b);
  }
  global(module: string, name: string) {
    if (this.protocol < 4) {
      // GLOBAL: "module\nname\n" as text.
      this.byte(0x63);
      this.raw(this.enc.encode(`${module}\n${name}\n`));
      return;
    }
    this.str(module);
    this.str(name);
    this.byte(0x93);
  }

  done(): Uint8Array {
    this.chunks.push(this.cur.subarray(0, this.n));
    const total = this.chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const MARK = 0x28;
const BATCH = 1000;

/**
 * The pickle of `value` (protocol 4, or 2: the opcodes torch.save writes and torch.load's
 * weights_only unpickler accepts): what Python's pickle.load reads back as the same structure.
 */
export function pickle(value: PyOut, protocol: 2 | 4 = 4): Uint8Array {
  const o = new Out(protocol);
  o.byte(0x80);
  o.byte(protocol);
  write(o, value);
  o.byte(0x2e);
  return o.done();
}

function write(o: Out, v: PyOut): void {
  if (v === null) return o.byte(0x4e);
  if (v === true) return o.byte(0x88);
  if (v === false) return o.byte(0x89);
  if (typeof v === 'string') return o.str(v);
  if (typeof v === 'number') return o.float(v);
  switch (v.t) {
    case 'int':
      return o.int(v.v);
    case 'bytes':
      return o.bytes(v.v);
    case 'tuple':
      return tuple(o, v.items);
    case 'list':
      o.byte(0x5d);
      for (let i = 0; i < v.items.length; i += BATCH) {
        o.byte(MARK);
        for (const x of v.items.slice(i, i + BATCH)) write(o, x);
        o.byte(0x65); // APPENDS
      }
      return;
    case 'dict':
      o.byte(0x7d);
      for (let i = 0; i < v.entries.length; i += BATCH) {
        o.byte(MARK);
        for (const [k, x] of v.entries.slice(i, i + BATCH)) {
          write(o, k);
          write(o, x);
        }
        o.byte(0x75); // SETITEMS
      }
      return;
    case 'object':
      o.global(v.module, v.name);
      o.byte(0x29);
      o.byte(0x81); // NEWOBJ
      write(o, v.state);
      o.byte(0x62); // BUILD
      return;
    case 'global':
      return o.global(v.module, v.name);
    case 'call':
      o.global(v.module, v.name);
      tuple(o, v.args);
      o.byte(0x52); // REDUCE
      return;
    case 'persid':
      write(o, v.pid);
      o.byte(0x51); // BINPERSID
      return;
    case 'ndarray':
      return ndarray(o, v);
    case 'scalar':
      o.global(NUMPY_CORE, 'scalar');
      dtype(o, v.dtype);
      o.bytes(elementBytes(v.dtype, [v.value]));
      o.byte(0x86);
      o.byte(0x52);
      return;
  }
}

function tuple(o: Out, items: PyOut[]): void {
  if (items.length === 0) return o.byte(0x29);
  if (items.length <= 3) {
    for (const x of items) write(o, x);
    return o.byte(0x84 + items.length);
  }
  o.byte(MARK);
  for (const x of items) write(o, x);
  o.byte(0x74);
}

/** numpy.dtype('f8', False, True) with its state (3, '<', None, None, None, -1, -1, flags). */
function dtype(o: Out, d: OutDtype): void {
  o.global('numpy', 'dtype');
  o.str(d === 'O' ? 'O8' : d);
  o.byte(0x89);
  o.byte(0x88);
  o.byte(0x87);
  o.byte(0x52);
  tuple(o, [int(3), d === 'O' ? '|' : '<', null, null, null, int(-1), int(-1), int(d === 'O' ? 63 : 0)]);
  o.byte(0x62);
}

function elementBytes(d: Exclude<OutDtype, 'O'>, data: ArrayLike<number>): Uint8Array {
  const size = d === 'i4' ? 4 : 8;
  const b = new Uint8Array(data.length * size);
  const view = new DataView(b.buffer);
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (d === 'f8') view.setFloat64(i * 8, x, true);
    else if (d === 'i4') view.setInt32(i * 4, x, true);
    else view.setBigInt64(i * 8, BigInt(x), true);
  }
  return b;
}

function ndarray(o: Out, a: Extract<PyOut, { t: 'ndarray' }>): void {
  const n = a.shape.reduce((x, y) => x * y, 1);
  if (a.data.length !== n) throw new Error(`pickle: an array of shape (${a.shape.join(', ')}) given ${a.data.length} values`);
  o.global(NUMPY_CORE, '_reconstruct');
  o.global('numpy', 'ndarray');
  tuple(o, [int(0)]);
  o.bytes(new Uint8Array([0x62])); // b'b'
  o.byte(0x87);
  o.byte(0x52);
  o.byte(MARK);
  o.int(1);
  tuple(o, a.shape.map((s) => int(s)));
  dtype(o, a.dtype);
  o.byte(0x89); // C order
  if (a.dtype === 'O') write(o, { t: 'list', items: Array.from(a.data as readonly string[], (s) => String(s)) });
  else o.bytes(elementBytes(a.dtype, a.data as ArrayLike<number>));
  o.byte(0x74);
  o.byte(0x62);
}
