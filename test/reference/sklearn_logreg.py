"""scikit-learn's LogisticRegression on CellTypist's recipe, for the parity test and the annotation bench.

Reads a JSON request on stdin:
  path, counts ('layers/counts', 'X' or 'raw/X'), log (true: the matrix is log1p(CP10k) already),
  train, test (cell indices), y_train (class codes), n_classes, multi_class ('ovr'|'multinomial'),
  C, max_iter, tol
and prints JSON: features (var indices kept), coef [K][p] (K rows also for 2 classes), intercept,
mean, scale, n_iter, fit_seconds, test_pred, test_conf (max predict_proba), test_proba_rows.
The recipe: log1p(counts / total * 1e4) per cell over all genes, genes without counts in the
training cells dropped, StandardScaler fitted on the training cells, values above 10 set to 10.
"""
import json
import sys
import time
import warnings

import anndata
import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

req = json.load(sys.stdin)
a = anndata.read_h5ad(req["path"])
key = req["counts"]
if key == "X":
    m = a.X
elif key == "raw/X":
    m = a.raw.X
elif key.startswith("layers/"):
    m = a.layers[key[len("layers/"):]]
else:
    raise SystemExit(f"unknown matrix {key}")
m = sp.csr_matrix(m, dtype=np.float64)
if not req.get("log"):
    totals = np.asarray(m.sum(axis=1)).ravel()
    totals[totals == 0] = 1
    m = sp.diags(1e4 / totals) @ m
    m.data = np.log1p(m.data)
m = sp.csr_matrix(m)
train = np.asarray(req["train"], dtype=np.int64)
test = np.asarray(req["test"], dtype=np.int64)
y = np.asarray(req["y_train"], dtype=np.int64)
xt = m[train].toarray()
keep = np.flatnonzero(xt.sum(axis=0) != 0)
xt = xt[:, keep]
scaler = StandardScaler().fit(xt)
xt = scaler.transform(xt)
xt[xt > 10] = 10
clf = LogisticRegression(C=req["C"], solver="lbfgs", max_iter=req["max_iter"], tol=req["tol"], multi_class=req["multi_class"])
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(xt, y)
fit_seconds = time.perf_counter() - t0
coef, intercept = clf.coef_, clf.intercept_
if coef.shape[0] == 1:
    # Two classes: sklearn keeps one row, class 1's. OvR's class 0 is its mirror; a multinomial
    # fit's two rows sum to zero (sklearn 1.2 keeps w1, not w1 - w0).
    coef = np.vstack([-coef[0], coef[0]])
    intercept = np.array([-intercept[0], intercept[0]])
xs = scaler.transform(m[test][:, keep].toarray())
xs[xs > 10] = 10
proba = clf.predict_proba(xs)
out = {
    "features": keep.tolist(),
    "coef": coef.tolist(),
    "intercept": intercept.tolist(),
    "mean": scaler.mean_.tolist(),
    "scale": scaler.scale_.tolist(),
    "n_iter": int(np.max(clf.n_iter_)),
    "fit_seconds": fit_seconds,
    "test_pred": clf.classes_[proba.argmax(axis=1)].tolist(),
    "test_conf": proba.max(axis=1).tolist(),
}
json.dump(out, sys.stdout)
