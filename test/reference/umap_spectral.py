# umap-learn's spectral initialisation (umap.spectral.spectral_layout, scanpy's init_pos='spectral')
# for test/umap-spectral.test.ts, on the graph umap-learn lays out: scanpy's obsp/connectivities of
# pbmc68k_reduced with the weights under max / 500 (500 epochs below 10,000 cells) removed, as
# simplicial_set_embedding does; and that graph split into several components.
#   /usr/bin/python3 test/reference/umap_spectral.py > test/reference/umap_spectral.json
# Debian's python3-umap-learn 0.5.3.
import json, warnings
import anndata as ad, numpy as np, scipy.sparse as sp
from umap.spectral import spectral_layout, component_layout
warnings.filterwarnings('ignore')
a = ad.read_h5ad('../shared/data/pbmc68k_reduced.h5ad')
G = a.obsp['connectivities'].tocsr().astype(np.float64)
G.data[G.data < G.data.max() / 500] = 0
G.eliminate_zeros()
X = np.asarray(a.obsm['X_pca'][:, :30], dtype=np.float64)
rs = np.random.RandomState(0)
one = spectral_layout(X, G, 2, rs)
# Several components: the graph's edges between bulk_labels groups removed (10 groups; the groups
# split further where their own edges do not connect them).
lab = a.obs['bulk_labels'].cat.codes.values
C = G.tocoo()
keep = lab[C.row] == lab[C.col]
S = sp.csr_matrix((C.data[keep], (C.row[keep], C.col[keep])), shape=G.shape)
ncomp, comp = sp.csgraph.connected_components(S)
sizes = np.bincount(comp)
# The centroids from X_pca / 10: the file's lie 2.5-20 apart, exp(-d^2) underflows to 0 and
# umap-learn's own layout of the components degenerates (all at one point).
multi = spectral_layout(X / 10, S, 2, np.random.RandomState(0))
multi_meta = component_layout(X / 10, ncomp, comp, 2, np.random.RandomState(0))
# The components' own layout (sklearn's SpectralEmbedding of centroid affinities exp(-d^2)) on
# the 10 bulk_labels groups, X_pca / 10 so that the affinities are not all 0 (the file's centroids
# lie 2.5-20 apart: exp(-d^2) underflows and the embedding is degenerate).
meta = component_layout(X / 10, 10, lab.astype(np.int64), 2, np.random.RandomState(0))
print(json.dumps({
  'meta_scale10': meta.astype(float).round(10).ravel().tolist(),
  'n': int(G.shape[0]),
  'single': one.astype(float).round(10).ravel().tolist(),
  'multi_components': int(ncomp),
  'multi_sizes': sizes.tolist(),
  'multi_labels': comp.tolist(),
  'multi': multi.astype(float).round(10).ravel().tolist(),
  'multi_meta': multi_meta.astype(float).round(10).ravel().tolist(),
}))
