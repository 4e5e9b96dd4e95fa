// Builds the scWeb server: the built app (dist/, with `/s/:id` as the viewer's entry) and the share
// API, behind the security headers. No listening here: the CLI listens, tests inject.
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AnnDataChecker } from './anndata-checker.ts';
import { HttpError } from './errors.ts';
import { isShareId } from './ids.ts';
import type { ServerOptions } from './options.ts';
import { shareRoutes } from './routes/shares.ts';
import { registerSecurityHeaders } from './security.ts';

/** What a buffering parser may hold, were one ever added: no route here takes such a body. */
const NO_BODY_LIMIT = 64 * 1024;

export async function buildApp(opts: ServerOptions): Promise<FastifyInstance> {
  // Leftovers of a killed process: half-written shares and staged uploads are never served.
  await opts.store.recover();
  await rm(opts.stagingDir, { recursive: true, force: true });
  await mkdir(opts.stagingDir, { recursive: true });

  const app = Fastify({ logger: opts.logger, trustProxy: opts.trustProxy, bodyLimit: NO_BODY_LIMIT });
  // Fastify's JSON and text parsers read a body whole into one string: with a large limit one
  // request could exhaust memory or pass Node's longest string (ERR_STRING_TOO_LONG, which ends
  // the process). No route takes JSON or text; the upload route streams (routes/shares.ts), and a
  // body of any other type is refused with 415 before it is read.
  app.removeAllContentTypeParsers();
  registerSecurityHeaders(app);

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, 'request failed');
    closeIfUnread(request, reply);
    // Fastify's own 4xx (bad JSON, unsupported type) carry a message meant for the client.
    reply.code(status).send({ error: status >= 500 ? 'internal server error' : err.message });
  });
  app.setNotFoundHandler((request, reply) => {
    closeIfUnread(request, reply);
    reply.code(404).send({ error: `nothing at ${request.method} ${request.url.split('?', 1)[0].slice(0, 200)}` });
  });

  // Plain uploads are opened on a worker thread that can be stopped (a damaged file can make HDF5
  // loop forever); the thread starts with the first plain upload and ends with the app.
  const checker = new AnnDataChecker(opts.checkTimeoutMs, app.log);
  app.addHook('onClose', async () => checker.close());
  shareRoutes(app, opts, checker);

  if (opts.appDir && existsSync(join(opts.appDir, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: opts.appDir,
      wildcard: true,
      cacheControl: false,
      // Vite's assets carry a content hash in their names; index.html must be revalidated.
      setHeaders: (res, path) => {
        res.setHeader('Cache-Control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    app.get<{ Params: { id: string } }>('/s/:id', (request, reply) => {
      reply.header('Cache-Control', 'no-cache');
      // A link cut short or mistyped is still answered with the app (status 404), which says what
      // is wrong with it, rather than with a line of JSON; the id never reaches the file system.
      if (!isShareId(request.params.id)) reply.code(404);
      return reply.sendFile('index.html', { cacheControl: false });
    });
  } else {
    app.get('/', async () => {
      throw new HttpError(404, 'the app is not built here: run `make build` (this server answers the share API only)');
    });
  }

  if (opts.sweepIntervalMs > 0) {
    const timer = setInterval(() => {
      opts.store.sweep(opts.now()).catch((err) => app.log.warn({ err }, 'sweeping expired shares failed'));
    }, opts.sweepIntervalMs);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  return app;
}

/** After a refusal, the rest of a body is read and thrown away for at most this long... */
const LINGER_MS = 5000;
/** ...and at most this many bytes; then the connection is cut. */
const LINGER_BYTES = 64 * 1024 * 1024;

/**
 * A refusal sent while the client may still be sending its body (415 from the headers, 413 from
 * Content-Length, an upload stopped mid-way). Nothing of the rest is kept: it is read and
 * discarded, so the client reads the answer (cutting the connection at once resets it, and a
 * client still writing then loses the answer) and a small body leaves the connection usable. A
 * client that goes on sending past LINGER_BYTES or LINGER_MS is cut off (as nginx's
 * lingering_close).
 */
function closeIfUnread(request: FastifyRequest, _reply: FastifyReply): void {
  const raw = request.raw;
  const h = request.headers;
  const hasBody = h['transfer-encoding'] !== undefined || Number(h['content-length'] ?? 0) > 0;
  if (!hasBody || raw.complete || !raw.socket) return;
  // A half-read upload is still piped to what refused it; Node discards only unread bodies.
  raw.unpipe();
  raw.removeAllListeners('data');
  raw.resume();
  const socket = raw.socket;
  const from = socket.bytesRead;
  const began = Date.now();
  const timer = setInterval(() => {
    if (raw.complete || socket.destroyed) clearInterval(timer);
    else if (socket.bytesRead - from > LINGER_BYTES || Date.now() - began > LINGER_MS) {
      clearInterval(timer);
      socket.destroy();
    }
  }, 50);
  timer.unref();
}
