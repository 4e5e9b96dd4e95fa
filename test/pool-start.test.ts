// Pool workers on Node start from an esbuild bundle of their task modules (fast) or, where none
// can be made, through tsx: both give the inline bits, the bundle is named by its text and reused,
// and a pool stopped before its workers started leaves nothing running.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exactKnnAsync } from '../src/analysis/knn.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { deferredPort } from '../src/parallel/node-pool.ts';
import { bundleDir, workerBundle } from '../src/parallel/node-worker-bundle.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { mulberry32 } from '../src/model/random.ts';

const pools: WorkerPool[] = [];
afterAll(() => pools.forEach((p) => p.terminate()));

function withTsx<T>(fn: () => T): T {
  const before = process.env.SCWEB_POOL_BUNDLE;
  process.env.SCWEB_POOL_BUNDLE = '0';
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.SCWEB_POOL_BUNDLE;
    else process.env.SCWEB_POOL_BUNDLE = before;
  }
}

describe('pool workers start from a bundle of their modules', () => {
  const setup = [new URL('../src/analysis/pool-node-setup.ts', import.meta.url)];

  it('the bundle is one file under node_modules/.cache named by its text, made once per process', async () => {
    const first = workerBundle(setup);
    expect(workerBundle(setup)).toBe(first);
    const url = await first;
    expect(url).not.toBeNull();
    const file = fileURLToPath(url!);
    expect(file.startsWith(bundleDir())).toBe(true);
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, 'utf8');
    // Our sources are inside; packages stay imports, resolved from node_modules as from src/.
    expect(text).toContain('servePoolTasks');
    expect(text).toContain('definePoolTask');
    expect(text).not.toContain('tsx/esm/api');
  });

  it('warm() starts the workers before any block (they load while the caller opens the file)', async () => {
    const pool = nodePool(2)!;
    pools.push(pool);
    expect(pool.started).toBe(0);
    expect(pool.warm()).toBe(pool);
    expect(pool.started).toBe(2);
    const rng = mulberry32(4);
    const x = Float32Array.from({ length: 500 * 6 }, () => rng());
    const r = await exactKnnAsync(x, 500, 6, 5, { pool, poolMinPoints: 0 });
    expect(Buffer.from(r.indices.buffer).equals(Buffer.from((await exactKnnAsync(x, 500, 6, 5)).indices.buffer))).toBe(true);
    expect(pool.started).toBe(2);
  });

  it('bundled and tsx-loaded workers give the inline bits', async () => {
    const rng = mulberry32(3);
    const n = 900;
    const d = 12;
    const x = Float32Array.from({ length: n * d }, () => rng());
    const inline = await exactKnnAsync(x, n, d, 10);
    const bundled = nodePool(2)!;
    const viaTsx = withTsx(() => nodePool(2)!);
    pools.push(bundled, viaTsx);
    for (const pool of [bundled, viaTsx]) {
      const r = await exactKnnAsync(x, n, d, 10, { pool, poolMinPoints: 0 });
      expect(Buffer.from(r.indices.buffer).equals(Buffer.from(inline.indices.buffer))).toBe(true);
      expect(Buffer.from(r.distances.buffer).equals(Buffer.from(inline.distances.buffer))).toBe(true);
      expect(pool.started).toBe(2);
    }
  });

  it('a port takes messages and listeners before its worker starts; stopped before, it never starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-port-'));
    const echo = join(dir, 'echo.mjs');
    // Says it started, then answers each message with its own text.
    writeFileSync(echo, "import { parentPort } from 'node:worker_threads'; parentPort.postMessage('started'); parentPort.on('message', (m) => parentPort.postMessage(m));");
    let release!: () => void;
    const ready = new Promise<void>((r) => (release = r));
    const entry = ready.then(() => ({ url: pathToFileURL(echo), workerData: {} }));
    const heard: unknown[] = [];
    const stoppedHeard: unknown[] = [];
    const a = deferredPort(entry);
    const b = deferredPort(entry);
    a.postMessage('queued');
    b.postMessage('queued');
    const answered = new Promise<void>((resolve) => a.onMessage((m) => (heard.push(m), heard.length === 2 && resolve())));
    b.onMessage((m) => stoppedHeard.push(m));
    b.terminate();
    release();
    await answered;
    a.postMessage('after');
    await new Promise<void>((resolve) => a.onMessage((m) => m === 'after' && resolve()));
    a.terminate();
    expect(heard.slice(0, 2)).toEqual(['started', 'queued']);
    expect(stoppedHeard).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});
