// A local stand-in for the Hugging Face hub, laid out like it: `/{repo}/resolve/{rev}/{file}`
// answers 302 with X-Linked-Size / X-Linked-Etag (SHA-256) / X-Repo-Commit and sends the client to
// a CDN on another port (another origin, as the real CDN is), which serves the bytes with Range,
// ETag and CORS. `/api/models/{repo}/tree/{rev}` lists sizes and LFS SHA-256s. Faults on demand:
// a connection dropped part-way through a file, a checksum that does not match.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface MockHubOptions {
  /** repo -> folder whose files it serves (any revision). */
  repos: Record<string, string>;
  files: string[];
  /** Cut the connection at this byte of the file (at once, for a request starting there), `times` times. */
  drop?: { file: string; afterBytes: number; times: number };
  /** Advertise a SHA-256 that does not match this file's bytes. */
  wrongChecksum?: string;
  port?: number;
  cdnPort?: number;
  /** Old repository names that answer with a relative redirect to the new one, as the hub does after a rename. */
  renamed?: Record<string, string>;
  /** For a server in another process (the browser tests): POST /__faults sets faults, GET /__log reads the CDN's log. */
  control?: boolean;
  /** Other routes the hub's port answers first (the CellTypist model server's /models/ tree); true when handled. */
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface MockHub {
  endpoint: string;
  /** Bytes of file bodies sent by the CDN, per file. */
  bytesSent: Map<string, number>;
  /** Requests the CDN answered, as "METHOD file range". */
  cdnRequests: string[];
  close(): Promise<void>;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Range, Content-Type',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, ETag, X-Linked-Etag, X-Linked-Size, X-Repo-Commit, Accept-Ranges',
};

const COMMIT = 'c0ffee0000000000000000000000000000000001';

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export async function startMockHub(opts: MockHubOptions): Promise<MockHub> {
  const blobs = new Map<string, { bytes: Buffer; sha256: string }>();
  for (const [repo, dir] of Object.entries(opts.repos)) {
    for (const f of opts.files) {
      const bytes = readFileSync(join(dir, f));
      blobs.set(`${repo}/${f}`, { bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
  }
  const advertised = (file: string, sha: string) => (faults.wrongChecksum === file ? sha.replace(/^./, (c) => (c === '0' ? '1' : '0')) : sha);
  const bytesSent = new Map<string, number>();
  const cdnRequests: string[] = [];
  let drops = opts.drop?.times ?? 0;
  let faults = { drop: opts.drop, wrongChecksum: opts.wrongChecksum };

  const cdn = createServer((req: IncomingMessage, res: ServerResponse) => {
    const m = /^\/blobs\/([\w.-]+\/[\w.-]+)\/([\w.-]+)$/.exec(req.url ?? '');
    if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end();
    const blob = m && blobs.get(`${m[1]}/${m[2]}`);
    if (!m || !blob) return void res.writeHead(404, CORS).end();
    const file = m[2];
    const size = blob.bytes.length;
    cdnRequests.push(`${req.method} ${file} ${req.headers.range ?? ''}`.trim());
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    const headers: Record<string, string | number> = { ...CORS, 'Accept-Ranges': 'bytes', ETag: `"${blob.sha256}"`, 'Content-Type': 'application/octet-stream' };
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size) return void res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` }).end();
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
    } else res.writeHead(200, { ...headers, 'Content-Length': size });
    if (req.method === 'HEAD') return void res.end();
    const body = blob.bytes.subarray(start, end + 1);
    if (faults.drop?.file === file && drops > 0 && start <= faults.drop.afterBytes) {
      drops--;
      const part = body.subarray(0, faults.drop.afterBytes - start);
      bytesSent.set(file, (bytesSent.get(file) ?? 0) + part.length);
      // Flush what was promised so far, then cut the connection as a flaky network would.
      res.write(part, () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    bytesSent.set(file, (bytesSent.get(file) ?? 0) + body.length);
    res.end(body);
  });
  const cdnPort = await listen(cdn, opts.cdnPort);

  const hub = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (opts.extra?.(req, res)) return;
    if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end();
    const url = req.url ?? '';
    if (opts.control && url === '/__log') return void res.writeHead(200, { ...CORS, 'Content-Type': 'application/json' }).end(JSON.stringify(cdnRequests));
    if (opts.control && url === '/__faults' && req.method === 'POST') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        faults = JSON.parse(body || '{}');
        drops = faults.drop?.times ?? 0;
        cdnRequests.length = 0;
        res.writeHead(204, CORS).end();
      });
      return;
    }
    const tree = /^\/api\/models\/([\w.-]+\/[\w.-]+)\/tree\/([\w.%-]+)$/.exec(url);
    if (tree) {
      if (!opts.repos[tree[1]]) return void res.writeHead(404, CORS).end();
      const list = opts.files.map((f) => {
        const b = blobs.get(`${tree[1]}/${f}`)!;
        return { type: 'file', path: f, size: b.bytes.length, oid: 'b'.repeat(40), lfs: { oid: advertised(f, b.sha256), size: b.bytes.length, pointerSize: 134 } };
      });
      return void res.writeHead(200, { ...CORS, 'Content-Type': 'application/json' }).end(JSON.stringify(list));
    }
    const m = /^\/([\w.-]+\/[\w.-]+)\/resolve\/([\w.%-]+)\/([\w.-]+)$/.exec(url);
    const moved = m && opts.renamed?.[m[1]];
    if (moved) return void res.writeHead(307, { ...CORS, Location: `/${moved}/resolve/${m[2]}/${m[3]}` }).end();
    const blob = m && blobs.get(`${m[1]}/${m[3]}`);
    if (!m || !blob) return void res.writeHead(404, { ...CORS, 'X-Error-Code': 'EntryNotFound' }).end();
    res
      .writeHead(302, {
        ...CORS,
        Location: `http://127.0.0.1:${cdnPort}/blobs/${m[1]}/${m[3]}`,
        'X-Linked-Size': blob.bytes.length,
        'X-Linked-Etag': `"${advertised(m[3], blob.sha256)}"`,
        'X-Repo-Commit': COMMIT,
        ETag: `"${advertised(m[3], blob.sha256)}"`,
      })
      .end();
  });
  const hubPort = await listen(hub, opts.port);
  const close = (s: Server) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())));
  return {
    endpoint: `http://127.0.0.1:${hubPort}`,
    bytesSent,
    cdnRequests,
    close: async () => {
      await Promise.all([close(hub), close(cdn)]);
    },
  };
}
