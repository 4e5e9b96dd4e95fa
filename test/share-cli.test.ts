import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.ts';
import { parseExpiry } from '../src/cli/share.ts';
import { WRONG_KEY_MESSAGE, containerSize, isContainer } from '../src/io/share/container.ts';
import { toBase64Url } from '../src/io/share/link.ts';
import type { TestServer } from './share-server.ts';
import { startShareServer } from './share-server.ts';

const DEMO = resolve(__dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad');
const plain = readFileSync(DEMO);
const dir = mkdtempSync(join(tmpdir(), 'scweb-share-'));
let server: TestServer;

beforeAll(async () => {
  server = await startShareServer();
});
afterAll(() => server?.stop());

/** Runs the CLI in-process; returns its exit code and what it printed. */
async function scweb(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

interface Made {
  url: string;
  id: string;
  ownerToken: string;
  expiresAt: string;
  bytes: number;
}

async function create(...extra: string[]): Promise<Made> {
  const r = await scweb('share', 'create', DEMO, '--server', server.base, ...extra);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as Made;
}

describe('scweb share', () => {
  it('create → get → delete, encrypted: the server holds only ciphertext, the download is the file', async () => {
    const made = await create('--expires', '30d', '--name', 'pbmc demo');
    expect(made.url).toMatch(new RegExp(`^${server.base}/s/${made.id}#k=[A-Za-z0-9_-]{43}$`));
    expect(made.bytes).toBe(containerSize(plain.length));
    const days = (Date.parse(made.expiresAt) - Date.now()) / 86400e3;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);

    const stored = new Uint8Array(await (await fetch(`${server.base}/api/shares/${made.id}/snapshot`)).arrayBuffer());
    expect(stored.length).toBe(made.bytes);
    expect(isContainer(stored)).toBe(true);
    // No 32-byte run of the plaintext survives in what the server stores.
    const storedText = Buffer.from(stored).toString('latin1');
    for (const at of [0, 4096, 100_000, 1_000_000, plain.length - 40]) expect(storedText.includes(plain.subarray(at, at + 32).toString('latin1'))).toBe(false);
    const meta = (await (await fetch(`${server.base}/api/shares/${made.id}`)).json()) as { name: string; encrypted: boolean };
    expect(meta).toMatchObject({ name: 'pbmc demo', encrypted: true });

    const out = join(dir, 'copy.h5ad');
    const got = await scweb('share', 'get', made.url, '--out', out);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.out)).toMatchObject({ bytes: plain.length, encrypted: true });
    expect(readFileSync(out).equals(plain)).toBe(true);

    const wrongToken = await scweb('share', 'delete', made.url, '--token', 'not-the-token');
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.err).toMatch(/owner token does not match/);
    const del = await scweb('share', 'delete', made.url, '--token', made.ownerToken);
    expect(del.code).toBe(0);
    const gone = await scweb('share', 'get', made.url, '--out', join(dir, 'gone.h5ad'));
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/no such share/);
    expect(existsSync(join(dir, 'gone.h5ad'))).toBe(false);
  });

  it('a wrong or missing key fails clearly and leaves no file', async () => {
    const made = await create();
    const out = join(dir, 'wrong.h5ad');
    const wrong = await scweb('share', 'get', made.url.replace(/#k=.*/, `#k=${toBase64Url(new Uint8Array(32))}`), '--out', out);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(WRONG_KEY_MESSAGE);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.part`)).toBe(false);
    const missing = await scweb('share', 'get', made.url.replace(/#k=.*/, ''), '--out', out);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/link has no key/);
    const cut = await scweb('share', 'get', made.url.slice(0, -5), '--out', out);
    expect(cut.err).toMatch(/cut short or altered/);
  });

  it('public shares carry no key and download as stored', async () => {
    const made = await create('--public');
    expect(made.url).toBe(`${server.base}/s/${made.id}`);
    expect(made.bytes).toBe(plain.length);
    const out = join(dir, 'public.h5ad');
    expect((await scweb('share', 'get', made.url, '--out', out)).code).toBe(0);
    expect(readFileSync(out).equals(plain)).toBe(true);
  });

  it('an expired share says so', async () => {
    const made = await create();
    await server.expire(made.id);
    const r = await scweb('share', 'get', made.url, '--out', join(dir, 'expired.h5ad'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the share has expired/);
  });

  it('refuses what is not an .h5ad before uploading, and bad usage', async () => {
    const txt = join(dir, 'notes.txt');
    writeFileSync(txt, 'hello');
    const before = (await server.stats()).requests;
    const r = await scweb('share', 'create', txt, '--server', server.base);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not an HDF5 file/);
    expect((await server.stats()).requests).toBe(before + 1); // only the stats call itself
    expect((await scweb('share', 'create', DEMO)).err).toMatch(/needs --server/);
    expect((await scweb('share', 'get', 'http://h/s/x')).err).toMatch(/needs --out/);
    expect((await scweb('share', 'create', DEMO, '--server', 'http://127.0.0.1:9')).err).toMatch(/cannot reach/);
    expect(parseExpiry('30d')).toBe(30);
    expect(parseExpiry('2w')).toBe(14);
    expect(() => parseExpiry('0d')).toThrow(/number of days/);
  });
});
