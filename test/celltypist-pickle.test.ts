// The pickle reader and writer against Python itself: pickles Python writes (protocols 2-5, numpy
// arrays in every layout CellTypist files use, SGD and binary CellTypist models) read back as
// Python has them; hostile and malformed pickles refused with the file and the reason, before
// anything big is allocated; and our CellTypist .pkl loaded by Debian's python3 + sklearn, whose
// decision_function / predict give our decision values and labels.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { celltypistPredict, DEFAULT_CELLTYPIST_PARAMS } from '../src/analysis/celltypist.ts';
import { readCelltypistModel, writeCelltypistModel } from '../src/analysis/celltypist-model.ts';
import type { LinearAnnotator } from '../src/analysis/linear-annotator.ts';
import { openPaths } from '../src/io/node.ts';
import { MAX_ARRAY_ELEMENTS } from '../src/io/pickle/numpy.ts';
import { dict, int, pickle } from '../src/io/pickle/pickler.ts';
import { MAX_PICKLE_VALUES, unpickle } from '../src/io/pickle/unpickle.ts';
import { NdArray, NpScalar, PyDict, PySet, PyTuple, type PyValue } from '../src/io/pickle/values.ts';
import { hasShared, shared } from './helpers.ts';

const PYTHON = '/usr/bin/python3';
const ref = (f: string) => fileURLToPath(new URL(`reference/${f}`, import.meta.url));

/** True when Debian's python3 has sklearn (make pydeps); in CI its absence fails the run. */
function hasSklearn(): boolean {
  const ok = spawnSync(PYTHON, ['-c', 'import sklearn, numpy'], { encoding: 'utf8' }).status === 0;
  if (!ok && process.env.CI) throw new Error(`${PYTHON} cannot import sklearn: CI needs python3-sklearn (make pydeps)`);
  return ok;
}

function py(args: string[]): string {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** A JSON-like picture of an unpickled value, to compare with what Python says. */
function plain(v: PyValue | undefined): unknown {
  if (v instanceof PyDict) return Object.fromEntries(v.entries.map(([k, x]) => [String(k), plain(x)]));
  if (v instanceof PyTuple) return { tuple: v.items.map(plain) };
  if (v instanceof PySet) return { set: v.items.map(plain) };
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (v instanceof NdArray) return { shape: v.shape, values: Array.from(v.data as ArrayLike<unknown>) };
  if (v instanceof NpScalar) return { scalar: v.value };
  return v;
}

const hasPy = hasSklearn();

describe.skipIf(!hasPy)('pickles written by Python', () => {
  let dir = '';
  let want: Record<string, Record<string, unknown>> = {};
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scweb-pickles-'));
    want = JSON.parse(py([ref('celltypist_pickles.py'), dir]));
  });
  const read = (name: string) => unpickle(readFileSync(join(dir, `${name}.pkl`)), `${name}.pkl`);

  it('plain values at protocols 2, 3, 4 and 5', () => {
    for (const p of [2, 3, 4, 5]) {
      const r = read(`plain_p${p}`);
      expect(r.protocol).toBe(p);
      expect(r.globals).toEqual(p < 3 ? ['_codecs.encode'] : []);
      expect(plain(r.value)).toEqual({
        none: null,
        t: true,
        f: false,
        small: 7,
        neg: -70000,
        big: 2 ** 40,
        huge: { bigint: (-(2n ** 70n)).toString() },
        pi: Math.PI,
        s: 'x'.repeat(300),
        u: 'Zellen \u00e9\u00e8 \u{1F9EC}',
        b: { bytes: Array.from({ length: 300 }, (_, i) => [0, 1, 255][i % 3]) },
        list: [1, [2, [3]], { tuple: [4, 5] }],
        tup: { tuple: [1, 2, 3, 4] },
        ...(p >= 4 ? { set: { set: [3] }, fs: { set: [1] } } : {}),
      });
    }
  });

  it('numpy arrays: C and F order, big-endian, ints, bools, unicode and object strings, scalars (protocol 5: _frombuffer)', () => {
    for (const p of [2, 3, 4, 5]) {
      const r = read(`numpy_p${p}`);
      const got = plain(r.value) as Record<string, unknown>;
      expect(got).toEqual(want[`numpy_p${p}`]);
      if (p === 5) expect(r.globals).toContain('numpy.core.numeric._frombuffer');
    }
  });

  it('an SGD model (protocol 2, StandardScaler with_mean=False) and a binary model give sklearn\'s decision values', () => {
    for (const name of ['sgd_p2', 'binary_p4']) {
      const w = want[name] as { x: number[][]; decision: number[][]; classes: string[] };
      const { model, info } = readCelltypistModel(readFileSync(join(dir, `${name}.pkl`)), `${name}.pkl`);
      expect(info.estimator).toBe(name.startsWith('sgd') ? 'SGDClassifier' : 'LogisticRegression');
      expect(model.classes).toEqual(w.classes);
      const F = model.features.length;
      w.x.forEach((x, i) => {
        model.classes.forEach((_, c) => {
          let d = model.intercept[c];
          for (let f = 0; f < F; f++) d += model.coef[c * F + f] * Math.min(10, (x[f] - model.scalerMean[f]) / model.scalerScale[f]);
          expect(Math.abs(d - w.decision[i][c])).toBeLessThan(1e-12);
        });
      });
      if (name === 'sgd_p2') expect(info.withMean).toBe(false);
    }
  });

  it('refuses a pickle that names another global, naming the global and the file', () => {
    const evil = want.evil as { global: string };
    expect(() => read('evil')).toThrow(`evil.pkl: refused the Python global ${evil.global}`);
    expect(() => read('ordered')).toThrow(/ordered\.pkl: refused the Python global collections\.OrderedDict/);
    expect(() => readCelltypistModel(readFileSync(join(dir, 'evil.pkl')), 'evil.pkl')).toThrow(/evil\.pkl: refused the Python global .*system.*Nothing was loaded/);
  });
});

/** Raw opcodes for hand-made pickles. */
const op = {
  proto: [0x80, 4],
  str: (s: string) => [0x8c, s.length, ...Buffer.from(s)],
  global: (m: string, n: string) => [...op.str(m), ...op.str(n), 0x93],
  int1: (n: number) => [0x4b, n],
  int4: (n: number) => [0x4a, n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255],
};

describe('malformed and hostile pickles', () => {
  it('refuses a length that the file cannot hold, before allocating it', () => {
    const bytes = Uint8Array.from([...op.proto, 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x10, 1, 2, 3]);
    expect(() => unpickle(bytes, 'big.pkl')).toThrow(/big\.pkl: BINBYTES8 declares 1,152,921,504,606,846,976 bytes at byte 11 but only 3 remain/);
    const frame = Uint8Array.from([0x80, 4, 0x95, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x4e, 0x2e]);
    expect(() => unpickle(frame, 'frame.pkl')).toThrow(/frame\.pkl: FRAME declares/);
  });

  it('refuses a pickle that pushes more values than any model holds (repeated one-byte opcodes)', () => {
    const bytes = new Uint8Array(2 + MAX_PICKLE_VALUES + 2).fill(0x4e); // NONE, over and over
    bytes.set([0x80, 4]);
    expect(() => unpickle(bytes, 'nones.pkl')).toThrow(`nones.pkl: more than ${MAX_PICKLE_VALUES.toLocaleString('en-US')} values at byte`);
  });

  it('refuses an array shape past the element limit, and data that does not fill its shape', () => {
    const array = (dims: number[], data: number[]) =>
      Uint8Array.from([
        ...op.proto,
        ...op.global('numpy.core.multiarray', '_reconstruct'),
        ...op.global('numpy', 'ndarray'),
        ...op.int1(0), 0x85, 0x43, 1, 0x62, 0x87, 0x52, // (ndarray, (0,), b'b') REDUCE
        0x28, ...op.int1(1),
        ...dims.flatMap(op.int4), 0x86, // shape
        ...op.global('numpy', 'dtype'), ...op.str('f8'), 0x89, 0x88, 0x87, 0x52,
        0x28, ...op.int1(3), ...op.str('<'), 0x4e, 0x4e, 0x4e, ...op.int4(-1), ...op.int4(-1), ...op.int1(0), 0x74, 0x62,
        0x89, 0x43, data.length, ...data, 0x74, 0x62, 0x2e,
      ]);
    expect(() => unpickle(array([2 ** 20, 2 ** 20], []), 'shape.pkl')).toThrow(`shape.pkl: a numpy array of shape (1048576, 1048576) is more than ${MAX_ARRAY_ELEMENTS.toLocaleString('en-US')} elements; refusing it before allocating`);
    expect(() => unpickle(array([2, 3], [1, 2, 3, 4, 5, 6, 7, 8]), 'short.pkl')).toThrow(/short\.pkl: a numpy <f8 array of shape \(2, 3\) needs 48 bytes but the pickle holds 8/);
    const ok = unpickle(array([1, 1], [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]), 'one.pkl').value as NdArray;
    expect(Array.from(ok.data as Float64Array)).toEqual([1]);
  });

  it('a truncated model, a file that is no pickle, a pickle that is no model, calling a class that is only an argument', () => {
    if (hasShared) {
      const model = readFileSync(shared('fixtures/celltypist/model.pkl'));
      expect(() => readCelltypistModel(model.subarray(0, 40_000), 'cut.pkl')).toThrow(/cut\.pkl: .*(truncated|remain)/);
      const h5 = readFileSync(shared('fixtures/celltypist/query.h5ad')).subarray(0, 4096);
      expect(() => readCelltypistModel(h5, 'query.h5ad')).toThrow(/query\.h5ad: .*(not supported|not a readable pickle|not a pickle)/);
    }
    expect(() => readCelltypistModel(pickle(dict({ a: int(1) })), 'dict.pkl')).toThrow(/dict\.pkl: not a CellTypist model: 'Model' is nothing/);
    expect(() => readCelltypistModel(pickle({ t: 'list', items: [1.5] }), 'list.pkl')).toThrow(/list\.pkl: not a CellTypist model: the pickle holds a list/);
    const callNdarray = Uint8Array.from([...op.proto, ...op.global('numpy', 'ndarray'), 0x29, 0x52, 0x2e]);
    expect(() => unpickle(callNdarray, 'call.pkl')).toThrow(/call\.pkl: numpy\.ndarray is not callable here/);
    expect(() => unpickle(Uint8Array.from([0x80, 4, 0x4e]), 'nostop.pkl')).toThrow(/nostop\.pkl: the pickle ends without STOP/);
    expect(() => unpickle(Uint8Array.from([0x80, 4, 0x97, 0x2e]), 'oob.pkl')).toThrow(/oob\.pkl: NEXT_BUFFER .*out-of-band/);
  });
});

function subset(m: LinearAnnotator, idx: number[]): LinearAnnotator {
  const F = m.features.length;
  return {
    ...m,
    features: idx.map((f) => m.features[f]),
    coef: Float64Array.from(m.classes.flatMap((_, c) => idx.map((f) => m.coef[c * F + f]))),
    scalerMean: Float64Array.from(idx, (f) => m.scalerMean[f]),
    scalerScale: Float64Array.from(idx, (f) => m.scalerScale[f]),
  };
}

describe.skipIf(!hasPy || !hasShared)('CellTypist .pkl written here, read by Python', () => {
  it("pickle.load + sklearn: fitted estimators whose decision_function and predict give our decision values and labels", async () => {
    const { model } = readCelltypistModel(readFileSync(shared('fixtures/celltypist/model.pkl')), 'model.pkl');
    const ds = await openPaths([shared('fixtures/celltypist/query.h5ad')]);
    try {
      const pred = await celltypistPredict(ds, model, DEFAULT_CELLTYPIST_PARAMS);
      // The model cut to the query's genes, in the query's gene order: what CellTypist predicts with.
      const genes = ds.varNamesOf('X');
      const cut = subset(model, genes.map((g) => model.features.indexOf(g)));
      const sklearnVersion = py(['-c', 'import sklearn; print(sklearn.__version__)']).trim();
      const dir = mkdtempSync(join(tmpdir(), 'scweb-ctpkl-'));
      const bytes = writeCelltypistModel({ ...cut, description: { ...cut.description, details: 'written by scWeb' } }, { sklearnVersion, nSamplesSeen: 353 });
      writeFileSync(join(dir, 'out.pkl'), bytes);
      const chunk = ds.readRows('X', 0, ds.nObs);
      const x: number[][] = [];
      for (let r = 0; r < ds.nObs; r++) {
        const row = new Array<number>(genes.length).fill(0);
        for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) row[chunk.indices[k]] = Math.log1p(chunk.data[k]);
        x.push(row);
      }
      writeFileSync(join(dir, 'x.json'), JSON.stringify(x));
      const got = JSON.parse(py([ref('celltypist_load.py'), join(dir, 'out.pkl'), join(dir, 'x.json')])) as {
        sklearn: string;
        warnings: string[];
        types: string[];
        keys: string[];
        description: Record<string, unknown>;
        features: string[];
        classes: string[];
        n_features_in: number;
        coef_shape: number[];
        scaler: { with_mean: boolean; n_samples_seen: number; n_features_in: number };
        decision: number[][];
        predict: string[];
      };
      expect(got.types).toEqual(['sklearn.linear_model._logistic.LogisticRegression', 'sklearn.preprocessing._data.StandardScaler']);
      expect(got.keys).toEqual(['Model', 'Scaler_', 'description']);
      // Our _sklearn_version is the installed one: sklearn has nothing to warn about.
      expect(got.warnings).toEqual([]);
      expect(got.features).toEqual(genes);
      expect(got.classes).toEqual(model.classes);
      expect(got.n_features_in).toBe(genes.length);
      expect(got.coef_shape).toEqual([model.classes.length, genes.length]);
      expect(got.scaler).toEqual({ with_mean: true, n_samples_seen: 353, n_features_in: genes.length });
      expect(got.description).toMatchObject({ details: 'written by scWeb', number_celltypes: model.classes.length });
      const C = model.classes.length;
      let maxD = 0;
      got.decision.forEach((row, i) => row.forEach((d, c) => (maxD = Math.max(maxD, Math.abs(d - pred.decision[i * C + c])))));
      expect(maxD).toBeLessThan(1e-9);
      expect(got.predict).toEqual(pred.labels);
      // And read back here: the same annotator, bit for bit.
      const back = readCelltypistModel(bytes, 'out.pkl').model;
      expect(back.features).toEqual(cut.features);
      expect(Array.from(back.coef)).toEqual(Array.from(cut.coef));
      expect(Array.from(back.intercept)).toEqual(Array.from(cut.intercept));
      expect(Array.from(back.scalerMean)).toEqual(Array.from(cut.scalerMean));
      expect(Array.from(back.scalerScale)).toEqual(Array.from(cut.scalerScale));
    } finally {
      ds.close();
    }
  }, 60_000);

  it('a written version other than the installed sklearn is what sklearn warns about (the version string is ours to give)', () => {
    const m: LinearAnnotator = {
      features: ['A', 'B'],
      classes: ['x', 'y', 'z'],
      coef: Float64Array.of(1, 0, 0, 1, -1, -1),
      intercept: Float64Array.of(0, 0.5, -0.5),
      scalerMean: Float64Array.of(0.5, 1),
      scalerScale: Float64Array.of(2, 1),
      clip: 10,
      multiClass: 'multinomial',
      temperature: 1.5,
      description: {},
    };
    const dir = mkdtempSync(join(tmpdir(), 'scweb-ctpkl-'));
    writeFileSync(join(dir, 'm.pkl'), writeCelltypistModel(m, { sklearnVersion: '0.0.1' }));
    writeFileSync(join(dir, 'x.json'), JSON.stringify([[1, 2], [30, 0]]));
    const got = JSON.parse(py([ref('celltypist_load.py'), join(dir, 'm.pkl'), join(dir, 'x.json')])) as { warnings: string[]; decision: number[][]; predict: string[]; description: Record<string, string> };
    expect(got.warnings.join(' ')).toMatch(/version 0\.0\.1/);
    // x = [1, 2] scales to [0.25, 1]; [30, 0] to [10 (clipped from 14.75), -1].
    expect(got.decision[0]).toEqual([0.25, 1.5, -1.75]);
    expect(got.decision[1]).toEqual([10, -0.5, -9.5]);
    expect(got.predict).toEqual(['y', 'x']);
    expect(got.description.scweb_temperature).toBe('1.5');
  });
});
