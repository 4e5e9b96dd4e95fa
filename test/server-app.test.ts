// The app side of `scweb serve`: dist/ with `/s/:id` as the viewer's entry, the security headers on
// every response, CORS nowhere but the snapshot, errors as JSON; and the option parsers.
import type { FastifyInstance } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSize } from '../server/options.ts';
import { parseDuration } from '../server/creation-limit.ts';
import { answerRange } from '../server/range.ts';
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
    // Not a share id (cut short, or a path): 404 with the app, which says so; never another file.
    for (const bad of ['/s/..%2F..%2Fpackage.json', '/s/doesnotexist123']) {
      const res = await app.inject(bad);
      expect([res.statusCode, res.body]).toEqual([404, INDEX]);
    }
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

  it('answers Range headers by RFC 9110, ignoring the invalid up to the cap and refusing them past it', () => {
    const r = (start: number, end: number) => ({ kind: 'range', range: { start, end } });
    const size = 10;
    const cases: [string | undefined, unknown][] = [
      [undefined, { kind: 'full' }],
      ['bytes=0-0', r(0, 0)],
      ['bytes=5-100', r(5, 9)],
      ['bytes=0-99999999999999999999999', r(0, 9)],
      ['bytes=-3', r(7, 9)],
      ['bytes=-30', r(0, 9)],
      ['bytes=10-', { kind: 'unsatisfiable' }],
      ['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
      ['bytes=-0', { kind: 'unsatisfiable' }],
      ['bytes=10-20,-0', { kind: 'unsatisfiable' }],
      // Several ranges: the first satisfiable one.
      ['bytes=0-1,4-5', r(0, 1)],
      ['bytes=20-30, 3-4', r(3, 4)],
      // Whitespace and empty list elements (RFC 9110 §5.6.1), the unit in any case.
      ['bytes= 0-1', r(0, 1)],
      ['bytes=0-1,', r(0, 1)],
      ['bytes=,,2-3', r(2, 3)],
      ['Bytes=2-3', r(2, 3)],
      [`bytes=${'0-0,'.repeat(2500)}`, r(0, 0)],
    ];
    for (const [h, want] of cases) expect(answerRange(h, size, 4), String(h)).toEqual(want);
    // Not a byte range we read: ignored (the whole body) when the body is within the cap...
    const invalid = ['bytes=5-2', 'items=0-1', 'bytes=', 'bytes=-', 'bytes=a-b', 'bytes=abc', 'bytes=,', 'bytes=0-1-2', 'bytes=1.5-2', 'bytes=0x10-', `bytes=${'a'.repeat(10_000)}`];
    for (const h of invalid) expect(answerRange(h, size, 10), h).toEqual({ kind: 'full' });
    // ...and refused (416) past it, never turned into the whole body.
    for (const h of invalid) expect(answerRange(h, size, 9).kind, h).toBe('refused');
    // Digits compared exactly, not as rounded floats.
    expect(answerRange('bytes=100000000000000000001-100000000000000000000', 10, 100).kind).toBe('full');
    expect(answerRange('bytes=0-1', 0, 100)).toEqual({ kind: 'unsatisfiable' });
    expect(answerRange('bytes=-5', 0, 100)).toEqual({ kind: 'unsatisfiable' });
  });

  it('reads rate-limit windows', () => {
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('3600')).toBe(3_600_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    for (const bad of ['', '0', '0s', '-1h', 'an hour', '1 week', '1y']) expect(parseDuration(bad), bad).toBeNull();
  });
});
