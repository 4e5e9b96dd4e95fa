// The input datasets of a command: one (a file, a folder, a MatrixMarket folder's files) or several
// joined into one (io/concat.ts), with --join and a line per file on stderr.
import { openInputs } from '../io/node.ts';
import type { Dataset } from '../io/types.ts';
import { loadEnsemblMap } from '../model/node-model.ts';
import { joinFlag, type Parsed } from './args.ts';

export async function openCliInputs(paths: string[], p: Parsed, log: (m: string) => void): Promise<Dataset> {
  const join = joinFlag(p);
  // The Ensembl -> symbol map matches an Ensembl-indexed file without symbols to symbol-indexed ones.
  const ensemblToSymbol = paths.length > 1 ? await loadEnsemblMap() : undefined;
  const ds = await openInputs(paths, { join, ensemblToSymbol, onWarning: (m) => log(`warning: ${m}`) });
  if (ds.concat) {
    log(`${ds.concat.parts.length} inputs joined into ${ds.nObs.toLocaleString('en-US')} cells x ${ds.nVars.toLocaleString('en-US')} genes:`);
    for (const part of ds.concat.parts) log(`  sample ${part.label}: ${part.fileName}, ${part.nObs.toLocaleString('en-US')} cells, counts ${part.countsKey ?? 'none'}`);
    for (const n of ds.concat.notes) log(`  ${n}`);
  }
  return ds;
}
