"""pynndescent on the same points as bench/nndescent-threads.ts, for the per-core comparison.

Reads n x 50 float32 from a raw file (written by `bench/nndescent-threads.ts --write FILE`),
runs NNDescent(x, n_neighbors=15, random_state=0) as scanpy's neighbors does (metric euclidean),
prints wall and CPU seconds of the build (numba compiled first on a small input, not timed), and
writes the indices (int32, n x 15) next to the input; recall against FILE.exact.i32 where it exists.
Run: NUMBA_NUM_THREADS=1 /usr/bin/python3 bench/pynndescent_knn.py FILE N
"""
import os
import sys
import time

import numpy as np
from pynndescent import NNDescent

path, n = sys.argv[1], int(sys.argv[2])
x = np.fromfile(path, dtype=np.float32).reshape(n, 50)
NNDescent(x[:2000], n_neighbors=15, random_state=0)  # numba's compilation, outside the timing
t, c = time.perf_counter(), time.process_time()
index = NNDescent(x, n_neighbors=15, random_state=0)
wall, cpu = time.perf_counter() - t, time.process_time() - c
indices, _ = index.neighbor_graph
indices.astype(np.int32).tofile(path + '.pynndescent.i32')
recall = '-'
if os.path.exists(path + '.exact.i32'):
    exact = np.fromfile(path + '.exact.i32', dtype=np.int32).reshape(n, 15)
    recall = f'{np.mean([len(set(a) & set(b)) for a, b in zip(exact, indices)]) / 15:.4f}'
print(f'pynndescent n {n} threads {os.environ.get("NUMBA_NUM_THREADS", "all")}: {wall:.2f} s wall, {cpu:.2f} s CPU, recall vs exact {recall}')
