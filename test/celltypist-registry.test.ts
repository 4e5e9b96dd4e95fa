// The CellTypist model registry and its downloads against a local server laid out like
// celltypist.cog.sanger.ac.uk (test/mock-celltypist.ts): progress, the cache, a dropped connection
// resumed with Range, checksums (the registry's pins), and the offline message naming the URL.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCelltypistModel } from '../src/analysis/celltypist-model.ts';
import { VerificationError } from '../src/model/hub/download.ts';
import { CELLTYPIST_ENDPOINT, celltypistUrl, findCelltypistModel, type CelltypistEntry } from '../src/model/hub/celltypist-registry.ts';
import { celltypistCachePath, ensureCelltypistModel, loadCelltypistRegistry } from '../src/model/hub/celltypist-node.ts';
import { startMockCelltypist } from './mock-celltypist.ts';
import { hasShared, shared } from './helpers.ts';

describe('the CellTypist registry', () => {
  it("lists CellTypist's hosted models under its server's layout", async () => {
    const reg = await loadCelltypistRegistry();
    expect(new Set(reg.map((e) => e.name)).size).toBe(reg.length);
    for (const e of reg) expect(e.url).toMatch(new RegExp(`^${CELLTYPIST_ENDPOINT}/models/[\\w-]+/v\\d+/${e.filename}$`));
    const low = findCelltypistModel(reg, 'Immune_All_Low.pkl')!;
    expect(low).toMatchObject({ version: 'v2', default: true, cellTypes: 98, size: 2824990 });
    expect(low.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(findCelltypistModel(reg, 'Immune_All_High')?.cellTypes).toBe(32);
    expect(celltypistUrl(low, 'http://127.0.0.1:1234/')).toBe('http://127.0.0.1:1234/models/Pan_Immune_CellTypist/v2/Immune_All_Low.pkl');
  });
});

describe.skipIf(!hasShared)('CellTypist downloads (mock server)', () => {
  const env = { ...process.env };
  let logs: string[] = [];
  const log = (m: string) => logs.push(m);
  beforeEach(() => {
    process.env.SCWEB_CACHE = mkdtempSync(join(tmpdir(), 'scweb-ctcache-'));
    process.env.SCWEB_RETRY_DELAY_MS = '10';
    logs = [];
  });
  afterEach(() => {
    process.env = { ...env };
  });
  const bytes = () => new Uint8Array(readFileSync(shared('fixtures/celltypist/model.pkl')));
  const entry = (b: Uint8Array, pin = true): CelltypistEntry => ({
    name: 'Fixture_Model',
    filename: 'Fixture_Model.pkl',
    url: `${CELLTYPIST_ENDPOINT}/models/Fixture_Study/v1/Fixture_Model.pkl`,
    version: 'v1',
    description: 'the fixture',
    ...(pin ? { size: b.length, sha256: createHash('sha256').update(b).digest('hex') } : {}),
  });

  it('downloads with progress, resumes a dropped connection with Range, verifies, caches and reuses', async () => {
    const b = bytes();
    const srv = await startMockCelltypist([{ path: 'Fixture_Study/v1/Fixture_Model.pkl', bytes: b }], { file: 'Fixture_Model.pkl', afterBytes: 30_000, times: 1 });
    process.env.CELLTYPIST_ENDPOINT = srv.endpoint;
    try {
      const e = entry(b);
      const path = await ensureCelltypistModel(e, log);
      expect(path).toBe(celltypistCachePath(e));
      expect(new Uint8Array(readFileSync(path))).toEqual(b);
      expect(existsSync(`${path}.part`)).toBe(false);
      // The cut at 30,000 bytes was resumed from there, not started over.
      expect(srv.state.log).toContain('GET /models/Fixture_Study/v1/Fixture_Model.pkl bytes=30000-');
      expect(srv.state.bytesSent.get('Fixture_Model.pkl')).toBe(b.length);
      expect(logs.some((m) => /Fixture_Model\.pkl: [\d.]+ MB of 0\.1 MB/.test(m))).toBe(true);
      expect(logs.at(-1)).toMatch(/SHA-256 [0-9a-f]{64} verified; cached in/);
      expect(readCelltypistModel(readFileSync(path), 'Fixture_Model.pkl').model.classes.length).toBe(10);
      const before = srv.state.log.length;
      expect(await ensureCelltypistModel(e, log)).toBe(path);
      expect(srv.state.log.length).toBe(before);
      expect(logs.at(-1)).toMatch(/cached in/);
    } finally {
      await srv.close();
    }
  });

  it('without a pinned checksum, the server\'s size is checked', async () => {
    const b = bytes();
    const srv = await startMockCelltypist([{ path: 'Fixture_Study/v1/Fixture_Model.pkl', bytes: b }]);
    process.env.CELLTYPIST_ENDPOINT = srv.endpoint;
    try {
      await ensureCelltypistModel(entry(b, false), log);
      expect(logs.at(-1)).toMatch(/size checked \(no checksum published\)/);
    } finally {
      await srv.close();
    }
  });

  it("refuses bytes that are not the registry's file, and keeps nothing", async () => {
    const b = bytes();
    const other = b.slice();
    other[100] ^= 1;
    const srv = await startMockCelltypist([{ path: 'Fixture_Study/v1/Fixture_Model.pkl', bytes: other }]);
    process.env.CELLTYPIST_ENDPOINT = srv.endpoint;
    try {
      const e = entry(b);
      await expect(ensureCelltypistModel(e, log)).rejects.toThrow(VerificationError);
      await expect(ensureCelltypistModel(e, log)).rejects.toThrow(/SHA-256 [0-9a-f]{64} does not match/);
      expect(existsSync(celltypistCachePath(e))).toBe(false);
      expect(existsSync(`${celltypistCachePath(e)}.part`)).toBe(false);
      // Immune_All_Low is pinned at 2,824,990 bytes: a server holding another file is refused at once.
      const low = findCelltypistModel(await loadCelltypistRegistry(), 'Immune_All_Low')!;
      const srv2 = await startMockCelltypist([{ path: 'Pan_Immune_CellTypist/v2/Immune_All_Low.pkl', bytes: b }]);
      process.env.CELLTYPIST_ENDPOINT = srv2.endpoint;
      await expect(ensureCelltypistModel(low, log)).rejects.toThrow(/is 87,462 bytes but the registry lists Immune_All_Low\.pkl v2 at 2,824,990/);
      await srv2.close();
    } finally {
      await srv.close();
    }
  });

  it('offline: the message names the URL and the way out', async () => {
    process.env.CELLTYPIST_ENDPOINT = 'http://127.0.0.1:9';
    const e = entry(bytes());
    await expect(ensureCelltypistModel(e, log)).rejects.toThrow(/could not reach http:\/\/127\.0\.0\.1:9\/models\/Fixture_Study\/v1\/Fixture_Model\.pkl .*--celltypist FILE\.pkl.*CELLTYPIST_ENDPOINT/);
  });
});
