// CellTypist model files in and out. A CellTypist .pkl is the pickle of
// {'Model': LogisticRegression | SGDClassifier with .features, 'Scaler_': StandardScaler,
//  'description': dict} (celltypist/models.py, Model.write); it becomes a LinearAnnotator, and a
// LinearAnnotator becomes such a pickle again, one that Python's pickle.load and sklearn read as a
// fitted estimator (CellTypist's Model.load takes it as it is).
import { pickle, dict, int, type PyOut } from '../io/pickle/pickler.ts';
import { PickleError, unpickle } from '../io/pickle/unpickle.ts';
import { NdArray, NpScalar, PyDict, PyObject, asNumber, describe, type PyValue } from '../io/pickle/values.ts';
import type { LinearAnnotator } from './linear-annotator.ts';

/** CellTypist clips scaled values at 10 (classifier.py: `self.indata[self.indata > 10] = 10`). */
export const CELLTYPIST_CLIP = 10;

export interface CelltypistModelInfo {
  fileName: string;
  /** `LogisticRegression` or `SGDClassifier`. */
  estimator: string;
  /** The sklearn version that pickled it (`_sklearn_version`), when stored. */
  sklearnVersion: string | null;
  protocol: number;
  /** StandardScaler's with_mean: false means the features were only divided by their scale. */
  withMean: boolean;
}

const notModel = (file: string, why: string) =>
  new PickleError(file, `not a CellTypist model: ${why} (a CellTypist .pkl holds a dict with 'Model' (a LogisticRegression or SGDClassifier with .features), 'Scaler_' (a StandardScaler) and 'description')`);

function floats(v: PyValue | undefined, what: string, file: string, shape?: number[]): NdArray & { data: Float64Array } {
  if (!(v instanceof NdArray) || !(v.data instanceof Float64Array)) throw notModel(file, `${what} is ${describe(v)}, not a numeric array`);
  if (shape && (v.shape.length !== shape.length || v.shape.some((s, i) => shape[i] >= 0 && s !== shape[i]))) {
    throw notModel(file, `${what} has shape (${v.shape.join(', ')}), expected (${shape.map((s) => (s < 0 ? '…' : s)).join(', ')})`);
  }
  for (let i = 0; i < v.data.length; i++) if (!Number.isFinite(v.data[i])) throw notModel(file, `${what} has a non-finite value at position ${i}`);
  return v as NdArray & { data: Float64Array };
}

function strings(v: PyValue | undefined, what: string, file: string): string[] {
  if (!(v instanceof NdArray) && !Array.isArray(v)) throw notModel(file, `${what} is ${describe(v)}`);
  const items: PyValue[] = v instanceof NdArray ? Array.from(v.data as ArrayLike<PyValue>) : v;
  if (v instanceof NdArray && v.shape.length !== 1) throw notModel(file, `${what} has shape (${v.shape.join(', ')}), not one name per entry`);
  return items.map((x, i) => {
    if (typeof x === 'string') return x;
    // Class labels may be numbers (sklearn keeps whatever y held); numpy str/int scalars too.
    if (x instanceof NpScalar && typeof x.value === 'string') return x.value;
    const n = asNumber(x);
    if (n !== null) return String(n);
    throw notModel(file, `${what}[${i}] is ${describe(x)}`);
  });
}

function flag(v: PyValue | undefined, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  const n = asNumber(v);
  return n === null ? dflt : n !== 0;
}

/** Reads a CellTypist .pkl into the shared linear-annotator shape (nothing is run: see io/pickle). */
export function readCelltypistModel(bytes: Uint8Array, fileName: string): { model: LinearAnnotator; info: CelltypistModelInfo } {
  const { value: root, protocol } = unpickle(bytes, fileName);
  if (!(root instanceof PyDict)) throw notModel(fileName, `the pickle holds ${describe(root)}`);
  const clf = root.get('Model');
  const scaler = root.get('Scaler_');
  if (!(clf instanceof PyObject)) throw notModel(fileName, `'Model' is ${describe(clf)}`);
  const estimator = clf.cls.split('.').pop()!;
  if (estimator !== 'LogisticRegression' && estimator !== 'SGDClassifier') throw notModel(fileName, `'Model' is a ${clf.cls}`);
  if (!(scaler instanceof PyObject) || !scaler.cls.endsWith('.StandardScaler')) throw notModel(fileName, `'Scaler_' is ${describe(scaler)}`);
  if (clf.attr('coef_') === undefined) throw notModel(fileName, `the ${estimator} was never fitted (no coef_)`);

  const features = strings(clf.attr('features'), "the model's features", fileName);
  const classes = strings(clf.attr('classes_'), 'classes_', fileName);
  const F = features.length;
  const C = classes.length;
  if (C < 2) throw notModel(fileName, `classes_ holds ${C} class${C === 1 ? '' : 'es'}`);
  // Binary sklearn models keep one row (the second class's score); CellTypist scores both as
  // [-s, s] (predict_labels_and_prob: np.column_stack([-scores, scores])).
  const rows = C === 2 ? 1 : C;
  const coefA = floats(clf.attr('coef_'), 'coef_', fileName, [-1, F]);
  if (coefA.shape[0] !== rows && !(C === 2 && coefA.shape[0] === 2)) throw notModel(fileName, `coef_ has ${coefA.shape[0]} rows for ${C} classes`);
  const interA = floats(clf.attr('intercept_'), 'intercept_', fileName, [coefA.shape[0]]);
  let coef = coefA.data;
  let intercept = interA.data;
  if (C === 2 && coefA.shape[0] === 1) {
    coef = new Float64Array(2 * F);
    for (let j = 0; j < F; j++) {
      coef[j] = -coefA.data[j];
      coef[F + j] = coefA.data[j];
    }
    intercept = Float64Array.of(-interA.data[0], interA.data[0]);
  } else {
    coef = Float64Array.from(coef);
    intercept = Float64Array.from(intercept);
  }

  const withMean = flag(scaler.attr('with_mean'), true);
  const withStd = flag(scaler.attr('with_std'), true);
  const meanV = scaler.attr('mean_');
  const scaleV = scaler.attr('scale_');
  const scalerMean = withMean ? Float64Array.from(floats(meanV, "the scaler's mean_", fileName, [F]).data) : new Float64Array(F);
  const scalerScale = withStd && scaleV !== null ? Float64Array.from(floats(scaleV, "the scaler's scale_", fileName, [F]).data) : new Float64Array(F).fill(1);
  for (let j = 0; j < F; j++) if (scalerScale[j] === 0) throw notModel(fileName, `the scaler's scale_ is 0 for ${features[j]}`);

  const description: Record<string, string> = {};
  const desc = root.get('description');
  if (desc instanceof PyDict) {
    for (const [k, v] of desc.entries) {
      if (typeof k !== 'string') continue;
      const n = asNumber(v);
      description[k] = typeof v === 'string' ? v : n !== null ? String(n) : v === null ? '' : describe(v);
    }
  }

  const mc = clf.attr('multi_class');
  const solver = clf.attr('solver');
  // sklearn's 'auto': one-vs-rest for binary problems and liblinear, else multinomial.
  const multinomial = estimator === 'LogisticRegression' && (mc === 'multinomial' || ((mc === 'auto' || mc === 'deprecated' || mc === undefined) && C > 2 && solver !== 'liblinear'));
  const version = clf.attr('_sklearn_version');
  return {
    model: { features, classes, coef, intercept, scalerMean, scalerScale, clip: CELLTYPIST_CLIP, multiClass: multinomial ? 'multinomial' : 'ovr', temperature: 1, description },
    info: { fileName, estimator, sklearnVersion: typeof version === 'string' ? version : null, protocol, withMean },
  };
}

export interface WriteOptions {
  /** Written as `_sklearn_version` of both estimators (sklearn warns when it differs from its own). */
  sklearnVersion: string;
  /** StandardScaler's n_samples_seen_ (the cells the scaler was fitted on); default 0 when unknown. */
  nSamplesSeen?: number;
  /** LogisticRegression's n_iter_ per class (ovr) or once (multinomial); default zeros. */
  nIter?: number[];
}

/**
 * The CellTypist .pkl of a linear annotator: sklearn's LogisticRegression (features as .features,
 * as CellTypist's train() sets them) and StandardScaler with every attribute a fitted estimator
 * has, so `decision_function` / `predict` / `transform` run on it. The temperature has no place in
 * sklearn's model (it changes probabilities, not decisions) and is kept in the description.
 */
export function writeCelltypistModel(m: LinearAnnotator, opts: WriteOptions): Uint8Array {
  const F = m.features.length;
  const C = m.classes.length;
  if (m.coef.length !== C * F || m.intercept.length !== C || m.scalerMean.length !== F || m.scalerScale.length !== F) throw new Error('writeCelltypistModel: the annotator\'s arrays do not match its features and classes');
  if (C < 2) throw new Error('writeCelltypistModel: a model needs at least two classes');
  let coef: Float64Array = m.coef;
  let intercept: Float64Array = m.intercept;
  let rows = C;
  if (C === 2) {
    // sklearn's binary form is one row, scored as [-s, s] by CellTypist: only a model whose two
    // rows are opposite has that form without changing its decision values.
    for (let j = 0; j < F; j++) if (m.coef[j] !== -m.coef[F + j]) throw new Error('writeCelltypistModel: a two-class model is stored by sklearn as one row (class 2 against class 1); this one\'s rows are not opposite, so its decision values cannot be kept');
    if (m.intercept[0] !== -m.intercept[1]) throw new Error('writeCelltypistModel: a two-class model needs opposite intercepts');
    coef = m.coef.slice(F);
    intercept = m.intercept.slice(1);
    rows = 1;
  }
  const nIter = opts.nIter ?? new Array(m.multiClass === 'multinomial' ? 1 : rows).fill(0);
  const version = opts.sklearnVersion;
  const description: Record<string, PyOut> = { date: '', details: '', url: '', source: '', version: '', ...m.description, number_celltypes: int(C) };
  if (m.temperature !== 1) description.scweb_temperature = String(m.temperature);
  const lr: PyOut = {
    t: 'object',
    module: 'sklearn.linear_model._logistic',
    name: 'LogisticRegression',
    state: dict({
      penalty: 'l2',
      dual: false,
      tol: 1e-4,
      C: 1.0,
      fit_intercept: true,
      intercept_scaling: int(1),
      class_weight: null,
      random_state: null,
      solver: 'lbfgs',
      max_iter: int(1000),
      multi_class: m.multiClass,
      verbose: int(0),
      warm_start: false,
      n_jobs: null,
      l1_ratio: null,
      n_features_in_: int(F),
      classes_: { t: 'ndarray', dtype: 'O', shape: [C], data: m.classes },
      n_iter_: { t: 'ndarray', dtype: 'i4', shape: [nIter.length], data: nIter },
      coef_: { t: 'ndarray', dtype: 'f8', shape: [rows, F], data: coef },
      intercept_: { t: 'ndarray', dtype: 'f8', shape: [rows], data: intercept },
      features: { t: 'ndarray', dtype: 'O', shape: [F], data: m.features },
      _sklearn_version: version,
    }),
  };
  const scaler: PyOut = {
    t: 'object',
    module: 'sklearn.preprocessing._data',
    name: 'StandardScaler',
    state: dict({
      with_mean: true,
      with_std: true,
      copy: true,
      n_features_in_: int(F),
      n_samples_seen_: { t: 'scalar', dtype: 'i8', value: opts.nSamplesSeen ?? 0 },
      mean_: { t: 'ndarray', dtype: 'f8', shape: [F], data: m.scalerMean },
      var_: { t: 'ndarray', dtype: 'f8', shape: [F], data: Float64Array.from(m.scalerScale, (s) => s * s) },
      scale_: { t: 'ndarray', dtype: 'f8', shape: [F], data: m.scalerScale },
      _sklearn_version: version,
    }),
  };
  return pickle(dict({ Model: lr, Scaler_: scaler, description: dict(description) }));
}
