// Starts test/fixtures/share-api-server.mjs as a child process (the synchronous range reader
// blocks this thread, so the server cannot live in it) and talks to its counters.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export interface TestServer {
  base: string;
  stats(): Promise<{ requests: number; bytes: number }>;
  reset(): Promise<void>;
  expire(id: string): Promise<void>;
  stop(): void;
}

export async function startShareServer(args: string[] = []): Promise<TestServer> {
  const child: ChildProcess = spawn(process.execPath, [resolve(__dirname, 'fixtures/share-api-server.mjs'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout! }).once('line', ok);
    child.once('exit', (code) => fail(new Error(`share test server exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  return {
    base,
    stats: async () => (await fetch(`${base}/__stats`)).json() as Promise<{ requests: number; bytes: number }>,
    reset: async () => void (await fetch(`${base}/__reset`)).arrayBuffer(),
    expire: async (id) => void (await fetch(`${base}/__expire/${id}`)).arrayBuffer(),
    stop: () => void child.kill(),
  };
}
