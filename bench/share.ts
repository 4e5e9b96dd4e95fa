// Share links, measured: a snapshot-like .h5ad of 10k and 100k synthetic cells (obs, var, X_umap,
// expression of 2,000 genes stored gene-major as CSC in uns/expression, ~5% dense), encrypted and
// uploaded to the local share API stand-in (test/fixtures/share-api-server.mjs) throttled to
// 50 Mbit/s; then, as the viewer does, opened lazily over HTTP Range: time to the first picture
// (open + X_umap), then 5 genes, with bytes fetched, against downloading the whole file.
// The real snapshot writer (src/io/h5ad/snapshot.ts) is another engineer's; this file stands in
// for its layout. Run: npx tsx bench/share.ts [--cells 10000,100000] [--mbit 50]
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { lazyNodeH5Runtime } from '../src/io/h5/lazy-node-runtime.ts';
import { TypeFixes } from '../src/io/h5ad/type-fixes.ts';
import { writeFrame } from '../src/io/h5ad/write.ts';
import { createShare } from '../src/io/share/client.ts';
import { parseShareLink, snapshotUrl } from '../src/io/share/link.ts';
import { openUrlNode } from '../src/io/share/node-open.ts';
import { remoteSource } from '../src/io/share/remote.ts';
import { rng } from './synthetic.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const CELLS = flag('--cells', '10000,100000').split(',').map(Number);
const MBIT = Number(flag('--mbit', '50'));
const GENES = 2000;
const DENSITY = 0.05;
const OUT = resolve(import.meta.dirname, 'out');

async function writeSnapshotLike(path: string, nCells: number): Promise<void> {
  if (existsSync(path)) return;
  const { lib } = await nodeH5Runtime();
  const random = rng(nCells);
  const f = new lib.File(path, 'w');
  const fixes = new TypeFixes();
  f.create_attribute('encoding-type', 'anndata');
  f.create_attribute('encoding-version', '0.1.0');
  writeFrame(f, 'obs', { index: Array.from({ length: nCells }, (_, i) => `cell${i}`), columns: [] }, fixes);
  writeFrame(f, 'var', { index: Array.from({ length: GENES }, (_, i) => `GENE${i}`), columns: [] }, fixes);
  const obsm = f.create_group('obsm');
  obsm.create_attribute('encoding-type', 'dict');
  obsm.create_attribute('encoding-version', '0.1.0');
  const umap = obsm.create_dataset({ name: 'X_umap', data: Float32Array.from({ length: nCells * 2 }, () => random() * 20 - 10), shape: [nCells, 2] });
  umap.create_attribute('encoding-type', 'array');
  umap.create_attribute('encoding-version', '0.2.0');
  for (const g of ['layers', 'obsp', 'varm', 'varp']) {
    const grp = f.create_group(g);
    grp.create_attribute('encoding-type', 'dict');
    grp.create_attribute('encoding-version', '0.1.0');
  }
  // Gene-major: one gene's values are one contiguous read.
  const indptr = new Int32Array(GENES + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let g = 0; g < GENES; g++) {
    for (let c = Math.floor(random() / DENSITY); c < nCells; c += 1 + Math.floor((random() * 2) / DENSITY)) {
      indices.push(c);
      data.push(Math.log1p(1 + Math.floor(random() * 20)));
    }
    indptr[g + 1] = indices.length;
  }
  const uns = f.create_group('uns');
  uns.create_attribute('encoding-type', 'dict');
  uns.create_attribute('encoding-version', '0.1.0');
  const expr = uns.create_group('expression');
  expr.create_attribute('encoding-type', 'csc_matrix');
  expr.create_attribute('encoding-version', '0.1.0');
  expr.create_attribute('shape', [nCells, GENES]);
  expr.create_dataset({ name: 'data', data: Float32Array.from(data) });
  expr.create_dataset({ name: 'indices', data: Int32Array.from(indices) });
  expr.create_dataset({ name: 'indptr', data: indptr });
  f.close();
}

async function startServer(bps: number): Promise<{ base: string; stop(): void }> {
  const child = spawn(process.execPath, [resolve(import.meta.dirname, '../test/fixtures/share-api-server.mjs'), '--bps', String(bps)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((ok) => createInterface({ input: child.stdout! }).once('line', ok));
  return { base: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`, stop: () => void child.kill() };
}

const mb = (n: number) => (n / 1e6).toFixed(2);
const s = (ms: number) => (ms / 1000).toFixed(2);

async function main() {
  mkdirSync(OUT, { recursive: true });
  const bps = (MBIT * 1e6) / 8;
  const rows: string[] = [];
  for (const n of CELLS) {
    const path = resolve(OUT, `share-snapshot-${n}.h5ad`);
    await writeSnapshotLike(path, n);
    const size = statSync(path).size;
    // Creation is measured unthrottled: it is the encryption and upload path, not the link speed.
    const fast = await startServer(0);
    let t = performance.now();
    await createShare(createReadStream(path, { highWaterMark: 1 << 20 }), size, { server: fast.base });
    const createMs = performance.now() - t;
    fast.stop();

    const server = await startServer(bps);
    try {
      const made = await createShare(createReadStream(path, { highWaterMark: 1 << 20 }), size, { server: server.base });
      const link = parseShareLink(made.url);
      const url = snapshotUrl(link);
      t = performance.now();
      const { dataset, remote } = await openUrlNode(url, { key: link.key, name: 'snapshot.h5ad' });
      dataset.readEmbedding('X_umap');
      const firstMs = performance.now() - t;
      const firstBytes = remote.stats.bytes;
      // Five genes, as the viewer colours by them: indptr pair, then one contiguous slice each.
      const rt = await lazyNodeH5Runtime();
      const source = remoteSource(remote, 'snapshot.h5ad');
      const h5 = rt.open(source);
      const read = (p: string, a: number, b: number) => (h5.get(p) as unknown as { slice(r: [number, number][]): ArrayLike<number> }).slice([[a, b]]);
      t = performance.now();
      for (const g of [3, 250, 999, 1500, 1998]) {
        const [a, b] = Array.from(read('uns/expression/indptr', g, g + 2));
        read('uns/expression/data', a, b);
        read('uns/expression/indices', a, b);
      }
      const genesMs = performance.now() - t;
      const genesBytes = remote.stats.bytes - firstBytes;
      h5.close();
      rt.release(source);
      dataset.close();
      t = performance.now();
      const whole = await (await fetch(url)).arrayBuffer();
      const wholeMs = performance.now() - t;
      rows.push(
        `| ${n.toLocaleString('en-US')} | ${mb(size)} | ${mb(made.bytes)} | ${s(createMs)} | ${s(firstMs)} | ${mb(firstBytes)} | ${s(genesMs)} | ${mb(genesBytes)} | ${s(wholeMs)} | ${mb(whole.byteLength)} |`,
      );
      console.error(rows.at(-1));
    } finally {
      server.stop();
    }
  }
  console.log(`Share links at ${MBIT} Mbit/s (local server, paced), encrypted, ${GENES} genes at ${DENSITY * 100}% density, 64 KiB blocks/chunks\n`);
  console.log('| cells | snapshot MB | stored MB | create s | first picture s | MB fetched | 5 genes s | MB fetched | whole file s | MB |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
}

await main();
process.exit(0);
