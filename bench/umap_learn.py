"""umap-learn's layout (optimize_layout_euclidean, as scanpy's tl.umap runs it through
simplicial_set_embedding) on a graph and starting layout written by bench/umap.ts, and sklearn's
trustworthiness of any layouts given.

  python3 bench/umap_learn.py DIR layout [--threads T] [--repeat R]
      reads DIR/meta.json, graph_{indptr,indices,data}.bin, init.bin; writes DIR/umap_learn.bin;
      prints one JSON line {"seconds": [...], "parallel": bool}
  python3 bench/umap_learn.py DIR trust NAME [NAME ...]
      reads DIR/x.bin and DIR/NAME.bin ([n, 2] float32) and prints {"NAME": T, ...}: sklearn's
      trustworthiness (k 15) on the same 5,000 points sampled with seed 0 (all pairs of 30k points
      would need 7 GB).
"""
import json
import os
import sys
import time

import numpy as np


def load(d, name, dtype, shape=None):
    a = np.fromfile(os.path.join(d, name), dtype=dtype)
    return a.reshape(shape) if shape else a


def layout(d, threads, repeat):
    if threads > 1:
        os.environ["NUMBA_NUM_THREADS"] = str(threads)
    import scipy.sparse as sp
    from umap.layouts import optimize_layout_euclidean
    from umap.umap_ import make_epochs_per_sample
    from umap.utils import tau_rand_int  # noqa: F401 (numba compiles it with the layout)

    meta = json.load(open(os.path.join(d, "meta.json")))
    n, n_epochs = meta["n"], meta["nEpochs"]
    graph = sp.csr_matrix((load(d, "graph_data.bin", np.float32), load(d, "graph_indices.bin", np.int32), load(d, "graph_indptr.bin", np.int32)), shape=(n, n))
    # simplicial_set_embedding's steps before the optimisation, as scanpy calls it.
    graph = graph.tocoo()
    graph.sum_duplicates()
    graph.data[graph.data < (graph.data.max() / float(n_epochs))] = 0.0
    graph.eliminate_zeros()
    epochs_per_sample = make_epochs_per_sample(graph.data, n_epochs)
    head, tail = graph.row, graph.col
    init = load(d, "init.bin", np.float32, (n, 2))
    parallel = threads > 1

    def run(emb, h, t, eps, nv, epochs):
        rng_state = np.random.RandomState(0).randint(np.iinfo(np.int32).min + 1, np.iinfo(np.int32).max - 1, 3).astype(np.int64)
        return optimize_layout_euclidean(emb, emb, h, t, epochs, nv, eps, meta["a"], meta["b"], rng_state, 1.0, 1.0, 5.0, parallel=parallel, verbose=False, move_other=True)

    # numba compiles on the first call: a small warm-up keeps compilation out of the timings.
    m = graph.row < 200
    run(init[:200].copy(), head[m], tail[m] % 200, epochs_per_sample[m], 200, 5)
    seconds, cpu = [], []
    for _ in range(repeat):
        emb = init.copy()
        t0, c0 = time.perf_counter(), time.process_time()
        out = run(emb, head, tail, epochs_per_sample, n, n_epochs)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    out.astype(np.float32).tofile(os.path.join(d, "umap_learn.bin"))
    print(json.dumps({"seconds": seconds, "cpu": cpu, "parallel": parallel}))


def trust(d, names):
    from sklearn.manifold import trustworthiness

    meta = json.load(open(os.path.join(d, "meta.json")))
    n, dim = meta["n"], meta["dim"]
    x = load(d, "x.bin", np.float32, (n, dim))
    idx = np.sort(np.random.RandomState(0).choice(n, min(n, 5000), replace=False))
    out = {}
    for name in names:
        y = load(d, name + ".bin", np.float32, (n, 2))
        out[name] = float(trustworthiness(x[idx], y[idx], n_neighbors=15))
    print(json.dumps(out))


if __name__ == "__main__":
    d, what = sys.argv[1], sys.argv[2]
    if what == "layout":
        args = sys.argv[3:]
        threads = int(args[args.index("--threads") + 1]) if "--threads" in args else 1
        repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 1
        layout(d, threads, repeat)
    else:
        trust(d, sys.argv[3:])
