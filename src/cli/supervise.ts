// `scweb` runs its command in a child process and watches it from here. A damaged file can make
// the HDF5 library loop inside one call (see src/io/h5/watch.ts); nothing in that process runs
// again, so only another process can notice and end it. The child reports each HDF5 read call's
// start and end on a pipe; a call that has not returned after --h5-timeout seconds ends the
// command with a message naming the file and the object, and a non-zero exit. Outputs being written
// (temporary files, src/io/node-atomic.ts) are removed, so nothing half-written is left behind.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { WATCH_FD_ENV } from '../io/h5/node-watch.ts';
import { UsageError } from './usage.ts';

export const H5_TIMEOUT_ENV = 'SCWEB_H5_TIMEOUT';
/** Seconds one HDF5 read call may take. Reads are bounded slices (a few MB), so 30 s is far past any real one. */
export const DEFAULT_H5_TIMEOUT_S = 30;

/** --h5-timeout SECONDS (anywhere, as --verbose), else SCWEB_H5_TIMEOUT; 0 turns the watch off. */
export function h5TimeoutOf(args: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; rest: string[] } {
  const rest = [...args];
  let text = env[H5_TIMEOUT_ENV];
  const i = rest.findIndex((a) => a === '--h5-timeout' || a.startsWith('--h5-timeout='));
  if (i >= 0) {
    const [flag] = rest.splice(i, 1);
    text = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : rest.splice(i, 1)[0];
  }
  if (text === undefined || text === '') return { seconds: DEFAULT_H5_TIMEOUT_S, rest };
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--h5-timeout must be a number of seconds (0: no watch), got "${text}"`);
  return { seconds, rest };
}

interface Call {
  file: string;
  object: string;
  since: number;
}

/** What the supervisor learns from the child's pipe, line by line. */
export class CallLog {
  readonly calls = new Map<string, Call>();
  readonly temporaries = new Set<string>();
  private partial = '';

  constructor(private readonly now: () => number = () => performance.now()) {}

  feed(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    const kind = line[0];
    const body = line.slice(2);
    if (kind === 'E') {
      const space = body.indexOf(' ');
      const [file, object] = body.slice(space + 1).split('\t');
      this.calls.set(body.slice(0, space), { file, object: object ?? '/', since: this.now() });
    } else if (kind === 'X') this.calls.delete(body);
    else if (kind === 'T') this.temporaries.add(body);
    else if (kind === 'U') this.temporaries.delete(body);
  }

  /** The call that has been running longer than `ms`, if any. */
  stuck(ms: number): Call | null {
    const t = this.now();
    for (const c of this.calls.values()) if (t - c.since > ms) return c;
    return null;
  }
}

export function stuckMessage(c: Call, seconds: number): string {
  return (
    `scweb: error: HDF5 stopped responding while reading ${c.file} at ${c.object}: the file is damaged ` +
    `(one read did not return in ${seconds} s); outputs not yet complete were removed. Re-create the file from its source ` +
    `(re-save it in Python, or download it again); if it is intact but unusually slow to read, raise the limit with --h5-timeout SECONDS.\n`
  );
}

/**
 * Runs `script args` (this same CLI) as a watched child with the same stdin, stdout and stderr;
 * resolves to its exit code, or 1 after ending it for a stuck HDF5 call.
 */
export function supervise(script: string, args: string[], seconds: number): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [WATCH_FD_ENV]: '3' },
  });
  const log = new CallLog();
  const pipe = child.stdio[3] as Readable;
  pipe.setEncoding('utf8');
  pipe.on('data', (chunk: string) => log.feed(chunk));
  let ended = false;
  const timer = setInterval(() => {
    const c = log.stuck(seconds * 1000);
    if (!c || ended) return;
    ended = true;
    // A thread looping inside WebAssembly never runs a signal handler: only SIGKILL ends it.
    child.kill('SIGKILL');
    for (const t of log.temporaries) rmSync(t, { force: true });
    process.stderr.write(stuckMessage(c, seconds));
  }, Math.min(250, seconds * 250));
  // Signals meant for scweb (Ctrl-C, a scheduler's SIGTERM) reach the command that handles them.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      for (const [s, h] of handlers) process.off(s, h);
      if (ended) resolve(1);
      else resolve(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : signal === 'SIGHUP' ? 1 : 9));
    });
  });
}
