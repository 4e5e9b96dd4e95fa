// The scWeb version recorded in shard sidecars: shards from different versions may differ in their
// numbers, so merge compares it.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function scwebVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
