"""Reference integration metrics for test/integration-metrics.test.ts: scIB's silhouette_batch,
silhouette (label ASW) and graph_connectivity, on an embedding (.npy) with a meta.csv.

Uses sklearn.metrics.silhouette_samples when sklearn can be imported; otherwise the same
definition written out here with numpy/scipy (cdist distances). The kNN graph for graph
connectivity is scanpy's support (n_neighbors 15 counting the cell itself, either direction),
built from exact float64 distances; components from scipy.sparse.csgraph.
Prints JSON: {"silhouette_impl", "batch_asw", "label_asw", "graph_connectivity"}.
Usage: integration_metrics.py EMB.npy META.csv BATCH_COL LABEL_COL
"""
import csv
import json
import sys

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import cdist

try:
    from sklearn.metrics import silhouette_samples
    IMPL = "sklearn"
except ImportError:
    IMPL = "numpy"

    def silhouette_samples(X, labels, metric="euclidean"):
        labels = np.asarray(labels)
        D = cdist(X, X)
        uniq, inv = np.unique(labels, return_inverse=True)
        sums = np.stack([D[:, inv == c].sum(axis=1) for c in range(len(uniq))], axis=1)
        freq = np.bincount(inv)
        with np.errstate(divide="ignore", invalid="ignore"):
            intra = sums[np.arange(len(X)), inv] / (freq[inv] - 1)
            means = sums / freq
            means[np.arange(len(X)), inv] = np.inf
            inter = means.min(axis=1)
            s = (inter - intra) / np.maximum(intra, inter)
        return np.nan_to_num(s)


def main():
    emb, meta_path, batch_col, label_col = sys.argv[1:5]
    X = np.load(emb).astype(np.float64)
    with open(meta_path, newline="") as f:
        rows = list(csv.DictReader(f))
    batch = np.array([r[batch_col] for r in rows])
    label = np.array([r[label_col] for r in rows])

    # scIB silhouette_batch
    per = []
    for g in np.unique(label):
        m = label == g
        nb = len(np.unique(batch[m]))
        if nb == 1 or nb == m.sum():
            continue
        s = silhouette_samples(X[m], batch[m])
        per.append(np.mean(1 - np.abs(s)))
    batch_asw = float(np.mean(per))

    # scIB silhouette (label ASW), scaled
    label_asw = float((np.mean(silhouette_samples(X, label)) + 1) / 2)

    # scIB graph_connectivity on the kNN graph (k = 15 with self)
    n = len(X)
    D = cdist(X, X)
    np.fill_diagonal(D, -1)
    nn = np.argsort(D, axis=1, kind="stable")[:, 1:15]
    A = csr_matrix((np.ones(nn.size), (np.repeat(np.arange(n), nn.shape[1]), nn.ravel())), shape=(n, n))
    A = A + A.T
    res = []
    for g in np.unique(label):
        idx = np.where(label == g)[0]
        _, comp = connected_components(A[idx][:, idx], connection="strong")
        res.append(np.bincount(comp).max() / len(idx))
    print(json.dumps({"silhouette_impl": IMPL, "batch_asw": batch_asw, "label_asw": label_asw, "graph_connectivity": float(np.mean(res))}))


main()
