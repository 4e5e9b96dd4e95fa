# A file with a batch column and a real batch effect in its counts, for the integration tests:
# pbmc68k_reduced_with_counts.h5ad (../shared/data) with obs `batch` (b0, b1, b2: numpy
# RandomState(0).randint(0, 3, 700), as the Harmony fixture's batches) and each batch's counts
# scaled gene by gene (a factor exp(N(0, 0.6)) per batch and gene, RandomState(1); rounded, so they
# stay integers), the kind of gene-specific capture bias that separates batches in PCA.
# `sample` copies `batch` as strings (the concatenated-files column name) and `n_counts_raw` is
# numeric (a column the batch picker refuses).
#   /usr/bin/python3 test/reference/batch_file.py ../shared/data OUT_DIR  -> OUT_DIR/pbmc68k_batches.h5ad
# With a third argument `split`, also batches b0 and b1 as two files of their own, as two samples
# arrive from two Cell Ranger runs: OUT_DIR/donorA.h5ad and donorB.h5ad, without the batch and
# sample columns (opened together, the app's own obs/sample tells them apart).
import sys, os
import anndata as ad, numpy as np, pandas as pd, scipy.sparse as sp

data, out = sys.argv[1], sys.argv[2]
a = ad.read_h5ad(os.path.join(data, 'pbmc68k_reduced_with_counts.h5ad'))
n, p = a.shape
b = np.random.RandomState(0).randint(0, 3, n)
factor = np.exp(np.random.RandomState(1).normal(0, 0.6, (3, p)))
C = sp.csr_matrix(a.layers['counts']).astype(np.float64)
C = sp.csr_matrix(C.multiply(factor[b]).toarray().round()).astype(np.int32)
C.eliminate_zeros()
a.layers['counts'] = C
a.obs['batch'] = pd.Categorical.from_codes(b, categories=['b0', 'b1', 'b2'])
a.obs['sample'] = np.array(['s0', 's1', 's2'])[b].astype(object)
a.obs['n_counts_raw'] = np.asarray(C.sum(1)).ravel().astype(np.float64)
# Results computed from the unscaled counts would mislead: the file carries counts and labels only.
for k in list(a.obsm.keys()):
    del a.obsm[k]
for k in list(a.obsp.keys()):
    del a.obsp[k]
for k in list(a.uns.keys()):
    del a.uns[k]
a.raw = None
os.makedirs(out, exist_ok=True)
a.write_h5ad(os.path.join(out, 'pbmc68k_batches.h5ad'))
if len(sys.argv) > 3 and sys.argv[3] == 'split':
    for code, name in ((0, 'donorA'), (1, 'donorB')):
        part = a[b == code].copy()
        for col in ('batch', 'sample', 'n_counts_raw'):
            del part.obs[col]
        part.write_h5ad(os.path.join(out, name + '.h5ad'))
