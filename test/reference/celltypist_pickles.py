"""Pickles for the unpickler tests, written by Python itself, and what each must read back as.

usage: celltypist_pickles.py OUT_DIR
Writes OUT_DIR/<name>.pkl and prints JSON {name: expected}: plain values and numpy arrays at
protocols 2-5, SGDClassifier / binary LogisticRegression CellTypist models with their sklearn
decision values on a fixed input, and hostile pickles (other globals) to be refused.
"""
import json
import os
import pickle
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

out = sys.argv[1]
expect = {}


def dump(name, obj, protocol, want):
    with open(os.path.join(out, name + ".pkl"), "wb") as f:
        pickle.dump(obj, f, protocol=protocol)
    expect[name] = want


def arr(a):
    return {"shape": list(a.shape), "values": a.ravel(order="C").tolist()}


plain = {
    "none": None, "t": True, "f": False, "small": 7, "neg": -70000, "big": 2**40, "huge": -(2**70),
    "pi": 3.141592653589793, "s": "x" * 300, "u": "Zellen \u00e9\u00e8 \U0001F9EC", "b": b"\x00\x01\xff" * 100,
    "list": [1, [2, [3]], (4, 5)], "tup": (1, 2, 3, 4), "set": {3}, "fs": frozenset([1]),
}
rng = np.random.default_rng(0)
m = rng.normal(size=(3, 4))
arrays = {
    "f8c": m, "f8f": np.asfortranarray(m), "f8be": m.astype(">f8"), "f4": m.astype("<f4"),
    "i4": np.arange(-3, 9, dtype="<i4").reshape(3, 4), "i8": np.array([2**40, -5], dtype="<i8"),
    "u1": np.array([0, 255], dtype="u1"), "b1": np.array([True, False, True]),
    "U": np.array(["CD3E", "MS4A1", "\u00e9"]), "O": np.array(["HES4", "TNFRSF4"], dtype=object),
    "O2f": np.asfortranarray(np.array([["a", "b", "c"], ["d", "e", "f"]], dtype=object)),
    "i64": np.int64(353), "f32": np.float32(1.5),
}


def arrays_want():
    w = {}
    for k, v in arrays.items():
        if isinstance(v, np.ndarray):
            w[k] = {"shape": list(v.shape), "values": [x if isinstance(x, str) else float(x) for x in v.ravel(order="C").tolist()]}
        else:
            w[k] = {"scalar": float(v)}
    return w


for p in (2, 3, 4, 5):
    # Protocols 2 and 3 write sets as calls of builtins.set, a global no model file needs.
    dump(f"plain_p{p}", plain if p >= 4 else {k: v for k, v in plain.items() if k not in ("set", "fs")}, p, {"protocol": p})
    dump(f"numpy_p{p}", arrays, p, arrays_want())

# CellTypist-shaped models with SGD (use_SGD=True) and with two classes, StandardScaler(with_mean=False).
X = rng.normal(size=(60, 5)) + 1.0
y3 = np.array(["B cell", "T cell", "NK cell"] * 20)
y2 = np.array(["A", "B"] * 30)
genes = np.array(["G1", "G2", "G3", "G4", "G5"], dtype=object)
test_x = rng.normal(size=(4, 5)).tolist()
for name, clf, y, with_mean, proto in [
    ("sgd_p2", SGDClassifier(loss="log_loss", random_state=0), y3, False, 2),
    ("binary_p4", LogisticRegression(), y2, True, 4),
]:
    sc = StandardScaler(with_mean=with_mean).fit(X)
    clf.fit(np.clip(sc.transform(X), None, 10), y)
    clf.features = genes
    model = {"Model": clf, "Scaler_": sc, "description": {"date": "2024", "details": name, "number_celltypes": len(clf.classes_)}}
    z = (np.array(test_x) - (sc.mean_ if with_mean else 0)) / sc.scale_
    z[z > 10] = 10
    d = clf.decision_function(z)
    if d.ndim == 1:
        d = np.column_stack([-d, d])
    dump(name, model, proto, {"x": test_x, "decision": d.tolist(), "classes": [str(c) for c in clf.classes_]})


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


dump("evil", {"Model": Evil()}, 4, {"global": f"{os.system.__module__}.system"})
dump("ordered", {"Model": __import__("collections").OrderedDict()}, 4, {"global": "collections.OrderedDict"})
print(json.dumps(expect))
