// `scweb merge`: the shards of a sharded `scweb embed` as one obsm/X_scGPT (in an .h5ad copy of the
// input, as `embed --out x.h5ad` writes it) or one .npy. Refuses shards that disagree on what
// decides the numbers, or that miss or repeat cells, naming the shards, before writing anything.
import { open } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { writeAtomically } from '../io/node-atomic.ts';
import { fileBytes, openPaths } from '../io/node.ts';
import { npyHeader } from '../io/npy.ts';
import { ShardError, checkShardSet } from '../model/shards.ts';
import { parseArgs } from './args.ts';
import { readShard, readShardRows } from './shard-files.ts';
import { UsageError } from './usage.ts';

export async function mergeCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['into', 'out']);
  const out = p.flags.get('out');
  const into = p.flags.get('into');
  if (p.positionals.length === 0 || !out) throw new UsageError('merge needs shard files (the .json or .npy of each `scweb embed --part`) and --out OUT.h5ad|OUT.npy (.h5ad also needs --into IN, the embedded input)');
  if (!/\.(npy|h5ad)$/.test(out)) throw new UsageError('--out must end in .npy or .h5ad');
  if (out.endsWith('.h5ad') && !into) throw new UsageError('--out .h5ad is a copy of the input with obsm/X_scGPT: give the input with --into IN');
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  const shards = [];
  for (const path of p.positionals) shards.push(await readShard(path));
  const set = checkShardSet(shards.map((s) => ({ name: s.name, sidecar: s.sidecar, item: s })));
  for (const n of set.notes) log(n);
  const { sidecar } = set.ordered[0];
  if (into) {
    const [name, bytes] = [basename(resolve(into)), fileBytes(into)];
    if (name !== sidecar.input.name || bytes !== sidecar.input.bytes) {
      throw new ShardError(`--into ${into} (${bytes} bytes) is not the file the shards embedded (${sidecar.input.name}, ${sidecar.input.bytes} bytes); pass that file, or re-embed this one`);
    }
  }
  const empty = set.ordered.reduce((a, s) => a + s.sidecar.n_empty, 0);
  log(`${set.ordered.length} shards, ${set.nObs} cells x ${set.dim} (model ${sidecar.model.id}, seed ${sidecar.params.seed}, max_length ${sidecar.params.max_length})${empty ? `; ${empty} cells with no in-vocabulary gene are NaN rows` : ''}`);
  if (out.endsWith('.npy')) {
    // Streamed a shard at a time: 10M cells x 512 is 20 GB, more than one typed array may hold.
    await writeAtomically(out, async (tmp) => {
      const file = await open(tmp, 'w');
      try {
        // writeFile on a handle writes all of it from the current position (write() may write less).
        await file.writeFile(npyHeader([set.nObs, set.dim]));
        for (const s of set.ordered) {
          const rows = await readShardRows(s.item);
          await file.writeFile(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
        }
      } finally {
        await file.close();
      }
    });
  } else {
    const rows = new Float32Array(set.nObs * set.dim);
    for (const s of set.ordered) rows.set(await readShardRows(s.item), s.sidecar.start * set.dim);
    const ds = await openPaths([into!]);
    try {
      if (ds.nObs !== set.nObs) throw new ShardError(`--into ${into} has ${ds.nObs} cells, the shards ${set.nObs}`);
      const { lib } = await nodeH5Runtime();
      await writeAtomically(out, async (tmp) => {
        const notes = await writeWithResults(lib, into!, ds, tmp, { obsm: { X_scGPT: { shape: [set.nObs, set.dim], data: rows } } }, fileBytes(into!));
        for (const n of notes) log(`not copied: ${n}`);
      });
    } finally {
      ds.close();
    }
  }
  log(`wrote ${out}`);
  return 0;
}
