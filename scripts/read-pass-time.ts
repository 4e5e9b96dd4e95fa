// Time of a pass over a matrix's cells (total counts per cell), median of several, as JSON:
//   node --import tsx scripts/read-pass-time.ts FILE [KEY] [REPEATS]
import { totalCountsPerCell } from '../src/io/iterate.ts';
import { openPaths } from '../src/io/node.ts';

const [path, key = 'X', repeats = '7'] = process.argv.slice(2);
if (!path) throw new Error('usage: read-pass-time.ts FILE [KEY] [REPEATS]');
const ds = await openPaths([path]);
const times: number[] = [];
let sum = 0;
for (let i = 0; i < Number(repeats); i++) {
  const t0 = performance.now();
  const totals = await totalCountsPerCell(ds, key);
  times.push(performance.now() - t0);
  sum = totals.reduce((a, b) => a + b, 0);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ file: path, key, medianMs: Math.round(times[times.length >> 1]), minMs: Math.round(times[0]), sum }));
ds.close();
