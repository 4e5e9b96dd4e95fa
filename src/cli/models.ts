// `scweb models list | pull NAME | rm NAME`: the registry (public/models.json) and the cache.
import { approxBytes, parseModelSpec } from '../model/hub/registry.ts';
import { cacheRoot, ensureHubModel, hubEndpoint, listCached, loadRegistry, removeCached } from '../model/hub/node-cache.ts';
import { celltypistCachePath, celltypistEndpoint, loadCelltypistRegistry } from '../model/hub/celltypist-node.ts';
import { celltypistUrl } from '../model/hub/celltypist-registry.ts';
import { existsSync } from 'node:fs';
import { UsageError } from './usage.ts';

export async function modelsCommand(argv: string[]): Promise<number> {
  const [sub, name, ...extra] = argv;
  if (extra.length > 0) throw new UsageError(`models ${sub}: one NAME only`);
  const registry = await loadRegistry();
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  if (sub === 'list') {
    const cached = await listCached();
    const seen = new Set<string>();
    console.log(`cache: ${cacheRoot()}; hub: ${hubEndpoint()}`);
    for (const e of registry) {
      const here = cached.filter((c) => c.card.repo.toLowerCase() === e.repo.toLowerCase());
      here.forEach((c) => seen.add(c.name));
      const status = here.length > 0 ? here.map((c) => `cached @${c.card.revision} (${(c.bytes / 1e6).toFixed(1)} MB, ${c.card.bundleDtype})`).join(', ') : `not cached (about ${(approxBytes(e.files) / 2 ** 20).toFixed(0)} MiB to download)`;
      console.log(`${e.name}\thf:${e.repo}@${e.revision}\t${e.title}; ${e.licence}; ${status}`);
    }
    for (const c of cached.filter((c) => !seen.has(c.name))) {
      console.log(`${c.name}\thf:${c.card.repo}@${c.card.revision}\tcached (${(c.bytes / 1e6).toFixed(1)} MB, ${c.card.bundleDtype}), not in the registry`);
    }
    // CellTypist's models (scweb annotate --celltypist NAME downloads one).
    for (const e of await loadCelltypistRegistry()) {
      const here = existsSync(celltypistCachePath(e));
      const facts = [e.species, e.cellTypes ? `${e.cellTypes} cell types` : null, here ? 'cached' : e.size ? `not cached (${(e.size / 1e6).toFixed(1)} MB)` : 'not cached'].filter(Boolean).join('; ');
      console.log(`celltypist:${e.name}\t${celltypistUrl(e, celltypistEndpoint())}\t${e.description} (${facts})`);
    }
    return 0;
  }
  if (sub !== 'pull' && sub !== 'rm') throw new UsageError('models needs list, pull NAME or rm NAME');
  if (!name) throw new UsageError(`models ${sub} needs a NAME (${registry.map((e) => e.name).join(', ')}) or hf:OWNER/NAME[@REVISION]`);
  const ref = parseModelSpec(name, registry);
  if (!ref) throw new UsageError(`unknown model "${name}": use one of ${registry.map((e) => e.name).join(', ')} or hf:OWNER/NAME[@REVISION]`);
  if (sub === 'pull') {
    console.log(await ensureHubModel(ref, log));
    return 0;
  }
  if (!(await removeCached(ref))) {
    log(`${ref.repo}@${ref.revision} is not cached`);
    return 1;
  }
  log(`removed ${ref.repo}@${ref.revision} from ${cacheRoot()}`);
  return 0;
}
