// Errors a user can act on: they name the file, say what is wrong, and where possible the fix.

export type DatasetErrorCode =
  | 'not-hdf5'
  | 'truncated'
  | 'unsupported-format'
  | 'unsupported-encoding'
  | 'no-cells'
  | 'shape-mismatch'
  | 'bad-counts'
  | 'bad-matrix'
  | 'damaged'
  | 'too-large'
  | 'missing-matrix'
  | 'unknown-key'
  | 'not-found'
  /** Files that cannot be opened as one dataset (no shared gene, counts in one and not another). */
  | 'incompatible'
  | 'cancelled';

export class DatasetError extends Error {
  readonly code: DatasetErrorCode;
  readonly fileName: string;
  /** The library's own report (an HDF5 error stack), shown only when asked for (--verbose). */
  readonly detail?: string;

  constructor(code: DatasetErrorCode, fileName: string, message: string, detail?: string) {
    super(`${fileName}: ${message}`);
    this.name = 'DatasetError';
    this.code = code;
    this.fileName = fileName;
    this.detail = detail;
  }
}

/** A plain object that survives postMessage and JSON (Error instances lose their fields). */
export interface ErrorInfo {
  code: DatasetErrorCode | 'internal';
  message: string;
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof DatasetError) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: 'internal', message: err.message };
  return { code: 'internal', message: String(err) };
}

export class CancelledError extends DatasetError {
  constructor(fileName: string) {
    super('cancelled', fileName, 'cancelled by the user');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, fileName: string): void {
  if (signal?.aborted) throw new CancelledError(fileName);
}
