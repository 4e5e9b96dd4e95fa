// Saves a Blob as a file through a temporary link (no server involved).
import { datasetBaseName } from '../io/file-groups.ts';

export function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The dataset's name for file names: its file name without the extension (`.h5ad`, `.mtx.gz`, ...). */
export function datasetStem(fileName: string | null | undefined): string {
  const base = datasetBaseName(fileName ?? '');
  const stem = base.replace(/\.(gz|bz2|zst)$/i, '').replace(/\.[A-Za-z0-9]{1,5}$/, '');
  return fileSafe(stem) || 'scweb';
}

/** A part of a file name: characters that are unsafe or awkward in file names become `_`. */
export function fileSafe(part: string): string {
  return part
    .replace(/[^A-Za-z0-9_.+-]+/g, '_')
    .replace(/^[_.]+|_+$/g, '')
    .slice(0, 80);
}

/**
 * A download's name after the dataset and what it holds: `exportName('pbmc.h5ad', ['leiden',
 * 'markers'], 'csv')` is `pbmc_leiden_markers.csv`. Never one fixed name, so exports of several
 * datasets (or columns) do not overwrite each other or get renamed `(1)`, `(2)` by the browser.
 */
export function exportName(fileName: string | null | undefined, parts: string[], ext: string): string {
  return [datasetStem(fileName), ...parts.map(fileSafe).filter(Boolean)].join('_') + `.${ext}`;
}
