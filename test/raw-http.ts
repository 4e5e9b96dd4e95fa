// A request written straight to a socket, for what fetch and inject cannot do: send a body of
// hundreds of MiB without holding it (one chunk, written again and again) while watching for the
// server's answer, which a server that refuses from the headers sends before the body is in.
import { connect } from 'node:net';

export interface RawAnswer {
  /** The status line's code; 0 if the server answered nothing before closing. */
  status: number;
  /** The answer as received (headers and the start of the body). */
  text: string;
  /** Body bytes written before the answer came (or the connection closed). */
  written: number;
}

/**
 * Sends `method path` with `headers` and a body of `total` bytes (declared with Content-Length,
 * or chunked when `chunked`), `chunk` bytes at a time with backpressure, stopping as soon as an
 * answer arrives (unless `keepSending`), the connection closes, or `total` is sent. Bounded by `total`; the caller's
 * test timeout bounds the time.
 */
export async function rawRequest(port: number, method: string, path: string, headers: Record<string, string>, total: number, opts: { chunked?: boolean; chunk?: number; keepSending?: boolean } = {}): Promise<RawAnswer> {
  const chunk = Buffer.alloc(opts.chunk ?? 1 << 20, 0x61);
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((ok, fail) => socket.once('connect', ok).once('error', fail));
  let text = '';
  let closed = false;
  socket.on('data', (d: Buffer) => {
    if (text.length < 4096) text += d.toString('latin1');
  });
  // A reset after the answer is how a server that stops reading looks from here.
  socket.on('error', () => undefined);
  const done = new Promise<void>((ok) => socket.once('close', () => ((closed = true), ok())));
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  lines.push(opts.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let written = 0;
  while (written < total && (opts.keepSending || !text) && !closed) {
    const n = Math.min(chunk.length, total - written);
    const part = chunk.subarray(0, n);
    const ok = opts.chunked ? socket.write(`${n.toString(16)}\r\n`) && socket.write(part) && socket.write('\r\n') : socket.write(part);
    written += n;
    if (!ok) await new Promise<void>((r) => {
      const go = () => (socket.off('drain', go), socket.off('close', go), socket.off('data', go), r());
      socket.once('drain', go).once('close', go).once('data', go);
    });
  }
  if (!closed) {
    // Answered, or everything sent: wait for the answer (the server closes or we do).
    if (!text) await new Promise<void>((r) => socket.once('data', () => r()).once('close', () => r()));
    socket.destroy();
  }
  await done;
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return { status: m ? Number(m[1]) : 0, text, written };
}
