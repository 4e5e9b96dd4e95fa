// Creating a share from the page: the snapshot (bytes from the worker) is encrypted in the browser
// under a fresh key (unless the user chose a public link) and sent with XMLHttpRequest, whose
// upload events give the bytes sent for the progress bar and whose abort() is the cancel.
// (fetch() cannot stream a request body over HTTP/1.1 in Chromium, and reports no upload progress.)
import { newKey } from '../../io/share/container.ts';
import type { Created } from '../../io/share/client.ts';
import { formatLink } from '../../io/share/link.ts';
import { encryptStream } from '../../io/share/stream.ts';

export interface UploadProgress {
  sent: number;
  total: number;
  bytesPerSecond: number;
}

/** What the server answered, with the key (if any) put into the link. */
export type CreatedShare = Created;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** The body the server stores: the container when encrypted. */
export async function sealSnapshot(bytes: Uint8Array, encrypt: boolean): Promise<{ body: Blob; key?: Uint8Array }> {
  if (!encrypt) return { body: new Blob([bytes as Uint8Array<ArrayBuffer>]) };
  const key = newKey();
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for await (const part of encryptStream(once(bytes), bytes.length, key)) parts.push(part as Uint8Array<ArrayBuffer>);
  return { body: new Blob(parts), key };
}

/** Why the server said no, in words a user can act on. */
function refusal(status: number, text: string): string {
  let said: string;
  try {
    said = (JSON.parse(text) as { error?: string }).error ?? '';
  } catch {
    said = '';
  }
  if (status === 413) return `the server refuses a snapshot this large${said ? ` (${said})` : ''}: share fewer genes`;
  if (status === 429) return 'the server is limiting how many links can be made: try again in a while';
  if (status === 404 || status === 405) return 'this page is not served by `scweb serve`, which keeps shared links (run `make start`, or open the app on your scWeb server)';
  return `the server answered HTTP ${status}${said ? `: ${said}` : ''}`;
}

export function uploadShare(body: Blob, key: Uint8Array | undefined, opts: { expiresDays: number; name: string }, onProgress: (p: UploadProgress) => void, signal: AbortSignal): Promise<CreatedShare> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const started = performance.now();
    xhr.open('POST', `${location.origin}/api/shares`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('X-Scweb-Expires', String(opts.expiresDays));
    // Header values are Latin-1: anything else travels percent-encoded, as the CLI sends it.
    xhr.setRequestHeader('X-Scweb-Name', /^[\x20-\x7e]*$/.test(opts.name) ? opts.name : encodeURIComponent(opts.name));
    xhr.upload.onprogress = (e) => onProgress({ sent: e.loaded, total: e.total || body.size, bytesPerSecond: e.loaded / Math.max(1e-3, (performance.now() - started) / 1000) });
    xhr.onload = () => {
      if (xhr.status !== 201) return reject(new Error(refusal(xhr.status, xhr.responseText)));
      const made = JSON.parse(xhr.responseText) as Omit<CreatedShare, 'encrypted'>;
      resolve({ ...made, url: formatLink(made.url, key), encrypted: !!key });
    };
    xhr.onerror = () => reject(new Error(`could not reach ${location.origin}/api/shares: is the server running?`));
    xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    signal.addEventListener('abort', () => xhr.abort());
    xhr.send(body);
  });
}
