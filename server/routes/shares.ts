// The share API: create (streamed, validated, rate limited), metadata, bytes (ranges, caching,
// CORS), delete (owner token). There is deliberately no way to list shares.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AnnDataChecker } from '../anndata-checker.ts';
import { CreationLimiter, formatDuration, type Slot } from '../creation-limit.ts';
import { HttpError } from '../errors.ts';
import { exactLength } from '../exact-length.ts';
import { hashToken, isShareId, newSecret, tokenMatches } from '../ids.ts';
import type { ServerOptions } from '../options.ts';
import { answerRange } from '../range.ts';
import type { ShareMeta } from '../store.ts';
import { isExpired } from '../store.ts';
import { UploadGuard } from '../upload-guard.ts';

const MAX_NAME_CHARS = 200;
const OCTET_STREAM = /^application\/octet-stream\s*(;|$)/i;
const DAY_MS = 86_400_000;

const SNAPSHOT_CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, ETag, Accept-Ranges',
};

export function shareRoutes(app: FastifyInstance, opts: ServerOptions, checker: AnnDataChecker): void {
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

  // The body stays a stream: the handler pipes it to the store through the UploadGuard, which
  // bounds it. This is the only parser the server has (app.ts removes Fastify's JSON and text
  // ones, which buffer a body whole as a string).
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  const limiter = opts.rateLimitMax > 0 ? new CreationLimiter(opts.rateLimitMax, opts.rateLimitWindowMs, () => opts.now().getTime()) : null;

  app.post(
    '/api/shares',
    {
      // Decided from the headers alone, before the parser or anything else touches the body.
      onRequest: async (request) => {
        if (!OCTET_STREAM.test(request.headers['content-type'] ?? '')) {
          throw new HttpError(415, 'send the snapshot as the body with Content-Type: application/octet-stream');
        }
      },
    },
    async (request, reply) => {
      const body = request.body as Readable;
      let slot: Slot | null = null;
      try {
        const declared = Number(request.headers['content-length']);
        if (declared > opts.maxUploadBytes) throw new HttpError(413, `the snapshot is larger than this server's limit of ${opts.maxUploadBytes} bytes`);
        const days = expiryDays(request.headers['x-scweb-expires'], opts.maxExpiresDays);
        const name = displayName(request.headers['x-scweb-name']);
        slot = takeSlot(request, reply);
        const created = await createShare(request, body, days, name);
        slot?.commit();
        reply.code(201);
        return created;
      } catch (err) {
        // Refused or failed: the address keeps its quota (and the error handler discards
        // whatever the client is still sending).
        slot?.release();
        throw err;
      }
    },
  );

  function takeSlot(request: FastifyRequest, reply: FastifyReply): Slot | null {
    if (!limiter) return null;
    const slot = limiter.take(request.ip);
    if ('retryAfterMs' in slot) {
      const seconds = Math.ceil(slot.retryAfterMs / 1000);
      reply.header('Retry-After', String(seconds));
      throw new HttpError(429, `too many shares created from this address: at most ${limiter.max} in ${formatDuration(limiter.windowMs)}; try again in ${seconds} s`);
    }
    return slot;
  }

  async function createShare(request: FastifyRequest, body: Readable, days: number, name: string | undefined) {
    const id = newSecret();
    const ownerToken = newSecret();
    const created = opts.now();
    const guard = new UploadGuard(opts.maxUploadBytes);
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
      throw err;
    }
  }

  /**
   * Plain snapshots are staged locally so h5wasm can open them (on the checker's thread, under its
   * time limit) before they reach the store. Refused, stuck or not, the staged copy is removed.
   */
  async function putPlain(id: string, guard: UploadGuard, meta: () => ShareMeta): Promise<void> {
    const staged = join(opts.stagingDir, `${id}.h5ad`);
    try {
      await pipeline(guard, createWriteStream(staged, { flags: 'wx' }));
      await checker.check(staged);
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
    // A stale If-Range means the client's copy is not this share: RFC 9110 §13.1.5 has the Range
    // ignored and the whole body sent, which is what such a client asked for.
    const ifRange = request.headers['if-range'];
    const rangeHeader = ifRange === undefined || ifRange === etag ? request.headers.range : undefined;
    const answer = answerRange(rangeHeader, meta.bytes, opts.maxRangeResponseBytes);
    if (answer.kind === 'unsatisfiable' || answer.kind === 'refused') {
      reply.header('Content-Range', `bytes */${meta.bytes}`);
      throw new HttpError(416, answer.kind === 'refused' ? answer.why : `the range is outside the snapshot's ${meta.bytes} bytes`);
    }
    const range = answer.kind === 'range' ? answer.range : null;
    const length = range ? range.end - range.start + 1 : meta.bytes;
    reply.header('Content-Length', String(length));
    if (range) reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${meta.bytes}`);
    if (request.method === 'HEAD') return reply.send();
    return reply.send(exactLength(await opts.store.get(meta.id, range ?? undefined), length));
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

