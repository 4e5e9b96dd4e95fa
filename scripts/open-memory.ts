// Memory an open costs: heap and RSS growth from before opening a file to after, measured in its
// own process with --expose-gc (so a collection settles both ends), printed as one JSON line.
//   node --expose-gc --import tsx scripts/open-memory.ts FILE [--summary]
// --summary also holds the summary the UI is sent after an open (and `scweb inspect` prints).
import { statSync } from 'node:fs';
import { openPaths } from '../src/io/node.ts';
import { summarize } from '../src/io/summary.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const path = process.argv[2];
if (!path) throw new Error('usage: open-memory.ts FILE');

function settle(): NodeJS.MemoryUsage {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage();
}

// Load the HDF5 runtime first (its wasm module and code are not the file's cost).
const warm = await openPaths([new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url).pathname]);
warm.close();
const before = settle();
const t0 = performance.now();
const ds = await openPaths([path]);
const summary = process.argv.includes('--summary') ? summarize(ds) : null;
const openMs = performance.now() - t0;
const after = settle();
const categories = ds.obs.columns.reduce((s, c) => s + (c.kind === 'categorical' ? c.categories.length : 0), 0);
console.log(JSON.stringify({
  fileBytes: statSync(path).size,
  nObs: ds.nObs,
  categories,
  heapBytes: after.heapUsed - before.heapUsed,
  externalBytes: after.external + after.arrayBuffers - before.external - before.arrayBuffers,
  rssBytes: after.rss - before.rss,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
  openMs: Math.round(openMs),
  summaryColumns: summary ? Object.keys(summary.obs).length : null,
}));
ds.close();
