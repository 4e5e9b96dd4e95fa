// The short version of bench/serve-load.ts: a `scweb serve` child on loopback under a few hundred
// requests of each kind (bounded by count, not time), then kill -9 during uploads and a restart.
// Only what cannot depend on timing is asserted: no 5xx, the process alive, its memory bounded,
// every byte served is the share's own, nothing half-written is kept or served.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Request } from 'autocannon';
import { afterAll, describe, expect, it } from 'vitest';
import { RANGE_FORMS, runPhase } from './load-run.ts';
import { startServe, type ServeChild } from './serve-child.ts';
import { encryptedBytes } from './server-fixtures.ts';

const MiB = 1024 ** 2;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('scweb serve under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scweb-load-'));
  const args = ['--data', dir, '--rate-limit', '0', '--max-range-response', '256KiB'];
  let server: ServeChild | undefined;
  afterAll(() => server?.stop());

  it('answers every request without a 5xx, stays up and small, and serves only whole shares', async () => {
    server = await startServe(args);
    const body = encryptedBytes(MiB);
    const post = (bytes: Uint8Array) => fetch(`${server!.base}/api/shares`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) });
    const first = await post(body);
    expect(first.status).toBe(201);
    const { id } = (await first.json()) as { id: string };
    const known = new Map([[id, sha(body)]]);
    const snapshot = `/api/shares/${id}/snapshot`;
    const before = server.rss();

    // The kinds run at once, each bounded by a count (autocannon ends a run on its one-second
    // tick, so four runs in a row would take four seconds); each tallies its own answers.
    const seen = new Map<string, Map<number, number>>();
    const largest = new Map<string, number>();
    const tally = (kind: string) => (status: number, text: string, _ctx: unknown, headers: Record<string, string>) => {
      const counts = seen.get(kind) ?? new Map<number, number>();
      counts.set(status, (counts.get(status) ?? 0) + 1);
      seen.set(kind, counts);
      largest.set(kind, Math.max(largest.get(kind) ?? 0, Number(headers['content-length'] ?? 0)));
      if (kind === 'upload' && status === 201) known.set(JSON.parse(text).id, sha(body));
    };
    const junk = Buffer.alloc(256 * 1024, 0x7b);
    // The forms that ask for every byte get all of it (tested in server-api.test.ts); the rest
    // must never get more than the cap.
    const forms = RANGE_FORMS.filter((f) => f !== 'bytes=0-99999999999' && f !== 'bytes=-999999999');
    const run = (name: string, connections: number, amount: number, requests: Request[]) =>
      runPhase(server!, { name, connections, amount, requests: requests.map((r) => ({ ...r, onResponse: tally(name) })) });
    const results = await Promise.all([
      run('range', 10, 200, [{ method: 'GET', path: snapshot, headers: { range: 'bytes=65536-131071' } }]),
      run('range form', 10, 10 * forms.length, forms.map((range) => ({ method: 'GET', path: snapshot, headers: { range } }))),
      run('garbage', 10, 60, [
        { method: 'POST', path: '/api/shares', headers: { 'content-type': 'text/plain' }, body: junk },
        { method: 'POST', path: '/api/shares', headers: { 'content-type': 'application/json' }, body: junk },
        { method: 'POST', path: '/api/shares', headers: { 'content-type': 'application/octet-stream' }, body: junk },
      ]),
      run('metadata', 5, 100, [{ method: 'GET', path: `/api/shares/${id}` }]),
      run('upload', 5, 10, [{ method: 'POST', path: '/api/shares', headers: { 'content-type': 'application/octet-stream' }, body }]),
    ]);
    const statuses = (kind: string) => [...(seen.get(kind)?.keys() ?? [])].sort();
    for (const r of results) expect(Object.keys(r.status).filter((s) => s.startsWith('5')), r.name).toEqual([]);
    expect(statuses('range')).toEqual([206]);
    expect(largest.get('range')).toBe(65_536);
    // A Range is never answered with more than it named or the cap (256 KiB of a 1 MiB body).
    expect(statuses('range form')).toEqual([206, 416]);
    expect(largest.get('range form')).toBeLessThanOrEqual(256 * 1024);
    expect(statuses('garbage')).toEqual([400, 415]);
    expect(statuses('metadata')).toEqual([200]);
    expect(statuses('upload')).toEqual([201]);
    expect(server.alive()).toBe(true);
    // The server's own memory: stream buffers per connection, not the bodies offered.
    expect(server.peakRss() - before).toBeLessThan(160 * MiB);

    // kill -9 with uploads half sent: after the restart nothing partial is kept or served.
    const sockets = Array.from({ length: 4 }, () => connect(server!.port, '127.0.0.1'));
    await Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((ok) => {
            s.on('error', () => undefined);
            s.once('connect', () => {
              s.write(`POST /api/shares HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`);
              s.write(body.subarray(0, MiB / 2), () => ok());
            });
          }),
      ),
    );
    await server.kill9();
    sockets.forEach((s) => s.destroy());
    server = await startServe(args);
    const files = readdirSync(join(dir, 'shares'));
    expect(files.filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(files.filter((n) => n.endsWith('.json')).sort()).toEqual([...known.keys()].map((k) => `${k}.json`).sort());
    expect(readdirSync(join(dir, 'staging'))).toEqual([]);
    for (const [share, digest] of known) {
      const res = await fetch(`${server.base}/api/shares/${share}/snapshot`);
      expect(res.status).toBe(200);
      expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(digest);
    }
  });
});
