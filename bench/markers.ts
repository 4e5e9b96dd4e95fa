// The markers' statistics alone (rank_genes_groups over every gene: gene-major transpose, ranks,
// rank sums, z, p, fold changes, pts) on the inputs bench/markers-input.ts dumps. One thread
// (inline) and a pool of --threads, alternated, --rounds each; prints the median wall and CPU ms
// (every thread of the process) and each run's wall ms,
// the load average before each, and whether the pool's bits equal one thread's. --save writes
// the one-thread statistics (raw float64 arrays) for a bit comparison with another build.
// Run: node --import tsx bench/markers.ts --in bench/out/markers_30000.bin [--threads 2] [--rounds 5] [--method wilcoxon] [--save out.bin]
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { markerStatsAsync, type MarkerMethod, type MarkerStats } from '../src/analysis/markers.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import type { CsrArrays } from '../src/io/csr.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '5'));
const method = arg('method', 'wilcoxon') as MarkerMethod;
const buf = readFileSync(arg('in', 'bench/out/markers_30000.bin'));
const [nRows, nCols, nnz, G] = new Int32Array(buf.buffer, buf.byteOffset, 4);
let at = buf.byteOffset + 16;
const take = <T>(C: { new (b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number }, n: number): T => {
  const copy = buf.buffer.slice(at, at + n * C.BYTES_PER_ELEMENT) as ArrayBuffer;
  at += n * C.BYTES_PER_ELEMENT;
  return new C(copy, 0, n);
};
const m: CsrArrays = { nRows, nCols, indptr: take(Float64Array, nRows + 1), indices: take(Uint32Array, nnz), data: take(Float32Array, nnz) };
const labels = take(Int32Array, nRows);
console.log(`${nRows} x ${nCols}, ${nnz.toLocaleString('en-US')} values, ${G} groups, ${method}; pool of ${threads}`);

const pool = nodePool(threads);
await markerStatsAsync(method, m, labels, G, { pool, poolMinValues: 0 }); // warm the workers and the JIT
const keys = ['scores', 'pvals', 'logFoldChanges', 'pctIn', 'pctOut'] as const;
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = (a: MarkerStats, b: MarkerStats) => keys.every((k) => a[k].every((x, g) => bytes(x).equals(bytes(b[k][g]))));
const times: number[][] = [[], []];
const cpu: number[][] = [[], []];
const loads: string[] = [];
const out: MarkerStats[] = [];
for (let r = 0; r < rounds; r++) {
  for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
    loads.push(loadavg()[0].toFixed(2));
    const c = process.cpuUsage();
    const t = performance.now();
    out[k] = await markerStatsAsync(method, m, labels, G, { pool: k === 0 ? null : pool, poolMinValues: 0 });
    times[k].push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu[k].push((used.user + used.system) / 1000);
  }
}
const median = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];
console.log(`| ${method} | ${median(times[0]).toFixed(0)} | ${median(times[1]).toFixed(0)} | ${(median(times[0]) / median(times[1])).toFixed(2)}x | ${median(cpu[0]).toFixed(0)} | ${median(cpu[1]).toFixed(0)} | ${same(out[0], out[1]) ? 'identical' : 'DIFFERENT'} | ${times[0].map((t) => t.toFixed(0)).join(', ')} | ${times[1].map((t) => t.toFixed(0)).join(', ')} | ${loads.join(', ')} |`);
const save = arg('save', '');
if (save) writeFileSync(save, Buffer.concat(keys.flatMap((k) => out[0][k].map(bytes))));
pool?.terminate();
