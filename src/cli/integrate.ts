// `scweb integrate`: Harmony batch integration of an embedding (default obsm/X_pca) over one or more
// obs batch columns. Writes a fresh .h5ad: the input with obsm/<basis>_harmony added (or replaced),
// as scanpy.external.pp.harmony_integrate names it.
import { checkBatchKeys, runHarmony, HARMONY_DEFAULTS } from '../analysis/harmony.ts';
import { nodePool } from '../analysis/pool-node.ts';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { writeAtomically } from '../io/node-atomic.ts';
import { fileBytes } from '../io/node.ts';
import { openCliInputs } from './inputs.ts';
import { intFlag, parseArgs, threadsFlag } from './args.ts';
import { throttledLog } from './progress-log.ts';
import { UsageError } from './usage.ts';

export async function integrateCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['batch-key', 'basis', 'theta', 'lambda', 'seed', 'max-iter', 'out', 'join', 'threads']);
  const inputs = p.positionals;
  const [input] = inputs;
  const out = p.flags.get('out');
  const keyText = p.flags.get('batch-key');
  if (!input || !out || !keyText) throw new UsageError('integrate needs an input .h5ad (several are joined into one, obs/sample naming each cell\'s file), --batch-key KEY[,KEY2] and --out OUT.h5ad');
  if (!out.endsWith('.h5ad')) throw new UsageError('--out must end in .h5ad');
  const keys = keyText.split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0) throw new UsageError('--batch-key needs at least one obs column');
  const numbers = (name: string): number[] | undefined => {
    const v = p.flags.get(name);
    if (v === undefined) return undefined;
    const xs = v.split(',').map(Number);
    if (xs.some((x) => !Number.isFinite(x) || x < 0)) throw new UsageError(`--${name} must be a non-negative number (or one per batch key, comma-separated), got "${v}"`);
    if (xs.length !== 1 && xs.length !== keys.length) throw new UsageError(`--${name}: ${xs.length} values for ${keys.length} batch keys (give one, or one per key)`);
    return xs.length === 1 ? new Array<number>(keys.length).fill(xs[0]) : xs;
  };
  const theta = numbers('theta');
  const lambda = numbers('lambda');
  const seed = intFlag(p, 'seed', HARMONY_DEFAULTS.seed);
  const maxIter = intFlag(p, 'max-iter', HARMONY_DEFAULTS.maxIterHarmony);
  if (maxIter < 1) throw new UsageError('--max-iter must be at least 1');
  const basis = p.flags.get('basis') ?? 'X_pca';
  const threads = threadsFlag(p);
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  const progress = throttledLog(log, 1000);
  const ds = await openCliInputs(inputs, p, log);
  let pool: ReturnType<typeof nodePool> = null;
  try {
    if (!ds.embeddings.some((e) => e.key === basis)) {
      const have = ds.embeddings.map((e) => e.key).join(', ') || 'none';
      throw new Error(`--basis ${basis}: the file has no obsm/${basis} (it has: ${have}; run \`scweb analyze\` first for X_pca)`);
    }
    const columns = keys.map((k) => {
      const c = ds.obs.columns.find((col) => col.name === k);
      if (!c) throw new Error(`--batch-key ${k}: no obs column "${k}" (obs has: ${ds.obs.columns.map((col) => col.name).join(', ')})`);
      return c;
    });
    // The batch columns before the embedding is read: a wrong column is reported at once.
    checkBatchKeys(columns, ds.nObs);
    const emb = ds.readEmbedding(basis);
    const [N, d] = emb.shape;
    pool = nodePool(threads);
    log(`Harmony on obsm/${basis} (${N} cells x ${d}) over ${keys.join(', ')}, ${threads} thread${threads === 1 ? '' : 's'}`);
    const t0 = performance.now();
    const r = await runHarmony(emb.data, N, d, columns, {
      theta,
      lambda,
      seed,
      maxIterHarmony: maxIter,
      embeddingName: `obsm/${basis}`,
      pool,
      onProgress: (pr) => {
        if (pr.kind === 'iteration') log(`iteration ${pr.iteration}/${pr.maxIterations}: objective ${pr.objective.toFixed(4)}, ${pr.kmeansRounds} k-means rounds${pr.converged ? ', converged' : ''}`);
        else progress(`${pr.message.replace(/^Harmony: /, '')} (${Math.round(pr.fraction * 100)}%)`);
      },
    });
    log(`${r.K} clusters, ${r.iterations} iterations${r.converged ? ' (converged)' : ' (stopped before convergence)'} in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    const key = `${basis}_harmony`;
    const { lib } = await nodeH5Runtime();
    await writeAtomically(out, async (tmp) => {
      const notes = await writeWithResults(lib, input, ds, tmp, { obsm: { [key]: { shape: [N, d], data: Float32Array.from(r.zCorr) } } }, fileBytes(input));
      for (const n of notes) log(`not copied: ${n}`);
    });
    log(`wrote ${out} (obsm/${key})`);
  } finally {
    pool?.terminate();
    ds.close();
  }
  return 0;
}
