"""Loads a CellTypist .pkl the way CellTypist's Model.load does (pickle.load) and reports, as JSON,
what sklearn makes of it: types, fitted attributes, and decision_function / predict on the rows of
X.json after the model's own StandardScaler.transform and CellTypist's clip at 10.

usage: celltypist_load.py MODEL.pkl X.json
"""
import json
import pickle
import sys
import warnings

import numpy as np
import sklearn
from sklearn.utils.validation import check_is_fitted

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with open(sys.argv[1], "rb") as f:
        obj = pickle.load(f)
clf, sc = obj["Model"], obj["Scaler_"]
check_is_fitted(clf)
check_is_fitted(sc)
x = np.array(json.load(open(sys.argv[2])), dtype=np.float64)
z = sc.transform(x)
z[z > 10] = 10
d = clf.decision_function(z)
print(json.dumps({
    "sklearn": sklearn.__version__,
    "warnings": [str(w.message) for w in caught],
    "types": [type(clf).__module__ + "." + type(clf).__name__, type(sc).__module__ + "." + type(sc).__name__],
    "keys": sorted(obj.keys()),
    "description": {k: (v if isinstance(v, (str, int, float)) else str(v)) for k, v in obj["description"].items()},
    "features": [str(g) for g in clf.features],
    "classes": [str(c) for c in clf.classes_],
    "n_features_in": int(clf.n_features_in_),
    "coef_shape": list(clf.coef_.shape),
    "scaler": {"with_mean": bool(sc.with_mean), "n_samples_seen": int(sc.n_samples_seen_), "n_features_in": int(sc.n_features_in_)},
    "decision": np.atleast_2d(d.T).T.tolist() if d.ndim == 1 else d.tolist(),
    "predict": [str(p) for p in clf.predict(z)],
}))
