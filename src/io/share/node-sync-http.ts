// Synchronous HTTP Range reads in Node, for HDF5 reading a remote file lazily: a worker thread does
// the fetch while this thread waits on an Atomics flag, then takes the reply off a message port
// synchronously. (Browsers get the same from synchronous XHR in the data worker.)
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { RangeReply, SyncRangeTransport } from './http.ts';
import { RemoteError, statusError, totalFromContentRange } from './http.ts';

const WORKER = `
const { workerData } = require('node:worker_threads');
const { port, flag } = workerData;
const signal = new Int32Array(flag);
port.on('message', async ({ url, start, end }) => {
  let reply;
  try {
    const res = await fetch(url, { headers: { Range: 'bytes=' + start + '-' + (end - 1) } });
    const bytes = new Uint8Array(await res.arrayBuffer());
    reply = { status: res.status, contentRange: res.headers.get('content-range'), bytes };
  } catch (err) {
    reply = { error: (err && err.message) || String(err), cause: err && err.cause && err.cause.message };
  }
  port.postMessage(reply, reply.bytes ? [reply.bytes.buffer] : []);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

interface Reply {
  status?: number;
  contentRange?: string | null;
  bytes?: Uint8Array;
  error?: string;
  cause?: string;
}

let shared: { port: MessagePort; flag: Int32Array } | null = null;

function channel(): { port: MessagePort; flag: Int32Array } {
  if (shared) return shared;
  const { port1, port2 } = new MessageChannel();
  const flag = new SharedArrayBuffer(4);
  const worker = new Worker(WORKER, { eval: true, workerData: { port: port2, flag }, transferList: [port2] });
  // Neither the idle worker nor its port keeps the process alive.
  worker.unref();
  port1.unref();
  shared = { port: port1, flag: new Int32Array(flag) };
  return shared;
}

export function nodeSyncRange(timeoutMs = 120_000): SyncRangeTransport {
  return (url, start, end): RangeReply => {
    const { port, flag } = channel();
    Atomics.store(flag, 0, 0);
    port.postMessage({ url, start, end });
    if (Atomics.wait(flag, 0, 0, timeoutMs) === 'timed-out') throw new RemoteError(0, `${url} did not answer within ${timeoutMs / 1000} s`);
    const msg = receiveMessageOnPort(port)?.message as Reply | undefined;
    if (!msg) throw new RemoteError(0, `no reply from the HTTP thread reading ${url}`);
    if (msg.error !== undefined) throw new RemoteError(0, `cannot reach ${url}: ${msg.error}${msg.cause ? ` (${msg.cause})` : ''}`);
    if (msg.status !== 206) throw statusError(url, msg.status!);
    const total = totalFromContentRange(url, msg.contentRange ?? null);
    const want = Math.min(end, total) - start;
    if (msg.bytes!.length !== want) throw new RemoteError(206, `${url} sent ${msg.bytes!.length} bytes for a ${want}-byte range: the connection broke or the file changed; open it again`);
    return { bytes: msg.bytes!, total };
  };
}
