# References for the classic-pipeline tests, computed with numpy/pandas/sklearn (Debian packages):
#   /usr/bin/python3 test/reference/make_pipeline_reference.py > test/reference/pbmc68k_pipeline.json
# scanpy itself is not installable here, so its formulas are restated from scanpy 1.10's source
# (preprocessing/_normalization.py, _highly_variable_genes.py 'seurat', _scale.py, tools/_pca.py).
import anndata as ad, numpy as np, pandas as pd, json, scipy.sparse as sp, warnings
from sklearn.decomposition import PCA
warnings.filterwarnings('ignore')
a = ad.read_h5ad('../shared/data/pbmc68k_reduced_with_counts.h5ad')
C = a.layers['counts']
C = (C.toarray() if sp.issparse(C) else np.asarray(C)).astype(np.float64)
totals = C.sum(1)
X = np.log1p(C / totals[:, None] * 1e4)  # normalize_total(target_sum=1e4) + log1p
# highly_variable_genes(flavor='seurat', n_top_genes=200)
E = np.expm1(X)
mean = E.mean(0)
var = E.var(0, ddof=1)
mean[mean == 0] = 1e-12
disp = var / mean
disp[disp == 0] = np.nan
disp = np.log(disp)
mean = np.log1p(mean)
df = pd.DataFrame({'means': mean, 'dispersions': disp})
df['mean_bin'] = pd.cut(df['means'], bins=20)
g = df.groupby('mean_bin')['dispersions']
bm, bs = g.mean(), g.std(ddof=1)
one = bs.isnull()
bs[one] = bm[one]
bm[one] = 0
df['dispersions_norm'] = (df['dispersions'].values - bm[df['mean_bin'].values].values) / bs[df['mean_bin'].values].values
dn = df['dispersions_norm'].values
v = np.sort(dn[~np.isnan(dn)])[::-1]
hv = np.nan_to_num(dn) >= v[200 - 1]
# scale(max_value=10) of the HVG columns, then PCA(50) as scanpy's (sklearn, full SVD here)
H = X[:, hv]
mu = H.mean(0)
sd = H.std(0, ddof=1)
sd[sd == 0] = 1
Z = np.clip((H - mu) / sd, -10, 10)
p = PCA(50, svd_solver='full').fit(Z)
nan = lambda x: [None if np.isnan(t) else float(t) for t in x]
print(json.dumps({
    'totals_first3': totals[:3].tolist(),
    'logn_row0_sum': float(X[0].sum()),
    'hvg_means': nan(df['means'].values), 'hvg_dispersions': nan(disp), 'hvg_dispersions_norm': nan(dn),
    'hvg_genes': np.nonzero(hv)[0].tolist(),
    'scale_mean': mu.tolist(), 'scale_std': sd.tolist(),
    'pca_variance_ratio': p.explained_variance_ratio_.tolist(),
    'pca_scores_first2': p.transform(Z)[:2, :10].tolist(),
}))
