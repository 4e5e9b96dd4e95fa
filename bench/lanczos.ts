// PCA's Lanczos eigensolver alone (lanczosEigen on a dense covariance [p, p], top 50 pairs), at 1
// and 2 threads, this tree against another tree's src (default: main's, extracted with git archive),
// in child processes run alternately (each imports its own tree's pool tasks, so the two cannot share
// a process). Each child reports wall and CPU seconds (process.cpuUsage, workers included) of each
// run on a warm pool, the basis size and a checksum of the eigenvalues.
// C: --c FILE (p x p float64 little-endian, row-major), else the covariance of 6,000 seeded random
// sparse log-counts x 2,000 genes (bench/synthetic-cells.ts), centred as pcaCsr does.
// Run: node --import tsx bench/lanczos.ts [--c FILE] [--old REF] [--rounds 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const arg = (name: string, dflt?: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

if (process.argv.includes('--child')) await child();
else await parent();

async function child(): Promise<void> {
  const root = arg('--root')!;
  const { lanczosEigen, covarianceRows } = await import(join(root, 'src/analysis/pca.ts'));
  const { nodePool } = await import(join(root, 'src/analysis/pool-node.ts'));
  const threads = Number(arg('--threads', '1'));
  const runs = Number(arg('--runs', '2'));
  const file = arg('--c');
  let C: Float64Array;
  let p: number;
  if (file) {
    const buf = readFileSync(file);
    C = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    p = Math.round(Math.sqrt(C.length));
  } else {
    const { randomLogCsr } = await import(resolve(import.meta.dirname, 'synthetic-cells.ts'));
    const { mulberry32 } = await import(resolve(import.meta.dirname, '../src/model/random.ts'));
    const n = 6000;
    p = 2000;
    const m = randomLogCsr(n, p, 0.03, mulberry32(11));
    C = covarianceRows({ ...m, n, p, sorted: true }, { from: 0, to: p });
    const mean = new Float64Array(p);
    for (let t = 0; t < m.data.length; t++) mean[m.indices[t]] += m.data[t];
    for (let j = 0; j < p; j++) mean[j] /= n;
    for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) C[b * p + a] = C[a * p + b] = C[a * p + b] + C[b * p + a];
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) C[a * p + b] = (C[a * p + b] - n * mean[a] * mean[b]) / (n - 1);
  }
  const pool = nodePool(threads);
  let vectors = 0;
  const once = async () => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await lanczosEigen({ C, p }, 50, { pool, poolMinDims: 0, onProgress: (_f: number, msg: string) => (vectors = Number(/\/ (\d+)/.exec(msg)?.[1] ?? vectors)) });
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    return { wall, cpu: (c.user + c.system) / 1e6, values: r.values as Float64Array };
  };
  await once(); // warm: workers started, code compiled
  const out = [];
  for (let i = 0; i < runs; i++) out.push(await once());
  pool?.terminate();
  const v = out[0].values;
  console.log(JSON.stringify({ runs: out.map(({ wall, cpu }) => ({ wall, cpu })), vectors, top: v[0], last: v[v.length - 1], sum: v.reduce((a, b) => a + b, 0) }));
}

async function parent(): Promise<void> {
  const here = resolve(import.meta.dirname, '..');
  const ref = arg('--old', 'main')!;
  const rounds = Number(arg('--rounds', '3'));
  const old = mkdtempSync(join(tmpdir(), 'lanczos-old-'));
  execFileSync('bash', ['-c', `git -C ${here} archive ${ref} src bench package.json tsconfig.json | tar -x -C ${old} && ln -s ${here}/node_modules ${old}/node_modules`]);
  const extra = arg('--c') ? ['--c', arg('--c')!] : [];
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(`${cpus().length} CPUs (${cpus()[0].model}), load average before ${loadavg().map((x) => x.toFixed(2)).join(' ')}; C ${arg('--c') ?? 'synthetic 6,000 x 2,000'}; old = ${ref}`);
  try {
    for (const threads of [1, 2]) {
      const res: Record<string, { wall: number[]; cpu: number[]; info: string }> = {};
      for (let r = 0; r < rounds; r++) {
        for (const [name, root] of [['old', old], ['new', here]] as const) {
          const p = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'bench/lanczos.ts'), '--child', '--root', root, '--threads', String(threads), ...extra], { encoding: 'utf8', cwd: here });
          if (p.status !== 0) throw new Error(`${name}: ${p.stderr}`);
          const j = JSON.parse(p.stdout.trim().split('\n').pop()!);
          res[name] ??= { wall: [], cpu: [], info: '' };
          for (const x of j.runs) {
            res[name].wall.push(x.wall);
            res[name].cpu.push(x.cpu);
          }
          res[name].info = `${j.vectors} vectors, top ${j.top.toPrecision(15)}, 50th ${j.last.toPrecision(15)}, sum ${j.sum.toPrecision(15)}`;
        }
      }
      for (const name of ['old', 'new']) {
        const x = res[name];
        console.log(`${threads} thread(s) ${name}: wall median ${median(x.wall).toFixed(3)} s [${x.wall.map((w) => w.toFixed(2)).join(' ')}], CPU median ${median(x.cpu).toFixed(3)} s; ${x.info}`);
      }
      console.log(`${threads} thread(s): new/old wall ${(median(res.new.wall) / median(res.old.wall)).toFixed(2)}, CPU ${(median(res.new.cpu) / median(res.old.cpu)).toFixed(2)}; load average now ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    }
  } finally {
    rmSync(old, { recursive: true, force: true });
  }
}
