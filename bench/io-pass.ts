// I/O benchmark: open time, one pass over all cells (total counts per cell), and peak RSS, for
// synthetic 10k / 100k / 300k cells x 20k genes. Each measurement runs in a fresh Node process so
// its peak RSS is its own. The alternative measured in the same run is an eager read of the whole
// matrix (X/data and X/indices into memory at once), which is what Kana-style readers do.
//
//   node --import tsx bench/io-pass.ts [--sizes 10000,100000,300000] [--genes 20000] [--skip-eager-above N]
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSynthetic } from './synthetic.ts';

interface Result {
  mode: 'lazy' | 'eager';
  openMs: number;
  passMs: number;
  peakRssMB: number;
  total: number;
  error?: string;
}

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

const here = fileURLToPath(new URL('.', import.meta.url));

function measure(mode: 'lazy' | 'eager', file: string): Result {
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'io-pass-one.ts'), mode, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
    return JSON.parse(out.trim().split('\n').pop()!) as Result;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const why = (e.stderr ?? e.message).split('\n').find((l) => /Error|memory|abort/i.test(l)) ?? 'failed';
    return { mode, openMs: NaN, passMs: NaN, peakRssMB: NaN, total: NaN, error: why.trim().slice(0, 120) };
  }
}

async function main() {
  const sizes = opt('sizes', '10000,100000,300000').split(',').map(Number);
  const nGenes = Number(opt('genes', '20000'));
  const skipEagerAbove = Number(opt('skip-eager-above', '1e12'));
  const rows: string[] = [];
  rows.push('| cells | file | reader | open | pass (total counts) | cells/s | peak RSS |');
  rows.push('|---:|---:|---|---:|---:|---:|---:|');
  for (const nCells of sizes) {
    const file = join(here, 'out', `synthetic_${nCells}x${nGenes}.h5ad`);
    await ensureSynthetic(file, { nCells, nGenes, genesPerCell: 1000, seed: 42 });
    const gb = (statSync(file).size / 1e9).toFixed(2);
    const lazy = measure('lazy', file);
    const eager = nCells > skipEagerAbove ? null : measure('eager', file);
    for (const r of [lazy, eager]) {
      if (!r) continue;
      const name = r.mode === 'lazy' ? 'scWeb lazy (chunks of rows)' : 'eager whole matrix (Kana-style)';
      rows.push(
        r.error
          ? `| ${nCells.toLocaleString('en-US')} | ${gb} GB | ${name} | failed: ${r.error} | | | |`
          : `| ${nCells.toLocaleString('en-US')} | ${gb} GB | ${name} | ${r.openMs.toFixed(0)} ms | ${(r.passMs / 1000).toFixed(2)} s | ${Math.round(nCells / (r.passMs / 1000)).toLocaleString('en-US')} | ${r.peakRssMB.toFixed(0)} MB |`,
      );
    }
    if (eager && !eager.error && !lazy.error) {
      if (Math.abs(eager.total - lazy.total) > 1e-6 * lazy.total) throw new Error(`eager and lazy totals differ: ${eager.total} vs ${lazy.total}`);
      rows.push(`| | | ratio lazy/eager | | ${(lazy.passMs / eager.passMs).toFixed(2)}x time | | ${(lazy.peakRssMB / eager.peakRssMB).toFixed(2)}x memory |`);
    }
    console.error(rows.slice(-3).join('\n'));
  }
  console.log(rows.join('\n'));
}

await main();
