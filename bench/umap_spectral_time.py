# umap-learn's spectral initialisation (umap.spectral.spectral_layout, as simplicial_set_embedding
# calls it: weights under max / n_epochs removed) on the graph bench/umap-init.ts wrote, timed.
#   /usr/bin/python3 bench/umap_spectral_time.py bench/out/umap-init
import json, os, sys, time, warnings
import numpy as np, scipy.sparse as sp
from umap.spectral import spectral_layout
warnings.filterwarnings('ignore')
d = sys.argv[1]
meta = json.load(open(os.path.join(d, 'graph.json')))
n = meta['n']
G = sp.csr_matrix((np.fromfile(os.path.join(d, 'data.bin'), np.float32), np.fromfile(os.path.join(d, 'indices.bin'), np.int32), np.fromfile(os.path.join(d, 'indptr.bin'), np.int32)), shape=(n, n)).astype(np.float64)
G.data[G.data < G.data.max() / (500 if n <= 10000 else 200)] = 0
G.eliminate_zeros()
ncomp = sp.csgraph.connected_components(G)[0]
t0, c0 = time.perf_counter(), time.process_time()
spectral_layout(None, G, 2, np.random.RandomState(0))
print(json.dumps({'n': n, 'components': int(ncomp), 'seconds': time.perf_counter() - t0, 'cpu': time.process_time() - c0}))
