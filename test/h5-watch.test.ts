// The HDF5 watch: every read call into h5wasm is announced (watch.ts) to a pipe for the CLI's
// supervisor (node-watch.ts -> supervise.ts's CallLog) or to shared memory for the page
// (shared-watch.ts); a call that stays open past the limit is reported with its file and object.
// The end-to-end cases (a file that really makes HDF5 loop) are in fuzz.test.ts (CLI) and
// e2e/load.spec.ts (app).
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CallLog, DEFAULT_H5_TIMEOUT_S, h5TimeoutOf, stuckMessage } from '../src/cli/supervise.ts';
import { UsageError } from '../src/cli/usage.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { pipeWatcher } from '../src/io/h5/node-watch.ts';
import { sharedWatcher, WatchReader, watchBuffer, WATCH_SLOTS } from '../src/io/h5/shared-watch.ts';
import { setH5Watcher } from '../src/io/h5/watch.ts';
import { openPaths } from '../src/io/node.ts';

const DEMO = join(__dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad');

afterEach(() => setH5Watcher(null));

describe('--h5-timeout', () => {
  it('takes the flag anywhere (and removes it), else the environment, else 30 s; 0 turns the watch off', () => {
    expect(h5TimeoutOf(['inspect', 'a.h5ad'], {})).toEqual({ seconds: DEFAULT_H5_TIMEOUT_S, rest: ['inspect', 'a.h5ad'] });
    expect(h5TimeoutOf(['inspect', '--h5-timeout', '5', 'a.h5ad'], {})).toEqual({ seconds: 5, rest: ['inspect', 'a.h5ad'] });
    expect(h5TimeoutOf(['inspect', 'a.h5ad', '--h5-timeout=0.5'], { SCWEB_H5_TIMEOUT: '9' })).toEqual({ seconds: 0.5, rest: ['inspect', 'a.h5ad'] });
    expect(h5TimeoutOf(['inspect'], { SCWEB_H5_TIMEOUT: '0' }).seconds).toBe(0);
    expect(() => h5TimeoutOf(['inspect', '--h5-timeout', 'soon'], {})).toThrow(UsageError);
    expect(() => h5TimeoutOf(['inspect', '--h5-timeout', '-1'], {})).toThrow(/number of seconds/);
  });
});

describe('the supervisor\'s call log', () => {
  it('tracks calls per thread across split chunks, reports only one open past the limit, and keeps the temporaries', () => {
    let t = 0;
    const log = new CallLog(() => t);
    log.feed('E 0 a.h5ad\t/obs\nX 0\nE 3 a.h5ad\t/X/da');
    log.feed('ta\nT /tmp/.out.partial-1.h5ad\nT /tmp/.b.partial-1.npy\nU /tmp/.b.partial-1.npy\n');
    expect(log.stuck(1000)).toBeNull();
    t = 999;
    expect(log.stuck(1000)).toBeNull();
    t = 1001;
    expect(log.stuck(1000)).toEqual({ file: 'a.h5ad', object: '/X/data', since: 0 });
    log.feed('X 3\n');
    expect(log.stuck(1000)).toBeNull();
    expect([...log.temporaries]).toEqual(['/tmp/.out.partial-1.h5ad']);
    expect(stuckMessage({ file: 'a.h5ad', object: '/X/data', since: 0 }, 30)).toMatch(/^scweb: error: HDF5 stopped responding while reading a\.h5ad at \/X\/data: the file is damaged/);
  });

  it('reads what the pipe watcher writes, with the calls of a real open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-watch-'));
    const path = join(dir, 'pipe.txt');
    const fd = openSync(path, 'w');
    setH5Watcher(pipeWatcher(fd));
    const ds = await openPaths([DEMO]);
    ds.close();
    setH5Watcher(null);
    closeSync(fd);
    const text = readFileSync(path, 'utf8');
    const lines = text.trim().split('\n');
    // Outermost calls only, each closed: as many ends as starts, alternating on this thread.
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.filter((l) => l.startsWith('E ')).length).toBe(lines.filter((l) => l.startsWith('X ')).length);
    expect(lines[0]).toBe('E 0 pbmc68k_reduced_with_counts.h5ad\t/');
    expect(lines.some((l) => /^E 0 pbmc68k_reduced_with_counts\.h5ad\t\/obs/.test(l))).toBe(true);
    const log = new CallLog(() => 0);
    log.feed(text);
    expect(log.calls.size).toBe(0);
  });

  it('a call in progress is announced before HDF5 runs it (the watcher sees it from outside while it runs)', async () => {
    const { lib } = await nodeH5Runtime();
    const seen: string[] = [];
    setH5Watcher({ enter: (file, object) => seen.push(`enter ${file} ${object}`), exit: () => seen.push('exit') });
    const f = new lib.File(DEMO, 'r');
    expect(seen).toEqual(['enter pbmc68k_reduced_with_counts.h5ad /', 'exit']);
    seen.length = 0;
    void (f.get('obsm/X_umap') as import('h5wasm').Dataset).value;
    f.close();
    expect(seen.filter((s) => s.startsWith('enter')).length).toBeGreaterThan(1);
    expect(seen.every((s, i) => (i % 2 === 0 ? s.startsWith('enter pbmc68k_reduced_with_counts.h5ad') : s === 'exit'))).toBe(true);
    expect(seen).toContain('enter pbmc68k_reduced_with_counts.h5ad /obsm/X_umap');
  });
});

describe('the page\'s watch over shared memory', () => {
  it('a slot busy with the same call past the limit is stuck; a new call or its end resets it', () => {
    const buffer = watchBuffer();
    let t = 0;
    const reader = new WatchReader(buffer, () => t);
    const data = sharedWatcher(buffer, 0);
    const pool = sharedWatcher(buffer, WATCH_SLOTS - 1);
    data.enter('a.h5ad', '/obs/cell_type');
    expect(reader.stuck(3000)).toBeNull();
    t = 2000;
    data.exit();
    data.enter('a.h5ad', '/obs/donor');
    expect(reader.stuck(3000)).toBeNull();
    t = 4500;
    expect(reader.stuck(3000)).toBeNull(); // the second call started at 2000
    t = 5001;
    expect(reader.stuck(3000)).toEqual({ file: 'a.h5ad', object: '/obs/donor', slot: 0 });
    data.exit();
    expect(reader.stuck(3000)).toBeNull();
    pool.enter('ümlaut-ß.h5ad', '/X/data');
    reader.stuck(3000);
    t = 9000;
    expect(reader.stuck(3000)).toEqual({ file: 'ümlaut-ß.h5ad', object: '/X/data', slot: WATCH_SLOTS - 1 });
  });
});
