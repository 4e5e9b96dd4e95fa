// The WebGPU encoder's kernel variants on the scGPT parity fixtures (../shared/fixtures/scgpt-parity,
// tiny and wide), for a GPU machine where the vitest suite cannot run (no node_modules: bundled by
// `make bench-embed-gpu-bundle`). Each variant's L2-normalised <cls> against scGPT's: f32 variants
// within 1e-4 (what test/model-webgpu.test.ts asks), f16 ones within the fixture README's fp16
// tolerance (2e-3 absolute, cosine > 0.9999 per cell). The f16-arithmetic variant runs only where
// the adapter has shader-f16: these are the checks that SwiftShader cannot make. Exit code 1 when
// any variant is out of tolerance.
//
//   node --import tsx bench/embed-parity.ts [--fixtures ../shared/fixtures/scgpt-parity] [--names tiny,wide] [--wide-cells 2]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../src/io/npy.ts';
import { readTorchStateDict } from '../src/model/checkpoint/torch.ts';
import { detectBackend } from '../src/model/backend.ts';
import { l2Normalize } from '../src/model/encoder-cpu.ts';
import type { GemmChoice, KernelChoice } from '../src/model/encoder-tfjs.ts';
import { TfjsEncoder, initTfjsWebGPU } from '../src/model/encoder-tfjs.ts';
import { hasShaderF16 } from '../src/model/kernels/gemm.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { parseVocab } from '../src/model/vocab.ts';
import { buildWeights } from '../src/model/weights.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const root = opt('fixtures', '../shared/fixtures/scgpt-parity');
const wideCells = Number(opt('wide-cells', '2'));
const names = opt('names', 'tiny,wide').split(',');

const VARIANTS: { name: string; kernels: KernelChoice; gemm?: GemmChoice; f16: boolean }[] = [
  { name: 'fused', kernels: 'fused', f16: false },
  { name: 'gemm', kernels: 'gemm', gemm: { weights: 'f32', arithmetic: 'f32' }, f16: false },
  { name: 'gemm-f16w', kernels: 'gemm', gemm: { weights: 'f16', arithmetic: 'f32' }, f16: true },
  { name: 'gemm-f16', kernels: 'gemm', gemm: { weights: 'f16', arithmetic: 'f16' }, f16: true },
];

const npy = (name: string, file: string) => parseNpy(readFileSync(join(root, name, 'expected', `${file}.npy`)));

async function main(): Promise<number> {
  await installNodeWebGPU();
  const info = await detectBackend(undefined, 'webgpu');
  if (info.kind !== 'webgpu' || !(await initTfjsWebGPU())) {
    console.error(`no WebGPU: ${info.detail}`);
    return 1;
  }
  console.log(`adapter: ${info.detail}; shader-f16: ${hasShaderF16()}`);
  let failed = 0;
  for (const name of names) {
    const dir = join(root, name, 'checkpoint_flash');
    const weights = buildWeights(await readTorchStateDict(readFileSync(join(dir, 'best_model.pt'))), JSON.parse(readFileSync(join(dir, 'args.json'), 'utf8')), parseVocab(JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8'))));
    const ids = npy(name, 'gene_ids');
    const values = npy(name, 'values');
    const mask = npy(name, 'padding_mask');
    const [all, L] = ids.shape;
    const n = name === 'wide' ? Math.min(all, wideCells) : all;
    const lengths = Int32Array.from({ length: n }, (_, c) => {
      let k = 0;
      while (k < L && !mask.data[c * L + k]) k++;
      return k;
    });
    const emb = npy(name, 'cell_embedding_l2');
    const d = weights.config.dModel;
    for (const v of VARIANTS) {
      if (v.gemm?.arithmetic === 'f16' && !hasShaderF16()) {
        console.log(`${name} ${v.name}: skipped (no shader-f16)`);
        continue;
      }
      const enc = new TfjsEncoder(weights, v.kernels, v.gemm);
      const r = await enc.encode({ ids: (ids.data as Int32Array).subarray(0, n * L), values: (values.data as Float32Array).subarray(0, n * L), lengths, batch: n, seqLen: L });
      enc.dispose();
      let maxAbs = 0;
      let minCos = 1;
      for (let c = 0; c < n; c++) {
        const got = l2Normalize(r.cls.slice(c * d, (c + 1) * d));
        const want = emb.data.subarray(c * d, (c + 1) * d);
        let dot = 0;
        let ww = 0;
        for (let i = 0; i < d; i++) {
          maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
          dot += got[i] * want[i];
          ww += want[i] * want[i];
        }
        minCos = Math.min(minCos, dot / Math.sqrt(ww)); // got is unit length
      }
      const ok = v.f16 ? maxAbs < 2e-3 && minCos > 0.9999 : maxAbs < 1e-4;
      if (!ok) failed++;
      console.log(`${name} ${v.name} (${enc.describeKernels()}), ${n} cells: max |diff| ${maxAbs.toExponential(2)}, min cosine ${minCos.toFixed(7)}: ${ok ? 'ok' : 'OUT OF TOLERANCE'}`);
    }
  }
  return failed ? 1 : 0;
}

const code = await main();
// Dawn keeps handles open after the device is released: end the process.
process.exit(code);
