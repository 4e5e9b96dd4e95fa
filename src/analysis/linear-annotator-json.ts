// A trained LinearAnnotator written out for reuse (`scweb annotate --model-out`): as JSON (numbers in
// their shortest round-trip form, so reading gives the same float64 bits) or as a CellTypist .pkl
// through the CellTypist writer (celltypist-model.ts), which CellTypist and `--method celltypist` load.
import { writeCelltypistModel } from './celltypist-model.ts';
import type { LinearAnnotator } from './linear-annotator.ts';

export const LINEAR_ANNOTATOR_FORMAT = 'scweb-linear-annotator';

export function linearAnnotatorToJson(m: LinearAnnotator): string {
  const p = m.features.length;
  return JSON.stringify({
    format: LINEAR_ANNOTATOR_FORMAT,
    version: 1,
    features: m.features,
    classes: m.classes,
    coef: m.classes.map((_, c) => Array.from(m.coef.subarray(c * p, (c + 1) * p))),
    intercept: Array.from(m.intercept),
    scalerMean: Array.from(m.scalerMean),
    scalerScale: Array.from(m.scalerScale),
    clip: m.clip,
    multiClass: m.multiClass,
    temperature: m.temperature,
    description: m.description,
  });
}

/** Reads what linearAnnotatorToJson wrote; `name` (a file name) goes into the error messages. */
export function linearAnnotatorFromJson(text: string, name = 'model'): LinearAnnotator {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${name}: not JSON (${(err as Error).message})`, { cause: err });
  }
  if (o.format !== LINEAR_ANNOTATOR_FORMAT) throw new Error(`${name}: not a scWeb linear annotator (format "${String(o.format)}")`);
  const strings = (k: string) => {
    const v = o[k];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Error(`${name}: "${k}" must be a list of names`);
    return v as string[];
  };
  const numbers = (k: string, n: number, v: unknown = o[k]) => {
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new Error(`${name}: "${k}" must hold ${n} finite numbers`);
    return Float64Array.from(v as number[]);
  };
  const features = strings('features');
  const classes = strings('classes');
  const p = features.length;
  const rows = o.coef;
  if (!Array.isArray(rows) || rows.length !== classes.length) throw new Error(`${name}: "coef" must have one row per class (${classes.length})`);
  const coef = new Float64Array(classes.length * p);
  rows.forEach((r, c) => coef.set(numbers(`coef[${c}]`, p, r), c * p));
  const multiClass = o.multiClass;
  if (multiClass !== 'ovr' && multiClass !== 'multinomial') throw new Error(`${name}: "multiClass" must be "ovr" or "multinomial"`);
  const scale = numbers('scalerScale', p);
  if (scale.some((s) => !(s > 0))) throw new Error(`${name}: "scalerScale" must be positive`);
  const num = (k: string, d: number) => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : d);
  return {
    features,
    classes,
    coef,
    intercept: numbers('intercept', classes.length),
    scalerMean: numbers('scalerMean', p),
    scalerScale: scale,
    clip: num('clip', 10),
    multiClass,
    temperature: num('temperature', 1),
    description: typeof o.description === 'object' && o.description ? Object.fromEntries(Object.entries(o.description).map(([k, v]) => [k, String(v)])) : {},
  };
}

/**
 * The sklearn version a .pkl of a model trained here names: the one its layout was checked against
 * (Debian's scikit-learn, test/logreg.test.ts); sklearn only warns when loading it under another.
 */
export const PKL_SKLEARN_VERSION = '1.2.1';

/** A trained model as a CellTypist .pkl (sklearn LogisticRegression + StandardScaler). */
export function linearAnnotatorToPkl(m: LinearAnnotator, nCells?: number): Uint8Array {
  return writeCelltypistModel(m, { sklearnVersion: PKL_SKLEARN_VERSION, nSamplesSeen: nCells });
}
