// The app side of `scweb serve`: dist/ with `/s/:id` as the viewer's entry, the security headers on
// every response, CORS nowhere but the snapshot, errors as JSON; and the option parsers.
import type { FastifyInstance } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSize } from '../server/options.ts';
import { parseRange } from '../server/range.ts';
import { FsStore } from '../server/stores/fs.ts';
import { Clock, encryptedBytes, makeApp, tempDir } from './server-fixtures.ts';

const INDEX = '<!doctype html><script type="module" src="/assets/index-abc.js"></script>';

describe('scweb serve: the app and its headers', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const dir = tempDir();
    const dist = join(dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'index-abc.js'), 'export {};');
    writeFileSync(join(dist, 'assets', 'data.worker-CrVn-lvF.js'), 'export {};');
    app = await makeApp(new FsStore(join(dir, 'shares')), dir, new Clock(), { appDir: dist });
  });
  afterAll(() => app.close());

  it('serves the viewer entry for share links and the hashed assets as immutable', async () => {
    const view = await app.inject('/s/AAAAAAAAAAAAAAAAAAAAAA');
    expect(view.statusCode).toBe(200);
    expect(view.body).toBe(INDEX);
    expect(view.headers['content-type']).toMatch(/^text\/html/);
    expect(view.headers['cache-control']).toBe('no-cache');
    expect((await app.inject('/')).body).toBe(INDEX);
    const asset = await app.inject('/assets/index-abc.js');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject('/s/..%2F..%2Fpackage.json')).statusCode).toBe(404);
    expect((await app.inject('/assets/..%2F..%2Fpackage.json')).statusCode).toBe(404);
  });

  it('sends the security headers everywhere and allows eval only to the data worker', async () => {
    for (const url of ['/', '/s/AAAAAAAAAAAAAAAAAAAAAA', '/assets/index-abc.js', '/api/shares/AAAAAAAAAAAAAAAAAAAAAA', '/nowhere']) {
      const res = await app.inject(url);
      const csp = res.headers['content-security-policy'] as string;
      expect(csp, url).toContain("script-src 'self' 'wasm-unsafe-eval';");
      expect(csp).not.toContain("'unsafe-inline'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['access-control-allow-origin'], url).toBeUndefined();
      // Cross-origin isolated (shared memory for the analysis workers); credentialless still lets
      // the page read cross-origin .h5ad URLs served with CORS and no CORP.
      expect(res.headers['cross-origin-embedder-policy']).toBe('credentialless');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    }
    const worker = await app.inject('/assets/data.worker-CrVn-lvF.js');
    expect(worker.headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval' blob:;");
    const poolWorker = await app.inject('/assets/pool.worker-Caz_l5P3.js');
    expect(poolWorker.headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval';");
    const other = await app.inject('/assets/index-Caz_l5P3.js');
    expect(other.headers['content-security-policy']).not.toContain("'unsafe-eval'");
    const created = await app.inject({ method: 'POST', url: '/api/shares', headers: { 'content-type': 'application/octet-stream', origin: 'https://evil.example' }, payload: encryptedBytes() });
    expect(created.statusCode).toBe(201);
    expect(created.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await app.inject({ method: 'OPTIONS', url: '/api/shares', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers unknown paths with JSON naming the path, as text', async () => {
    const res = await app.inject('/nowhere/<b>x</b>');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().error).toMatch(/^nothing at GET \/nowhere\//);
  });
});

describe('option and header parsers', () => {
  it('reads sizes in binary units', () => {
    expect(parseSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseSize('500M')).toBe(500 * 1024 ** 2);
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('1.5k')).toBe(1536);
    for (const bad of ['', '0', '-1', 'lots', '2 GB of data']) expect(parseSize(bad), bad).toBeNull();
  });

  it('reads one byte range and refuses the unsatisfiable', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=5-100', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 10)).toBe('unsatisfiable');
    // Malformed, reversed or several ranges: the whole body, as RFC 9110 allows.
    for (const h of [undefined, 'bytes=5-2', 'bytes=0-1,4-5', 'items=0-1', 'bytes=-', 'bytes=a-b']) expect(parseRange(h, 10), String(h)).toBeNull();
  });
});
