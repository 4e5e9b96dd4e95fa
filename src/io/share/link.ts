// Share links: `{base}/s/{id}#k=<base64url key>`. The key lives in the fragment, which browsers and
// HTTP clients never send to the server.
import { KEY_BYTES } from './container.ts';

export interface ShareLink {
  /** The server's base URL (scheme, host, optional path prefix), without a trailing slash. */
  server: string;
  id: string;
  /** Absent for a public share. */
  key?: Uint8Array;
}

export class LinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkError';
  }
}

export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new LinkError('the key in the link has characters base64url does not use; copy the whole link again');
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bin = atob(padded);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function formatLink(url: string, key?: Uint8Array): string {
  return key ? `${url}#k=${toBase64Url(key)}` : url;
}

export function parseShareLink(link: string): ShareLink {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new LinkError(`"${link}" is not a URL; a share link looks like https://host/s/ID#k=KEY`);
  }
  const m = /^(.*)\/s\/([A-Za-z0-9_-]+)\/?$/.exec(url.pathname);
  if (!m) throw new LinkError(`"${link}" is not a share link: its path should end in /s/ID`);
  const server = `${url.origin}${m[1]}`;
  const params = new URLSearchParams(url.hash.replace(/^#/, ''));
  const k = params.get('k');
  if (k === null) return { server, id: m[2] };
  const key = fromBase64Url(k);
  if (key.length !== KEY_BYTES) throw new LinkError(`the key in the link is ${key.length} bytes long, expected ${KEY_BYTES}: the link was cut short or altered; copy the whole link again`);
  return { server, id: m[2], key };
}

export function snapshotUrl(link: ShareLink): string {
  return `${link.server}/api/shares/${encodeURIComponent(link.id)}/snapshot`;
}

export function metadataUrl(link: ShareLink): string {
  return `${link.server}/api/shares/${encodeURIComponent(link.id)}`;
}
