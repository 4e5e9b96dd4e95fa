// `scweb serve` under load, on loopback only: a child server on a temp data folder holding a real
// snapshot (the demo .h5ad shared through `scweb share create`, encrypted, as users do), then
// 64 KiB Range reads at 10/50/200 connections, metadata and `/s/<id>`, concurrent uploads,
// garbage bodies and malformed Range headers at load, and kill -9 mid-upload with restarts, every
// share checked byte for byte after each. Every phase is bounded in requests or seconds.
// Prints a table (req/s, latency, errors, statuses, the server's peak RSS).
// Run: make bench-serve, or npx tsx bench/serve-load.ts [--seconds 5] [--restarts 3]
import type { Request } from 'autocannon';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RANGE_FORMS, runPhase, type PhaseResult } from '../test/load-run.ts';
import { rawRequest } from '../test/raw-http.ts';
import { sampler, startServe } from '../test/serve-child.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const SECONDS = Number(flag('--seconds', '5'));
const RESTARTS = Math.min(20, Number(flag('--restarts', '3')));
const CLI = resolve(import.meta.dirname, '../bin/scweb.mjs');
const DEMO = resolve(import.meta.dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad');
const MiB = 1024 ** 2;
/** Below the demo snapshot's 3.3 MB, so a Range the server does not honour meets the cap. */
const RANGE_CAP = '1MiB';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const dir = mkdtempSync(join(tmpdir(), 'scweb-serve-load-'));
const appDir = join(dir, 'app');
mkdirSync(appDir);
writeFileSync(join(appDir, 'index.html'), '<!doctype html><title>scWeb</title><script type="module" src="/assets/index.js"></script>');
const serveArgs = ['--data', join(dir, 'data'), '--app', appDir, '--rate-limit', '0', '--max-range-response', RANGE_CAP];

let server = await startServe(serveArgs);
const rows: PhaseResult[] = [];
/** Every share the server said it created, with the SHA-256 of the bytes sent. */
const known = new Map<string, string>();

try {
  const created = JSON.parse(execFileSync(process.execPath, [CLI, 'share', 'create', DEMO, '--server', server.base], { encoding: 'utf8' })) as { id: string };
  const snapshotPath = `/api/shares/${created.id}/snapshot`;
  const snapshot = Buffer.from(await (await fetch(server.base + snapshotPath)).arrayBuffer());
  known.set(created.id, sha(snapshot));
  const plainBytes = readFileSync(DEMO);
  console.error(`snapshot ${created.id}: ${snapshot.length} bytes (encrypted demo); server RSS at start ${mb(server.rss())} MB`);

  const range64k = {
    method: 'GET',
    path: snapshotPath,
    setupRequest: (req: { headers?: Record<string, string> }) => {
      const at = Math.floor(Math.random() * (snapshot.length - 65_536));
      req.headers = { range: `bytes=${at}-${at + 65_535}` };
      return req;
    },
  };
  for (const c of [10, 50, 200]) rows.push(await runPhase(server, { name: 'Range 64 KiB, random offsets', connections: c, seconds: SECONDS, requests: [range64k] }));
  rows.push(await runPhase(server, { name: 'metadata GET /api/shares/:id', connections: 50, seconds: SECONDS, requests: [{ method: 'GET', path: `/api/shares/${created.id}` }] }));
  rows.push(await runPhase(server, { name: 'viewer GET /s/:id', connections: 50, seconds: SECONDS, requests: [{ method: 'GET', path: `/s/${created.id}` }] }));

  const collect = (bytes: Buffer) => (status: number, body: string) => {
    if (status === 201) known.set((JSON.parse(body) as { id: string }).id, sha(bytes));
  };
  const octets = { 'content-type': 'application/octet-stream' };
  rows.push(await runPhase(server, { name: 'upload encrypted 3.3 MB (60)', connections: 20, amount: 60, requests: [{ method: 'POST', path: '/api/shares', headers: octets, body: snapshot, onResponse: collect(snapshot) }] }));
  rows.push(await runPhase(server, { name: 'upload plain .h5ad 3.3 MB (20, AnnData check)', connections: 4, amount: 20, requests: [{ method: 'POST', path: '/api/shares', headers: octets, body: plainBytes, onResponse: collect(plainBytes) }] }));

  const junk = randomBytes(MiB);
  const garbage: Request[] = [
    { method: 'POST', path: '/api/shares', headers: { 'content-type': 'text/plain' }, body: junk },
    { method: 'POST', path: '/api/shares', headers: { 'content-type': 'application/json' }, body: junk },
    { method: 'POST', path: '/api/shares', headers: octets, body: junk },
    { method: 'POST', path: '/api/shares', headers: { 'content-type': 'application/octet-stream', 'x-scweb-expires': 'never' }, body: junk },
    { method: 'DELETE', path: `/api/shares/${created.id}`, headers: { 'content-type': 'text/plain', authorization: 'Bearer nope' }, body: junk },
  ];
  rows.push(await runPhase(server, { name: 'garbage bodies, 1 MiB each (415/400)', connections: 50, seconds: SECONDS, requests: garbage }));
  rows.push(await runPhase(server, { name: `${RANGE_FORMS.length} Range forms (cap ${RANGE_CAP})`, connections: 50, seconds: SECONDS, requests: RANGE_FORMS.map((range) => ({ method: 'GET', path: snapshotPath, headers: { range } })) }));

  const huge = await hugeBodies();
  const crash = await killDuringUploads(snapshot);
  printTable(rows, snapshot.length);
  console.log(`\nwrong-type bodies that used to end or bloat the process: ${huge}`);
  console.log(`kill -9 during uploads, ${RESTARTS} restarts: ${crash}`);
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** The single requests: 600 MiB of text/plain, then four 256 MiB JSON bodies at once. */
async function hugeBodies(): Promise<string> {
  const rss = sampler(() => server.rss());
  const before = server.rss();
  const one = await rawRequest(server.port, 'POST', '/api/shares', { 'Content-Type': 'text/plain' }, 600 * MiB);
  const four = await Promise.all(Array.from({ length: 4 }, () => rawRequest(server.port, 'POST', '/api/shares', { 'Content-Type': 'application/json' }, 256 * MiB)));
  const peak = rss.stop();
  if (!server.alive()) throw new Error('the server died on a wrong-type body');
  const sent = [one, ...four].map((r) => `${r.status} after ${(r.written / MiB).toFixed(0)} MiB sent`);
  return `${sent.join('; ')}; server RSS ${mb(before)} -> peak ${mb(peak)} MB, alive`;
}

/**
 * Each round: uploads in flight (half their body sent) and whole ones racing them, then SIGKILL,
 * a restart on the same folder, and every share the server ever confirmed read back and compared;
 * nothing half-written may be left or served.
 */
async function killDuringUploads(snapshot: Buffer): Promise<string> {
  let checked = 0;
  let unanswered = 0;
  for (let round = 0; round < RESTARTS; round++) {
    const sockets = Array.from({ length: 8 }, () => halfUpload(server.port, snapshot));
    await Promise.all(sockets.map((s) => s.started));
    const whole = Array.from({ length: 4 }, () =>
      fetch(`${server.base}/api/shares`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(snapshot) })
        .then(async (r) => (r.status === 201 ? known.set(((await r.json()) as { id: string }).id, sha(snapshot)) : undefined))
        .catch(() => undefined),
    );
    await new Promise((r) => setTimeout(r, 30));
    await server.kill9();
    await Promise.all(whole);
    for (const s of sockets) s.socket.destroy();
    server = await startServe(serveArgs);
    const shares = readdirSync(join(dir, 'data', 'shares'));
    const leftovers = shares.filter((n) => n.startsWith('.tmp-') || (n.endsWith('.bin') && !shares.includes(`${n.slice(0, -4)}.json`)));
    if (leftovers.length) throw new Error(`after restart ${round + 1}: ${leftovers.join(', ')} left behind`);
    if (readdirSync(join(dir, 'data', 'staging')).length) throw new Error(`after restart ${round + 1}: staging not emptied`);
    const onDisk = shares.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
    for (const id of known.keys()) if (!onDisk.includes(id)) throw new Error(`share ${id} confirmed but gone after restart ${round + 1}`);
    // Stored but its 201 lost with the process: whole, and the same bytes every upload sent.
    unanswered = onDisk.filter((id) => !known.has(id)).length;
    for (const id of onDisk) {
      const body = Buffer.from(await (await fetch(`${server.base}/api/shares/${id}/snapshot`)).arrayBuffer());
      const want = known.get(id) ?? sha(snapshot);
      if (sha(body) !== want) throw new Error(`share ${id} differs after restart ${round + 1}`);
      checked++;
    }
  }
  return `${known.size} confirmed shares (+${unanswered} stored whose answer died with the process) byte-identical after every restart (${checked} reads), no temp files, staging empty`;
}

/** An upload whose headers and first half are sent and the rest never. */
function halfUpload(port: number, body: Buffer) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const started = new Promise<void>((ok) =>
    socket.once('connect', () => {
      socket.write(`POST /api/shares HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body.subarray(0, body.length >> 1), () => ok());
    }),
  );
  return { socket, started };
}

function mb(bytes: number): string {
  return (bytes / MiB).toFixed(0);
}

function printTable(results: PhaseResult[], snapshotBytes: number): void {
  console.log(`\nscweb serve, loopback, ${SECONDS} s per timed phase; snapshot ${snapshotBytes} bytes; --max-range-response ${RANGE_CAP}\n`);
  console.log('| phase | conns | requests | req/s | p50 ms | p99 ms | errors | non-2xx | statuses | largest response | server peak RSS |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const r of results) {
    const statuses = Object.entries(r.status)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    console.log(`| ${r.name} | ${r.connections} | ${r.requests} | ${r.reqPerSec.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${statuses} | ${(r.maxResponseBytes / 1024).toFixed(0)} KiB | ${mb(r.peakRssBytes)} MB |`);
  }
}
