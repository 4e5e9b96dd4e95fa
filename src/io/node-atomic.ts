// Outputs appear whole or not at all: written under a temporary name in the same folder, then
// renamed (atomic on one filesystem). A killed `scweb` (a preempted cluster job, Ctrl-C) leaves no
// half-written file that a workflow engine or a later merge could mistake for a finished one.
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { announceTemporary } from './h5/node-watch.ts';

/** A temporary path beside `path`, keeping its extension (writers that check it still accept it). */
export function temporaryPath(path: string): string {
  const ext = extname(path);
  return join(dirname(path), `.${basename(path, ext)}.partial-${process.pid}${ext}`);
}

/** Runs `write(tmp)` and renames tmp to `path`; a failed write removes tmp. */
export async function writeAtomically(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = temporaryPath(path);
  // The supervisor removes it if it has to end this process (src/cli/supervise.ts).
  announceTemporary(resolve(tmp), true);
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    announceTemporary(resolve(tmp), false);
  }
}

export function writeFileAtomically(path: string, bytes: Uint8Array | string): Promise<void> {
  return writeAtomically(path, (tmp) => writeFile(tmp, bytes));
}
