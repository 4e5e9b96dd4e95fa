// No single request ends the server or costs it more memory than a chunk: a body of a type no
// route takes is refused from its headers, before it is read (it used to be buffered whole into
// one string by Fastify's parsers: 600 MiB ended the process with ERR_STRING_TOO_LONG). Also the
// `serve` flags for the limits.
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsStore } from '../server/stores/fs.ts';
import { serveSettings } from '../src/cli/serve.ts';
import { UsageError } from '../src/cli/usage.ts';
import { rawRequest } from './raw-http.ts';
import { Clock, encryptedBytes, makeApp, tempDir } from './server-fixtures.ts';

const MiB = 1024 ** 2;

describe('a body the server does not take is refused before it is read', () => {
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    const dir = tempDir();
    app = await makeApp(new FsStore(join(dir, 'shares')), dir, new Clock());
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(() => app.close());

  it('answers 415 to 600 MiB of text or JSON from the headers, holding none of it', async () => {
    const before = process.memoryUsage().rss;
    const sends: [string, string, Record<string, string>, { chunked?: boolean }][] = [
      ['POST', '/api/shares', { 'Content-Type': 'text/plain' }, {}],
      ['POST', '/api/shares', { 'Content-Type': 'application/json' }, {}],
      ['POST', '/api/shares', { 'Content-Type': 'application/json' }, { chunked: true }],
      ['POST', '/api/shares', {}, { chunked: true }],
      ['POST', '/api/shares', { 'Content-Type': 'multipart/form-data; boundary=x' }, {}],
    ];
    for (const [method, path, headers, opts] of sends) {
      const what = `${method} ${path} ${JSON.stringify(headers)} ${opts.chunked ? 'chunked' : ''}`;
      const res = await rawRequest(port, method, path, headers, 600 * MiB, opts);
      expect(res.status, what).toBe(415);
      expect(res.text, what).toMatch(/application\/json/);
      expect(res.text, what).toContain('Content-Type: application/octet-stream');
      // Answered long before the body was all sent: the server did not wait for it.
      expect(res.written, what).toBeLessThan(600 * MiB);
    }
    // Other routes take no body at all: refused (415) or not found (404), unread too.
    const del = await rawRequest(port, 'DELETE', '/api/shares/AAAAAAAAAAAAAAAAAAAAAA', { 'Content-Type': 'text/plain' }, 600 * MiB);
    expect(del.status).toBe(415);
    const nowhere = await rawRequest(port, 'POST', '/nowhere', { 'Content-Type': 'text/plain' }, 600 * MiB);
    expect(nowhere.status).toBe(404);
    // 3.6 GB were offered; the process grew by far less than one of those bodies.
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * MiB);
    // Still serving.
    const alive = await fetch(`http://127.0.0.1:${port}/api/shares/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(alive.status).toBe(404);
    const created = await fetch(`http://127.0.0.1:${port}/api/shares`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: new Uint8Array(encryptedBytes()) });
    expect(created.status).toBe(201);
  });

  it('discards a refused body it has not read, keeping the connection, and cuts off one that goes on too long', async () => {
    const small = await rawRequest(port, 'POST', '/api/shares', { 'Content-Type': 'text/plain' }, 64 * 1024, { chunk: 16 * 1024 });
    expect(small.status).toBe(415);
    expect(small.text.toLowerCase()).not.toContain('connection: close');
    // A client that reads the answer but keeps sending: the server reads and drops up to 64 MiB,
    // then closes. (Bounded here by the 1 GiB declared.)
    const endless = await rawRequest(port, 'POST', '/api/shares', { 'Content-Type': 'text/plain' }, 1024 * MiB, { keepSending: true });
    expect(endless.status).toBe(415);
    expect(endless.written).toBeLessThan(1024 * MiB);
  });

  it('answers 413 from Content-Length before reading the body', async () => {
    const res = await rawRequest(port, 'POST', '/api/shares', { 'Content-Type': 'application/octet-stream' }, 3 * 1024 * MiB);
    expect(res.status).toBe(413);
    expect(res.written).toBeLessThan(3 * 1024 * MiB);
  });
});

describe('scweb serve: the limit flags', () => {
  it('reads the rate window, the range cap and "no limit", from flags or SCWEB_ variables', () => {
    const dflt = serveSettings([], {});
    expect(dflt).toMatchObject({ rateLimitMax: 30, rateLimitWindowMs: 3_600_000, maxRangeResponseBytes: 8 * MiB, maxUploadBytes: 2 * 1024 * MiB });
    expect(serveSettings(['--rate-limit', '0', '--rate-window', '10m', '--max-range-response', '1MiB'], {})).toMatchObject({ rateLimitMax: 0, rateLimitWindowMs: 600_000, maxRangeResponseBytes: MiB });
    const env = { SCWEB_RATE_WINDOW: '90', SCWEB_RATE_LIMIT: '5', SCWEB_MAX_RANGE_RESPONSE: '64k' };
    expect(serveSettings([], env)).toMatchObject({ rateLimitMax: 5, rateLimitWindowMs: 90_000, maxRangeResponseBytes: 65_536 });
    // Flags win.
    expect(serveSettings(['--rate-window', '1h'], env).rateLimitWindowMs).toBe(3_600_000);
    expect(() => serveSettings(['--rate-window', 'soon'], {})).toThrow(UsageError);
    expect(() => serveSettings(['--rate-window', '0'], {})).toThrow(/--rate-window must be a duration/);
    expect(() => serveSettings(['--max-range-response', 'lots'], {})).toThrow(/--max-range-response must be a size/);
    expect(() => serveSettings(['--rate-limit', '-1'], {})).toThrow(/--rate-limit must be a non-negative integer/);
  });
});
