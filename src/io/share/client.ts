// The share API's client side, shared by the CLI and anything else in Node or the browser:
// upload (streamed, encrypted unless public), metadata, download (decrypted), delete.
import { ContainerError, DEFAULT_CHUNK, containerSize, newKey } from './container.ts';
import { RemoteError, statusError } from './http.ts';
import type { ShareLink } from './link.ts';
import { formatLink, metadataUrl, snapshotUrl } from './link.ts';
import { decryptStream, encryptStream } from './stream.ts';

export interface Created {
  /** The link to hand out: with `#k=` for an encrypted share. */
  url: string;
  id: string;
  ownerToken: string;
  expiresAt: string;
  /** What the server stores (the container's size when encrypted). */
  bytes: number;
  encrypted: boolean;
}

export interface ShareMeta {
  id: string;
  bytes: number;
  encrypted: boolean;
  createdAt: string;
  expiresAt: string;
  name?: string;
}

export interface CreateOptions {
  server: string;
  public?: boolean;
  expiresDays?: number;
  name?: string;
  chunkSize?: number;
}

async function refusal(res: Response, url: string): Promise<Error> {
  const text = await res.text().catch(() => '');
  let said: string;
  try {
    const body = JSON.parse(text) as { error?: string; message?: string };
    said = body.message ?? body.error ?? '';
  } catch {
    said = text.slice(0, 200);
  }
  const why = said ? `: ${said}` : '';
  if (res.status === 413) return new RemoteError(413, `the server refuses a snapshot this large (HTTP 413)${why}; share fewer genes or ask its operator to raise --max-upload`);
  if (res.status === 429) return new RemoteError(429, `the server is limiting how many shares can be created (HTTP 429)${why}; try again later`);
  if (res.status === 400) return new RemoteError(400, `the server refused the snapshot as invalid (HTTP 400)${why}`);
  if (res.status === 401 || res.status === 403) return new RemoteError(res.status, `the owner token does not match this share (HTTP ${res.status}); use the ownerToken printed when the share was created`);
  if (res.status === 404 || res.status === 410) return statusError(url, res.status);
  return new RemoteError(res.status, `${url} answered HTTP ${res.status}${why}`);
}

async function call(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    throw new RemoteError(0, `cannot reach ${url}: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}; check --server and that the server is running`);
  }
}

/**
 * Uploads `size` bytes from `source` (an .h5ad) as a new share. Encrypted (the default), the
 * bytes are encrypted chunk by chunk as they stream out, under a fresh key that only the
 * returned link carries.
 */
export async function createShare(source: AsyncIterable<Uint8Array>, size: number, opts: CreateOptions): Promise<Created> {
  const server = opts.server.replace(/\/+$/, '');
  const key = opts.public ? undefined : newKey();
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  const body = key ? encryptStream(source, size, key, chunkSize) : source;
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(key ? containerSize(size, chunkSize) : size),
  };
  if (opts.expiresDays !== undefined) headers['X-Scweb-Expires'] = String(opts.expiresDays);
  // HTTP header values are Latin-1; a name outside it travels percent-encoded.
  if (opts.name) headers['X-Scweb-Name'] = /^[\x20-\x7e]*$/.test(opts.name) ? opts.name : encodeURIComponent(opts.name);
  const url = `${server}/api/shares`;
  const res = await call(url, { method: 'POST', headers, body: toReadable(body) as BodyInit, duplex: 'half' } as RequestInit);
  if (res.status !== 201) throw await refusal(res, url);
  const made = (await res.json()) as Omit<Created, 'url'> & { url: string };
  return { url: formatLink(made.url, key), id: made.id, ownerToken: made.ownerToken, expiresAt: made.expiresAt, bytes: made.bytes, encrypted: !!key };
}

/** A pull-driven stream: the next chunk is read (and encrypted) only when the upload wants it. */
function toReadable(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

export async function shareMetadata(link: ShareLink): Promise<ShareMeta> {
  const url = metadataUrl(link);
  const res = await call(url);
  if (res.status !== 200) throw await refusal(res, url);
  return (await res.json()) as ShareMeta;
}

/** The share's plaintext as a stream: decrypted and checked chunk by chunk when encrypted. */
export async function downloadShare(link: ShareLink): Promise<{ meta: ShareMeta; bytes: AsyncIterable<Uint8Array> }> {
  const meta = await shareMetadata(link);
  if (meta.encrypted && !link.key) throw new ContainerError('wrong-key', 'this share is encrypted and the link has no key (the part after "#k=" is missing); ask for the whole link');
  const url = snapshotUrl(link);
  const res = await call(url);
  if (res.status !== 200) throw await refusal(res, url);
  const body = res.body as unknown as AsyncIterable<Uint8Array>;
  if (!meta.encrypted) {
    if (link.key) throw new ContainerError('not-container', 'this share is public (not encrypted), but the link carries a key: check that the link points at the share you meant, or drop "#k=…"');
    return { meta, bytes: body };
  }
  return { meta, bytes: decryptStream(body, link.key!) };
}

export async function deleteShare(link: ShareLink, ownerToken: string): Promise<void> {
  const url = metadataUrl(link);
  const res = await call(url, { method: 'DELETE', headers: { Authorization: `Bearer ${ownerToken}` } });
  if (res.status !== 204 && res.status !== 200) throw await refusal(res, url);
}
