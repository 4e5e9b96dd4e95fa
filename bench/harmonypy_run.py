"""harmonypy on the bench's input, timed per phase: run by bench/harmony.ts.

usage: python3 harmonypy_run.py PCS.npy META.csv THREADS OUT.npy
Prints one JSON line: wall and CPU (all threads) seconds of run_harmony (imports and file reading excluded), the
iterations and k-means rounds, and the seconds spent in each of harmonypy's methods.
"""
import os
import sys

threads = sys.argv[3]
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = threads

import json  # noqa: E402
import logging  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import harmonypy  # noqa: E402
from harmonypy.harmony import Harmony  # noqa: E402

logging.getLogger("harmonypy").setLevel(logging.WARNING)
torch.set_num_threads(int(threads))

# Exclusive seconds per method: a method's time less that of the timed methods it calls
# (cluster() without update_R and compute_objective is its centroid and distance matmuls).
phases = {}
stack = []


def timed(name, fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        stack.append(0.0)
        try:
            return fn(*args, **kwargs)
        finally:
            spent = time.perf_counter() - t
            nested = stack.pop()
            phases[name] = phases.get(name, 0.0) + spent - nested
            if stack:
                stack[-1] += spent

    return wrapper


for method in ("init_cluster", "cluster", "update_R", "compute_objective", "moe_correct_ridge"):
    setattr(Harmony, method, timed(method, getattr(Harmony, method)))

pcs = np.load(sys.argv[1])
meta = pd.read_csv(sys.argv[2], index_col=0, dtype=str)
meta["batch"] = pd.Categorical(meta["batch"])
with threadpool_limits(int(threads)):
    t = time.perf_counter()
    cpu = time.process_time()
    ho = harmonypy.run_harmony(pcs, meta, ["batch"], random_state=0, verbose=False)
    seconds = time.perf_counter() - t
    cpu_seconds = time.process_time() - cpu
np.save(sys.argv[4], np.ascontiguousarray(ho.Z_corr, dtype=np.float32))
print(json.dumps({
    "seconds": seconds,
    "cpu_seconds": cpu_seconds,
    "iterations": len(ho.objective_harmony) - 1,
    "kmeans_rounds": ho.kmeans_rounds,
    "phases": phases,
    "torch": torch.__version__,
    "sklearn": sklearn.__version__,
    "torch_threads": torch.get_num_threads(),
}))
