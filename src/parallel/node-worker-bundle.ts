// Pool workers on Node start from one esbuild bundle of their task modules instead of loading each
// TypeScript module through tsx's loader (node-worker.mjs): two workers were ready in 30-50 ms
// instead of ~300 ms, and the ~0.25 CPU s each spent on module loading was taken from the first
// pooled step on a two-core machine (bench/pool-start.ts). The bundle is made in esbuild's own
// process while this thread goes on, from the sources as they are now (named by the hash of its
// text, so it is never stale), and written under node_modules/.cache so the packages it leaves
// external (h5wasm and the like) resolve as from the sources. Where it cannot be made (no
// esbuild, a read-only install, SCWEB_POOL_BUNDLE=0) the workers load the sources through tsx.
import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, readdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundles = new Map<string, Promise<URL | null>>();

/** Bundles not made or reused for this long (earlier sources) are removed. */
const STALE_MS = 7 * 24 * 3600 * 1000;

/** The bundled worker entry for `modules` (started once per process and module list), or null: use tsx. */
export function workerBundle(modules: URL[]): Promise<URL | null> {
  const key = modules.map(String).join('\n');
  let b = bundles.get(key);
  if (!b) {
    b = build(modules).catch(() => null);
    bundles.set(key, b);
  }
  return b;
}

/** Where bundles go: the project's node_modules/.cache, from which bare imports resolve as from src/. */
export function bundleDir(): string {
  return fileURLToPath(new URL('../../node_modules/.cache/scweb-pool/', import.meta.url));
}

async function build(modules: URL[]): Promise<URL | null> {
  const esbuild = await import('esbuild');
  const serve = fileURLToPath(new URL('./serve.ts', import.meta.url));
  const contents = [
    ...modules.map((m) => `import ${JSON.stringify(fileURLToPath(m))};`),
    `import { servePoolTasks } from ${JSON.stringify(serve)};`,
    `import { parentPort } from 'node:worker_threads';`,
    'servePoolTasks({ postMessage: (m, t) => parentPort.postMessage(m, t), onMessage: (cb) => parentPort.on("message", cb) });',
  ].join('\n');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const out = await esbuild.build({
    stdin: { contents, loader: 'ts', resolveDir: fileURLToPath(new URL('.', import.meta.url)), sourcefile: 'pool-worker-entry.ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    write: false,
    logLevel: 'silent',
    // Paths in the bundle's comments relative to the project, not to the current directory: the
    // same sources give the same bundle (and name) from wherever the command runs.
    absWorkingDir: root,
  });
  const code = out.outputFiles[0].contents;
  const name = `pool-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  const dir = bundleDir();
  const file = join(dir, name);
  try {
    await access(file);
    // In use again: not old for another process's clean-up.
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined);
  } catch {
    await mkdir(dir, { recursive: true });
    // Written whole under another name, then renamed: a process (or thread) starting beside this
    // one never imports half a file.
    const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(tmp, code);
    await rename(tmp, file);
    void removeStale(dir, name);
  }
  return pathToFileURL(file);
}

async function removeStale(dir: string, keep: string): Promise<void> {
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (f === keep || !f.startsWith('pool-worker-')) continue;
    const at = join(dir, f);
    const s = await stat(at).catch(() => null);
    if (s && Date.now() - s.mtimeMs > STALE_MS) await unlink(at).catch(() => undefined);
  }
}
