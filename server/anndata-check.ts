// A plain snapshot must be something scanpy and our viewer can open, not any HDF5 file: the
// staged upload is opened with h5wasm through src/io's Node runtime and must hold obs and var.
import { h5Failure, isTrap } from '../src/io/h5/failure.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { nodeSource } from '../src/io/node.ts';
import { HttpError } from './errors.ts';

export async function checkAnnData(path: string): Promise<void> {
  const source = await nodeSource(path);
  source.name = 'the snapshot';
  const runtime = await nodeH5Runtime();
  let file;
  try {
    file = runtime.open(source);
  } catch (err) {
    if (isTrap(err)) runtime.reset?.();
    throw new HttpError(400, `not an AnnData file: ${h5Failure(err, source.name).message}`);
  }
  try {
    const keys = new Set(file.keys());
    const missing = ['obs', 'var'].filter((k) => !keys.has(k));
    if (missing.length) throw new HttpError(400, `not an AnnData file: the HDF5 file has no ${missing.join(' or ')}`);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (isTrap(err)) runtime.reset?.();
    throw new HttpError(400, `not an AnnData file: ${h5Failure(err, source.name).message}`);
  } finally {
    try {
      file.close();
    } catch {
      // the handle died with a trapped module
    }
  }
}
