// What differs between the browser worker and Node: how h5wasm is loaded, how a file becomes
// visible to it, and how compression plugins get into its plugin path.
import type h5wasmDefault from 'h5wasm';
import type { File as H5File } from 'h5wasm';
import type { SourceFile } from '../source.ts';

export type H5Lib = typeof h5wasmDefault;

export interface H5Runtime {
  lib: H5Lib;
  /** Opens the file read-only; the bytes stay where they are (disk or the user's File). */
  open(file: SourceFile): H5File;
  /** Undoes what `open` set up (unmounts a browser file). */
  release(file: SourceFile): void;
  /** Makes the decoders for these HDF5 filter ids available; returns the ids it could not provide. */
  ensureFilters(ids: Iterable<number>): Promise<number[]>;
  /**
   * Drops this runtime after a WebAssembly trap (its memory may be inconsistent): the next call to
   * the runtime getter builds a fresh HDF5 module. Files already open on the old one stay readable
   * as far as the old module still works.
   */
  reset?(): void;
}

/** h5wasm's switch from printing HDF5-DIAG stacks on stderr to throwing them as exceptions. */
export interface ThrowingErrors {
  activate_throwing_error_handler(): number;
}

/** Filters compiled into h5wasm itself. */
export const BUILTIN_FILTERS = new Map<number, string>([
  [1, 'gzip'],
  [2, 'shuffle'],
  [3, 'fletcher32'],
  [5, 'nbit'],
  [6, 'scaleoffset'],
]);

/** Filters provided by h5wasm-plugins, by HDF5 registered id. */
export const PLUGIN_FILTERS = new Map<number, string>([
  [307, 'bz2'],
  [32000, 'lzf'],
  [32001, 'blosc'],
  [32004, 'lz4'],
  [32008, 'bshuf'],
  [32015, 'zstd'],
  [32026, 'blosc2'],
]);

export function filterName(id: number): string {
  return BUILTIN_FILTERS.get(id) ?? PLUGIN_FILTERS.get(id) ?? (id === 4 ? 'szip' : `id ${id}`);
}

/** Ids that neither h5wasm nor the plugin set can decode. */
export function undecodableFilters(ids: Iterable<number>): number[] {
  return [...ids].filter((id) => !BUILTIN_FILTERS.has(id) && !PLUGIN_FILTERS.has(id));
}
