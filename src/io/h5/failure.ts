// What the HDF5 library (through h5wasm) throws on a damaged file, turned into one line a user can
// read: the file's name, that it is damaged, and where when known. The library's own error stack
// travels along as `detail` for --verbose.
import { DatasetError } from '../errors.ts';

/** A WebAssembly trap or abort: the module's memory may be inconsistent afterwards. */
export function isTrap(err: unknown): boolean {
  if (typeof WebAssembly !== 'undefined' && err instanceof WebAssembly.RuntimeError) return true;
  const msg = err instanceof Error ? err.message : String(err);
  return /memory access out of bounds|unreachable|Aborted\(|Memory allocation of .* failed|index out of bounds|call stack exhausted/i.test(msg);
}

/** The innermost entry of an HDF5 error stack ("#007: H5Fsuper.c line 600 in H5F__super_read(): truncated file"). */
export function rootCause(stack: string): string | null {
  const entries = [...stack.matchAll(/#\d+: .*? in ([\w.]+)\(\): (.*)/g)];
  const last = entries.at(-1);
  return last ? last[2].trim() : null;
}

export function h5Failure(err: unknown, fileName: string, where?: string): DatasetError {
  if (err instanceof DatasetError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const at = where ? ` at "${where}"` : '';
  if (/HDF5-DIAG|#\d+: /.test(msg)) {
    const cause = rootCause(msg);
    return new DatasetError('damaged', fileName, `is damaged: HDF5 could not read it${at}${cause ? ` (${cause})` : ''}`, msg);
  }
  if (/float16/i.test(msg)) {
    return new DatasetError('unsupported-encoding', fileName, `stores float16 values${at}, which scWeb cannot read; save the file with float32 values (e.g. adata.X = adata.X.astype("float32"))`, msg);
  }
  if (/Invalid typed array length|Array buffer allocation failed|Invalid array length/i.test(msg)) {
    return new DatasetError('too-large', fileName, `declares an array${at} too large to hold in memory (${msg}); the file is damaged or far larger than this machine can read`, msg);
  }
  if (isTrap(err)) return new DatasetError('damaged', fileName, `is damaged: reading it${at} crashed the HDF5 library (${msg})`, msg);
  if (/name not defined/i.test(msg)) return new DatasetError('damaged', fileName, `is damaged: an object${at} cannot be opened`, msg);
  return new DatasetError('damaged', fileName, `could not be read${at}: ${msg}`, msg);
}
