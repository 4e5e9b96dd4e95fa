// The callables a CellTypist model's pickle may name, and what each becomes here (data, never a
// call). Everything else, os.system included, is refused by name: a pickle can name any Python
// callable, so an allow-list is the only safe way to read one.
import { buildArray, buildDtype, fromBuffer, makeDtype, makeScalar, reconstruct, PickleError } from './numpy.ts';
import { NdArray, NpDtype, PyGlobal, PyObject, describe, type PyValue } from './values.ts';

export interface GlobalKind {
  /** What calling it (REDUCE) gives; absent: it may only be passed as an argument. */
  call?(args: PyValue[], file: string): PyValue;
  /** A class instantiated with cls.__new__ (NEWOBJ). */
  instantiate?: boolean;
}

const NUMPY_CORE = ['numpy.core', 'numpy._core'];

function instance(cls: string, args: PyValue[], file: string): PyObject {
  for (const a of args) if (a instanceof PyGlobal) throw new PickleError(file, `an instance is built with ${describe(a)} as an argument`);
  return new PyObject(cls, args);
}

function build(): Map<string, GlobalKind> {
  const m = new Map<string, GlobalKind>();
  for (const core of NUMPY_CORE) {
    m.set(`${core}.multiarray._reconstruct`, { call: reconstruct });
    m.set(`${core}.multiarray.scalar`, { call: makeScalar });
    m.set(`${core}.numeric._frombuffer`, { call: fromBuffer });
    m.set(`${core}.multiarray.ndarray`, {});
  }
  m.set('numpy.ndarray', {});
  m.set('numpy.dtype', { call: makeDtype });
  // Protocol 2 and 3 pickles (Python 3) write bytes as _codecs.encode(text, 'latin1').
  m.set('_codecs.encode', {
    call(args, file) {
      const [text, enc] = args;
      if (typeof text !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) throw new PickleError(file, `_codecs.encode(${describe(text)}, ${describe(enc)}): only latin1-encoded bytes are accepted`);
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 255) throw new PickleError(file, '_codecs.encode with a character outside latin1');
        out[i] = c;
      }
      return out;
    },
  });
  // sklearn's estimators as CellTypist stores them (module paths before and after sklearn 0.22).
  for (const cls of [
    'sklearn.linear_model._logistic.LogisticRegression',
    'sklearn.linear_model.logistic.LogisticRegression',
    'sklearn.linear_model._stochastic_gradient.SGDClassifier',
    'sklearn.linear_model.stochastic_gradient.SGDClassifier',
    'sklearn.preprocessing._data.StandardScaler',
    'sklearn.preprocessing.data.StandardScaler',
    // SGDClassifier keeps its loss object (loss_function_) until sklearn 1.4: Log(), ModifiedHuber(), ...
    ...['_sgd_fast', 'sgd_fast'].flatMap((mod) => ['Log', 'ModifiedHuber', 'Hinge', 'SquaredHinge'].map((c) => `sklearn.linear_model.${mod}.${c}`)),
  ]) {
    m.set(cls, { instantiate: true, call: (args, file) => instance(cls, args, file) });
  }
  return m;
}

export const ACCEPTED_GLOBALS: ReadonlyMap<string, GlobalKind> = build();

/** The names accepted, for messages. */
export function acceptedSummary(): string {
  return 'numpy arrays, dtypes and scalars, and sklearn LogisticRegression, SGDClassifier and StandardScaler';
}

/** BUILD on an object: numpy arrays and dtypes take their state; instances keep it as __dict__. */
export function applyBuild(obj: PyValue, state: PyValue, file: string): void {
  if (obj instanceof NdArray) {
    if (obj.built) throw new PickleError(file, 'a numpy array was given its state twice');
    buildArray(obj, state, file);
  } else if (obj instanceof NpDtype) buildDtype(obj, state, file);
  else if (obj instanceof PyObject) obj.state = state;
  else throw new PickleError(file, `BUILD on ${describe(obj)}: only numpy arrays, dtypes and sklearn estimators take a state here`);
}
