# Reference values for the reader tests, computed by anndata 0.8 (Debian python3-anndata):
#   /usr/bin/python3 test/reference/make_anndata_reference.py > test/reference/anndata.json
# Run from the repo root with ../shared beside it.
import anndata as ad, numpy as np, scipy.sparse as sp, glob, json, warnings
warnings.filterwarnings('ignore')
files = sorted(glob.glob('../shared/data/**/*.h5ad', recursive=True))
out = {}
def rowsums(m, rows):
    m = m.astype(np.float64)[rows]
    m = m.toarray() if sp.issparse(m) else np.asarray(m)
    return [float(round(float(x), 3)) for x in m.sum(1)]
for f in files:
    try:
        a = ad.read_h5ad(f)
    except Exception as e:
        out[f] = 'ERR ' + str(e); continue
    d = {'shape': list(a.shape)}
    if a.X is not None:
        d['X_rowsum_0_1_last'] = rowsums(a.X, [0, 1, a.n_obs-1])
    if a.raw is not None:
        d['raw_shape'] = list(a.raw.shape); d['raw_rowsum_0'] = rowsums(a.raw.X, [0])
    for k in a.layers.keys():
        d['layer_'+k+'_rowsum_0_last'] = rowsums(a.layers[k], [0, a.n_obs-1])
    d['obs_first'] = a.obs_names[0]; d['var_first'] = a.var_names[0]; d['var_last'] = a.var_names[-1]
    cats = {c: {str(k): int(v) for k, v in a.obs[c].value_counts(sort=False).items()} for c in a.obs.columns if str(a.obs[c].dtype) == 'category'}
    d['cats'] = {k: v for k, v in list(cats.items())[:2]}
    ob = {}
    for k, v in a.obsm.items():
        arr = np.asarray(v) if not hasattr(v, 'columns') else None
        ob[k] = [list(np.shape(v)), float(arr[0, 0]) if arr is not None and arr.ndim == 2 else None]
    d['obsm'] = ob
    out[f.replace('../shared/data/', '')] = d
print(json.dumps(out, default=str))
