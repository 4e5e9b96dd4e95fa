// A plain snapshot must be something scanpy and our viewer can open, not any HDF5 file: the
// staged upload is opened with h5wasm through src/io's Node runtime and must hold obs and var, and
// the encoding attributes every reader looks at first must be readable.
//
// This runs inside the checker worker (check-worker.mjs, driven by anndata-checker.ts), never on
// the server's main thread: a damaged file can make HDF5 loop forever inside one call, and only
// another thread can notice that and stop it.
import type { Dataset as H5Dataset, File as H5File, Group as H5Group } from 'h5wasm';
import { h5Failure, isTrap } from '../src/io/h5/failure.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { nodeSource } from '../src/io/node.ts';
import { HttpError } from './errors.ts';

/**
 * The attributes AnnData readers (anndata, scanpy, src/io/h5ad) read as they open a file: the
 * encodings, the dataframes' index and columns, sparse matrices' shapes. They are a handful of short
 * values, so reading them costs next to nothing; in a file whose global heap is damaged they are
 * where HDF5 loops (variable-length strings live in the global heap).
 */
const ENCODING_ATTRIBUTES = ['encoding-type', 'encoding-version', '_index', 'column-order', 'shape', 'h5sparse_format', 'h5sparse_shape'];

export async function checkAnnData(path: string): Promise<void> {
  const source = await nodeSource(path);
  source.name = 'the snapshot';
  const runtime = await nodeH5Runtime();
  let file: H5File;
  try {
    file = runtime.open(source) as H5File;
  } catch (err) {
    if (isTrap(err)) runtime.reset?.();
    throw new HttpError(400, `not an AnnData file: ${h5Failure(err, source.name).message}`);
  }
  let where: string | undefined;
  try {
    const keys = new Set(file.keys());
    const missing = ['obs', 'var'].filter((k) => !keys.has(k));
    if (missing.length) throw new HttpError(400, `not an AnnData file: the HDF5 file has no ${missing.join(' or ')}`);
    // The root, its members (obs, var, X, raw, layers, obsm, ...) and raw's own X and var.
    const paths = ['/', ...[...keys].map((k) => `/${k}`)];
    if (keys.has('raw')) paths.push('/raw/X', '/raw/var');
    for (const p of paths) {
      where = p;
      const node = p === '/' ? file : file.get(p);
      // Links to elsewhere, broken soft links, missing raw/X: nothing to read here.
      if (!node || !('attrs' in node)) continue;
      const attrs = (node as H5Group | H5Dataset).attrs;
      for (const name of ENCODING_ATTRIBUTES) {
        if (!(name in attrs)) continue;
        where = `${p} (attribute ${name})`;
        // The value as src/io/h5/read.ts's attr() reads it: metadata, then the data.
        void attrs[name].json_value;
      }
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (isTrap(err)) runtime.reset?.();
    throw new HttpError(400, `not an AnnData file: ${h5Failure(err, source.name, where).message}`);
  } finally {
    try {
      file.close();
    } catch {
      // the handle died with a trapped module
    }
  }
}
