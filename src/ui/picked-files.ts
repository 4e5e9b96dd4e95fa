// What the user dropped or picked, as files with their paths inside the dropped folders: a drop
// may hold folders (walked here, as the browser gives only their entries), the folder picker gives
// every file of the folder with its webkitRelativePath. The worker sorts them into datasets
// (io/file-groups.ts): several .h5ad/.h5 files and 10x folders open as one joined dataset.

export interface Picked {
  files: File[];
  /** Each file's path inside what was dropped (`sampleA/matrix.mtx.gz`), or its name. */
  paths: string[];
}

/**
 * Files in path order: the same files dropped in any order make the same dataset (cells in the
 * same order), so the work saved for them is found again.
 */
export function sortedPicked(files: File[], paths?: string[]): Picked {
  const items = files.map((file, i) => ({ file, path: paths?.[i] || file.webkitRelativePath || file.name }));
  items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files: items.map((x) => x.file), paths: items.map((x) => x.path) };
}

/** A picker's files (the folder picker sets webkitRelativePath). */
export function pickedFromInput(list: FileList | null): Picked {
  return sortedPicked([...(list ?? [])]);
}

interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
  file?(ok: (f: File) => void, fail: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (entries: Entry[]) => void, fail: (e: unknown) => void): void };
}

/**
 * A drop's files, folders walked. The entries must be taken while the drop event runs (the
 * DataTransfer is emptied after it), so this is called synchronously from the handler and the walk
 * returns a promise.
 */
export function pickedFromDrop(dt: DataTransfer): Promise<Picked> {
  const entries: (Entry | null)[] = [...dt.items].filter((i) => i.kind === 'file').map((i) => (i.webkitGetAsEntry?.() as Entry | null) ?? null);
  const loose = [...dt.files];
  // A drop without entries (a synthetic DataTransfer, an old browser): its plain file list.
  if (!entries.some((e) => e?.isDirectory)) return Promise.resolve(sortedPicked(loose));
  return walk(entries.filter((e): e is Entry => !!e));
}

async function walk(roots: Entry[]): Promise<Picked> {
  const files: File[] = [];
  const paths: string[] = [];
  const visit = async (e: Entry): Promise<void> => {
    if (e.isFile && e.file) {
      files.push(await new Promise<File>((ok, fail) => e.file!(ok, fail)));
      paths.push(e.fullPath.replace(/^\//, ''));
    } else if (e.isDirectory && e.createReader) {
      const reader = e.createReader();
      // readEntries hands out a folder's entries in batches until it returns none.
      for (;;) {
        const batch = await new Promise<Entry[]>((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) break;
        for (const child of batch) await visit(child);
      }
    }
  };
  for (const r of roots) await visit(r);
  return sortedPicked(files, paths);
}
