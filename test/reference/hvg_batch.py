# Reference for highly_variable_genes(batch_key=...), restated line by line from scanpy's
# src/scanpy/preprocessing/_highly_variable_genes.py (scverse/scanpy main, commit fabadb94, 2026-08):
# _highly_variable_genes_batched + _highly_variable_genes_single_batch(filter_unexpressed_genes=True)
# for flavor 'seurat', and _highly_variable_genes_seurat_v3 with a batch_key. scanpy is not
# installable here (Debian's numpy/pandas are), so the functions below follow its code with pandas.
#   /usr/bin/python3 test/reference/hvg_batch.py > test/reference/hvg_batch.json
#
# Data: pbmc68k_reduced_with_counts.h5ad (layers/counts) with a simulated batch column of 4
# unequal batches (numpy RandomState(0).choice(4, 700, p=[.45, .3, .2, .05]), so the smallest
# batch (46 cells) leaves many genes unexpressed); filter_genes(min_cells=3, then 40) over all cells; counts
# normalised to 1e4 by their totals over all genes (scWeb's QC totals) then log1p.
# seurat_v3 needs scikit-misc's loess, which Debian lacks: `loess_direct` restates the local
# quadratic fit scWeb uses (src/analysis/loess.ts, surface='direct'); everything after the fit is
# scanpy's.
import json, sys, warnings
import anndata as ad, numpy as np, pandas as pd, scipy.sparse as sp

warnings.filterwarnings('ignore')
path = sys.argv[1] if len(sys.argv) > 1 else '../shared/data/pbmc68k_reduced_with_counts.h5ad'
a = ad.read_h5ad(path)
C = a.layers['counts']
C = (C.toarray() if sp.issparse(C) else np.asarray(C)).astype(np.float64)
n_obs = C.shape[0]
batch_codes = np.random.RandomState(0).choice(4, n_obs, p=[0.45, 0.3, 0.2, 0.05])
batch = pd.Categorical.from_codes(batch_codes, categories=['b0', 'b1', 'b2', 'b3'])
totals = C.sum(1)


def mean_var(x):
    # fast_array_utils.stats.mean_var(correction=1): E[x^2] - E[x]^2 scaled by n / (n - 1)
    mean = x.mean(0)
    var = (np.square(x).mean(0) - mean ** 2) * (x.shape[0] / (x.shape[0] - 1))
    return mean, var


def single_batch_seurat(x, names, n_top_genes, n_bins=20):
    filt = (x > 0).sum(0) >= 1  # filter_genes(min_cells=1)
    n_removed = np.sum(~filt)
    xs = np.expm1(x[:, filt])
    mean, var = mean_var(xs)
    mean[mean == 0] = 1e-12
    dispersion = var / mean
    dispersion[dispersion == 0] = np.nan
    dispersion = np.log(dispersion)
    mean = np.log1p(mean)
    df = pd.DataFrame(dict(zip(['means', 'dispersions'], (mean, dispersion))))
    df['mean_bin'] = pd.cut(df['means'], bins=n_bins)
    disp_grouped = df.groupby('mean_bin', observed=True)['dispersions']
    disp_bin_stats = disp_grouped.agg(avg='mean', dev='std')
    one_gene_per_bin = disp_bin_stats['dev'].isna()
    disp_bin_stats.loc[one_gene_per_bin, 'dev'] = disp_bin_stats.loc[one_gene_per_bin, 'avg']
    disp_bin_stats.loc[one_gene_per_bin, 'avg'] = 0
    disp_stats = disp_bin_stats.loc[df['mean_bin']].set_index(df.index)
    df['dispersions_norm'] = (df['dispersions'] - disp_stats['avg']) / disp_stats['dev']
    # _subset_genes with n_top_genes
    n_vars = int(filt.sum())
    n = min(n_top_genes, n_vars)
    dn = df['dispersions_norm'].to_numpy()
    v = dn[~np.isnan(dn)]
    if n > v.size:
        n = v.size
    v = np.sort(v)[::-1]
    cut = v[n - 1]
    df['highly_variable'] = np.nan_to_num(dn, nan=-np.inf) >= cut
    df.index = names[filt]
    if n_removed > 0:
        missing_hvg = pd.DataFrame(np.zeros((n_removed, len(df.columns))), columns=df.columns)
        missing_hvg['highly_variable'] = missing_hvg['highly_variable'].astype(bool)
        missing_hvg.index = names[~filt]
        df = pd.concat([df, missing_hvg]).loc[names]
    return df


def batched_seurat(n_top_genes, var_names, X):
    batches = batch.categories
    dfs = [single_batch_seurat(X[np.asarray(batch == b)], var_names, n_top_genes) for b in batches]
    df = pd.concat(dfs, axis=0)
    df['highly_variable'] = df['highly_variable'].astype(int)
    df = df.groupby(df.index, observed=True).agg(dict(means='mean', dispersions='mean', dispersions_norm='mean', highly_variable='sum'))
    df['highly_variable_nbatches'] = df['highly_variable']
    df['highly_variable_intersection'] = df['highly_variable_nbatches'] == len(batches)
    df_orig_ind = var_names.copy()
    df = df.sort_values(['highly_variable_nbatches', 'dispersions_norm'], ascending=False, na_position='last')
    df['highly_variable'] = np.arange(df.shape[0]) < n_top_genes
    df = df.loc[df_orig_ind]
    return df


def loess_direct(x, y, span=0.3):
    n = x.size
    order = np.argsort(x, kind='stable')
    xs, ys = x[order], y[order]
    q = max(3, min(n, int(np.floor(n * span))))
    fitted = np.zeros(n)
    lo = 0
    for i in range(n):
        x0 = xs[i]
        while lo + q < n and x0 - xs[lo] > xs[lo + q] - x0:
            lo += 1
        h = max(x0 - xs[lo], xs[lo + q - 1] - x0) * 1.000001 or 1.0
        d = xs[lo:lo + q] - x0
        w = (1 - (np.abs(d) / h) ** 3) ** 3
        A = np.stack([np.ones(q), d, d * d], 1)
        sol = np.linalg.lstsq(A * np.sqrt(w)[:, None], ys[lo:lo + q] * np.sqrt(w), rcond=None)[0]
        fitted[order[i]] = sol[0]
    return fitted


def batched_seurat_v3(n_top_genes, var_names, counts, span=0.3):
    data = counts
    df = pd.DataFrame(index=var_names)
    df['means'], df['variances'] = mean_var(data)
    batch_info = np.asarray(batch)
    norm_gene_vars = []
    for b in np.unique(batch_info):
        data_batch = data[batch_info == b]
        mean, var = mean_var(data_batch)
        estimat_var = np.zeros(data.shape[1], dtype=np.float64)
        not_const = var > 0
        estimat_var[not_const] = loess_direct(np.log10(mean[not_const]), np.log10(var[not_const]), span)
        reg_std = np.sqrt(10 ** estimat_var)
        n = data_batch.shape[0]
        clip_val = reg_std * np.sqrt(n) + mean
        bc = data_batch.copy()
        np.putmask(bc, bc > np.broadcast_to(clip_val, bc.shape), np.broadcast_to(clip_val, bc.shape))
        squared_batch_counts_sum = np.square(bc).sum(axis=0)
        batch_counts_sum = bc.sum(axis=0)
        norm_gene_var = (1 / ((n - 1) * np.square(reg_std))) * ((n * np.square(mean)) + squared_batch_counts_sum - 2 * batch_counts_sum * mean)
        norm_gene_vars.append(norm_gene_var.reshape(1, -1))
    norm_gene_vars = np.concatenate(norm_gene_vars, axis=0)
    ranked_norm_gene_vars = np.argsort(np.argsort(-norm_gene_vars, axis=1, kind='stable'), axis=1, kind='stable')
    ranked_norm_gene_vars = ranked_norm_gene_vars.astype(np.float32)
    num_batches_high_var = np.sum((ranked_norm_gene_vars < n_top_genes).astype(int), axis=0)
    ranked_norm_gene_vars[ranked_norm_gene_vars >= n_top_genes] = np.nan
    ma_ranked = np.ma.masked_invalid(ranked_norm_gene_vars)
    median_ranked = np.ma.median(ma_ranked, axis=0).filled(np.nan)
    df = df.assign(gene_name=df.index, highly_variable_nbatches=num_batches_high_var, highly_variable_rank=median_ranked, variances_norm=np.mean(norm_gene_vars, axis=0))
    sort_cols = ['highly_variable_rank', 'highly_variable_nbatches']
    sorted_index = df[sort_cols].sort_values(sort_cols, ascending=[True, False], na_position='last').index
    df['highly_variable'] = False
    df.loc[sorted_index[: int(n_top_genes)], 'highly_variable'] = True
    return df


nan = lambda x: [None if np.isnan(t) else float(t) for t in np.asarray(x, dtype=np.float64)]
out = {
    'batch_codes': batch_codes.tolist(),
    'batch_categories': list(batch.categories),
    'batch_sizes': np.bincount(batch_codes).tolist(),
}
# min_cells 3 keeps all 765 genes; 40 removes some, which must take part in nothing.
for min_cells in (3, 40):
    keep_genes = (C > 0).sum(0) >= min_cells
    var_names = a.var_names[keep_genes]
    counts = C[:, keep_genes]
    X = np.log1p(counts / totals[:, None] * 1e4)
    o = out[f'min_cells_{min_cells}'] = {'keep_genes': np.flatnonzero(keep_genes).tolist(), 'seurat': {}}
    for n_top in (300, 700):
        df = batched_seurat(n_top, var_names, X)
        o['seurat'][str(n_top)] = {
            'means': nan(df['means']), 'dispersions': nan(df['dispersions']), 'dispersions_norm': nan(df['dispersions_norm']),
            'highly_variable': np.flatnonzero(df['highly_variable'].to_numpy()).tolist(),
            'nbatches': df['highly_variable_nbatches'].astype(int).tolist(),
            'intersection': np.flatnonzero(df['highly_variable_intersection'].to_numpy()).tolist(),
        }
    df = batched_seurat_v3(300, var_names, counts)
    o['seurat_v3'] = {
        '300': {
            'means': nan(df['means']), 'variances': nan(df['variances']), 'variances_norm': nan(df['variances_norm']),
            'rank': nan(df['highly_variable_rank']), 'nbatches': df['highly_variable_nbatches'].astype(int).tolist(),
            'highly_variable': np.flatnonzero(df['highly_variable'].to_numpy()).tolist(),
        }
    }
print(json.dumps(out))
