"""scanpy's rank_genes_groups(method='wilcoxon', reference='rest') restated in numpy/scipy, timed
on the inputs bench/markers-input.ts dumps, for the per-core ratio of bench/markers.ts.

As scanpy's _ranks: dense chunks of floor(1e7 / n_cells) genes, scipy.stats.rankdata per column
(average ties); each group's rank sum from its boolean mask; z without tie correction;
p = 2 norm.sf(|z|); group means (scanpy's _basic_stats, on the sparse matrix) for the fold
changes; pts. One process, one thread per BLAS (OMP/OPENBLAS/MKL_NUM_THREADS=1 set below).
Times are CPU seconds of this process (time.process_time), as the box is shared. With a third
argument (bench/markers.ts --save's output) it also prints the largest difference of our z-scores.
Run: python3 bench/markers_scanpy.py bench/out/markers_30000.bin [rounds] [ours.bin]
"""
import os

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
import sys
import time
from math import floor

import numpy as np
import scipy.sparse as sp
from scipy import stats

buf = open(sys.argv[1], "rb").read()
n_rows, n_cols, nnz, n_groups = np.frombuffer(buf, np.int32, 4)
at = 16
def take(dtype, n):
    global at
    a = np.frombuffer(buf, dtype, n, at)
    at += a.nbytes
    return a
indptr = take(np.float64, n_rows + 1).astype(np.int64)
indices = take(np.uint32, nnz).astype(np.int32)
data = take(np.float32, nnz)
labels = take(np.int32, n_rows)
X = sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))
masks = np.stack([labels == g for g in range(n_groups)])


def wilcoxon(X):
    n_cells, n_genes = X.shape
    t0 = time.process_time()
    # _basic_stats: per-group mean and variance (sparse), and pts.
    means = np.zeros((n_groups, n_genes))
    pts = np.zeros((n_groups, n_genes))
    for g, mask in enumerate(masks):
        sub = X[mask]
        means[g] = np.asarray(sub.mean(axis=0)).ravel()
        pts[g] = np.asarray((sub != 0).sum(axis=0)).ravel() / mask.sum()
    t1 = time.process_time()
    scores = np.zeros((n_groups, n_genes))
    max_chunk = floor(10_000_000 / n_cells)
    for left in range(0, n_genes, max_chunk):
        right = min(left + max_chunk, n_genes)
        ranks = stats.rankdata(X[:, left:right].toarray(), axis=0)
        for g, mask in enumerate(masks):
            scores[g, left:right] = np.sum(ranks[mask, :], axis=0)
    t2 = time.process_time()
    pvals = np.zeros_like(scores)
    for g, mask in enumerate(masks):
        n_active = np.count_nonzero(mask)
        sd = np.sqrt(n_active * (n_cells - n_active) * (n_cells + 1) / 12.0)
        scores[g] = (scores[g] - n_active * ((n_cells + 1) / 2.0)) / sd
        pvals[g] = 2 * stats.norm.sf(np.abs(scores[g]))
    t3 = time.process_time()
    return t1 - t0, t2 - t1, t3 - t2, t3 - t0, scores


rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
runs = [wilcoxon(X) for _ in range(rounds)]
med = lambda k: sorted(r[k] for r in runs)[len(runs) // 2] * 1000
print(f"{n_rows} x {n_cols}, {nnz} values, {n_groups} groups; load {os.getloadavg()[0]:.2f}")
print(f"| scanpy wilcoxon (numpy/scipy, 1 thread) | basic stats {med(0):.0f} | ranks + rank sums {med(1):.0f} | z, p {med(2):.0f} | total {med(3):.0f} | CPU ms; runs {', '.join(f'{r[3] * 1000:.0f}' for r in runs)} |")
if len(sys.argv) > 3:
    ours = np.fromfile(sys.argv[3], np.float64)[: n_groups * n_cols].reshape(n_groups, n_cols)
    print(f"largest |z ours - z numpy| {np.abs(ours - runs[0][4]).max():.3g}")
