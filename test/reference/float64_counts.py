# Writes .h5ad files whose float64 counts float32 would change, and what numpy computes from them:
#   float64_counts.py OUT_DIR
# tiny.h5ad (CSR X), dense.h5ad (dense X), csc.h5ad (CSC X): the same counts, which include 1e-40
# and 5e-324 (float32 turns them into 9.99994610111476e-41 and 0) and 16777217 (float32: 16777216).
# plain.h5ad: float64 small integer counts, exact in float32. huge.h5ad: int64 counts with 2^53 + 1,
# which no double holds. expected.json: per-cell totals and genes, as numpy computes them.
import json, sys
import numpy as np, pandas as pd, anndata as ad, scipy.sparse as sp

out = sys.argv[1]
n_cells, n_genes = 12, 6
dense = np.zeros((n_cells, n_genes))
special = [1e-40, 5e-324, 16777217.0, 1e-46, 0.1, 3.0]
for i in range(n_cells):
    for j in range(n_genes):
        if (i + j) % 3 != 0:
            dense[i, j] = special[(i * 7 + j) % len(special)]
dense[0, :] = [1e-40, 0, 1e-40, 0, 0, 0]  # a cell whose counts float32 changes
dense[1, :] = [0, 5e-324, 0, 1e-46, 0, 0]  # a cell whose counts float32 turns into 0
genes = [f"g{j}" for j in range(n_genes - 1)] + ["MT-CO1"]
def write(X, name):
    # dtype given: anndata 0.8 otherwise converts float64 X to float32 itself.
    names = genes if X.shape[1] == n_genes else [f"g{j}" for j in range(X.shape[1])]
    a = ad.AnnData(X=X, obs=pd.DataFrame(index=[f"c{i}" for i in range(X.shape[0])]), var=pd.DataFrame(index=names), dtype=X.dtype)
    a.write_h5ad(f"{out}/{name}")
write(sp.csr_matrix(dense), "tiny.h5ad")
write(dense, "dense.h5ad")
write(sp.csc_matrix(dense), "csc.h5ad")
csr = sp.csr_matrix(dense)
json.dump({
    "total_counts": np.asarray(csr.sum(axis=1)).ravel().tolist(),
    "n_genes_by_counts": np.asarray((csr != 0).sum(axis=1)).ravel().tolist(),
    "mt_counts": dense[:, -1].tolist(),
}, open(f"{out}/expected.json", "w"))
rng = np.random.default_rng(0)
plain = sp.random(200, 50, density=0.2, random_state=1, data_rvs=lambda k: rng.integers(1, 100, k).astype(np.float64), format="csr")
write(plain, "plain.h5ad")
json.dump({"data": plain.data.tolist(), "indptr": plain.indptr.tolist()}, open(f"{out}/plain.json", "w"))
write(sp.csr_matrix(np.array([[1, 0], [0, 2**53 + 1]], dtype=np.int64)), "huge.h5ad")
