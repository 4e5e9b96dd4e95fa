// Share ids and owner tokens: 128 bits from the CSPRNG, so neither can be guessed or enumerated.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** base64url of 16 bytes is 22 characters; anything else never reaches a store (no `../`, no `/`). */
export const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function isShareId(s: string): boolean {
  return ID_PATTERN.test(s);
}

export function newSecret(): string {
  return randomBytes(16).toString('base64url');
}

/** Owner tokens are kept only as this hash: a leaked data dir or bucket cannot delete shares. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
