// The links this browser made, with their owner tokens (needed to revoke): kept in localStorage,
// which only this origin reads. Parsed defensively: storage can be edited by hand.
import type { CreatedShare } from './upload.ts';

export interface MyLink extends CreatedShare {
  name: string;
  createdAt: string;
}

const KEY = 'scweb:my-links';

export function loadMyLinks(): MyLink[] {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    if (!Array.isArray(raw)) return [];
    return raw.filter((l): l is MyLink => !!l && typeof l === 'object' && typeof (l as MyLink).url === 'string' && typeof (l as MyLink).id === 'string' && typeof (l as MyLink).ownerToken === 'string');
  } catch {
    return [];
  }
}

export function saveMyLinks(links: MyLink[]): void {
  localStorage.setItem(KEY, JSON.stringify(links));
}

export async function revokeLink(link: MyLink): Promise<void> {
  const res = await fetch(`${new URL(link.url).origin}/api/shares/${encodeURIComponent(link.id)}`, { method: 'DELETE', headers: { Authorization: `Bearer ${link.ownerToken}` } });
  // Already gone (expired or revoked elsewhere) counts as revoked.
  if (res.status !== 204 && res.status !== 404 && res.status !== 410) throw new Error(`the server refused to revoke the link (HTTP ${res.status})`);
}
