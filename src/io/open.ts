// The one entry point: files in, Dataset out, whatever the format. Used by the worker and the CLI.
import type { DatasetParts } from './assembled.ts';
import { AssembledDataset } from './assembled.ts';
import { DatasetError, throwIfAborted } from './errors.ts';
import type { H5Context } from './h5/read.ts';
import { collectFilterIds } from './h5/walk.ts';
import type { H5Runtime } from './h5/runtime.ts';
import { filterName } from './h5/runtime.ts';
import { h5Failure, isTrap } from './h5/failure.ts';
import { findSuperblock } from './h5/superblock.ts';
import { looksLikeH5ad, readH5adParts } from './h5ad/open.ts';
import { findPandasFrame, readPandasParts } from './pandas-h5.ts';
import type { SourceFile } from './source.ts';
import { readBytes } from './source.ts';
import { find10xGroup, read10xParts } from './tenx/h5.ts';
import type { ProgressOptions } from './tenx/mtx.ts';
import { isMtxName, readMtxParts } from './tenx/mtx.ts';
import type { Dataset } from './types.ts';

export type { ProgressOptions };

export interface OpenOptions extends ProgressOptions {
  /** Called with the ids of HDF5 filters the file uses that no decoder exists for. */
  onWarning?: (message: string) => void;
  /** obs and var without their columns: for a worker that only reads the matrices. */
  indexOnly?: boolean;
}

export async function openDataset(files: SourceFile[], getRuntime: () => Promise<H5Runtime>, opts: OpenOptions = {}): Promise<Dataset> {
  if (files.length === 0) throw new DatasetError('unsupported-format', '(no file)', 'no file was given');
  const step = (fraction: number, message: string) => {
    throwIfAborted(opts.signal, files[0].name);
    opts.onProgress?.(fraction, message);
  };
  if (files.some((f) => isMtxName(f.name))) {
    step(0, 'reading MatrixMarket files');
    return new AssembledDataset(await readMtxParts(files, opts));
  }
  if (files.length > 1) {
    throw new DatasetError('unsupported-format', files.map((f) => f.name).join(', '), 'several files were given but none is a matrix.mtx; drop one .h5ad or .h5 file, or a 10x folder\'s three files');
  }
  const file = files[0];
  step(0.05, 'checking file signature');
  await checkHdf5(file);
  step(0.1, 'opening HDF5');
  const runtime = await getRuntime();
  let h5;
  try {
    h5 = runtime.open(file);
  } catch (err) {
    runtime.release(file);
    if (isTrap(err)) runtime.reset?.();
    throw h5Failure(err, file.name);
  }
  // Closing never throws: after a trap the old module may refuse, and the caller (the worker
  // replacing its dataset) must still get on with the next file.
  const close = () => {
    try {
      h5.close();
    } catch {
      // the handle died with the module
    }
    try {
      runtime.release(file);
    } catch {
      // likewise its mount
    }
  };
  try {
    const ctx: H5Context = { lib: runtime.lib, file: h5, fileName: file.name, fileSize: file.size, indexOnly: opts.indexOnly };
    const missing = await runtime.ensureFilters(collectFilterIds(ctx.file));
    if (missing.length) opts.onWarning?.(`uses HDF5 filters scWeb cannot decode: ${missing.map(filterName).join(', ')}`);
    step(0.3, 'reading obs, var and matrix layout');
    const parts = readParts(ctx, close);
    parts.sources = reopenable(file) ? [file] : null;
    parts.onTrap = () => runtime.reset?.();
    return new AssembledDataset(parts);
  } catch (err) {
    // After a trap the module's memory may be inconsistent: close what can be closed, then have the
    // runtime start a fresh module so the next file opens.
    close();
    if (isTrap(err)) runtime.reset?.();
    throw h5Failure(err, file.name);
  }
}

function readParts(ctx: H5Context, close: () => void): DatasetParts {
  const tenx = find10xGroup(ctx);
  if (tenx) return read10xParts(ctx, tenx, close);
  const frame = findPandasFrame(ctx);
  if (frame) return readPandasParts(ctx, frame, close);
  if (looksLikeH5ad(ctx)) return readH5adParts(ctx, close);
  throw new DatasetError(
    'unsupported-format',
    ctx.fileName,
    `is HDF5 but neither AnnData (.h5ad) nor a 10x matrix: top-level keys are ${ctx.file.keys().join(', ') || '(none)'}`,
  );
}

/**
 * Whether a worker can open the file again: a path, or a real Blob (a dropped File, which workers
 * receive by structured clone). A share link's remote file only looks like one.
 */
function reopenable(file: SourceFile): boolean {
  return !!file.path || (typeof Blob !== 'undefined' && file.blob instanceof Blob);
}

async function checkHdf5(file: SourceFile): Promise<void> {
  if (file.size === 0) throw new DatasetError('not-hdf5', file.name, 'the file is empty (0 bytes)');
  const sb = await findSuperblock(file);
  if (!sb) {
    const head = new TextDecoder().decode(await readBytes(file, 0, 64));
    const hint = head.startsWith('%%MatrixMarket')
      ? 'it is a MatrixMarket matrix: drop it together with its features.tsv and barcodes.tsv'
      : 'scWeb reads AnnData .h5ad, 10x Genomics .h5, and matrix.mtx with features/barcodes';
    throw new DatasetError('not-hdf5', file.name, `is not an HDF5 file (no HDF5 signature found); ${hint}`);
  }
  if (sb.declaredSize !== null && file.size < sb.declaredSize) {
    throw new DatasetError(
      'truncated',
      file.name,
      `is truncated: it has ${file.size.toLocaleString('en-US')} bytes but its HDF5 header says ${sb.declaredSize.toLocaleString('en-US')}; the download or copy was probably cut short`,
    );
  }
}
