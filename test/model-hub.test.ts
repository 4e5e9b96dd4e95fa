// Fetching scGPT from the model hub, against a local server laid out like huggingface.co that
// serves the parity fixture's checkpoint under the scGPT-human name: download, verify, convert,
// cache, embed with parity; reuse; resume; a wrong checksum; offline.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError } from '../src/io/errors.ts';
import { openPaths } from '../src/io/node.ts';
import { parseNpy } from '../src/io/npy.ts';
import { cpuEncoder, embedDataset } from '../src/model/embed.ts';
import type { ByteSink, DownloadProgress } from '../src/model/hub/download.ts';
import { downloadFile, fileInfo, sha256FromEtag } from '../src/model/hub/download.ts';
import { cacheName, parseModelSpec, parseRegistry, resolveUrl } from '../src/model/hub/registry.ts';
import { loadModelDir } from '../src/model/node-model.ts';
import type { MockHub } from './mock-hub.ts';
import { startMockHub } from './mock-hub.ts';
import { expected, fixturePath, maxAbsDiff } from './model-fixtures.ts';

const CLI = join(__dirname, '../bin/scweb.mjs');
const REPO = 'wanglab/scGPT-human';
const CKPT = fixturePath('tiny', 'checkpoint_flash');
const FILES = ['args.json', 'vocab.json', 'best_model.pt'];
const PT_SIZE = statSync(join(CKPT, 'best_model.pt')).size;
const registry = parseRegistry(JSON.parse(readFileSync(join(__dirname, '../public/models.json'), 'utf8')));

let hub: MockHub | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
});

function serve(extra: Partial<Parameters<typeof startMockHub>[0]> = {}) {
  return startMockHub({ repos: { [REPO]: CKPT }, files: FILES, ...extra }).then((h) => (hub = h));
}

/** The CLI in a child process, asynchronously: the mock hub answers from this process's event loop. */
function scweb(env: Record<string, string>, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, SCWEB_RETRY_DELAY_MS: '50', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function memorySink(): ByteSink & { bytes(): Uint8Array } {
  let parts: Uint8Array[] = [];
  return {
    write: (c) => void parts.push(c.slice()),
    reset: () => void (parts = []),
    bytes: () => Buffer.concat(parts),
  };
}

const tree = async () => new Map();

describe('registry', () => {
  it('lists scGPT whole-human with the architecture of the released args.json and vocab.json', () => {
    const e = registry.find((m) => m.repo === REPO)!;
    expect(e.revision).toBe('main');
    expect(e.licence).toBe('MIT');
    expect(e.citation).toMatch(/Nature Methods.*2024/);
    const args = JSON.parse(readFileSync(join(__dirname, '../../shared/data/scgpt/args.json'), 'utf8'));
    const vocab = JSON.parse(readFileSync(join(__dirname, '../../shared/data/scgpt/vocab.json'), 'utf8'));
    expect(e.architecture).toEqual({ layers: args.nlayers, dModel: args.embsize, heads: args.nheads, dHid: args.d_hid, vocab: Object.keys(vocab).length });
    expect(e.files.find((f) => f.name === 'vocab.json')!.size).toBe(statSync(join(__dirname, '../../shared/data/scgpt/vocab.json')).size);
  });

  it('parses hf: specs and registry names, with revisions', () => {
    expect(parseModelSpec('hf:wanglab/scGPT-human', registry)).toMatchObject({ repo: REPO, revision: 'main', entry: { name: 'scgpt-human' } });
    expect(parseModelSpec('hf:wanglab/scGPT-human@v1.0', registry)).toMatchObject({ repo: REPO, revision: 'v1.0' });
    expect(parseModelSpec('scgpt-human@abc123', registry)).toMatchObject({ repo: REPO, revision: 'abc123' });
    expect(parseModelSpec('hf:someone/other', registry)).toMatchObject({ repo: 'someone/other', entry: undefined, files: [{ name: 'args.json' }, { name: 'vocab.json' }, { name: 'best_model.pt' }] });
    expect(parseModelSpec('./models/x', registry)).toBeNull();
    expect(cacheName({ repo: REPO, revision: 'refs/pr/1' })).toBe('wanglab--scGPT-human@refs_pr_1');
    expect(resolveUrl('https://hf-mirror.example/', REPO, 'main', 'vocab.json')).toBe('https://hf-mirror.example/wanglab/scGPT-human/resolve/main/vocab.json');
    expect(sha256FromEtag(`"${'a'.repeat(64)}"`)).toBe('a'.repeat(64));
    expect(sha256FromEtag(`"${'a'.repeat(40)}"`)).toBeNull();
  });
});

describe('downloader against the mock hub', () => {
  it('reads size and SHA-256 off the redirect, follows it, and verifies the bytes', async () => {
    await serve();
    const url = resolveUrl(hub!.endpoint, REPO, 'main', 'best_model.pt');
    const info = await fileInfo(url, tree, 'best_model.pt', { wayOut: '' });
    expect(info.size).toBe(PT_SIZE);
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    const sink = memorySink();
    const seen: DownloadProgress[] = [];
    const got = await downloadFile(url, 'best_model.pt', sink, info, { wayOut: '', onProgress: (p) => seen.push(p) });
    expect(got).toEqual({ size: PT_SIZE, sha256: info.sha256 });
    expect(Buffer.from(sink.bytes()).equals(readFileSync(join(CKPT, 'best_model.pt')))).toBe(true);
    expect(seen.at(-1)).toMatchObject({ received: PT_SIZE, total: PT_SIZE });
  });

  it('follows a renamed repository\'s relative redirect to the headers that state the file', async () => {
    await serve({ renamed: { 'bowang-lab/scGPT-human-old': REPO } });
    const url = resolveUrl(hub!.endpoint, 'bowang-lab/scGPT-human-old', 'main', 'best_model.pt');
    const info = await fileInfo(url, tree, 'best_model.pt', { wayOut: '' });
    expect(info.size).toBe(PT_SIZE);
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    const got = await downloadFile(url, 'best_model.pt', memorySink(), info, { wayOut: '' });
    expect(got.sha256).toBe(info.sha256);
  });

  it('resumes a dropped connection with Range and sends no byte twice', async () => {
    await serve({ drop: { file: 'best_model.pt', afterBytes: 200_000, times: 2 } });
    const url = resolveUrl(hub!.endpoint, REPO, 'main', 'best_model.pt');
    const info = await fileInfo(url, tree, 'best_model.pt', { wayOut: '' });
    const sink = memorySink();
    const got = await downloadFile(url, 'best_model.pt', sink, info, { wayOut: '', retryDelayMs: 10 });
    expect(got.sha256).toBe(info.sha256);
    // Cut at 200 kB, then cut again at once (no progress), then through.
    expect(hub!.cdnRequests).toEqual(['GET best_model.pt', 'GET best_model.pt bytes=200000-', 'GET best_model.pt bytes=200000-']);
    expect(hub!.bytesSent.get('best_model.pt')).toBe(PT_SIZE);
  });

  it('refuses bytes whose SHA-256 is not the one the hub states', async () => {
    await serve({ wrongChecksum: 'vocab.json' });
    const url = resolveUrl(hub!.endpoint, REPO, 'main', 'vocab.json');
    const info = await fileInfo(url, tree, 'vocab.json', { wayOut: '' });
    await expect(downloadFile(url, 'vocab.json', memorySink(), info, { wayOut: '' })).rejects.toThrow(/SHA-256 [0-9a-f]{64} does not match the hub's/);
  });

  it('stops on an AbortSignal', async () => {
    await serve();
    const url = resolveUrl(hub!.endpoint, REPO, 'main', 'best_model.pt');
    const info = await fileInfo(url, tree, 'best_model.pt', { wayOut: '' });
    const ac = new AbortController();
    const sink: ByteSink = { write: () => ac.abort(), reset: () => {} };
    await expect(downloadFile(url, 'best_model.pt', sink, info, { wayOut: '', signal: ac.signal })).rejects.toBeInstanceOf(CancelledError);
  });

  it('reports progress at least every second while the connection stalls', async () => {
    await serve();
    const url = resolveUrl(hub!.endpoint, REPO, 'main', 'args.json');
    const info = await fileInfo(url, tree, 'args.json', { wayOut: '' });
    const times: number[] = [];
    // A sink that takes 2.2 s over the first chunk: the timer, not the chunks, has to report.
    const slow: ByteSink = { write: () => new Promise((r) => setTimeout(r, 2200)), reset: () => {} };
    await downloadFile(url, 'args.json', slow, info, { wayOut: '', onProgress: () => times.push(performance.now()) });
    expect(times.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeLessThan(1100);
  });
});

describe('scweb with --model hf:wanglab/scGPT-human', () => {
  const input = fixturePath('tiny', 'cells.h5ad');

  it('downloads, verifies, converts, caches and embeds with parity; the second run downloads nothing', async () => {
    await serve();
    const cache = mkdtempSync(join(tmpdir(), 'scweb-hub-'));
    const env = { SCWEB_CACHE: cache, HF_ENDPOINT: hub!.endpoint };
    const out = join(cache, 'a.npy');
    const r = await scweb(env, 'embed', input, '--model', `hf:${REPO}`, '--out', out, '--backend', 'cpu');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`downloading from ${hub!.endpoint}`);
    expect(r.stderr).toMatch(/\[3\/3\] best_model\.pt: [\d.]+ MB of [\d.]+ MB, [\d.]+ MB\/s/);
    expect(r.stderr).toContain('best_model.pt SHA-256 ok');
    expect(r.stderr).toContain(`warning: the registry lists 12 layers, d_model 512, vocabulary 60697 for ${REPO}, but ${hub!.endpoint} served 3 layers, d_model 64, vocabulary 698`);
    expect(r.stderr).toContain('695/765 in the vocabulary');
    const dir = join(cache, 'models', 'wanglab--scGPT-human@main');
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', 'scweb-model.json', 'vocab.json', 'weights-0.bin']);
    expect(existsSync(join(cache, 'downloads', 'wanglab--scGPT-human@main'))).toBe(false);
    const card = JSON.parse(readFileSync(join(dir, 'scweb-model.json'), 'utf8'));
    expect(card).toMatchObject({ repo: REPO, revision: 'main', commit: expect.stringMatching(/^[0-9a-f]{40}$/), bundleDtype: 'f16', architecture: { layers: 3, dModel: 64, heads: 4, vocab: 698 } });
    expect(card.files.map((f: { name: string; sha256: string }) => [f.name, f.sha256.length])).toEqual(FILES.map((f) => [f, 64]));
    const served = FILES.map((f) => hub!.bytesSent.get(f));

    // The same cells from the local checkpoint folder: the f16 bundle stays within the fixture's fp16 tolerance.
    const ref = join(cache, 'ref.npy');
    expect((await scweb(env, 'embed', input, '--model', CKPT, '--out', ref, '--backend', 'cpu')).status).toBe(0);
    const a = parseNpy(readFileSync(out)).data as Float32Array;
    const b = parseNpy(readFileSync(ref)).data as Float32Array;
    expect(maxAbsDiff(a, b)).toBeLessThan(2e-3);

    const again = await scweb(env, 'embed', input, '--model', `hf:${REPO}`, '--out', join(cache, 'b.npy'), '--backend', 'cpu');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('cached in');
    expect(again.stderr).not.toContain('downloading');
    expect(FILES.map((f) => hub!.bytesSent.get(f))).toEqual(served);
    expect(readFileSync(join(cache, 'b.npy')).equals(readFileSync(out))).toBe(true);

    // scGPT parity on the cached bundle, with scGPT's own binning draws injected.
    const model = await loadModelDir(dir);
    const ds = await openPaths([input]);
    const draws = JSON.parse(readFileSync(fixturePath('tiny', 'expected', 'binning.json'), 'utf8')).rands_per_cell as number[][];
    const res = await embedDataset(ds, model, cpuEncoder(model), {
      uniformFor: (cell) => {
        let i = 0;
        return () => draws[cell][i++];
      },
    });
    ds.close();
    const want = expected('tiny', 'cell_embedding_l2').data as Float32Array;
    expect(maxAbsDiff(res.embeddings, want)).toBeLessThan(2e-3);
    for (let c = 0; c < 16; c++) {
      let dot = 0;
      for (let k = 0; k < 64; k++) dot += res.embeddings[c * 64 + k] * want[c * 64 + k];
      expect(dot, `cell ${c} cosine`).toBeGreaterThan(0.9999);
    }
  });

  it('resumes a dropped connection, and a stopped run resumes from its partial file', async () => {
    // Drops at 100 kB more often than the downloader retries: the run fails and keeps the part.
    await serve({ drop: { file: 'best_model.pt', afterBytes: 100_000, times: 7 } });
    const cache = mkdtempSync(join(tmpdir(), 'scweb-hub-'));
    const env = { SCWEB_CACHE: cache, HF_ENDPOINT: hub!.endpoint };
    const first = await scweb(env, 'models', 'pull', 'scgpt-human');
    expect(first.status).toBe(1);
    expect(first.stderr).toMatch(/the connection keeps dropping at 100000 of \d+ bytes/);
    const part = join(cache, 'downloads', 'wanglab--scGPT-human@main', 'best_model.pt.part');
    // A dropped connection (a reset) can lose bytes still in flight, more so on a loaded machine:
    // the part holds what really arrived, at most the 100 kB the hub sent.
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100_000);
    expect(existsSync(join(cache, 'models'))).toBe(false);
    await hub!.close();
    // One more drop, now past the first 100 kB: resumed within the run.
    await serve({ drop: { file: 'best_model.pt', afterBytes: 300_000, times: 1 } });
    const second = await scweb({ ...env, HF_ENDPOINT: hub!.endpoint }, 'models', 'pull', 'scgpt-human');
    expect(second.status, second.stderr).toBe(0);
    const requests = hub!.cdnRequests.filter((q) => q.includes('best_model.pt'));
    expect(requests).toHaveLength(2);
    expect(requests[0]).toBe(`GET best_model.pt bytes=${kept}-`);
    const resumedAt = Number(/bytes=(\d+)-$/.exec(requests[1])?.[1]);
    expect(resumedAt).toBeGreaterThan(kept);
    expect(resumedAt).toBeLessThanOrEqual(300_000);
    // Each byte is asked for once, except what a reset lost on the way.
    expect(hub!.bytesSent.get('best_model.pt')).toBe(300_000 - kept + PT_SIZE - resumedAt);
    expect(second.stdout.trim()).toBe(join(cache, 'models', 'wanglab--scGPT-human@main'));
    const list = await scweb(env, 'models', 'list');
    expect(list.stdout).toMatch(/scgpt-human\thf:wanglab\/scGPT-human@main\tscGPT whole-human; MIT; cached @main \([\d.]+ MB, f16\)/);
    const rm = await scweb(env, 'models', 'rm', 'hf:wanglab/scGPT-human');
    expect(rm.status).toBe(0);
    expect(existsSync(join(cache, 'models', 'wanglab--scGPT-human@main'))).toBe(false);
    expect((await scweb(env, 'models', 'list')).stdout).toContain('not cached (about 197 MiB to download)');
    expect((await scweb(env, 'models', 'rm', 'scgpt-human')).status).toBe(1);
  });

  it('refuses a wrong checksum and caches nothing', async () => {
    await serve({ wrongChecksum: 'best_model.pt' });
    const cache = mkdtempSync(join(tmpdir(), 'scweb-hub-'));
    const r = await scweb({ SCWEB_CACHE: cache, HF_ENDPOINT: hub!.endpoint }, 'embed', input, '--model', `hf:${REPO}`, '--out', join(cache, 'x.npy'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/best_model\.pt: SHA-256 [0-9a-f]{64} does not match the hub's [0-9a-f]{64}/);
    expect(existsSync(join(cache, 'models'))).toBe(false);
    expect(existsSync(join(cache, 'downloads', 'wanglab--scGPT-human@main', 'best_model.pt.part'))).toBe(false);
    expect(existsSync(join(cache, 'x.npy'))).toBe(false);
  });

  it('offline: names the URL and the way out', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'scweb-hub-'));
    const r = await scweb({ SCWEB_CACHE: cache, HF_ENDPOINT: 'http://127.0.0.1:9' }, 'embed', input, '--model', `hf:${REPO}@v2`, '--out', join(cache, 'x.npy'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('could not reach http://127.0.0.1:9/wanglab/scGPT-human/resolve/v2/args.json');
    expect(r.stderr).toContain('--model PATH');
    expect(r.stderr).not.toContain('Usage');
  });
});
