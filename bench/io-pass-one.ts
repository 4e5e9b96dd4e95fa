// One measurement of bench/io-pass.ts, in its own process: prints a JSON line.
import { resourceUsage } from 'node:process';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { readNumeric, requireDataset } from '../src/io/h5/read.ts';
import { totalCountsPerCell } from '../src/io/iterate.ts';
import { openPaths } from '../src/io/node.ts';

const [mode, file] = process.argv.slice(2);

async function lazy() {
  let t = performance.now();
  const ds = await openPaths([file]);
  const openMs = performance.now() - t;
  t = performance.now();
  const totals = await totalCountsPerCell(ds, ds.countsKey ?? 'X');
  const passMs = performance.now() - t;
  ds.close();
  return { openMs, passMs, total: totals.reduce((a, b) => a + b, 0) };
}

/** The whole matrix in memory at once, then the same per-cell sums. */
async function eager() {
  const { lib } = await nodeH5Runtime();
  let t = performance.now();
  const f = new lib.File(file, 'r');
  const ctx = { lib, file: f, fileName: file };
  const indptr = readNumeric(ctx, requireDataset(ctx, 'X/indptr'));
  const openMs = performance.now() - t;
  t = performance.now();
  const data = readNumeric(ctx, requireDataset(ctx, 'X/data'));
  const indices = readNumeric(ctx, requireDataset(ctx, 'X/indices'));
  const n = indptr.length - 1;
  const totals = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = indptr[r]; k < indptr[r + 1]; k++) s += data[k];
    totals[r] = s;
  }
  const passMs = performance.now() - t;
  if (indices.length !== data.length) throw new Error('indices/data length mismatch');
  f.close();
  return { openMs, passMs, total: totals.reduce((a, b) => a + b, 0) };
}

const r = mode === 'eager' ? await eager() : await lazy();
console.log(JSON.stringify({ mode, ...r, peakRssMB: resourceUsage().maxRSS / 1024 }));
