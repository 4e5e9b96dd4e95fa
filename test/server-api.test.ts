// The share API on both stores: the filesystem and S3 (against s3rver, a real S3-protocol server).
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { ShareStore } from '../server/store.ts';
import { Clock, demoBytes, encryptedBytes, makeApp, makeStore, plainHdf5, s3Client, startS3, tempDir, type S3Server, type StoreKind } from './server-fixtures.ts';

const DEMO = demoBytes();
const OCTETS = { 'content-type': 'application/octet-stream' };

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.close();
});

describe.each<StoreKind>(['fs', 's3'])('share API on the %s store', (kind) => {
  let dir: string;
  let clock: Clock;
  let store: ShareStore;
  let app: FastifyInstance;
  let bucket: string;

  beforeEach(async () => {
    dir = tempDir();
    clock = new Clock();
    store = await makeStore(kind, dir, s3);
    bucket = (store as unknown as { bucket?: string }).bucket ?? '';
    app = await makeApp(store, dir, clock);
  });
  afterEach(async () => {
    await app.close();
  });

  /** Everything the store holds plus what is staged: must be empty after any refused upload. */
  async function stored(): Promise<string[]> {
    const staged = readdirSync(join(dir, 'staging'));
    if (kind === 'fs') return [...(existsSync(join(dir, 'shares')) ? readdirSync(join(dir, 'shares')) : []), ...staged];
    const page = await s3Client(s3).send(new ListObjectsV2Command({ Bucket: bucket }));
    return [...(page.Contents ?? []).map((o) => o.Key!), ...staged];
  }

  async function create(body: Buffer, headers: Record<string, string> = {}, on = app) {
    return on.inject({ method: 'POST', url: '/api/shares', headers: { ...OCTETS, ...headers }, payload: body });
  }

  it('creates a plain share and answers its metadata and bytes', async () => {
    const res = await create(DEMO, { 'x-scweb-name': '<img src=x onerror=alert(1)> pbmc.h5ad' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      url: `https://scweb.example/s/${body.id}`,
      ownerToken: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      expiresAt: '2030-04-01T00:00:00.000Z',
      bytes: DEMO.length,
      encrypted: false,
    });
    expect(body.ownerToken).not.toBe(body.id);
    const meta = await app.inject(`/api/shares/${body.id}`);
    expect(meta.statusCode).toBe(200);
    expect(meta.headers['content-type']).toMatch(/^application\/json/);
    expect(meta.json()).toEqual({
      id: body.id,
      bytes: DEMO.length,
      encrypted: false,
      createdAt: '2030-01-01T00:00:00.000Z',
      expiresAt: '2030-04-01T00:00:00.000Z',
      name: '<img src=x onerror=alert(1)> pbmc.h5ad',
    });
    expect(meta.headers['access-control-allow-origin']).toBeUndefined();
    const snap = await app.inject(`/api/shares/${body.id}/snapshot`);
    expect(snap.statusCode).toBe(200);
    expect(Buffer.compare(snap.rawPayload, DEMO)).toBe(0);
    expect(snap.headers['content-length']).toBe(String(DEMO.length));
    // The owner token is kept only hashed.
    if (kind === 'fs') {
      const files = readdirSync(join(dir, 'shares'));
      expect(files.sort()).toEqual([`${body.id}.bin`, `${body.id}.json`]);
    }
    expect(JSON.stringify(await store.head(body.id))).not.toContain(body.ownerToken);
  });

  it('creates an encrypted share with the expiry asked for', async () => {
    const bytes = encryptedBytes(100_000);
    const res = await create(bytes, { 'x-scweb-expires': '7' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ encrypted: true, bytes: 100_000, expiresAt: '2030-01-08T00:00:00.000Z' });
    const snap = await app.inject(`/api/shares/${res.json().id}/snapshot`);
    expect(Buffer.compare(snap.rawPayload, bytes)).toBe(0);
  });

  it('serves ranges, HEAD, ETag revalidation and CORS on the snapshot', async () => {
    const bytes = encryptedBytes(10_000);
    const { id } = (await create(bytes)).json();
    const url = `/api/shares/${id}/snapshot`;
    const part = await app.inject({ url, headers: { range: 'bytes=100-1099' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe('bytes 100-1099/10000');
    expect(part.headers['content-length']).toBe('1000');
    expect(Buffer.compare(part.rawPayload, bytes.subarray(100, 1100))).toBe(0);
    const tail = await app.inject({ url, headers: { range: 'bytes=-10' } });
    expect(tail.statusCode).toBe(206);
    expect(Buffer.compare(tail.rawPayload, bytes.subarray(9990))).toBe(0);
    const open = await app.inject({ url, headers: { range: 'bytes=9000-' } });
    expect(open.headers['content-range']).toBe('bytes 9000-9999/10000');
    expect(open.rawPayload.length).toBe(1000);
    const past = await app.inject({ url, headers: { range: 'bytes=10000-10010' } });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */10000');
    expect(past.json().error).toMatch(/outside the snapshot's 10000 bytes/);

    const full = await app.inject({ url });
    const etag = full.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(full.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(full.headers['content-type']).toBe('application/octet-stream');
    expect(full.headers['access-control-allow-origin']).toBe('*');
    expect(full.headers['access-control-expose-headers']).toBe('Content-Range, Content-Length, ETag, Accept-Ranges');
    expect((await app.inject({ url, headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    // A stale If-Range means the client's copy changed: the whole body, not a range of the new one.
    expect((await app.inject({ url, headers: { range: 'bytes=0-9', 'if-range': '"other"' } })).statusCode).toBe(200);

    const head = await app.inject({ method: 'HEAD', url, headers: { range: 'bytes=0-99' } });
    expect(head.statusCode).toBe(206);
    expect(head.headers['content-length']).toBe('100');
    expect(head.headers.etag).toBe(etag);
    expect(head.rawPayload.length).toBe(0);
    const preflight = await app.inject({ method: 'OPTIONS', url, headers: { origin: 'https://elsewhere.example', 'access-control-request-headers': 'range' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('Range');
  });

  it('deletes only with the owner token', async () => {
    const { id, ownerToken } = (await create(encryptedBytes())).json();
    const url = `/api/shares/${id}`;
    const none = await app.inject({ method: 'DELETE', url });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatch(/owner token/);
    const wrong = await app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${id}` } });
    expect(wrong.statusCode).toBe(403);
    expect((await app.inject(url)).statusCode).toBe(200);
    const right = await app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${ownerToken}` } });
    expect(right.statusCode).toBe(204);
    expect((await app.inject(url)).statusCode).toBe(404);
    expect((await app.inject(`${url}/snapshot`)).statusCode).toBe(404);
    expect(await stored()).toEqual([]);
  });

  it('answers 410 for an expired share and sweeps it, on access and on the timer', async () => {
    const a = (await create(encryptedBytes(), { 'x-scweb-expires': '1' })).json();
    const b = (await create(encryptedBytes(), { 'x-scweb-expires': '1' })).json();
    const c = (await create(encryptedBytes())).json();
    clock.advanceDays(1);
    const gone = await app.inject(`/api/shares/${a.id}/snapshot`);
    expect(gone.statusCode).toBe(410);
    expect(gone.json().error).toBe('this share expired on 2030-01-02T00:00:00.000Z');
    expect(await store.head(a.id)).toBeNull();
    expect(await store.head(b.id)).not.toBeNull();
    expect(await store.sweep(clock.now())).toBe(1);
    expect(await store.head(b.id)).toBeNull();
    expect((await app.inject(`/api/shares/${c.id}`)).statusCode).toBe(200);
    expect((await create(encryptedBytes(), { 'x-scweb-expires': '91' })).statusCode).toBe(400);
    expect((await create(encryptedBytes(), { 'x-scweb-expires': '1.5' })).statusCode).toBe(400);
  });

  it('refuses uploads over the size limit, declared or streamed, and stores nothing', async () => {
    const small = await makeApp(store, dir, clock, { maxUploadBytes: 1_000_000 });
    try {
      const declared = await create(DEMO, {}, small);
      expect(declared.statusCode).toBe(413);
      expect(declared.json().error).toMatch(/larger than this server's limit of 1000000 bytes/);
      // No Content-Length: the limit is found mid-stream.
      const streamed = await small.inject({ method: 'POST', url: '/api/shares', headers: OCTETS, payload: Readable.from(chunks(encryptedBytes(3_000_000), 65_536)) });
      expect(streamed.statusCode).toBe(413);
      expect(await stored()).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('refuses what is not a snapshot and stores nothing', async () => {
    const cases: [Buffer, RegExp][] = [
      [await plainHdf5(dir), /not an AnnData file: the HDF5 file has no obs or var/],
      [Buffer.from('<html><script>alert(1)</script></html>'), /neither an HDF5 file/],
      [Buffer.concat([Buffer.from('SCWEBENC'), Buffer.from([2]), Buffer.alloc(100)]), /unsupported encrypted snapshot version 2/],
      [encryptedBytes(63), /at least 64 bytes; this one is 63/],
      [DEMO.subarray(0, 200_000), /not an AnnData file/],
    ];
    for (const [body, message] of cases) {
      const res = await create(body);
      expect(res.statusCode, message.source).toBe(400);
      expect(res.json().error).toMatch(message);
    }
    expect((await create(Buffer.alloc(0))).json().error).toMatch(/empty/);
    const json = await app.inject({ method: 'POST', url: '/api/shares', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(json.statusCode).toBe(415);
    expect((await create(encryptedBytes(), { 'x-scweb-name': 'x'.repeat(201) })).statusCode).toBe(400);
    expect(await stored()).toEqual([]);
  });

  it('limits share creation per address, counting only the shares created', async () => {
    const limited = await makeApp(store, dir, clock, { rateLimitMax: 2 });
    try {
      // Refusals of every kind leave the quota alone.
      const refused = [
        await create(Buffer.from('not a snapshot'), {}, limited),
        await create(encryptedBytes(), { 'x-scweb-expires': 'never' }, limited),
        await create(encryptedBytes(), { 'x-scweb-name': 'x'.repeat(201) }, limited),
        await limited.inject({ method: 'POST', url: '/api/shares', headers: { 'content-type': 'text/plain' }, payload: 'hello' }),
        await limited.inject({ method: 'POST', url: '/api/shares', headers: { ...OCTETS, 'content-length': String(3 * 1024 ** 3) }, payload: encryptedBytes() }),
      ];
      expect(refused.map((r) => r.statusCode)).toEqual([400, 400, 400, 415, 413]);
      for (let i = 0; i < 2; i++) expect((await create(encryptedBytes(), {}, limited)).statusCode).toBe(201);
      const third = await create(encryptedBytes(), {}, limited);
      expect(third.statusCode).toBe(429);
      expect(third.json().error).toMatch(/too many shares created from this address: at most 2 in 1 h; try again in 3600 s/);
      expect(third.headers['retry-after']).toBe('3600');
      // Reading is not limited.
      expect((await limited.inject('/api/shares/AAAAAAAAAAAAAAAAAAAAAA')).statusCode).toBe(404);
      // The window ends an hour after it began.
      clock.t += 3_600_000;
      expect((await create(encryptedBytes(), {}, limited)).statusCode).toBe(201);
    } finally {
      await limited.close();
    }
  });

  it('takes the rate window from the options, and 0 shares means no limit', async () => {
    const short = await makeApp(store, dir, clock, { rateLimitMax: 1, rateLimitWindowMs: 600_000 });
    const unlimited = await makeApp(store, dir, clock, { rateLimitMax: 0 });
    try {
      expect((await create(encryptedBytes(), {}, short)).statusCode).toBe(201);
      const over = await create(encryptedBytes(), {}, short);
      expect(over.statusCode).toBe(429);
      expect(over.json().error).toMatch(/at most 1 in 10 min; try again in 600 s/);
      clock.t += 599_000;
      expect((await create(encryptedBytes(), {}, short)).statusCode).toBe(429);
      clock.t += 1_000;
      expect((await create(encryptedBytes(), {}, short)).statusCode).toBe(201);
      for (let i = 0; i < 5; i++) expect((await create(encryptedBytes(), {}, unlimited)).statusCode).toBe(201);
    } finally {
      await short.close();
      await unlimited.close();
    }
  });

  it('answers every form of Range by RFC 9110 and never amplifies one it does not honour', async () => {
    const bytes = encryptedBytes(10_000);
    const { id } = (await create(bytes)).json();
    const url = `/api/shares/${id}/snapshot`;
    // A cap below the snapshot's size: an ignored Range would otherwise be the whole body.
    const capped = await makeApp(store, dir, clock, { maxRangeResponseBytes: 4096 });
    const many = (spec: string) => `bytes=${Array.from({ length: Math.ceil(10_000 / (spec.length + 1)) }, () => spec).join(',')}`;
    // [Range, status, the bytes served (206) or null]
    const cases: [string, number, [number, number] | null][] = [
      ['bytes=abc', 416, null],
      ['bytes=5-1', 416, null],
      ['bytes=0-10,20-30', 206, [0, 10]],
      ['items=0-1', 416, null],
      ['bytes=', 416, null],
      ['bytes=-0', 416, null],
      ['bytes=-', 416, null],
      ['bytes= 0-1', 206, [0, 1]],
      ['bytes=0-1,', 206, [0, 1]],
      ['bytes=999999999-', 416, null],
      ['bytes=0-99999999999', 206, [0, 9999]],
      ['bytes=-999999999', 206, [0, 9999]],
      ['bytes=0-0', 206, [0, 0]],
      ['bytes=1-2, 3-4', 206, [1, 2]],
      ['bytes=20000-30000, 9990-', 206, [9990, 9999]],
      [many('0-0'), 206, [0, 0]],
      [many('99999-'), 416, null],
      [`bytes=${'x'.repeat(10_000)}`, 416, null],
    ];
    try {
      for (const [range, status, served] of cases) {
        for (const method of ['GET', 'HEAD'] as const) {
          const res = await capped.inject({ method, url, headers: { range } });
          const what = `${method} ${range.slice(0, 40)}`;
          expect(res.statusCode, what).toBe(status);
          expect(res.headers['accept-ranges']).toBe('bytes');
          if (served) {
            const [a, b] = served;
            expect(res.headers['content-range'], what).toBe(`bytes ${a}-${b}/10000`);
            expect(res.headers['content-length'], what).toBe(String(b - a + 1));
            if (method === 'GET') expect(Buffer.compare(res.rawPayload, bytes.subarray(a, b + 1)), what).toBe(0);
          } else {
            expect(res.headers['content-range'], what).toBe('bytes */10000');
            expect(res.headers['content-type'], what).toMatch(/^application\/json/);
            if (method === 'GET') expect(res.rawPayload.length, what).toBeLessThan(400);
          }
          // (inject hands back an error's JSON even for HEAD; Node sends no body for HEAD on the wire)
          if (method === 'HEAD' && served) expect(res.rawPayload.length, what).toBe(0);
        }
      }
      expect((await capped.inject({ url, headers: { range: 'bytes=abc' } })).json().error).toMatch(/not a byte range this server reads/);
      expect((await capped.inject({ url, headers: { range: 'bytes=-0' } })).json().error).toMatch(/outside the snapshot's 10000 bytes/);
      // Without a Range header the whole body, whatever the cap: the app downloads whole snapshots.
      const whole = await capped.inject({ url });
      expect(whole.statusCode).toBe(200);
      expect(Buffer.compare(whole.rawPayload, bytes)).toBe(0);
      // Within the cap, a Range we do not read is ignored (RFC 9110 §14.2): the whole body, 200.
      for (const range of ['bytes=abc', 'bytes=5-1', 'items=0-1', 'bytes=']) {
        const res = await app.inject({ url, headers: { range } });
        expect(res.statusCode, range).toBe(200);
        expect(res.headers['content-range']).toBeUndefined();
        expect(Buffer.compare(res.rawPayload, bytes)).toBe(0);
      }
    } finally {
      await capped.close();
    }
  });

  it('never lets an id reach outside the store', async () => {
    // A well-formed metadata record just outside the shares folder: a traversal would serve it.
    if (kind === 'fs') writeFileSync(join(dir, 'AAAAAAAAAAAAAAAAAAAAAA.json'), '{}');
    const attempts = [
      '/api/shares/..%2FAAAAAAAAAAAAAAAAAAAAAA',
      '/api/shares/..%2F..%2F..%2Fetc%2Fpasswd/snapshot',
      '/api/shares/%2e%2e%2fAAAAAAAAAAAAAAAAAAAA/snapshot',
      '/api/shares/../../etc/passwd',
      '/api/shares/AAAAAAAAAAAAAAAAAAAA%00A/snapshot',
      '/api/shares/AAAAAAAAAAAAAAAAAAAAA./snapshot',
      '/api/shares/%5C..%5CAAAAAAAAAAAAAAAAAAA',
    ];
    for (const url of attempts) {
      for (const method of ['GET', 'DELETE'] as const) {
        const res = await app.inject({ method, url, headers: { authorization: 'Bearer x' } });
        expect([400, 404], `${method} ${url}`).toContain(res.statusCode);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
      }
    }
    await expect(store.head('../AAAAAAAAAAAAAAAAAAAA')).rejects.toThrow(/not a share id/);
    // No listing.
    expect((await app.inject('/api/shares')).statusCode).toBe(404);
    expect([400, 404]).toContain((await app.inject('/api/shares/')).statusCode);
  });

  it('survives a restart, and what a killed upload left is neither served nor kept', async () => {
    const { id } = (await create(DEMO)).json();
    const half = 'BBBBBBBBBBBBBBBBBBBBBB';
    // Bytes in place but no metadata: the process died between the two writes.
    if (kind === 'fs') {
      writeFileSync(join(dir, 'shares', `${half}.bin`), DEMO.subarray(0, 1000));
      writeFileSync(join(dir, 'shares', '.tmp-killed'), DEMO.subarray(0, 5000));
    } else {
      await s3Client(s3).send(new PutObjectCommand({ Bucket: bucket, Key: `shares/${half}.bin`, Body: DEMO.subarray(0, 1000) }));
    }
    writeFileSync(join(dir, 'staging', `${half}.h5ad`), DEMO.subarray(0, 5000));
    expect((await app.inject(`/api/shares/${half}`)).statusCode).toBe(404);
    expect((await app.inject(`/api/shares/${half}/snapshot`)).statusCode).toBe(404);
    await app.close();

    app = await makeApp(await makeStore(kind, dir, s3, bucket || undefined), dir, clock);
    const snap = await app.inject(`/api/shares/${id}/snapshot`);
    expect(snap.statusCode).toBe(200);
    expect(Buffer.compare(snap.rawPayload, DEMO)).toBe(0);
    // The filesystem store cleans at startup; in a bucket shared by several instances an upload may
    // be in flight, so orphans go in the sweep once they are a day old (the clock is years ahead).
    if (kind === 's3') await store.sweep(clock.now());
    expect((await stored()).sort()).toEqual(kind === 'fs' ? [`${id}.bin`, `${id}.json`] : [`shares/${id}.bin`, `shares/${id}.json`]);
  });

  it('stores nothing from an upload whose client disconnects mid-way', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    for (const body of [DEMO, encryptedBytes(3_000_000)]) {
      const socket = connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(`POST /api/shares HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body.subarray(0, 1_000_000));
      await new Promise((r) => setTimeout(r, 150));
      socket.destroy();
    }
    for (let i = 0; i < 50 && (await stored()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await stored()).toEqual([]);
  });
});

function* chunks(b: Buffer, size: number) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
