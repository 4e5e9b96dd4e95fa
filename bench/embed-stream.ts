// A whole-file embedding run (embedDataset: read, tokenise, batch, encode, write back) with and
// without the overlap of tokenising the next batch with encoding this one, per encoder; the time
// each side takes alone (tokenising the file; encoding its batches) says what overlap can save at
// best. Then the padding share of the length buckets (steps 32, 16, 8) on real files, and what a
// smaller step does to the encoders that compute on padding (WASM, WebGPU).
// A small model shape (seeded random weights, scGPT's real vocabulary so the genes map as with
// scGPT_human): the speed depends on the shapes only.
//
//   node --import tsx bench/embed-stream.ts [--file ../shared/data/scvijl_pbmc_7480x200_counts.h5ad]
//     [--encoders pool,wasm,webgpu,cpu] [--threads 2] [--layers 4] [--d 128] [--repeats 2]
//     [--buckets 32,16,8] [--padding-files a.h5ad,b.h5ad] [--cells N] [--layernorm-only]
// WebGPU needs a Vulkan driver (the Makefile's GPU_ENV for SwiftShader on a CPU-only machine).
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { nodePool } from '../src/analysis/pool-node.ts';
import { openPaths } from '../src/io/node.ts';
import type { Dataset } from '../src/io/types.ts';
import { detectBackend } from '../src/model/backend.ts';
import type { LoadedModel } from '../src/model/bundle.ts';
import type { CellEncoder } from '../src/model/embed.ts';
import { cpuEncoder, datasetTokenizer, embedBatches, embedDataset, wasmEncoder, webgpuEncoder } from '../src/model/embed.ts';
import { TfjsEncoder, initTfjsWebGPU } from '../src/model/encoder-tfjs.ts';
import { WasmEncoder } from '../src/model/encoder-wasm.ts';
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { AddLayerNormProgram } from '../src/model/kernels/add-layernorm.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { kernelSubgroupSize, registerTfjsWebGPU, setSubgroupKernels } from '../src/model/tfjs-webgpu-device.ts';
import { initNodeWasm } from '../src/model/node-wasm.ts';
import { parseVocab } from '../src/model/vocab.ts';
import { randomWeights } from './random-model.ts';
import { rng } from './synthetic.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const file = opt('file', '../shared/data/scvijl_pbmc_7480x200_counts.h5ad');
const encoders = opt('encoders', 'pool,wasm,webgpu').split(',');
const threads = Number(opt('threads', '2'));
const nLayers = Number(opt('layers', '4'));
const d = Number(opt('d', '128'));
const repeats = Number(opt('repeats', '2'));
/** First N cells only (a slow encoder); default the whole file. */
const cellsOpt = opt('cells', '');
const buckets = opt('buckets', '32,16,8').split(',').map(Number);
const paddingFiles = opt('padding-files', [file, '../shared/data/pbmc68k_reduced_with_counts.h5ad', '../shared/data/compocyte_tcells_861x1011_counts.h5ad', '../shared/data/scimilarity_test_1000x1000_counts_nolabels.h5ad', '../shared/data/scllm_breast_100x18082_int64counts.h5ad'].join(',')).split(',');
const f2 = (x: number) => x.toFixed(2);

function smallModel(): LoadedModel {
  const vocabJson = JSON.parse(readFileSync('../shared/data/scgpt/vocab.json', 'utf8')) as Record<string, number>;
  const vocab = parseVocab(vocabJson);
  const vocabSize = Object.keys(vocabJson).length;
  const weights = randomWeights(7, nLayers, { d, vocabSize, padId: vocabJson['<pad>'], clsId: vocabJson['<cls>'] });
  return { weights, vocab, vocabJson, args: {} as LoadedModel['args'], description: `random weights, ${nLayers} layers, d ${d}` };
}

/** Seconds to read and tokenise the whole file (the CPU side alone). */
function tokeniseSeconds(ds: Dataset, model: LoadedModel, n: number): number {
  const t = performance.now();
  const tok = datasetTokenizer(ds, model);
  for (let s = 0; s < n; s += 2048) tok.rows(s, Math.min(n, s + 2048));
  return (performance.now() - t) / 1000;
}

/** Seconds to encode the file's batches, tokenised beforehand (the encoder side alone). */
async function encodeSeconds(ds: Dataset, model: LoadedModel, enc: CellEncoder, n: number, bucketStep = 32): Promise<number> {
  const cfg = model.weights.config;
  const plan = { maxLength: 1200, maxBatch: 64, tokenBudget: enc.tokenBudget ?? 16_384, bucketStep, padId: cfg.padId, padValue: cfg.padValue };
  const all = [...embedBatches(datasetTokenizer(ds, model), 0, n, plan)];
  const t = performance.now();
  for (const b of all) if (b.batch) await enc.encode(b.batch);
  return (performance.now() - t) / 1000;
}

/** add+LayerNorm alone, [rows, 512], workgroup-memory path vs subgroup path (median of 5 runs of 10 dispatches). */
async function layerNormBench(): Promise<void> {
  setSubgroupKernels(true);
  const S = kernelSubgroupSize();
  const rows = 4096;
  const width = 512;
  const r = rng(3);
  const t = [tf.randomNormal([rows, width], 0, 1, 'float32', 1), tf.randomNormal([rows, width], 0, 1, 'float32', 2), tf.tensor1d(Float32Array.from({ length: width }, () => 1 + r() * 0.1)), tf.tensor1d(new Float32Array(width))];
  const line: string[] = [];
  for (const size of S ? [null, S] : [null]) {
    const times: number[] = [];
    for (let rep = 0; rep < 6; rep++) {
      const t0 = performance.now();
      const outs = Array.from({ length: 10 }, () => tf.engine().makeTensorFromTensorInfo((tf.backend() as unknown as WebGPUBackend).runWebGPUProgram(new AddLayerNormProgram(rows, width, 1e-5, true, size) as never, t, 'float32', [{ type: 'int32', data: [rows] }])));
      await outs[9].data();
      tf.dispose(outs);
      if (rep > 0) times.push((performance.now() - t0) / 10);
    }
    times.sort((a, b) => a - b);
    line.push(`${size ? `subgroups of ${size}` : 'workgroup memory'}: ${times[2].toFixed(2)} ms`);
  }
  tf.dispose(t);
  console.log(`\nadd+LayerNorm [${rows}, ${width}] per dispatch: ${line.join('; ')}${S ? '' : ' (no fixed-size subgroups on this device)'}`);
}

async function main() {
  if (args.includes('--layernorm-only')) {
    await installNodeWebGPU();
    await registerTfjsWebGPU();
    if (!(await initTfjsWebGPU())) throw new Error('no WebGPU adapter');
    console.log(`load average ${loadavg().map(f2).join(' ')}`);
    await layerNormBench();
    process.exit(0);
  }
  const model = smallModel();
  const ds = await openPaths([file]);
  const n = cellsOpt ? Math.min(ds.nObs, Number(cellsOpt)) : ds.nObs;
  console.log(`file ${file} (${ds.nObs} cells, ${n} embedded); model ${model.description}, ${model.weights.config.nHeads} heads; ${cpus().length} CPUs (${cpus()[0]?.model}); load average at start ${loadavg().map(f2).join(' ')}`);
  const tok = Math.min(...Array.from({ length: repeats }, () => tokeniseSeconds(ds, model, n)));
  console.log(`read + tokenise alone: ${f2(tok)} s`);
  console.log('\n| encoder | encode alone (s) | tokenise alone (s) | whole run, no overlap (s) | whole run, overlap (s) | saved | best possible |');
  console.log('|---|---|---|---|---|---|---|');
  for (const name of encoders) {
    let m: { name: string; enc: CellEncoder; close?: () => void } | null = null;
    if (name === 'pool') {
      const pool = nodePool(threads);
      m = { name: `cpu float64, pool of ${threads}`, enc: cpuEncoder(model, pool), close: () => pool?.terminate() };
    } else if (name === 'cpu') m = { name: 'cpu float64, 1 thread', enc: cpuEncoder(model) };
    else if (name === 'wasm') {
      const { threads: t } = await initNodeWasm(threads);
      const w = new WasmEncoder(model.weights);
      m = { name: `wasm f32, ${t} threads`, enc: wasmEncoder(w, t), close: () => w.dispose() };
    } else if (name === 'webgpu') {
      await installNodeWebGPU();
      const info = await detectBackend(undefined, 'webgpu');
      if (info.kind === 'webgpu') await registerTfjsWebGPU();
      // The overlap is measured on the workgroup-memory kernels (subgroups compared below).
      setSubgroupKernels(false);
      if (info.kind !== 'webgpu' || !(await initTfjsWebGPU())) console.log(`(no WebGPU: ${info.detail})`);
      else {
        const g = new TfjsEncoder(model.weights, 'fused');
        m = { name: `webgpu fused (${info.detail})`, enc: webgpuEncoder(g, info.detail), close: () => g.dispose() };
      }
    }
    if (!m) continue;
    // tfjs has one active backend: each encoder is measured and disposed before the next is made.
    await encodeSeconds(ds, model, m.enc, n); // warm-up: pipelines, buffer pools, workers
    const enc = await encodeSeconds(ds, model, m.enc, n);
    const whole: Record<'on' | 'off', number[]> = { on: [], off: [] };
    for (let r = 0; r < repeats; r++) {
      for (const overlap of [false, true]) {
        const res = await embedDataset(ds, model, m.enc, { overlap, range: { start: 0, end: n } });
        whole[overlap ? 'on' : 'off'].push(res.seconds);
      }
    }
    const [off, on] = [Math.min(...whole.off), Math.min(...whole.on)];
    console.log(`| ${m.name} | ${f2(enc)} | ${f2(tok)} | ${f2(off)} (${whole.off.map(f2).join(', ')}) | ${f2(on)} (${whole.on.map(f2).join(', ')}) | ${f2(off - on)} s (${((1 - on / off) * 100).toFixed(0)}%) | ${f2(Math.max(enc, tok))} s |`);
    if (name === 'wasm' || name === 'webgpu') {
      const times: string[] = [];
      for (const b of buckets) {
        await encodeSeconds(ds, model, m.enc, n, b); // warm-up: new shapes
        times.push(`step ${b}: ${f2(await encodeSeconds(ds, model, m.enc, n, b))} s`);
      }
      console.log(`|  ${m.name}, encode alone by bucket step | ${times.join('; ')} ||||||`);
    }
    m.close?.();
    if (name === 'webgpu') await layerNormBench();
  }
  ds.close();
  console.log('\n| file | cells | padding share at bucket step ' + buckets.join(' / ') + ' | batches at each step |');
  console.log('|---|---|---|---|');
  for (const f of paddingFiles) {
    const fds = await openPaths([f]);
    const shares: string[] = [];
    const counts: number[] = [];
    for (const bucketStep of buckets) {
      const cfg = model.weights.config;
      let real = 0;
      let slots = 0;
      let n = 0;
      for (const b of embedBatches(datasetTokenizer(fds, model), 0, fds.nObs, { maxLength: 1200, maxBatch: 64, tokenBudget: 16_384, bucketStep, padId: cfg.padId, padValue: cfg.padValue })) {
        if (!b.batch) continue;
        n++;
        slots += b.batch.batch * b.batch.seqLen;
        for (const l of b.batch.lengths) real += l;
      }
      shares.push(`${((1 - real / slots) * 100).toFixed(1)}%`);
      counts.push(n);
    }
    console.log(`| ${f.split('/').pop()} | ${fds.nObs} | ${shares.join(' / ')} | ${counts.join(' / ')} |`);
    fds.close();
  }
  console.log(`\nload average at end ${loadavg().map(f2).join(' ')}`);
  process.exit(0);
}

await main();
