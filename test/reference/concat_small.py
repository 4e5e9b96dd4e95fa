# Two small samples for the browser test of several files opened as one:
#   concat_small.py SHARED_DATA_DIR OUT_DIR
# donor1.h5ad: cells 0-199 of pbmc68k_reduced_with_counts, genes 0-699; donor2.h5ad: cells
# 200-399, genes 50-764. Each: X = the counts (int32 CSR), obs/bulk_labels, obsm/X_umap.
# Joined (inner): 400 cells x 650 genes, obs names unchanged (none repeats).
import sys
import numpy as np, pandas as pd, anndata as ad, scipy.sparse as sp

data, out = sys.argv[1], sys.argv[2]
full = ad.read_h5ad(f"{data}/pbmc68k_reduced_with_counts.h5ad")
counts = sp.csr_matrix(full.layers["counts"]).astype(np.int32)
for name, cells, genes in [("donor1", range(0, 200), range(0, 700)), ("donor2", range(200, 400), range(50, 765))]:
    cells, genes = list(cells), list(genes)
    x = counts[cells][:, genes]
    part = ad.AnnData(X=sp.csr_matrix(x), obs=pd.DataFrame({"bulk_labels": full.obs["bulk_labels"].values[cells]}, index=full.obs_names[cells]), var=pd.DataFrame(index=full.var_names[genes]), dtype=np.int32)
    part.obsm["X_umap"] = full.obsm["X_umap"][cells].astype(np.float32)
    part.write_h5ad(f"{out}/{name}.h5ad")
