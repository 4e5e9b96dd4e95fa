// Stored matrix values as the analysis sees them: float32 where that holds every value of a block
// exactly, float64 otherwise. Narrowing float64 counts unconditionally turned values below 1.4e-45
// into 0 (a file of tiny counts then had "0 cells pass QC") and rounded integers above 2^24
// (16777217 became 16777216); float32 stays the common case because it halves the memory of every
// chunk, and the choice is made per block from the values themselves, so it costs one compare per
// value and never changes a number.
import type { MatrixValues } from './types.ts';

/**
 * `values` as float32 when every value survives the narrowing exactly (Math.fround(v) === v), else
 * as float64 (the array itself when it already is one). NaN never compares equal, so a block with
 * NaN stays float64; the chunk checks refuse NaN later with the cell named.
 */
export function exactValues(values: ArrayLike<number>): MatrixValues {
  if (values instanceof Float32Array) return values;
  const n = values.length;
  const narrow = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const v = values[k];
    narrow[k] = v;
    if (narrow[k] !== v) return values instanceof Float64Array ? values : Float64Array.from(values);
  }
  return narrow;
}

/** Whether float32 would change any of `values` (so a whole-matrix copy must be float64). */
export function needsFloat64(values: ArrayLike<number>): boolean {
  if (values instanceof Float32Array) return false;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (Math.fround(v) !== v) return true;
  }
  return false;
}

/** An empty array of the same kind, for builders that copy values into a new array. */
export function valuesLike(values: MatrixValues | ArrayLike<number>, n: number): MatrixValues {
  return values instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/**
 * A computed result (normalised, log-transformed) in the pipeline's working precision, float32.
 * Only results go through here: stored values are narrowed by `exactValues` or not at all.
 */
export function computedFloat32(values: MatrixValues): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}
