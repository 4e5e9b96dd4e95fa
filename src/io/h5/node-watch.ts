// The Node side of the HDF5 watch (watch.ts): when `scweb` runs under its supervisor
// (src/cli/supervise.ts), every thread of the command (the main one and the pool's workers, which
// inherit the environment) writes its HDF5 read calls as lines on the pipe named by
// SCWEB_H5_WATCH_FD. Blocking writes, so the supervisor never misses an end and mistakes a finished
// call for a stuck one.
import { writeSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { setH5Watcher, type H5Watcher } from './watch.ts';

export const WATCH_FD_ENV = 'SCWEB_H5_WATCH_FD';

/** One line: `E <thread> <file>\t<object>` when a call starts, `X <thread>` when it ends. */
export function pipeWatcher(fd: number): H5Watcher {
  let broken = false;
  const write = (line: string) => {
    if (broken) return;
    const buf = Buffer.from(line);
    for (let done = 0; done < buf.length; ) {
      try {
        done += writeSync(fd, buf, done);
      } catch (err) {
        // EAGAIN: a non-blocking pipe is full for a moment; anything else: the supervisor is gone.
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        broken = true;
        return;
      }
    }
  };
  const clean = (s: string) => s.replace(/[\t\n\r]/g, ' ');
  return {
    enter: (file, object) => write(`E ${threadId} ${clean(file)}\t${clean(object)}\n`),
    exit: () => write(`X ${threadId}\n`),
  };
}

/**
 * Tells the supervisor that a temporary output exists (`live`) or is gone (renamed or removed), so
 * that ending a stuck command leaves no half-written file.
 */
export function announceTemporary(path: string, live: boolean): void {
  const fd = Number(process.env[WATCH_FD_ENV]);
  if (!Number.isInteger(fd) || fd <= 2) return;
  try {
    writeSync(fd, `${live ? 'T' : 'U'} ${path.replace(/\n/g, ' ')}\n`);
  } catch {
    // the supervisor is gone: nobody to tell
  }
}

/** Installs the pipe watcher on this thread when the supervisor asked for one. */
export function watchFromEnvironment(): void {
  const fd = Number(process.env[WATCH_FD_ENV]);
  if (Number.isInteger(fd) && fd > 2) setH5Watcher(pipeWatcher(fd));
}
