import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPaths } from '../src/io/node.ts';
import { encryptBytes, newKey, WRONG_KEY_MESSAGE } from '../src/io/share/container.ts';
import { lazyBlob, openRemote } from '../src/io/share/remote.ts';
import { nodeSyncRange } from '../src/io/share/node-sync-http.ts';
import { openUrlNode } from '../src/io/share/node-open.ts';
import { seeded } from './share-random.ts';
import type { TestServer } from './share-server.ts';
import { startShareServer } from './share-server.ts';

const DEMO_DIR = resolve(__dirname, '../public/demo');
const DEMO = resolve(DEMO_DIR, 'pbmc68k_reduced_with_counts.h5ad');
let server: TestServer;

beforeAll(async () => {
  server = await startShareServer(['--static', DEMO_DIR]);
});
afterAll(() => server?.stop());

async function upload(body: Uint8Array): Promise<{ id: string }> {
  const res = await fetch(`${server.base}/api/shares`, { method: 'POST', body: body as BodyInit, headers: { 'Content-Type': 'application/octet-stream' } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

describe('remote range reads', () => {
  it('random ranges of an encrypted share equal the plaintext, sync and async, through a small evicting cache', async () => {
    const rand = seeded(7);
    const plain = Uint8Array.from({ length: 300_000 }, () => Math.floor(rand() * 256));
    const key = newKey();
    const { id } = await upload(encryptBytes(plain, key, 1024));
    const url = `${server.base}/api/shares/${id}/snapshot`;
    const remote = await openRemote(url, { key, syncTransport: nodeSyncRange(), blockSize: 4096, cacheBytes: 64 * 1024 });
    expect(remote.encrypted).toBe(true);
    expect(remote.size).toBe(plain.length);
    for (let i = 0; i < 60; i++) {
      const a = Math.floor(rand() * plain.length);
      const len = i % 5 === 0 ? Math.floor(rand() * 40_000) : Math.floor(rand() * 3000);
      const b = Math.min(plain.length, a + len);
      const got = i % 2 ? remote.readSync(a, b) : await remote.read(a, b);
      expect(got, `range ${a}-${b}`).toEqual(plain.subarray(a, b));
    }
    expect(remote.readSync(plain.length - 10, plain.length + 100)).toEqual(plain.subarray(plain.length - 10));
    expect(remote.readSync(5, 5).length).toBe(0);
  });

  it('refuses a wrong key, a missing key and a key for a public file, saying which', async () => {
    const key = newKey();
    const { id } = await upload(encryptBytes(new Uint8Array(5000), key, 1024));
    const url = `${server.base}/api/shares/${id}/snapshot`;
    await expect(openRemote(url, { key: newKey() })).rejects.toThrow(WRONG_KEY_MESSAGE);
    await expect(openRemote(url)).rejects.toThrow(/link has no key/);
    await expect(openRemote(`${server.base}/files/pbmc68k_reduced_with_counts.h5ad`, { key })).rejects.toThrow(/is not encrypted/);
  });

  it('names 404, 410 and servers without Range support', async () => {
    await expect(openRemote(`${server.base}/api/shares/nope/snapshot`)).rejects.toThrow('no such share');
    const { id } = await upload(encryptBytes(new Uint8Array(10), newKey(), 1024));
    await server.expire(id);
    await expect(openRemote(`${server.base}/api/shares/${id}/snapshot`)).rejects.toThrow('the share has expired');
    await expect(openRemote('http://127.0.0.1:9/x.h5ad')).rejects.toThrow(/cannot reach/);
  });
});

describe('opening an .h5ad over HTTP', () => {
  const size = readFileSync(DEMO).length;

  // The demo is small (3.3 MB, 700 cells) and most of what opening it costs is the reader's
  // counts check, which samples up to 200,000 values of each of its three dense matrices; on a
  // file of realistic size that sample is a vanishing fraction (see bench/share.ts).
  async function compareWithLocal(url: string, key?: Uint8Array) {
    const local = await openPaths([DEMO]);
    await server.reset();
    const { dataset, remote } = await openUrlNode(url, { key, name: 'pbmc.h5ad', blockSize: 16 * 1024 });
    try {
      expect(dataset.nObs).toBe(local.nObs);
      expect(dataset.obs.columns.map((c) => c.name)).toEqual(local.obs.columns.map((c) => c.name));
      expect(dataset.obs.columns).toEqual(local.obs.columns);
      const opened = remote.stats.bytes;
      expect(dataset.readEmbedding('X_umap').data).toEqual(local.readEmbedding('X_umap').data);
      const umap = remote.stats.bytes - opened;
      // X_umap is 700 x 2 float32 = 5.6 kB: one or two blocks, not a sweep of the file.
      expect(umap).toBeLessThanOrEqual(3 * 16 * 1024 + 16 * 3);
      const served = (await server.stats()).bytes;
      return { served, fetched: remote.stats.bytes, requests: remote.stats.requests };
    } finally {
      dataset.close();
      local.close();
    }
  }

  it('plain: obs and X_umap cost a fraction of the file', async () => {
    const r = await compareWithLocal(`${server.base}/files/pbmc68k_reduced_with_counts.h5ad`);
    console.log(`plain demo: ${r.fetched} of ${size} bytes in ${r.requests} requests`);
    expect(r.fetched).toBeLessThanOrEqual(r.served);
    expect(r.fetched).toBeLessThan(size * 0.5);
  });

  it('encrypted: the same data, decrypting only the chunks read', async () => {
    const key = newKey();
    const { id } = await upload(encryptBytes(new Uint8Array(readFileSync(DEMO)), key, 16 * 1024));
    const r = await compareWithLocal(`${server.base}/api/shares/${id}/snapshot`, key);
    console.log(`encrypted demo: ${r.fetched} of ${size} bytes in ${r.requests} requests`);
    expect(r.fetched).toBeLessThan(size * 0.5);
  });
});

describe('the worker-facing blob and damage found mid-read', () => {
  it('lazyBlob slices are real Blobs with the plaintext, negative and open ends included', async () => {
    const rand = seeded(11);
    const plain = Uint8Array.from({ length: 20_000 }, () => Math.floor(rand() * 256));
    const key = newKey();
    const { id } = await upload(encryptBytes(plain, key, 1024));
    const remote = await openRemote(`${server.base}/api/shares/${id}/snapshot`, { key, syncTransport: nodeSyncRange(), blockSize: 4096 });
    const blob = lazyBlob(remote, 'x.h5ad');
    expect(blob.size).toBe(plain.length);
    const bytesOf = async (b: Blob) => new Uint8Array(await b.arrayBuffer());
    expect(await bytesOf(blob.slice(100, 5000))).toEqual(plain.subarray(100, 5000));
    expect(await bytesOf(blob.slice(-10))).toEqual(plain.subarray(plain.length - 10));
    expect(await bytesOf(blob.slice(19_990, 30_000))).toEqual(plain.subarray(19_990));
    expect(blob.slice(50, 10).size).toBe(0);
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(plain);
  });

  it('a chunk altered on the server fails the dataset read with the damage named', async () => {
    const key = newKey();
    const sealed = encryptBytes(new Uint8Array(readFileSync(DEMO)), key, 16 * 1024);
    // Damage a chunk well past the header so the open gets that far before reading it.
    const at = Math.floor(sealed.length * 0.6);
    sealed[at] ^= 0xff;
    const { id } = await upload(sealed);
    const opened = openUrlNode(`${server.base}/api/shares/${id}/snapshot`, { key, name: 'bad.h5ad', blockSize: 16 * 1024 });
    const result = await opened.then(
      ({ dataset }) => {
        // The damaged chunk may lie in data the open does not touch; reading everything must find it.
        try {
          for (const m of dataset.matrices) dataset.readRows(m.key, 0, dataset.nObs);
          for (const e of dataset.embeddings) dataset.readEmbedding(e.key);
          return null;
        } catch (err) {
          return err as Error;
        } finally {
          dataset.close();
        }
      },
      (err: Error) => err,
    );
    expect(result).not.toBeNull();
    expect(result!.message).toMatch(/failed its integrity check/);
  });
});
