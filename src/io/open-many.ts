// Files in, one Dataset out, when the files may be several datasets: a single dataset opens as
// openDataset always has; several are opened and joined (concat.ts), each part named by its path
// so messages say which folder's matrix.mtx.gz is meant.
import { openConcat, reopenConcat, type ConcatOptions } from './concat.ts';
import { groupFiles, type FileGroup, type GroupInput } from './file-groups.ts';
import type { H5Runtime } from './h5/runtime.ts';
import { openDataset, type OpenOptions } from './open.ts';
import type { SourceFile } from './source.ts';
import type { ConcatLayout, Dataset } from './types.ts';

export interface PickedFile extends GroupInput {
  source: SourceFile;
}

export type OpenManyOptions = OpenOptions & Omit<ConcatOptions, 'layout'>;

export async function openMany(files: PickedFile[], getRuntime: () => Promise<H5Runtime>, opts: OpenManyOptions = {}): Promise<Dataset> {
  const { groups, ignored } = groupFiles(files);
  // A folder's matrix.mtx.gz is named with its folder (sampleC/matrix.mtx.gz), alone or joined.
  const names = displayNames(files, groups);
  if (groups.length === 1) return openDataset(groups[0].files.map((i) => ({ ...files[i].source, name: names[i] })), getRuntime, opts);
  if (ignored.length) opts.onWarning?.(`left out (not a dataset file): ${ignored.join(', ')}`);
  const named = groups.map((g) => ({ label: g.label, files: g.files.map((i) => ({ ...files[i].source, name: names[i] })) }));
  return openConcat(named, (fs, o) => openDataset(fs, getRuntime, o), opts);
}

/**
 * Names for messages and the summary: a file's name (a MatrixMarket file's with its folder,
 * `sampleC/matrix.mtx.gz`), or its whole path where two files would read alike.
 */
function displayNames(files: PickedFile[], groups: FileGroup[]): string[] {
  const names = files.map((f) => f.name);
  for (const g of groups) {
    for (const i of g.files) {
      const parts = (files[i].path || files[i].name).replace(/\\/g, '/').split('/');
      names[i] = g.kind === 'mtx' && parts.length > 1 ? parts.slice(-2).join('/') : parts[parts.length - 1];
    }
  }
  const seen = new Map<string, number>();
  for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
  return names.map((n, i) => ((seen.get(n) ?? 0) > 1 ? files[i].path || n : n));
}

/**
 * How a pool worker opens what the dataset's `sources` and `concat` describe: the one file (or the
 * parts, joined as the layout says), obs and var without their columns.
 */
export function reopenSources(files: SourceFile[], layout: ConcatLayout | null | undefined, getRuntime: () => Promise<H5Runtime>): Promise<Dataset> {
  const opts: OpenOptions = { indexOnly: true };
  return layout ? reopenConcat(files, layout, (fs, o) => openDataset(fs, getRuntime, o), opts) : openDataset(files, getRuntime, opts);
}
