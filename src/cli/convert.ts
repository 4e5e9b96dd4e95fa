import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeBundle } from '../model/bundle.ts';
import { readTorchStateDict } from '../model/checkpoint/torch.ts';
import { loadModelDir } from '../model/node-model.ts';
import { parseArgs } from './args.ts';
import { UsageError } from './usage.ts';

export async function convertCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['dtype']);
  const [src, dst] = p.positionals;
  if (!src || !dst) throw new UsageError('convert needs CKPT_DIR and OUT_DIR');
  const dtype = p.flags.get('dtype') ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError('--dtype must be f32 or f16');
  // Validates the whole checkpoint first: nothing is written for a checkpoint that does not load.
  const model = await loadModelDir(src);
  const sd = await readTorchStateDict(new Uint8Array(await readFile(join(src, 'best_model.pt'))));
  const files = makeBundle(model, sd, dtype, src.split('/').filter(Boolean).pop() ?? src);
  await mkdir(dst, { recursive: true });
  let bytes = 0;
  for (const [name, data] of files) {
    await writeFile(join(dst, name), data);
    bytes += data.length;
  }
  process.stderr.write(`scweb: wrote ${files.size} files (${(bytes / 1e6).toFixed(1)} MB, ${dtype}) to ${dst}: ${model.description}\n`);
  return 0;
}
