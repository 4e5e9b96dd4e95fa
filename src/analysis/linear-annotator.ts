// The one shape every linear annotator takes, whether trained here (logistic regression) or read
// from a CellTypist .pkl: CellTypist's own recipe. Cells are log1p(CP10k) over `features`, scaled
// by (x - scalerMean) / scalerScale (StandardScaler), values above `clip` set to it, then
// decision = x · coef[c]ᵀ + intercept[c]. Keeping one shape means a model trained in the app can
// be written as a CellTypist .pkl and a CellTypist model can be applied by the same code.
export interface LinearAnnotator {
  /** Gene names (symbols or Ensembl ids, as the reference's var) in coefficient order. */
  features: string[];
  /** Class labels in row order of `coef`. */
  classes: string[];
  /** Row-major [classes.length, features.length]. */
  coef: Float64Array;
  /** [classes.length] */
  intercept: Float64Array;
  /** StandardScaler's mean_ per feature; zeros when the scaler was fit with_mean=False. */
  scalerMean: Float64Array;
  /** StandardScaler's scale_ per feature (1 where a feature's standard deviation is 0). */
  scalerScale: Float64Array;
  /** Scaled values above this are set to it (CellTypist: 10). */
  clip: number;
  /** 'ovr': one sigmoid per class (CellTypist, sklearn multi_class='ovr'); 'multinomial': softmax. */
  multiClass: 'ovr' | 'multinomial';
  /** Softmax/sigmoid temperature fitted on held-back reference cells (1 when not calibrated). */
  temperature: number;
  /** Free-form description (CellTypist's `description` dict, or how it was trained). */
  description: Record<string, string>;
}
