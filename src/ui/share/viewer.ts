// Opening a shared link (/s/<id>#k=<key>): the share's metadata first, so an unknown, revoked or
// expired share and a link without its key each get their own message before any data moves;
// then the snapshot through the worker's lazy HTTP reader (decrypting only the chunks it reads).
import type { ShareMeta } from '../../io/share/client.ts';
import { fromBase64Url } from '../../io/share/link.ts';
import { decryptStream } from '../../io/share/stream.ts';
import { useApp } from '../store.ts';

const ROUTE = /^\/s\/([A-Za-z0-9_-]{22})\/?$/;

/** A /s/ path: a share link, whole or not (a cut-short one gets its own message). */
export function isSharePath(loc: { pathname: string }): boolean {
  return loc.pathname.startsWith('/s/');
}

export function shareRoute(loc: { pathname: string; hash: string }): { id: string; keyText: string | null } | null {
  const m = ROUTE.exec(loc.pathname);
  if (!m) return null;
  return { id: m[1], keyText: new URLSearchParams(loc.hash.replace(/^#/, '')).get('k') };
}


function fail(message: string): void {
  useApp.setState({ error: { code: 'internal', message, action: 'Opening the shared link' } });
}

/** `/?url=https://…/x.h5ad`: a file on the web, opened through the same lazy reader as a share. */
export function urlParam(loc: { search: string }): string | null {
  const raw = new URLSearchParams(loc.search).get('url');
  if (!raw) return null;
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

export async function openShareFromLocation(): Promise<void> {
  const route = shareRoute(location);
  if (!route) {
    if (isSharePath(location)) fail('this is not a whole share link (it is cut short or mistyped): ask the sender for the whole link');
    return;
  }
  const base = `${location.origin}/api/shares/${route.id}`;
  let res: Response;
  try {
    res = await fetch(base);
  } catch {
    return fail(`the server at ${location.origin} cannot be reached`);
  }
  if (res.status === 404) return fail('there is no such share: the link is wrong, or its owner revoked it');
  if (res.status === 410) return fail('this share has expired');
  if (!res.ok) return fail(`the server answered HTTP ${res.status} for this share`);
  const meta = (await res.json()) as ShareMeta;
  let key: Uint8Array | undefined;
  if (meta.encrypted) {
    if (!route.keyText) return fail('this share is encrypted and the link has no key (the part after "#k="): ask the sender for the whole link');
    try {
      key = fromBase64Url(route.keyText);
    } catch (err) {
      return fail((err as Error).message);
    }
  }
  // The name came from whoever made the share: it is only ever rendered as text.
  const name = safeName(meta.name) ?? 'shared analysis';
  await useApp.getState().openShare({ id: meta.id, snapshotUrl: `${base}/snapshot`, key, name, createdAt: meta.createdAt, expiresAt: meta.expiresAt });
}

function safeName(raw: string | undefined): string | null {
  if (!raw) return null;
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // not percent-encoded
  }
  return name.slice(0, 200);
}

/** The whole snapshot, decrypted in the browser, as a file anndata opens. */
export async function fetchSharedFile(share: { snapshotUrl: string; key?: Uint8Array; name: string }): Promise<File> {
  const res = await fetch(share.snapshotUrl);
  if (!res.ok || !res.body) throw new Error(`the snapshot could not be downloaded (HTTP ${res.status})`);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  const body = res.body as unknown as AsyncIterable<Uint8Array>;
  const plain = share.key ? decryptStream(body, share.key) : body;
  for await (const p of plain) parts.push(p as Uint8Array<ArrayBuffer>);
  const stem = share.name.replace(/\.h5ad$/i, '').replace(/[^A-Za-z0-9_.-]+/g, '_') || 'shared';
  return new File(parts, `${stem}_shared.h5ad`);
}
