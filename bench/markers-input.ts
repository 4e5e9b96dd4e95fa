// Dumps the markers' inputs at --cells (the pipeline's log-normalised matrix over every gene and
// its Leiden labels, as bench/serial-parts.ts builds them) to --out, for bench/markers.ts and
// bench/markers_scanpy.py to time the statistics alone on identical data.
// Run: node --import tsx bench/markers-input.ts --cells 30000 --out bench/out/markers_30000.bin
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logNormMatrix } from '../src/analysis/expression.ts';
import { DEFAULT_PARAMS, Pipeline } from '../src/analysis/pipeline.ts';
import { openPaths } from '../src/io/node.ts';
import { ensureSynthetic } from './synthetic.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const nCells = Number(arg('cells', '30000'));
const out = arg('out', join(import.meta.dirname, 'out', `markers_${nCells}.bin`));
const file = join(import.meta.dirname, 'out', `synthetic_${nCells}x20000.h5ad`);
await ensureSynthetic(file, { nCells, nGenes: 20000, genesPerCell: 1000, seed: 42 });
const ds = await openPaths([file]);
const key = ds.matrices[0].key;
const res = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, device: 'cpu' });
const m = await logNormMatrix(ds, key, res.keep, res.qc.total_counts, Int32Array.from({ length: ds.nVars }, (_, g) => g));
const labels = Int32Array.from(res.leiden.filter((l) => l >= 0));
// Layout: int32 nRows, nCols, nnz, nGroups; float64 indptr; uint32 indices; float32 data; int32 labels.
const head = Int32Array.from([m.nRows, m.nCols, m.data.length, res.nClusters]);
const parts = [head, Float64Array.from(m.indptr), Uint32Array.from(m.indices), Float32Array.from(m.data), labels];
writeFileSync(out, Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
console.log(`${out}: ${m.nRows} x ${m.nCols}, ${m.data.length} values, ${res.nClusters} groups`);
ds.close();
