// What a Python pickle unpickles into here: plain data only. A pickle names callables (globals)
// that Python would import and call; this reader never calls anything, it builds these records for
// the few numpy and sklearn names it accepts (see globals.ts) and refuses every other name.

/** A Python value: None, bool, int (number, or bigint past 2^53), float, str, bytes, list, ... */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PySet | PyObject | NdArray | NpDtype | NpScalar | PyGlobal;

export class PyTuple {
  readonly kind = 'tuple';
  constructor(readonly items: PyValue[]) {}
}

export class PySet {
  readonly kind = 'set';
  constructor(
    readonly items: PyValue[],
    readonly frozen: boolean,
  ) {}
}

/** A dict; keys keep their Python value, and str keys are looked up by name. */
export class PyDict {
  readonly kind = 'dict';
  private readonly index = new Map<string, number>();
  readonly entries: [PyValue, PyValue][] = [];

  set(key: PyValue, value: PyValue): void {
    const k = hashKey(key);
    const at = this.index.get(k);
    if (at === undefined) {
      this.index.set(k, this.entries.length);
      this.entries.push([key, value]);
    } else this.entries[at][1] = value;
  }

  get(key: string): PyValue | undefined {
    const at = this.index.get(hashKey(key));
    return at === undefined ? undefined : this.entries[at][1];
  }

  has(key: string): boolean {
    return this.index.has(hashKey(key));
  }

  keys(): PyValue[] {
    return this.entries.map((e) => e[0]);
  }
}

/** A callable named by GLOBAL / STACK_GLOBAL, before it is called. */
export class PyGlobal {
  readonly kind = 'global';
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of an accepted class (an sklearn estimator): its constructor arguments and its state (BUILD). */
export class PyObject {
  readonly kind = 'object';
  state: PyValue | undefined = undefined;
  constructor(
    /** `module.Class` as the pickle names it. */
    readonly cls: string,
    readonly args: PyValue[],
  ) {}

  /** The instance's attribute, as `obj.__dict__[name]` after unpickling. */
  attr(name: string): PyValue | undefined {
    const s = this.state instanceof PyTuple ? this.state.items[0] : this.state;
    return s instanceof PyDict ? s.get(name) : undefined;
  }
}

/** A numpy dtype: `str` as numpy writes it (`<f8`, `|O`, `<U12`). */
export class NpDtype {
  readonly kind = 'dtype';
  constructor(
    /** Type character: b (bool), i, u, f, c, O, U, S, ... */
    public char: string,
    /** Bytes per element (for U: 4 per character). */
    public itemsize: number,
    /** '<', '>' or '|' (not applicable). */
    public byteorder: string,
  ) {}
  get str(): string {
    return `${this.byteorder}${this.char}${this.char === 'U' ? this.itemsize / 4 : this.itemsize}`;
  }
}

/** A numpy array, in C order whatever its order on disk. */
export class NdArray {
  readonly kind = 'ndarray';
  shape: number[] = [];
  dtype: NpDtype | null = null;
  /** Numbers (ints, floats, bools as 0/1) widened to float64; strings for U, S and object arrays of str. */
  data: Float64Array | PyValue[] = new Float64Array(0);
  /** False until BUILD gave it its shape, dtype and data. */
  built = false;

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
}

/** A numpy scalar such as np.int64(353). */
export class NpScalar {
  readonly kind = 'scalar';
  constructor(
    readonly dtype: NpDtype,
    readonly value: PyValue,
  ) {}
}

/** A stable key for a hashable value (str keys stay themselves, so lookups by name are direct). */
function hashKey(v: PyValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '\0None';
  if (typeof v === 'boolean') return v ? '\0i1' : '\0i0';
  if (typeof v === 'number' || typeof v === 'bigint') return `\0i${String(v)}`;
  if (v instanceof Uint8Array) return `\0b${Array.from(v).join(',')}`;
  if (v instanceof PyTuple) return `\0t(${v.items.map(hashKey).join('\0,')})`;
  if (v instanceof NpScalar) return hashKey(v.value);
  throw new TypeError(`unhashable dict key (${describe(v)})`);
}

/** A short description of a value for messages: `dict`, `list of 3`, `sklearn...LogisticRegression`. */
export function describe(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'a bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'a number';
  if (typeof v === 'string') return 'a str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof PyTuple) return 'a tuple';
  if (v instanceof PyDict) return 'a dict';
  if (v instanceof PySet) return 'a set';
  if (v instanceof PyObject) return `a ${v.cls}`;
  if (v instanceof NdArray) return `a numpy array (${v.dtype?.str ?? '?'}, shape ${v.shape.join('x')})`;
  if (v instanceof NpDtype) return 'a numpy dtype';
  if (v instanceof NpScalar) return 'a numpy scalar';
  return `the callable ${v.qualified}`;
}

/** A Python int or float as a JS number (numpy scalars too); null for anything else. */
export function asNumber(v: PyValue | undefined): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof NpScalar) return asNumber(v.value);
  return null;
}
