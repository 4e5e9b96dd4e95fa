// `scweb serve` as a child process on loopback, for the load test and bench/serve-load.ts: a
// server that can be killed with SIGKILL mid-upload and whose memory is its own (read from
// /proc, so the load generator's allocations are not counted).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const CLI = fileURLToPath(new URL('../bin/scweb.mjs', import.meta.url));

export interface ServeChild {
  base: string;
  port: number;
  child: ChildProcess;
  /** Resident memory now (bytes); 0 once the process is gone. */
  rss(): number;
  /** Highest resident memory since start (VmHWM, bytes). */
  peakRss(): number;
  alive(): boolean;
  /** SIGKILL: no cleanup, as a crash or an OOM kill. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `scweb serve --host 127.0.0.1 --port 0 ...args` and waits for its start-up line. */
export async function startServe(args: string[], timeoutMs = 60_000): Promise<ServeChild> {
  const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: string[] = [];
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`scweb serve did not start in ${timeoutMs} ms: ${lines.join('\n')}`)), timeoutMs);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (lines.length < 50) lines.push(line);
      const m = /share API at http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`scweb serve exited (${code ?? signal}) before listening: ${lines.join('\n')}`));
    });
  });
  const exited = new Promise<void>((ok) => (child.exitCode !== null || child.signalCode !== null ? ok() : child.once('exit', () => ok())));
  const status = (field: string): number => {
    try {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    child,
    rss: () => status('VmRSS'),
    peakRss: () => status('VmHWM'),
    alive: () => child.exitCode === null && child.signalCode === null,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Samples `read()` every `everyMs` until stopped; the highest value seen. */
export function sampler(read: () => number, everyMs = 50): { stop(): number } {
  let peak = read();
  const timer = setInterval(() => (peak = Math.max(peak, read())), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, read());
    },
  };
}
