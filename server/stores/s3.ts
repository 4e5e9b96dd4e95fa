// Shares in an S3-compatible bucket (AWS S3, MinIO, R2): `<prefix><id>.bin` and `<id>.json`, so any
// number of stateless instances serve the same shares. A multipart upload is invisible until it
// completes and is aborted on failure; the metadata object is written after it, so bytes without
// metadata are an upload that never finished and are not served.
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { isShareId } from '../ids.ts';
import type { ByteRange, ShareMeta, ShareStore } from '../store.ts';
import { isExpired } from '../store.ts';
import { parseMeta } from './meta.ts';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix, e.g. "shares/". */
  prefix?: string;
  endpoint?: string;
  region?: string;
  /** Path-style URLs (bucket in the path): what MinIO and most self-hosted servers need. */
  forcePathStyle?: boolean;
  credentials?: S3ClientConfig['credentials'];
}

/** How long bytes may sit without metadata before a sweep takes them for an abandoned upload. */
const ORPHAN_AGE_MS = 24 * 3600 * 1000;

export class S3Store implements ShareStore {
  readonly client: S3Client;
  private bucket: string;
  private prefix: string;

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? 'shares/';
    this.client = new S3Client({
      endpoint: opts.endpoint,
      region: opts.region ?? 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? !!opts.endpoint,
      credentials: opts.credentials,
      // Checksums only where S3 requires them: streamed bodies otherwise go out as aws-chunked
      // encoding with trailers, which several S3-compatible servers do not understand.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  describe(): string {
    return `S3 bucket ${this.bucket}/${this.prefix}`;
  }

  private key(id: string, ext: 'bin' | 'json'): string {
    if (!isShareId(id)) throw new Error(`not a share id: ${JSON.stringify(id)}`);
    return `${this.prefix}${id}.${ext}`;
  }

  async put(id: string, data: Readable, meta: () => ShareMeta): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.key(id, 'bin'), Body: data, ContentType: 'application/octet-stream' },
      // 8 MiB parts, two in flight: bounded memory whatever the share's size.
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    // A failing source stream does not always reach lib-storage; aborting makes sure it stops.
    const failed = new Promise<never>((_, reject) => data.once('error', reject));
    try {
      await Promise.race([upload.done(), failed]);
    } catch (err) {
      await upload.abort().catch(() => undefined);
      await this.deleteKeys([this.key(id, 'bin')]).catch(() => undefined);
      throw err;
    }
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.key(id, 'json'), Body: JSON.stringify(meta()), ContentType: 'application/json' }),
    );
  }

  async head(id: string): Promise<ShareMeta | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(id, 'json') }));
      return parseMeta(await res.Body!.transformToString('utf8'), id);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async get(id: string, range?: ByteRange): Promise<Readable> {
    const res = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.key(id, 'bin'),
        Range: range ? `bytes=${range.start}-${range.end}` : undefined,
      }),
    );
    return res.Body as Readable;
  }

  async delete(id: string): Promise<void> {
    // Metadata first: from then on the share is not served, whatever happens to the bytes.
    await this.deleteKeys([this.key(id, 'json')]);
    await this.deleteKeys([this.key(id, 'bin')]);
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
  }

  async sweep(now: Date): Promise<number> {
    let removed = 0;
    const metas = new Set<string>();
    const bins = new Map<string, Date | undefined>();
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const name = o.Key!.slice(this.prefix.length);
        const id = name.replace(/\.(bin|json)$/, '');
        if (!isShareId(id)) continue;
        if (name.endsWith('.json')) metas.add(id);
        else if (name.endsWith('.bin')) bins.set(id, o.LastModified);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (const id of metas) {
      const meta = await this.head(id).catch(() => null);
      if (meta && isExpired(meta, now)) {
        await this.delete(id);
        removed++;
      }
    }
    // Another instance may be between its data and metadata writes: only old orphans go.
    const orphans = [...bins].filter(([id, at]) => !metas.has(id) && at && now.getTime() - at.getTime() > ORPHAN_AGE_MS);
    for (const [id] of orphans) await this.deleteKeys([this.key(id, 'bin')]);
    return removed;
  }

  async recover(): Promise<void> {
    // Nothing local to clean: an interrupted multipart upload is invisible and its parts are
    // removed by the bucket's AbortIncompleteMultipartUpload lifecycle rule (see server/README.md).
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

