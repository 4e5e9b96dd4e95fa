"""scanpy's default pipeline restated with scanpy's own libraries (anndata, numpy/scipy, sklearn,
umap-learn + pynndescent, igraph + leidenalg), each step timed, for bench/pipeline.ts --python.
scanpy itself is not in Debian; each step below is what the scanpy function named does (scanpy
1.9-1.11 source), with its defaults:

  read       anndata.read_h5ad (sc.read_h5ad), the whole matrix in memory
  qc         calculate_qc_metrics' per-cell n_genes_by_counts / total_counts and per-gene
             n_cells_by_counts, filter_cells(min_genes 0) and filter_genes(min_cells 3)
  normalize  normalize_total(target_sum 1e4) + log1p (scipy.sparse, float32), kept as .raw
  hvg        highly_variable_genes(flavor 'seurat', n_top_genes 2000): _highly_variable_genes_single_batch
  scale      subset to the HVGs, scale(max_value 10): dense, zero-centred, ddof 1, clipped to +-10
  pca        pca(n_comps 50): sklearn PCA(svd_solver 'arpack', random_state 0) on the dense matrix
  neighbors  neighbors(15): umap's nearest_neighbors (pynndescent above 4,095 cells, random_state 0),
             then fuzzy_simplicial_set (scanpy's _compute_connectivities_umap)
  leiden     leiden(resolution 1, flavor 'leidenalg'): directed igraph from the connectivities,
             RBConfigurationVertexPartition with weights, n_iterations -1, seed 0
  umap       umap(min_dist 0.5, spread 1): simplicial_set_embedding, init 'spectral', random_state
             0, 200 epochs above 10,000 cells (500 below), parallel False as scanpy calls it
  markers    rank_genes_groups(leiden, method 'wilcoxon') on .raw (all genes, log-normalised):
             _ranks (genes in chunks of 10M / n_cells, numba rankdata), rank sums per group, z-scores,
             two-sided normal p-values, BH, log fold changes from group means, every gene ranked

numba compiles on first use: a small warm-up (pynndescent, the layout, rankdata) runs first and is
not timed, as bench/umap_learn.py does. Threads: set before numpy loads (OMP / OPENBLAS / MKL /
NUMBA).

  python3 bench/python_stack.py FILE.h5ad OUTDIR --threads T [--resolution 1] [--hvg OURS.txt]

Writes OUTDIR/{kept.u8, leiden.i32, umap.f32, pca.f32, hvg.txt, meta.json} (rows: kept cells)
and prints one JSON line: {"seconds": {step: s}, "cpu": {step: s}, "n_kept", "n_clusters", ...}.
"""
import json
import os
import sys
import time


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


THREADS = int(arg("--threads", "1"))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[var] = str(THREADS)

import numba  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402


@numba.njit(parallel=True, cache=False)
def rankdata(data):
    """scanpy's parallel scipy.stats.rankdata (average ranks per column), _rank_genes_groups.py."""
    ranked = np.empty(data.shape, dtype=np.float64)
    for j in numba.prange(data.shape[1]):
        arr = np.ravel(data[:, j])
        sorter = np.argsort(arr)
        arr = arr[sorter]
        obs = np.concatenate((np.array([True]), arr[1:] != arr[:-1]))
        dense = np.empty(obs.size, dtype=np.int64)
        dense[sorter] = obs.cumsum()
        count = np.concatenate((np.flatnonzero(obs), np.array([len(obs)])))
        ranked[:, j] = 0.5 * (count[dense] + count[dense - 1] + 1)
    return ranked


CONST_MAX_SIZE = 10_000_000


def ranks(x):
    """scanpy's _ranks on a sparse matrix, no masks: dense column chunks of 10M values at most."""
    n_cells, n_genes = x.shape
    max_chunk = max(CONST_MAX_SIZE // n_cells, 1)
    for left in range(0, n_genes, max_chunk):
        right = min(left + max_chunk, n_genes)
        yield rankdata(x[:, left:right].toarray()), left, right


def seurat_hvg(x_log, n_top, n_bins=20):
    """_highly_variable_genes_single_batch, flavor 'seurat', on log1p data: returns a bool mask."""
    x = x_log.copy()
    x.data = np.expm1(x.data)
    # _get_mean_var: float64 sums over the sparse values.
    x = x.astype(np.float64)
    n = x.shape[0]
    mean = np.asarray(x.sum(axis=0)).ravel() / n
    sq = np.asarray(x.multiply(x).sum(axis=0)).ravel() / n
    var = (sq - mean**2) * (n / (n - 1))
    mean[mean == 0] = 1e-12
    dispersion = var / mean
    dispersion[dispersion == 0] = np.nan
    dispersion = np.log(dispersion)
    mean = np.log1p(mean)
    df = pd.DataFrame({"means": mean, "dispersions": dispersion})
    df["mean_bin"] = pd.cut(df["means"], bins=n_bins)
    stats = df.groupby("mean_bin", observed=True)["dispersions"].agg(avg="mean", dev="std")
    one = stats["dev"].isna()
    stats.loc[one, "dev"] = stats.loc[one, "avg"]
    stats.loc[one, "avg"] = 0
    stats = stats.loc[df["mean_bin"]].set_index(df.index)
    norm = ((df["dispersions"] - stats["avg"]) / stats["dev"]).to_numpy()
    finite = norm[~np.isnan(norm)]
    finite[::-1].sort()
    cut = finite[min(n_top, finite.size) - 1]
    return np.nan_to_num(norm, nan=-np.inf) >= cut


def wilcoxon_markers(x, labels):
    """rank_genes_groups(method 'wilcoxon', reference 'rest', tie_correct False, n_genes all)."""
    from scipy import stats

    n_cells, n_genes = x.shape
    groups = np.unique(labels)
    masks = np.stack([labels == g for g in groups])
    scores = np.zeros((len(groups), n_genes))
    for r, left, right in ranks(x):
        for gi, mask in enumerate(masks):
            scores[gi, left:right] = r[mask, :].sum(axis=0)
    # _basic_stats: group means (log space), rest means from the total.
    ind = sp.csr_matrix((np.ones(n_cells), (np.searchsorted(groups, labels), np.arange(n_cells))), shape=(len(groups), n_cells))
    counts = masks.sum(axis=1).astype(np.float64)
    sums = np.asarray((ind @ x).todense())
    means = sums / counts[:, None]
    means_rest = (sums.sum(axis=0)[None, :] - sums) / (n_cells - counts)[:, None]
    out = []
    for gi in range(len(groups)):
        n_active = counts[gi]
        std = np.sqrt(n_active * (n_cells - n_active) * (n_cells + 1) / 12.0)
        z = (scores[gi] - n_active * (n_cells + 1) / 2.0) / std
        z[np.isnan(z)] = 0
        p = 2 * stats.norm.sf(np.abs(z))
        order = np.argsort(z)[::-1]
        # Benjamini-Hochberg (statsmodels' multipletests 'fdr_bh').
        ps = p[order]
        m = ps.size
        adj = np.minimum.accumulate((ps * m / np.arange(1, m + 1))[::-1])[::-1]
        lfc = np.log2((np.expm1(means[gi]) + 1e-9) / (np.expm1(means_rest[gi]) + 1e-9))
        out.append((order, z[order], np.minimum(adj, 1), lfc[order]))
    return out


def warm_up():
    """Compile numba's functions on small inputs (not timed)."""
    from umap.umap_ import fuzzy_simplicial_set, nearest_neighbors, simplicial_set_embedding

    rs = np.random.RandomState(1)
    x = rs.normal(size=(4200, 10)).astype(np.float32)
    ki, kd, _ = nearest_neighbors(x, 15, "euclidean", {}, False, np.random.RandomState(0), verbose=False)
    g = fuzzy_simplicial_set(sp.coo_matrix((4200, 1)), 15, None, None, knn_indices=ki, knn_dists=kd)[0]
    simplicial_set_embedding(x, g.tocoo(), 2, 1.0, 1.58, 0.9, 1.0, 5, 5, "spectral", np.random.RandomState(0), "euclidean", {}, False, {}, False, verbose=False)
    rankdata(rs.normal(size=(300, 4)).astype(np.float32))


def main():
    path, out = sys.argv[1], sys.argv[2]
    resolution = float(arg("--resolution", "1"))
    os.makedirs(out, exist_ok=True)
    import anndata
    import igraph as ig
    import leidenalg
    from sklearn.decomposition import PCA
    from umap.umap_ import find_ab_params, fuzzy_simplicial_set, nearest_neighbors, simplicial_set_embedding

    warm_up()
    seconds, cpu = {}, {}

    class step:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            self.t, self.c = time.perf_counter(), time.process_time()

        def __exit__(self, *exc):
            seconds[self.name] = time.perf_counter() - self.t
            cpu[self.name] = time.process_time() - self.c

    with step("read"):
        adata = anndata.read_h5ad(path)
        x = adata.X.tocsr() if not sp.isspmatrix_csr(adata.X) else adata.X
        # The file's indptr is int64 and its indices int32 (as h5py writes them); scipy's
        # kernels want one index type.
        if x.indptr.dtype != x.indices.dtype:
            idx = np.int64 if x.nnz >= 2**31 else np.int32
            x = sp.csr_matrix((x.data, x.indices.astype(idx), x.indptr.astype(idx)), shape=x.shape)
    n_obs = x.shape[0]

    with step("qc"):
        x.eliminate_zeros()
        n_genes_by_counts = np.diff(x.indptr)
        total_counts = np.asarray(x.sum(axis=1)).ravel()
        keep = (n_genes_by_counts >= 0) & (total_counts > 0)
        if not keep.all():
            x = x[keep]
        n_cells_by_counts = np.bincount(x.indices, minlength=x.shape[1])
        keep_genes = n_cells_by_counts >= 3
        x = x[:, keep_genes]
        var_names = adata.var_names[keep_genes]

    with step("normalize"):
        x = x.astype(np.float32)
        counts = np.asarray(x.sum(axis=1)).ravel()
        x = sp.diags((1e4 / counts).astype(np.float32)) @ x
        np.log1p(x.data, out=x.data)
        raw = x

    with step("hvg"):
        hvg = seurat_hvg(raw, 2000)

    with step("scale"):
        xd = raw[:, hvg].toarray()
        mean = xd.mean(axis=0, dtype=np.float64)
        var = xd.var(axis=0, ddof=1, dtype=np.float64)
        std = np.sqrt(var)
        std[std == 0] = 1
        xd -= mean.astype(np.float32)
        xd /= std.astype(np.float32)
        np.clip(xd, -10, 10, out=xd)

    with step("pca"):
        n_comps = min(50, xd.shape[0] - 1, xd.shape[1] - 1)
        pca = PCA(n_components=n_comps, svd_solver="arpack", random_state=0)
        x_pca = pca.fit_transform(xd).astype(np.float32)

    with step("neighbors"):
        n = x_pca.shape[0]
        if n < 4096:
            from sklearn.metrics import pairwise_distances

            d = pairwise_distances(x_pca, metric="euclidean")
            ki = np.argsort(d, axis=1)[:, :15]
            kd = np.take_along_axis(d, ki, axis=1)
        else:
            ki, kd, _ = nearest_neighbors(x_pca, 15, "euclidean", {}, False, np.random.RandomState(0), verbose=False)
        conn = fuzzy_simplicial_set(sp.coo_matrix((n, 1)), 15, None, None, knn_indices=ki, knn_dists=kd, set_op_mix_ratio=1.0, local_connectivity=1.0)[0].tocsr()

    with step("leiden"):
        sources, targets = conn.nonzero()
        weights = np.asarray(conn[sources, targets]).ravel()
        g = ig.Graph(directed=True)
        g.add_vertices(n)
        g.add_edges(list(zip(sources, targets)))
        g.es["weight"] = weights
        part = leidenalg.find_partition(g, leidenalg.RBConfigurationVertexPartition, weights=np.array(g.es["weight"]).astype(np.float64), n_iterations=-1, seed=0, resolution_parameter=resolution)
        labels = np.array(part.membership, dtype=np.int32)

    with step("umap"):
        a, b = find_ab_params(1.0, 0.5)
        n_epochs = 500 if n <= 10000 else 200  # tl.umap's default_epochs
        emb, _ = simplicial_set_embedding(x_pca, conn.tocoo(), 2, 1.0, a, b, 1.0, 5, n_epochs, "spectral", np.random.RandomState(0), "euclidean", {}, False, {}, False, verbose=False)

    with step("markers"):
        markers = wilcoxon_markers(raw, labels)

    keep.astype(np.uint8).tofile(os.path.join(out, "kept.u8"))
    labels.tofile(os.path.join(out, "leiden.i32"))
    emb.astype(np.float32).tofile(os.path.join(out, "umap.f32"))
    x_pca.tofile(os.path.join(out, "pca.f32"))
    with open(os.path.join(out, "hvg.txt"), "w") as f:
        f.write("\n".join(var_names[hvg]) + "\n")
    with open(os.path.join(out, "markers_top10.json"), "w") as f:
        json.dump([[str(var_names[i]) for i in m[0][:10]] for m in markers], f)
    meta = {"n": int(n), "dim": int(n_comps)}
    json.dump(meta, open(os.path.join(out, "meta.json"), "w"))
    print(json.dumps({
        "seconds": seconds,
        "cpu": cpu,
        "n_obs": int(n_obs),
        "n_kept": int(n),
        "n_genes": int(x.shape[1]),
        "n_hvg": int(hvg.sum()),
        "n_clusters": int(labels.max() + 1),
        "threads": THREADS,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
    }))


if __name__ == "__main__":
    main()
