// A local stand-in for CellTypist's model server (celltypist.cog.sanger.ac.uk), laid out like it:
// /models/models.json (CellTypist's index: filename, url, version, details, No_celltypes) and
// /models/{folder}/{version}/{file}.pkl served with Content-Length, an MD5 ETag (as its S3-style
// store sends), Range and CORS. Faults on demand: a connection cut part-way through a file.
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockCelltypistModel {
  /** Path under /models/, e.g. Pan_Immune_CellTypist/v2/Immune_All_Low.pkl. */
  path: string;
  bytes: Uint8Array;
  details?: string;
}

export interface MockCelltypistState {
  /** Cut the connection at this byte of this file, `times` times. */
  drop?: { file: string; afterBytes: number; times: number };
  /** Requests answered, as "METHOD path range". */
  log: string[];
  bytesSent: Map<string, number>;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Range, Content-Type',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, ETag, Accept-Ranges',
};

/** A request handler for the /models/ tree; false when the request is not for it. */
export function celltypistHandler(models: MockCelltypistModel[], state: MockCelltypistState, origin: () => string): (req: IncomingMessage, res: ServerResponse) => boolean {
  const byPath = new Map(models.map((m) => [`/models/${m.path}`, m]));
  return (req, res) => {
    const url = (req.url ?? '').split('?')[0];
    if (!url.startsWith('/models/')) return false;
    if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end(), true;
    if (url === '/models/models.json') {
      const index = {
        description: 'CellTypist model list',
        models: models.map((m) => ({ filename: m.path.split('/').pop(), url: `${origin()}/models/${m.path}`, version: m.path.split('/')[1], details: m.details ?? '', No_celltypes: 0 })),
      };
      res.writeHead(200, { ...CORS, 'Content-Type': 'application/json' }).end(JSON.stringify(index));
      return true;
    }
    const m = byPath.get(url);
    if (!m) return void res.writeHead(404, CORS).end(), true;
    const file = url.split('/').pop()!;
    const size = m.bytes.length;
    state.log.push(`${req.method} ${url} ${req.headers.range ?? ''}`.trim());
    const headers: Record<string, string | number> = { ...CORS, 'Accept-Ranges': 'bytes', ETag: `"${createHash('md5').update(m.bytes).digest('hex')}"`, 'Content-Type': 'application/octet-stream' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size) return void res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` }).end(), true;
      res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
    } else res.writeHead(200, { ...headers, 'Content-Length': size });
    if (req.method === 'HEAD') return void res.end(), true;
    const body = m.bytes.subarray(start, end + 1);
    const drop = state.drop;
    if (drop && drop.file === file && drop.times > 0 && start <= drop.afterBytes) {
      drop.times--;
      const part = body.subarray(0, drop.afterBytes - start);
      state.bytesSent.set(file, (state.bytesSent.get(file) ?? 0) + part.length);
      res.write(part, () => setTimeout(() => res.socket?.destroy(), 20));
      return true;
    }
    state.bytesSent.set(file, (state.bytesSent.get(file) ?? 0) + body.length);
    res.end(body);
    return true;
  };
}

export interface MockCelltypist {
  endpoint: string;
  state: MockCelltypistState;
  close(): Promise<void>;
}

export async function startMockCelltypist(models: MockCelltypistModel[], drop?: MockCelltypistState['drop']): Promise<MockCelltypist> {
  const state: MockCelltypistState = { drop, log: [], bytesSent: new Map() };
  let endpoint = '';
  const handle = celltypistHandler(models, state, () => endpoint);
  const server: Server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404, CORS).end();
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    state,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
