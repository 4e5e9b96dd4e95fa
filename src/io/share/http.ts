// HTTP Range requests, asynchronous (fetch) and synchronous (XHR in a worker, or an injected
// transport in Node), with one place that turns a refusal into a message naming the fix.

export interface RangeReply {
  bytes: Uint8Array;
  /** The whole resource's size, from Content-Range. */
  total: number;
}

/** A synchronous range read: HDF5 inside WebAssembly cannot wait for a promise. */
export type SyncRangeTransport = (url: string, start: number, end: number) => RangeReply;

export class RemoteError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

export function statusError(url: string, status: number): RemoteError {
  const share = /\/api\/shares\//.test(url);
  if (status === 404) return new RemoteError(404, share ? 'no such share (it was deleted, or the link is wrong)' : `${url} was not found (HTTP 404)`);
  if (status === 410) return new RemoteError(410, share ? 'the share has expired' : `${url} is gone (HTTP 410)`);
  if (status === 200) return new RemoteError(200, `${url} does not answer HTTP Range requests (it sent the whole file), so it cannot be read lazily; download it and open the file instead`);
  if (status === 416) return new RemoteError(416, `${url} refused a byte range inside the file (HTTP 416): it changed while being read; open it again`);
  return new RemoteError(status, `${url} answered HTTP ${status}`);
}

/** `bytes a-b/total` → total; a response without it cannot be read lazily. */
export function totalFromContentRange(url: string, header: string | null): number {
  const m = header ? /\/(\d+)\s*$/.exec(header) : null;
  if (!m) {
    throw new RemoteError(206, `${url} sent a partial response without a readable Content-Range header${header === null ? ' (a cross-origin server must list Content-Range in Access-Control-Expose-Headers)' : ''}`);
  }
  return Number(m[1]);
}

function checkLength(url: string, start: number, end: number, got: number, total: number): void {
  const want = Math.min(end, total) - start;
  if (got !== want) throw new RemoteError(206, `${url} sent ${got} bytes for a ${want}-byte range: the connection broke or the file changed; open it again`);
}

export async function fetchRange(url: string, start: number, end: number, signal?: AbortSignal): Promise<RangeReply> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` }, signal });
  } catch (err) {
    throw new RemoteError(0, `cannot reach ${url}: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`);
  }
  if (res.status !== 206) {
    await res.body?.cancel();
    throw statusError(url, res.status);
  }
  const total = totalFromContentRange(url, res.headers.get('content-range'));
  const bytes = new Uint8Array(await res.arrayBuffer());
  checkLength(url, start, end, bytes.length, total);
  return { bytes, total };
}

/** Synchronous XHR: allowed in workers (not on the page), with an arraybuffer response. */
export const xhrRange: SyncRangeTransport = (url, start, end) => {
  const xhr = new XMLHttpRequest();
  xhr.open('GET', url, false);
  xhr.responseType = 'arraybuffer';
  xhr.setRequestHeader('Range', `bytes=${start}-${end - 1}`);
  try {
    xhr.send();
  } catch (err) {
    throw new RemoteError(0, `cannot reach ${url}: ${(err as Error).message}`);
  }
  if (xhr.status !== 206) throw statusError(url, xhr.status);
  const total = totalFromContentRange(url, xhr.getResponseHeader('content-range'));
  const bytes = new Uint8Array(xhr.response as ArrayBuffer);
  checkLength(url, start, end, bytes.length, total);
  return { bytes, total };
};
