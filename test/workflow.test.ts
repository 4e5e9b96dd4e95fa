// workflows/Snakefile under Debian's Snakemake (7.21): three shards embedded in parallel, merged
// and analysed give the same X_scGPT as one `scweb embed`; a shard whose process is killed mid-run
// is redone on the next run while the finished shards are kept. Snakemake runs in a temporary
// working directory (it writes .snakemake/ there), never in the checkout.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openPaths } from '../src/io/node.ts';
import { shared } from './helpers.ts';

const REPO = resolve(__dirname, '..');
const SNAKEMAKE = process.env.SNAKEMAKE ?? '/usr/bin/snakemake';
const haveSnakemake = existsSync(SNAKEMAKE);
const CLI = join(REPO, 'bin/scweb.mjs');
const INPUT = shared('data/pbmc68k_reduced_with_counts.h5ad');
const MODEL = join(REPO, 'public/weights/scgpt-tiny-fixture');
// The embed options every run here shares; short cells keep it quick on two CI cores.
const EMBED = { max_length: 24, seed: 5, backend: 'cpu' };
const root = mkdtempSync(join(tmpdir(), 'scweb-workflow-'));

if (!haveSnakemake && !process.env.CI) {
  console.warn(`workflow tests skipped: ${SNAKEMAKE} is missing (\`make test\` installs Debian's snakemake; or set SNAKEMAKE=/path/to/snakemake)`);
}

interface Run {
  status: number | null;
  output: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; onSpawn?: () => void } = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (status) => done({ status, output }));
    opts.onSpawn?.();
  });
}

function snakemake(workdir: string, out: string, targets: string[] = [], extra: Record<string, string> = {}): Promise<Run> {
  const config = Object.entries({ input: INPUT, model: MODEL, parts: 3, out, ...EMBED, ...extra }).map(([k, v]) => `${k}=${v}`);
  // Targets before --config: everything after it is read as key=value.
  return run(SNAKEMAKE, ['-s', join(REPO, 'workflows/Snakefile'), '--cores', '3', '--directory', workdir, ...targets, '--config', ...config]);
}

function scgpt(path: string): Promise<Buffer> {
  return openPaths([path]).then((ds) => {
    const e = ds.readEmbedding('X_scGPT');
    ds.close();
    expect(e.shape).toEqual([700, 64]);
    return Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  });
}

/** Snakemake's "Job stats" table: how many jobs of each rule this run executed. */
function jobCounts(output: string): Record<string, number> {
  const table = output.split('Job stats:')[1] ?? '';
  const counts: Record<string, number> = {};
  for (const m of table.matchAll(/^(all|embed|merge|analyze|annotate)\s+(\d+)/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

describe.runIf(!haveSnakemake && process.env.CI)('workflow prerequisites', () => {
  it('snakemake is installed (CI runs `make test`, which installs it)', () => {
    throw new Error(`${SNAKEMAKE} is missing: run the tests through \`make test\` (it installs Debian's snakemake) or set SNAKEMAKE`);
  });
});

describe.runIf(haveSnakemake)('workflows/Snakefile with 3 shards on pbmc68k (700 cells)', () => {
  let whole: Buffer;

  beforeAll(async () => {
    const out = join(root, 'whole.h5ad');
    const r = await run(process.execPath, [CLI, 'embed', INPUT, '--model', MODEL, '--out', out, '--max-length', String(EMBED.max_length), '--seed', String(EMBED.seed), '--backend', 'cpu']);
    expect(r.status, r.output).toBe(0);
    whole = await scgpt(out);
  }, 300_000);

  it('embed x3 -> merge -> analyze: X_scGPT bit-identical to one `scweb embed`, then clustered', async () => {
    const work = join(root, 'full');
    const r = await snakemake(work, 'res');
    expect(r.status, r.output).toBe(0);
    expect(jobCounts(r.output)).toEqual({ all: 1, embed: 3, merge: 1, analyze: 1 });
    expect((await scgpt(join(work, 'res/embedded.h5ad'))).equals(whole)).toBe(true);
    const analyzed = await openPaths([join(work, 'res/analyzed.h5ad')]);
    expect((await scgpt(join(work, 'res/analyzed.h5ad'))).equals(whole)).toBe(true);
    expect(analyzed.obs.columns.some((c) => c.name === 'leiden')).toBe(true);
    expect(analyzed.embeddings.map((e) => e.key)).toContain('X_umap');
    analyzed.close();
    expect(readFileSync(join(work, 'res/logs/analyze.log'), 'utf8')).toContain('Leiden clusters');
    expect(existsSync(join(work, '.snakemake'))).toBe(true);
    // A second run finds everything up to date.
    const again = await snakemake(work, 'res');
    expect(again.status, again.output).toBe(0);
    expect(again.output).toContain('Nothing to be done');
    // With a reference, only the annotation step is added (labels transferred in PCA space).
    const annotated = await snakemake(work, 'res', [], { reference: INPUT, label_col: 'bulk_labels' });
    expect(annotated.status, annotated.output).toBe(0);
    expect(jobCounts(annotated.output)).toEqual({ all: 1, annotate: 1 });
    const labels = await openPaths([join(work, 'res/annotated.h5ad')]);
    expect(labels.obs.columns.map((c) => c.name)).toEqual(expect.arrayContaining(['predicted_bulk_labels', 'predicted_bulk_labels_confidence', 'leiden']));
    labels.close();

    // merge refuses the workflow's own shards with one left out or one given twice.
    const shards = [0, 1, 2].map((i) => join(work, `res/shards/part-${i}-of-3.json`));
    const missing = await run(process.execPath, [CLI, 'merge', shards[0], shards[2], '--into', INPUT, '--out', join(work, 'x.h5ad')]);
    expect(missing.status).toBe(1);
    expect(missing.output).toContain('cells 233..465 are in no shard');
    const twice = await run(process.execPath, [CLI, 'merge', ...shards, shards[2], '--into', INPUT, '--out', join(work, 'x.h5ad')]);
    expect(twice.status).toBe(1);
    expect(twice.output).toContain(`${shards[2]} and ${shards[2]} both hold cells 466..699: a part is given twice`);
    expect(existsSync(join(work, 'x.h5ad'))).toBe(false);
  }, 600_000);

  it('a shard killed mid-run is redone on the next run; the finished shards are not', async () => {
    const work = join(root, 'killed');
    const out = join(work, 'res');
    const shard = (i: number, ext: string) => join(out, `shards/part-${i}-of-3.${ext}`);
    const log1 = join(out, 'logs/embed-1-of-3.log');
    let killed = '';
    const first = snakemake(work, out, [join(out, 'embedded.h5ad')]);
    // Kill part 1's node process (the job, not Snakemake) once it has started embedding.
    let exited = false;
    void first.then(() => (exited = true));
    for (let t = 0; t < 1200 && !killed && !exited; t++) {
      await new Promise((r) => setTimeout(r, 100));
      if (!existsSync(log1) || !readFileSync(log1, 'utf8').includes('part 1/3: cells 233..465')) continue;
      const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout.split('\n');
      const line = ps.find((l) => /^\s*\d+\s+\S*node\s/.test(l) && l.includes('scweb.mjs embed') && l.includes(shard(1, 'npy')));
      if (!line) continue;
      expect(existsSync(shard(1, 'npy')), 'part 1 finished before it could be killed').toBe(false);
      process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
      killed = line;
    }
    const r1 = await first;
    expect(killed, `never saw part 1 running; Snakemake said:\n${r1.output}`).not.toBe('');
    expect(r1.status).not.toBe(0);
    expect(r1.output).toMatch(/Error in rule embed:[\s\S]*part-1-of-3/);
    // Nothing half-written: the shard that died left no file, the others completed.
    expect(readdirSync(join(out, 'shards')).sort()).toEqual(['part-0-of-3.json', 'part-0-of-3.npy', 'part-2-of-3.json', 'part-2-of-3.npy']);
    const stamp = (i: number) => ['npy', 'json'].map((e) => `${statSync(shard(i, e)).ino}:${statSync(shard(i, e)).mtimeMs}`).join(',');
    const before = [stamp(0), stamp(2)];

    const r2 = await snakemake(work, out, [join(out, 'embedded.h5ad')]);
    expect(r2.status, r2.output).toBe(0);
    expect(jobCounts(r2.output)).toEqual({ embed: 1, merge: 1 });
    expect(r2.output).toMatch(/rule embed:[\s\S]*wildcards: i=1\b/);
    expect(r2.output).not.toMatch(/wildcards: i=[02]\b/);
    expect([stamp(0), stamp(2)]).toEqual(before);
    expect((await scgpt(join(out, 'embedded.h5ad'))).equals(whole)).toBe(true);
  }, 600_000);

  it('the Slurm profile parses under this Snakemake and asks a GPU per embed job (dry run)', async () => {
    const work = join(root, 'slurm');
    const r = await run(SNAKEMAKE, ['-s', join(REPO, 'workflows/Snakefile'), '--profile', join(REPO, 'workflows/profiles/slurm'), '-n', '--directory', work, '--config', `input=${INPUT}`, `model=${MODEL}`, 'parts=3', 'out=res']);
    expect(r.status, r.output).toBe(0);
    expect(jobCounts(r.output)).toEqual({ all: 1, embed: 3, merge: 1, analyze: 1 });
    const embedJobs = r.output.split(/\n(?=\S)|\n\n/).filter((b) => b.includes('rule embed:'));
    expect(embedJobs).toHaveLength(3);
    for (const job of embedJobs) expect(job).toMatch(/resources: .*slurm_partition=gpu.*gpu=1, slurm_extra='--gres=gpu:1'/);
  }, 120_000);
});
