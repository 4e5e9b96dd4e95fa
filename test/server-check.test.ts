// The AnnData check of plain uploads runs on a worker thread under a time limit: a damaged file that
// makes HDF5 loop forever (a zeroed record in a global heap collection, HDF5 1.14.6's
// H5HG__cache_heap_deserialize; test/fuzz/make_variants.py's 'global-heap-record-zeroed') is
// refused with 400 once the limit passes, its thread is replaced, and the server goes on serving.
import type { FastifyInstance } from 'fastify';
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnDataChecker } from '../server/anndata-checker.ts';
import { serveSettings } from '../src/cli/serve.ts';
import { HttpError } from '../server/errors.ts';
import type { ShareStore } from '../server/store.ts';
import { startServe } from './serve-child.ts';
import { Clock, DEMO, demoBytes, makeApp, makeStore, plainHdf5, tempDir } from './server-fixtures.ts';

const OCTETS = { 'content-type': 'application/octet-stream' };
const GOOD = demoBytes();

/** The demo with bytes [4096, 4160) zeroed: reading the root's encoding attributes never returns. */
function hangingSnapshot(): Buffer {
  const b = Buffer.from(GOOD);
  b.fill(0, 4096, 4160);
  return b;
}

describe('plain uploads are checked on a thread that can be stopped', () => {
  let dir: string;
  let store: ShareStore;
  let app: FastifyInstance;
  let base: string;

  // Over real HTTP (light-my-request's injected requests never count as complete, which leaves the
  // refusal's lingering-body timer running past the test).
  beforeAll(async () => {
    dir = tempDir();
    store = await makeStore('fs', dir);
    app = await makeApp(store, dir, new Clock(), { checkTimeoutMs: 2000 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
  });

  const create = (body: Buffer) => fetch(`${base}/api/shares`, { method: 'POST', headers: OCTETS, body: new Uint8Array(body) });
  const metadata = (id: string) => fetch(`${base}/api/shares/${id}`);

  it('refuses a file that makes HDF5 loop with 400, keeps serving meanwhile, and checks the next upload on a fresh thread', async () => {
    const first = await create(GOOD);
    expect(first.status).toBe(201);
    const { id } = (await first.json()) as { id: string };

    let answered = false;
    const stuck = create(hangingSnapshot()).finally(() => (answered = true));
    // While HDF5 loops on the checker's thread, the main thread answers everyone else.
    await new Promise((r) => setTimeout(r, 500));
    expect((await metadata(id)).status).toBe(200);
    expect(answered).toBe(false);

    const res = await stuck;
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^not an AnnData file: HDF5 stopped responding while reading it at \/ \(attribute encoding-type\) \(no answer in 2 s: the file is damaged\)$/,
    );
    // Removed from staging like any other refusal; nothing stored.
    expect(readdirSync(join(dir, 'staging'))).toEqual([]);
    expect(readdirSync(join(dir, 'shares')).filter((f) => !f.startsWith(id))).toEqual([]);

    expect((await metadata(id)).status).toBe(200);
    expect((await create(GOOD)).status).toBe(201);
    // Ordinary bad files keep their messages.
    const plain = await create(await plainHdf5(dir));
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { error: string }).error).toBe('not an AnnData file: the HDF5 file has no obs or var');
  });
});

describe('scweb serve through the scweb binary', () => {
  it('survives an upload that makes HDF5 loop, even with --h5-timeout below --check-timeout', async () => {
    // `serve` runs unwatched (bin/scweb.mjs): --h5-timeout is accepted and has no say over it; the
    // checker's thread is stopped by the server itself after --check-timeout, and the server lives on.
    const server = await startServe(['--data', tempDir(), '--rate-limit', '0', '--h5-timeout', '1', '--check-timeout', '3']);
    try {
      const post = (body: Buffer) => fetch(`${server.base}/api/shares`, { method: 'POST', headers: OCTETS, body: new Uint8Array(body) });
      const stuck = await post(hangingSnapshot());
      expect(stuck.status).toBe(400);
      expect((await stuck.json()).error).toMatch(/HDF5 stopped responding while reading it at .* \(no answer in 3 s: the file is damaged\)$/);
      expect(server.alive()).toBe(true);
      const good = await post(GOOD);
      expect(good.status).toBe(201);
      const { id } = (await good.json()) as { id: string };
      expect((await fetch(`${server.base}/api/shares/${id}`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe('AnnDataChecker', () => {
  let dir: string;
  let hanging: string;
  beforeAll(() => {
    dir = tempDir();
    hanging = join(dir, 'hanging.h5ad');
    writeFileSync(hanging, hangingSnapshot());
  });

  it('replaces a thread that dies mid-check (500), and answers 500 for a failure of its own', async () => {
    const checker = new AnnDataChecker(60_000);
    try {
      await checker.check(DEMO);
      const stuck = checker.check(hanging);
      const thread = (checker as unknown as { thread: { worker: { terminate(): Promise<number> } } }).thread;
      // A crash from the outside: the thread exits while HDF5 loops in it.
      setTimeout(() => void thread.worker.terminate(), 300);
      const err = await stuck.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(HttpError);
      expect((err as Error).message).toMatch(/checker thread failed while checking an upload: the AnnData checker thread exited/);

      const missing = await checker.check(join(dir, 'gone.h5ad')).then(() => null, (e: unknown) => e);
      expect(missing).toBeInstanceOf(HttpError);
      expect((missing as HttpError).statusCode).toBe(500);
      await expect(checker.check(DEMO)).resolves.toBeUndefined();
    } finally {
      await checker.close();
    }
  });

  it('serializes checks and refuses those still waiting when closed', async () => {
    const checker = new AnnDataChecker(60_000);
    await checker.check(DEMO);
    const stuck = checker.check(hanging).then(() => null, (e: unknown) => e);
    const waiting = checker.check(DEMO).then(() => null, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    await checker.close();
    for (const err of [await stuck, await waiting]) {
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).statusCode).toBe(503);
    }
  });

  it('does not keep the process alive once idle', async () => {
    // A process that checks a file and never closes the checker must still end by itself.
    const script = `
      import { AnnDataChecker } from ${JSON.stringify(join(__dirname, '../server/anndata-checker.ts'))};
      await new AnnDataChecker(5000).check(${JSON.stringify(DEMO)});
      console.log('checked');
    `;
    const file = join(dir, 'idle.mts');
    writeFileSync(file, script);
    const child = spawn(process.execPath, ['--import', 'tsx/esm', file], { cwd: join(__dirname, '..') });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise((done) => child.on('exit', (c, signal) => done(c ?? signal)));
    clearTimeout(killer);
    expect(out.trim()).toBe('checked');
    expect(code).toBe(0);
  });
});

describe('scweb serve --check-timeout', () => {
  it('takes seconds from the flag or SCWEB_CHECK_TIMEOUT (flag wins), 20 s by default', () => {
    expect(serveSettings([], {}).checkTimeoutMs).toBe(20_000);
    expect(serveSettings(['--check-timeout', '2.5'], {}).checkTimeoutMs).toBe(2500);
    expect(serveSettings([], { SCWEB_CHECK_TIMEOUT: '7' }).checkTimeoutMs).toBe(7000);
    expect(serveSettings(['--check-timeout=60'], { SCWEB_CHECK_TIMEOUT: '7' }).checkTimeoutMs).toBe(60_000);
    for (const bad of ['0', '-1', 'soon', '1e3', '']) expect(() => serveSettings(['--check-timeout', bad], {}), bad).toThrow(/--check-timeout must be a number of seconds above 0/);
  });
});
