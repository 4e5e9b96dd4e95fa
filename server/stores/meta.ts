// Metadata records come back from disk or a bucket that someone else may have touched: they are
// checked field by field rather than trusted.
import type { ShareMeta } from '../store.ts';

export function parseMeta(text: string, id: string): ShareMeta {
  const m = JSON.parse(text) as Partial<ShareMeta>;
  const ok =
    m.id === id &&
    Number.isSafeInteger(m.bytes) &&
    typeof m.encrypted === 'boolean' &&
    typeof m.createdAt === 'string' &&
    typeof m.expiresAt === 'string' &&
    !Number.isNaN(Date.parse(m.expiresAt)) &&
    typeof m.ownerTokenHash === 'string' &&
    typeof m.sha256 === 'string' &&
    (m.name === undefined || typeof m.name === 'string');
  if (!ok) throw new Error(`share ${id}: damaged metadata record`);
  return m as ShareMeta;
}
