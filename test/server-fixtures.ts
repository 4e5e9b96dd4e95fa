// What the server tests share: both stores (S3 against a real S3-protocol server, s3rver, started
// here), a controllable clock, and snapshot bodies of every kind.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import h5wasm from 'h5wasm/node';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { buildApp } from '../server/app.ts';
import { DEFAULTS, type ServerOptions } from '../server/options.ts';
import type { ShareStore } from '../server/store.ts';
import { FsStore } from '../server/stores/fs.ts';
import { S3Store } from '../server/stores/s3.ts';

export type StoreKind = 'fs' | 's3';

export const DEMO = join(__dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad');

export function demoBytes(): Buffer {
  return readFileSync(DEMO);
}

/** A container header as the client writes it; the server checks only magic, version and size. */
export function encryptedBytes(size = 4096): Buffer {
  const b = randomBytes(size);
  b.write('SCWEBENC', 0, 'latin1');
  b[8] = 1;
  return b;
}

/** A valid HDF5 file that is not AnnData (no obs, no var). */
export async function plainHdf5(dir: string): Promise<Buffer> {
  await h5wasm.ready;
  const p = join(dir, 'images.h5');
  const f = new h5wasm.File(p, 'w');
  f.create_group('images').create_dataset({ name: 'frame0', data: new Float32Array(64) });
  f.close();
  return readFileSync(p);
}

export class Clock {
  constructor(public t = Date.parse('2030-01-01T00:00:00Z')) {}
  now = () => new Date(this.t);
  advanceDays(d: number) {
    this.t += d * 86_400_000;
  }
}

export interface S3Server {
  endpoint: string;
  close(): Promise<void>;
}

/** s3rver in this process, on a free port, with its own folder: a real S3 HTTP protocol server. */
export async function startS3(): Promise<S3Server> {
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: mkdtempSync(join(tmpdir(), 'scweb-s3rver-')) });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}

let buckets = 0;

export async function makeStore(kind: StoreKind, dir: string, s3?: S3Server, bucket?: string): Promise<ShareStore> {
  if (kind === 'fs') return new FsStore(join(dir, 'shares'));
  if (!s3) throw new Error('the S3 store needs the S3 server');
  const store = new S3Store({ bucket: bucket ?? `scweb-test-${++buckets}`, endpoint: s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS });
  if (!bucket) await store.client.send(new CreateBucketCommand({ Bucket: (store as unknown as { bucket: string }).bucket }));
  return store;
}

export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function s3Client(s3: S3Server): S3Client {
  return new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'scweb-server-'));
}

export async function makeApp(store: ShareStore, dir: string, clock: Clock, over: Partial<ServerOptions> = {}) {
  return buildApp({
    ...DEFAULTS,
    store,
    stagingDir: join(dir, 'staging'),
    appDir: null,
    baseUrl: 'https://scweb.example',
    now: clock.now,
    sweepIntervalMs: 0,
    ...over,
  });
}
