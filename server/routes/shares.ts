// The share API: create (streamed, validated, rate limited), metadata, bytes (ranges, caching,
// CORS), delete (owner token). There is deliberately no way to list shares.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { checkAnnData } from '../anndata-check.ts';
import { HttpError } from '../errors.ts';
import { hashToken, isShareId, newSecret, tokenMatches } from '../ids.ts';
import type { ServerOptions } from '../options.ts';
import { parseRange } from '../range.ts';
import type { ShareMeta } from '../store.ts';
import { isExpired } from '../store.ts';
import { UploadGuard } from '../upload-guard.ts';

const MAX_NAME_CHARS = 200;
const DAY_MS = 86_400_000;

const SNAPSHOT_CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, ETag, Accept-Ranges',
};

export function shareRoutes(app: FastifyInstance, opts: ServerOptions): void {
  const { store } = opts;

  /** The share behind a URL id, or the refusal: malformed id 400, unknown 404, expired 410. */
  async function lookup(rawId: string): Promise<ShareMeta> {
    if (!isShareId(rawId)) throw new HttpError(400, 'not a share id: ids are 22 characters of A-Z, a-z, 0-9, "_" and "-"');
    const meta = await store.head(rawId);
    if (!meta) throw new HttpError(404, 'no share with this id (it never existed or was deleted)');
    if (isExpired(meta, opts.now())) {
      await store.delete(rawId).catch((err) => app.log.warn({ err }, 'sweeping an expired share failed'));
      throw new HttpError(410, `this share expired on ${meta.expiresAt}`);
    }
    return meta;
  }

  // The body stays a stream: the handler pipes it to the store.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  app.post(
    '/api/shares',
    { config: { rateLimit: { max: opts.rateLimitMax, timeWindow: opts.rateLimitWindowMs } }, bodyLimit: opts.maxUploadBytes },
    async (request, reply) => {
      if (!/^application\/octet-stream\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
        throw new HttpError(415, 'send the snapshot as the body with Content-Type: application/octet-stream');
      }
      const declared = Number(request.headers['content-length']);
      if (declared > opts.maxUploadBytes) throw new HttpError(413, `the snapshot is larger than this server's limit of ${opts.maxUploadBytes} bytes`);
      const days = expiryDays(request.headers['x-scweb-expires'], opts.maxExpiresDays);
      const name = displayName(request.headers['x-scweb-name']);

      const id = newSecret();
      const ownerToken = newSecret();
      const created = opts.now();
      const guard = new UploadGuard(opts.maxUploadBytes);
      const body = request.body as Readable;
      body.pipe(guard);
      body.once('error', (err) => guard.destroy(err));
      try {
        const kind = await guard.decided;
        const meta = (): ShareMeta => ({
          id,
          bytes: guard.bytes,
          encrypted: kind === 'encrypted',
          createdAt: created.toISOString(),
          expiresAt: new Date(created.getTime() + days * DAY_MS).toISOString(),
          ...(name !== undefined ? { name } : {}),
          ownerTokenHash: hashToken(ownerToken),
          sha256: guard.digest(),
        });
        if (kind === 'encrypted') await store.put(id, guard, meta);
        else await putPlain(id, guard, meta);
        const stored = meta();
        reply.code(201);
        return {
          id,
          url: `${baseUrl(request)}/s/${id}`,
          ownerToken,
          expiresAt: stored.expiresAt,
          bytes: stored.bytes,
          encrypted: stored.encrypted,
        };
      } catch (err) {
        guard.destroy();
        // The client may still be sending: close the connection rather than read the rest.
        if (!body.readableEnded) reply.header('Connection', 'close');
        throw err;
      }
    },
  );

  /** Plain snapshots are staged locally so h5wasm can open them before they reach the store. */
  async function putPlain(id: string, guard: UploadGuard, meta: () => ShareMeta): Promise<void> {
    const staged = join(opts.stagingDir, `${id}.h5ad`);
    try {
      await pipeline(guard, createWriteStream(staged, { flags: 'wx' }));
      await checkAnnData(staged);
      const fixed = meta();
      await store.put(id, createReadStream(staged), () => fixed);
    } finally {
      await rm(staged, { force: true });
    }
  }

  function baseUrl(request: FastifyRequest): string {
    return opts.baseUrl ?? `${request.protocol}://${request.host}`;
  }

  app.get<{ Params: { id: string } }>('/api/shares/:id', async (request, reply) => {
    const m = await lookup(request.params.id);
    reply.header('Cache-Control', 'no-cache');
    return { id: m.id, bytes: m.bytes, encrypted: m.encrypted, createdAt: m.createdAt, expiresAt: m.expiresAt, ...(m.name !== undefined ? { name: m.name } : {}) };
  });

  app.route<{ Params: { id: string } }>({
    method: ['GET', 'HEAD'],
    url: '/api/shares/:id/snapshot',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      // CORS first, so a cross-origin viewer can read even a 404 or 410 and say why.
      reply.headers(SNAPSHOT_CORS);
      const meta = await lookup(request.params.id);
      return sendSnapshot(request, reply, meta);
    },
  });

  app.options('/api/shares/:id/snapshot', async (_request, reply) => {
    reply.headers({
      ...SNAPSHOT_CORS,
      'Access-Control-Allow-Methods': 'GET, HEAD',
      'Access-Control-Allow-Headers': 'Range, If-Range, If-None-Match',
      'Access-Control-Max-Age': '86400',
    });
    reply.code(204).send();
  });

  async function sendSnapshot(request: FastifyRequest, reply: FastifyReply, meta: ShareMeta) {
    const etag = `"${meta.sha256}"`;
    reply.headers({
      ETag: etag,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'public, max-age=31536000, immutable',
      'Content-Type': 'application/octet-stream',
    });
    if (etagListMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    const ifRange = request.headers['if-range'];
    const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, meta.bytes) : null;
    if (range === 'unsatisfiable') {
      reply.header('Content-Range', `bytes */${meta.bytes}`);
      throw new HttpError(416, `the range is outside the snapshot's ${meta.bytes} bytes`);
    }
    const length = range ? range.end - range.start + 1 : meta.bytes;
    reply.header('Content-Length', String(length));
    if (range) reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${meta.bytes}`);
    if (request.method === 'HEAD') return reply.send();
    return reply.send(await opts.store.get(meta.id, range ?? undefined));
  }

  app.delete<{ Params: { id: string } }>('/api/shares/:id', async (request, reply) => {
    if (!isShareId(request.params.id)) await lookup(request.params.id);
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!auth) {
      reply.header('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'deleting a share needs its owner token: Authorization: Bearer <ownerToken>');
    }
    const meta = await store.head(request.params.id);
    if (!meta) throw new HttpError(404, 'no share with this id (it never existed or was deleted)');
    if (!tokenMatches(auth[1], meta.ownerTokenHash)) throw new HttpError(403, 'this owner token does not belong to this share');
    await store.delete(meta.id);
    reply.code(204).send();
  });
}

function expiryDays(header: string | string[] | undefined, max: number): number {
  if (header === undefined) return max;
  const text = Array.isArray(header) ? header[0] : header;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > max) {
    throw new HttpError(400, `X-Scweb-Expires must be a whole number of days from 1 to ${max}, got "${text.slice(0, 40)}"`);
  }
  return Number(text);
}

function displayName(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header[0] : header;
  if ([...text].length > MAX_NAME_CHARS) throw new HttpError(400, `X-Scweb-Name is longer than ${MAX_NAME_CHARS} characters`);
  return text;
}

function etagListMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
