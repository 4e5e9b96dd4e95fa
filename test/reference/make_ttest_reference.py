# Welch t-test reference (scanpy's rank_genes_groups method 't-test' is scipy's
# ttest_ind_from_stats(equal_var=False) on per-group means/variances) for pbmc68k raw/X by bulk_labels:
#   /usr/bin/python3 test/reference/make_ttest_reference.py > test/reference/pbmc68k_ttest.json
import anndata as ad, numpy as np, json, scipy.sparse as sp
from scipy.stats import ttest_ind_from_stats
a = ad.read_h5ad('../shared/data/pbmc68k_reduced.h5ad')
X = a.raw.X
X = (X.toarray() if sp.issparse(X) else np.asarray(X)).astype(np.float64)
lab = a.obs['bulk_labels']
out = {}
for g in lab.cat.categories:
    m = (lab == g).values
    x1, x2 = X[m], X[~m]
    m1, v1, m2, v2 = x1.mean(0), x1.var(0, ddof=1), x2.mean(0), x2.var(0, ddof=1)
    with np.errstate(invalid='ignore', divide='ignore'):
        t, p = ttest_ind_from_stats(m1, np.sqrt(v1), m1.shape[0] and m.sum(), m2, np.sqrt(v2), (~m).sum(), equal_var=False)
    t[np.isnan(t)] = 0
    p[np.isnan(p)] = 1
    order = np.argsort(-t, kind='stable')[:20]
    out[g] = {'top20': order.tolist(), 'scores': t[order].tolist(), 'pvals': p[order].tolist()}
print(json.dumps(out))
