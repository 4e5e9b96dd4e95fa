"""Malformed variants of real files, written at test time for test/fuzz.test.ts.

usage: /usr/bin/python3 test/fuzz/make_variants.py DEMO.h5ad TENX.h5 MTX_DIR OUT_DIR

Writes the variants into OUT_DIR and prints a JSON manifest on stdout: one entry per case with the
paths to open and what must happen ("error" with a code and message fragments, at "open" or at
"analyze"; or "ok"). Every case the readers once got wrong (issue 16) is here, plus neighbours.
"""
import gzip
import json
import os
import shutil
import sys

import h5py
import numpy as np

demo, tenx, mtx_dir, out = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
cases = []
COUNTS = 'layers/counts'


def case(name, paths, expect, code=None, stage='open', fragments=(), analyze=None, known_hang=None):
    cases.append({'name': name, 'paths': [os.path.join(out, p) for p in paths], 'expect': expect, 'code': code,
                  'stage': stage, 'fragments': list(fragments), 'analyze': analyze, 'knownHang': known_hang})


def copy(name, src=demo):
    p = os.path.join(out, name)
    shutil.copyfile(src, p)
    os.chmod(p, 0o644)
    return p


def replace(f, path, data, **kw):
    attrs = dict(f[path].attrs) if path in f else {}
    if path in f:
        del f[path]
    ds = f.create_dataset(path, data=data, **kw)
    for k, v in attrs.items():
        ds.attrs[k] = v
    return ds


def demo_plain(name, edit):
    p = copy(name)
    with h5py.File(p, 'r+') as f:
        edit(f)
    return os.path.basename(p)


def demo_variant(name, edit):
    """A copy of the demo whose layers/counts (the counts matrix, CSR) is edited by `edit(f, indptr, indices, data)`."""
    p = copy(name)
    with h5py.File(p, 'r+') as f:
        g = f[COUNTS]
        edit(f, g['indptr'][:], g['indices'][:], g['data'][:])
    return name


def set_arrays(f, indptr=None, indices=None, data=None, base=COUNTS):
    if indptr is not None:
        replace(f, f'{base}/indptr', indptr)
    if indices is not None:
        replace(f, f'{base}/indices', indices)
    if data is not None:
        replace(f, f'{base}/data', data)


# ---- sparse structure: the counts matrix of the demo -------------------------------------------

def decreasing(f, ip, ix, d):
    ip[350] = 0
    set_arrays(f, indptr=ip)
case('indptr-decreases', [demo_variant('indptr-decreases.h5ad', decreasing)], 'error', 'bad-matrix',
     fragments=['indptr-decreases.h5ad', 'layers/counts/indptr', 'decreases at row 349'])

def starts_at_500(f, ip, ix, d):
    ip[0] = 500
    set_arrays(f, indptr=ip)
case('indptr-starts-at-500', [demo_variant('indptr-start.h5ad', starts_at_500)], 'error', 'bad-matrix', fragments=['starts at 500, not 0'])

def negative_ptr(f, ip, ix, d):
    ip[10] = -4
    set_arrays(f, indptr=ip)
case('indptr-negative', [demo_variant('indptr-negative.h5ad', negative_ptr)], 'error', 'bad-matrix', fragments=['decreases at row 9'])

def fractional_ptr(f, ip, ix, d):
    p = ip.astype(np.float64)
    p[20] += 0.5
    set_arrays(f, indptr=p)
case('indptr-fractional', [demo_variant('indptr-fractional.h5ad', fractional_ptr)], 'error', 'bad-matrix', fragments=['not a whole number'])

def ptr_past_end(f, ip, ix, d):
    ip[-1] += 1000
    set_arrays(f, indptr=ip)
case('indptr-past-data', [demo_variant('indptr-past.h5ad', ptr_past_end)], 'error', 'bad-matrix', fragments=['gives row 699'])

def ptr_wrong_length(f, ip, ix, d):
    set_arrays(f, indptr=ip[:-5])
case('indptr-short', [demo_variant('indptr-short.h5ad', ptr_wrong_length)], 'error', 'shape-mismatch', fragments=['696 entries, expected 701'])

def indices_short(f, ix_ip, ix, d):
    set_arrays(f, indices=ix[: len(ix) // 2])
case('indices-shorter-than-data', [demo_variant('indices-short.h5ad', indices_short)], 'error', 'bad-matrix', fragments=['174400 values but 87200 indices'])

def indices_empty(f, ip, ix, d):
    set_arrays(f, indices=np.zeros(0, np.int32))
case('indices-empty', [demo_variant('indices-empty.h5ad', indices_empty)], 'error', 'bad-matrix', fragments=['0 indices'])

def data_short(f, ip, ix, d):
    set_arrays(f, data=d[:1000], indices=ix[:1000])
case('data-truncated', [demo_variant('data-short.h5ad', data_short)], 'error', 'truncated', fragments=['only 1000 are in the file'])

def dup_sorted(f, ip, ix, d):
    s = ip[400]
    ix[s + 1] = ix[s]
    set_arrays(f, indices=ix)
case('duplicate-column-sorted', [demo_variant('dup-sorted.h5ad', dup_sorted)], 'error', 'bad-matrix', stage='analyze', fragments=['row 400 stores column', 'more than once', 'sum_duplicates'])

def dup_unsorted(f, ip, ix, d):
    s, e = ip[650], ip[651]
    row = ix[s:e].copy()[::-1]
    row[-1] = row[0]
    ix[s:e] = row
    set_arrays(f, indices=ix)
case('duplicate-column-unsorted', [demo_variant('dup-unsorted.h5ad', dup_unsorted)], 'error', 'bad-matrix', stage='analyze', fragments=['row 650 stores column'])

def col_out_of_range(f, ip, ix, d):
    ix[ip[500]] = 765
    set_arrays(f, indices=ix)
case('column-out-of-range', [demo_variant('col-range.h5ad', col_out_of_range)], 'error', 'bad-matrix', stage='analyze', fragments=['row 500 has column index 765'])

def col_negative(f, ip, ix, d):
    ix[ip[600]] = -1
    set_arrays(f, indices=ix)
case('column-negative', [demo_variant('col-negative.h5ad', col_negative)], 'error', 'bad-matrix', stage='analyze', fragments=['row 600 has column index -1'])

def bomb_rows(f, ip, ix, d):
    # Every row claims 300,000 entries; the arrays are declared that long but stored as compressed zeros.
    n = 700 * 300_000
    set_arrays(f, indptr=np.arange(701, dtype=np.int64) * 300_000)
    for key in ('indices', 'data'):
        del f[f'{COUNTS}/{key}']
        f.create_dataset(f'{COUNTS}/{key}', shape=(n,), dtype='int32', chunks=(1 << 20,), compression='gzip', fillvalue=0)
case('rows-claim-300000-entries', [demo_variant('row-bomb.h5ad', bomb_rows)], 'error', 'bad-matrix', fragments=['gives row 0 300000 stored entries, more than the 765 columns'])


def value_at(row, value, name, dtype=np.float32):
    def edit(f, ip, ix, d):
        d = d.astype(dtype)
        d[ip[row] + 2] = value
        set_arrays(f, data=d)
    return demo_variant(name, edit)

# Beyond the first rows the content check samples: found by the pass that reads them.
case('inf-beyond-sample', [value_at(690, np.inf, 'inf-late.h5ad')], 'error', 'bad-counts', stage='analyze', fragments=['contains Infinity', 'cell 690'])
case('minus-inf-beyond-sample', [value_at(520, -np.inf, 'minus-inf-late.h5ad')], 'error', 'bad-counts', stage='analyze', fragments=['contains -Infinity', 'cell 520'])
case('nan-beyond-sample', [value_at(600, np.nan, 'nan-late.h5ad')], 'error', 'bad-counts', stage='analyze', fragments=['contains NaN', 'cell 600'])
case('negative-count-beyond-sample', [value_at(680, -3, 'negative-late.h5ad', np.int32)], 'error', 'bad-counts', stage='analyze', fragments=['negative values (-3 at cell 680'])
case('inf-first-row', [value_at(0, np.inf, 'inf-early.h5ad')], 'error', 'bad-counts', fragments=['contains Infinity', 'cell 0'])

def wrapping_index(f, ip, ix, d):
    x = ix.astype(np.int64)
    x[ip[30]] += 2 ** 32
    set_arrays(f, indices=x)
case('index-int64-wraps-at-2^32', [demo_variant('idx-wrap.h5ad', wrapping_index)], 'error', 'bad-matrix', fragments=['not a column index'])

def fractional_index(f, ip, ix, d):
    x = ix.astype(np.float64)
    x[ip[40]] += 0.5
    set_arrays(f, indices=x)
case('index-fractional', [demo_variant('idx-frac.h5ad', fractional_index)], 'error', 'bad-matrix', fragments=['.5 at position', 'not a column index'])

def category_code_out_of_range(f, ip, ix, d):
    codes = f['obs/bulk_labels/codes'][:]
    codes[123] = 42
    replace(f, 'obs/bulk_labels/codes', codes)
case('categorical-code-out-of-range', [demo_variant('cat-code.h5ad', category_code_out_of_range)], 'error', 'unsupported-encoding', fragments=['obs/bulk_labels', 'cell 123 code 42'])

def float16_data(f, ip, ix, d):
    set_arrays(f, data=d.astype(np.float16))
case('float16-counts', [demo_variant('float16.h5ad', float16_data)], 'error', 'unsupported-encoding', fragments=['float16'])

def huge_shape(f, ip, ix, d):
    f[COUNTS].attrs['shape'] = np.array([5_000_000_000, 765])
case('shape-attr-5e9-rows', [demo_variant('shape-huge.h5ad', huge_shape)], 'error', 'shape-mismatch')

# ---- CSC ---------------------------------------------------------------------------------------

def to_csc(f, ip, ix, d, tweak=None):
    n_rows, n_cols = 700, 765
    rows = np.repeat(np.arange(n_rows), np.diff(ip))
    order = np.lexsort((rows, ix))
    colptr = np.zeros(n_cols + 1, np.int64)
    np.add.at(colptr, ix + 1, 1)
    colptr = np.cumsum(colptr)
    r, v = rows[order].astype(np.int32), d[order]
    if tweak:
        colptr, r, v = tweak(colptr, r, v)
    del f[COUNTS]
    g = f.create_group(COUNTS)
    g.attrs['encoding-type'] = 'csc_matrix'
    g.attrs['encoding-version'] = '0.1.0'
    g.attrs['shape'] = np.array([n_rows, n_cols])
    g['indptr'], g['indices'], g['data'] = colptr, r, v

case('csc-valid', [demo_variant('csc.h5ad', to_csc)], 'ok', analyze='ok')

def csc_row_range(colptr, r, v):
    r[100] = 700
    return colptr, r, v
case('csc-row-out-of-range', [demo_variant('csc-row.h5ad', lambda *a: to_csc(*a, tweak=csc_row_range))], 'error', 'bad-matrix', fragments=['row index 700'])

def csc_decreasing(colptr, r, v):
    colptr[300] = 5
    return colptr, r, v
case('csc-colptr-decreases', [demo_variant('csc-ptr.h5ad', lambda *a: to_csc(*a, tweak=csc_decreasing))], 'error', 'bad-matrix', fragments=['decreases at column 299'])

# ---- memory from tiny files ----------------------------------------------------------------------

def small_frame(f, group, n, prefix):
    g = f.create_group(group)
    g.attrs['encoding-type'] = 'dataframe'
    g.attrs['encoding-version'] = '0.2.0'
    g.attrs['_index'] = '_index'
    g.attrs['column-order'] = np.array([], dtype='S1')
    idx = g.create_dataset('_index', data=np.array([f'{prefix}{i}' for i in range(n)], dtype=object), dtype=h5py.string_dtype(), compression='gzip')
    idx.attrs['encoding-type'] = 'string-array'
    idx.attrs['encoding-version'] = '0.2.0'

p = os.path.join(out, 'dense-5000x100000.h5ad')
with h5py.File(p, 'w') as f:
    f.attrs['encoding-type'] = 'anndata'
    f.attrs['encoding-version'] = '0.1.0'
    small_frame(f, 'obs', 5000, 'c')
    small_frame(f, 'var', 100_000, 'g')
    x = f.create_dataset('X', shape=(5000, 100_000), dtype='float32', chunks=(100, 10_000), compression='gzip', fillvalue=0)
    x[0, 0] = 1
case('dense-5000x100000-zeros', ['dense-5000x100000.h5ad'], 'ok', analyze='error')

def huge_obs_column(f, ip, ix, d):
    del f['obs/n_counts']
    f.create_dataset('obs/n_counts', shape=(5_000_000_000,), dtype='float32', chunks=(1 << 20,), compression='gzip')
case('obs-column-5e9-values', [demo_variant('obs-huge.h5ad', huge_obs_column)], 'error', 'too-large', fragments=['obs/n_counts', 'would need'])

def contiguous_bigger_than_file(f, ip, ix, d):
    del f['obs/n_genes']
    f.create_dataset('obs/n_genes', shape=(14_000_000,), dtype='float64')
case('uncompressed-column-larger-than-file', [demo_variant('obs-contig.h5ad', contiguous_bigger_than_file)], 'error', 'damaged', fragments=['obs/n_genes', 'declares 112,000,000 bytes'])

# ---- trees -------------------------------------------------------------------------------------

def hard_link_cycle(f, ip, ix, d):
    f['uns']['loop'] = f['uns']
case('uns-hard-link-cycle', [demo_variant('cycle.h5ad', hard_link_cycle)], 'ok')

def deep_groups(f, ip, ix, d):
    g = f['uns']
    for i in range(3000):
        g = g.create_group('d')
case('uns-3000-nested-groups', [demo_variant('deep.h5ad', deep_groups)], 'ok')

def wide_group(f, ip, ix, d):
    g = f['uns'].create_group('wide')
    for i in range(3000):
        g.create_group(f'k{i}')
case('uns-3000-sibling-groups', [demo_variant('wide.h5ad', wide_group)], 'ok')

# ---- damaged bytes -----------------------------------------------------------------------------

raw = open(demo, 'rb').read()

def write_bytes(name, b):
    with open(os.path.join(out, name), 'wb') as fh:
        fh.write(b)
    return name

case('truncated-60pct', [write_bytes('cut.h5ad', raw[: int(len(raw) * 0.6)])], 'error', 'truncated', fragments=['truncated'])
case('empty-file', [write_bytes('empty.h5ad', b'')], 'error', 'not-hdf5')
case('text-file', [write_bytes('text.h5ad', b'gene,count\nCD3E,4\n')], 'error', 'not-hdf5')

with h5py.File(demo, 'r') as f:
    counts_data_offset = f['layers/counts/data'].id.get_offset()
    raw_data_chunk = f['raw/X/data'].id.get_chunk_info(0).byte_offset

def smash(name, at, length, fill=b'\xff'):
    b = bytearray(raw)
    b[at: at + length] = fill * length
    return write_bytes(name, bytes(b))

# Compressed chunk of raw/X garbled: inflate fails when the rows are read.
case('gzip-chunk-garbled', [smash('chunk-garbled.h5ad', raw_data_chunk + 10, 200)], 'error', 'damaged', stage='any', fragments=['damaged'])
# Object headers and B-trees near the start overwritten.
for i, at in enumerate([800, 2000, 12000, 30000]):
    case(f'header-bytes-smashed-{at}', [smash(f'smash-{at}.h5ad', at, 64, b'\x00')], 'any-clear')
# Zeros over an object record of a global heap collection (vlen strings of var): HDF5 1.14.6's
# H5HG__cache_heap_deserialize then loops forever (object 0 of size 0 never advances its cursor).
# Not reachable from JavaScript on that thread: the in-process runner skips it, and fuzz.test.ts
# runs it through the `scweb` binary, whose supervisor must end it with its message.
case('global-heap-record-zeroed', [smash('smash-4096.h5ad', 4096, 64, b'\x00')], 'any-clear',
     known_hang='HDF5 1.14.6 H5HG__cache_heap_deserialize loops on a zero-size object record')
# Superblock signature intact, its addresses garbage.
case('superblock-addresses-garbage', [smash('superblock.h5ad', 16, 32)], 'any-clear')

# ---- degenerate data ---------------------------------------------------------------------------

def identical_cells(f, ip, ix, d):
    n = 300
    row = slice(ip[0], ip[1])
    nnz = ip[1] - ip[0]
    set_arrays(f, indptr=np.arange(701, dtype=np.int64) * nnz, indices=np.tile(ix[row], 700), data=np.tile(d[row], 700))
case('all-cells-identical', [demo_variant('identical.h5ad', identical_cells)], 'error', 'internal', stage='analyze', fragments=['all 700 cells are identical after normalisation'])

def all_zero(f, ip, ix, d):
    set_arrays(f, indptr=np.zeros(701, np.int64), indices=np.zeros(0, np.int32), data=np.zeros(0, np.int32))
case('all-zero-counts', [demo_variant('zeros.h5ad', all_zero)], 'ok', analyze='any')

def half_identical(f, ip, ix, d):
    nnz0 = ip[1] - ip[0]
    rows_i = [ix[ip[0]:ip[1]]] * 350 + [ix[ip[r]:ip[r + 1]] for r in range(350, 700)]
    rows_d = [d[ip[0]:ip[1]]] * 350 + [d[ip[r]:ip[r + 1]] for r in range(350, 700)]
    lens = [len(r) for r in rows_i]
    set_arrays(f, indptr=np.concatenate([[0], np.cumsum(lens)]).astype(np.int64), indices=np.concatenate(rows_i), data=np.concatenate(rows_d))
case('half-cells-identical', [demo_variant('half-identical.h5ad', half_identical)], 'ok', analyze='any')

def one_gene(f, ip, ix, d):
    keep = ix == ix[0]
    rows = np.repeat(np.arange(700), np.diff(ip))[keep]
    ptr = np.searchsorted(rows, np.arange(701)).astype(np.int64)
    set_arrays(f, indptr=ptr, indices=np.zeros(keep.sum(), np.int32) + ix[0], data=d[keep])
case('single-expressed-gene', [demo_variant('one-gene.h5ad', one_gene)], 'ok', analyze='any')

# ---- 10x HDF5 ----------------------------------------------------------------------------------

def tenx_variant(name, edit):
    p = copy(name, tenx)
    with h5py.File(p, 'r+') as f:
        g = f['matrix']
        edit(f, g['indptr'][:], g['indices'][:], g['data'][:])
    return name

def tx(**arrays):
    def edit(f, ip, ix, d):
        a = {'indptr': ip, 'indices': ix, 'data': d}
        for k, fn in arrays.items():
            a[k] = fn(a[k], a)
        set_arrays(f, base='matrix', **{k: a[k] for k in arrays})
    return edit

def at(i, v):
    def fn(x, a):
        x = x.copy()
        x[i] = v
        return x
    return fn

case('10x-valid', [tenx_variant('10x.h5', lambda *a: None)], 'ok')
case('10x-indptr-decreases', [tenx_variant('10x-ptr.h5', tx(indptr=at(500, 0)))], 'error', 'bad-matrix', fragments=['matrix/indptr', 'decreases at row 499'])
case('10x-index-out-of-range', [tenx_variant('10x-idx.h5', tx(indices=at(10, 507)))], 'error', 'bad-matrix', fragments=['column index 507'])
case('10x-inf', [tenx_variant('10x-inf.h5', tx(data=lambda x, a: at(20000, np.inf)(x.astype(np.float32), a)))], 'error', 'bad-counts', stage='any', fragments=['contains Infinity'])
case('10x-indices-short', [tenx_variant('10x-short.h5', tx(indices=lambda x, a: x[:100]))], 'error', 'bad-matrix', fragments=['100 indices'])

def tenx_shape(f, ip, ix, d):
    replace(f, 'matrix/shape', np.array([507, 5000], np.int32))
case('10x-shape-vs-barcodes', [tenx_variant('10x-shape.h5', tenx_shape)], 'error', 'shape-mismatch')

# ---- MatrixMarket ------------------------------------------------------------------------------

mtx_lines = gzip.open(os.path.join(mtx_dir, 'matrix.mtx.gz'), 'rt').read().splitlines()

def mtx_variant(name, lines, gz=False, raw_bytes=None):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    for f in ('features.tsv.gz', 'barcodes.tsv.gz'):
        shutil.copyfile(os.path.join(mtx_dir, f), os.path.join(d, f))
    text = ('\n'.join(lines) + '\n').encode() if lines is not None else b''
    if raw_bytes is not None:
        open(os.path.join(d, 'matrix.mtx.gz'), 'wb').write(raw_bytes)
    elif gz:
        open(os.path.join(d, 'matrix.mtx.gz'), 'wb').write(gzip.compress(text))
    else:
        open(os.path.join(d, 'matrix.mtx'), 'wb').write(text)
    return name

def edit_entry(i, fn):
    lines = list(mtx_lines)
    k = next(j for j, l in enumerate(lines) if not l.startswith('%')) + 1 + i
    lines[k] = fn(lines[k].split())
    return lines

size_at = next(j for j, l in enumerate(mtx_lines) if not l.startswith('%'))
r, c, n = mtx_lines[size_at].split()

case('mtx-valid', [mtx_variant('mtx-ok', mtx_lines)], 'ok')
big = list(mtx_lines)
big[size_at] = f'{r} {c} 900000000'
case('mtx-size-line-claims-9e8', [mtx_variant('mtx-bomb', big)], 'error', 'unsupported-encoding', fragments=['more than its'])
fits = list(mtx_lines)
fits[size_at] = f'{r} {c} {int(r) * int(c)}'
case('mtx-size-line-vs-bytes', [mtx_variant('mtx-bytes', fits)], 'error', 'truncated', fragments=['bytes can hold'])
case('mtx-inf-value', [mtx_variant('mtx-inf', edit_entry(5000, lambda p: f'{p[0]} {p[1]} Infinity'))], 'error', 'bad-counts', fragments=['Infinity'])
case('mtx-fractional-coordinate', [mtx_variant('mtx-frac', edit_entry(10, lambda p: f'{p[0]}.5 {p[1]} {p[2]}'))], 'error', 'unsupported-encoding', fragments=['out of range'])
case('mtx-negative', [mtx_variant('mtx-neg', edit_entry(70, lambda p: f'{p[0]} {p[1]} -2'))], 'error', 'bad-counts', fragments=['negative count -2'])
dup = list(mtx_lines)
dup.insert(size_at + 2, dup[size_at + 1])
dup[size_at] = f'{r} {c} {int(n) + 1}'
case('mtx-duplicate-entry-summed', [mtx_variant('mtx-dup', dup)], 'ok')
wrong = list(mtx_lines)
wrong[size_at] = f'{int(r) + 1} {c} {n}'
case('mtx-size-vs-features', [mtx_variant('mtx-shape', wrong)], 'error', 'shape-mismatch', fragments=['features'])
gz_all = gzip.compress(('\n'.join(mtx_lines) + '\n').encode())
case('mtx-gzip-truncated', [mtx_variant('mtx-cut', None, raw_bytes=gz_all[: len(gz_all) // 2])], 'error', 'truncated', fragments=['matrix.mtx.gz'])

# Found by an adversarial review after the first corpus.
case('mtx-hex-value', [mtx_variant('mtx-hex', edit_entry(20, lambda p: f'{p[0]} {p[1]} 0x10'))], 'error', 'bad-counts', fragments=['no valid number'])
case('mtx-missing-value', [mtx_variant('mtx-noval', edit_entry(30, lambda p: f'{p[0]} {p[1]}'))], 'error', 'bad-counts', fragments=['no valid number'])


def barcodes_one_line(name):
    d = mtx_variant(name, mtx_lines)
    # 64 kB of gzip holding one 64 MB line (the review used 700 MB: 120 s and counting before the
    # line-length bound; the bound stops at 1 MB either way).
    open(os.path.join(out, d, 'barcodes.tsv.gz'), 'wb').write(gzip.compress(b'A' * (64 * 1024 * 1024), 9))
    return d


case('mtx-barcodes-one-line-bomb', [barcodes_one_line('mtx-bc-bomb')], 'error', 'bad-matrix', fragments=['barcodes.tsv.gz', 'longer than'])


def duplicate_categories(f):
    cats = [x.decode() if isinstance(x, bytes) else x for x in f['obs/bulk_labels/categories'][:]]
    replace(f, 'obs/bulk_labels/categories', np.array([cats[0]] * len(cats), dtype=object), dtype=h5py.string_dtype())


case('categories-duplicated', [demo_plain('cat-dups.h5ad', duplicate_categories)], 'error', 'unsupported-encoding', fragments=['twice'])


def fractional_codes(f):
    codes = f['obs/bulk_labels/codes'][:].astype('float64')
    codes[3] = 1.5
    replace(f, 'obs/bulk_labels/codes', codes)


case('category-codes-fractional', [demo_plain('cat-frac.h5ad', fractional_codes)], 'error', 'unsupported-encoding', fragments=['1.5', 'not a whole number'])


def external_link(f):
    f['obsm/X_other'] = h5py.ExternalLink(demo, '/obsm/X_pca')


case('obsm-external-link', [demo_plain('ext-link.h5ad', external_link)], 'error', 'unsupported-encoding', fragments=['link to another file'])


def soft_link_loop(f):
    f['uns/a'] = h5py.SoftLink('/uns/b')
    f['uns/b'] = h5py.SoftLink('/uns/a')


case('uns-soft-link-loop', [demo_plain('soft-loop.h5ad', soft_link_loop)], 'ok')

json.dump(cases, sys.stdout)
