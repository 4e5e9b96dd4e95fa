// Types h5wasm cannot write (h5py's bool enum, record arrays) are written as stand-ins (int8, a
// [n, fields] matrix) and noted here; `apply` retypes them once the file is closed.
import type { H5Lib } from '../h5/runtime.ts';
import { h5FileSystem, openFileBytes } from '../hdf5-patch/file-bytes.ts';
import { Retyper } from '../hdf5-patch/retype.ts';

export class TypeFixes {
  private readonly jobs: ((r: Retyper) => void)[] = [];

  boolAttribute(path: string, name: string): void {
    this.jobs.push((r) => r.boolAttribute(path, name));
  }

  boolDataset(path: string): void {
    this.jobs.push((r) => r.boolDataset(path));
  }

  recordArray(path: string, fields: string[]): void {
    this.jobs.push((r) => r.recordArray(path, fields));
  }

  /** Call after the h5wasm File is closed. */
  async apply(lib: H5Lib, path: string): Promise<void> {
    if (this.jobs.length === 0) return;
    const bytes = openFileBytes(await h5FileSystem(lib), path);
    try {
      const r = new Retyper(bytes, path);
      for (const job of this.jobs) job(r);
    } finally {
      bytes.close();
    }
  }
}
