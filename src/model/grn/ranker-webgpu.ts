// The attention GRN on WebGPU: the layers before the chosen one run on the tfjs encoder (our fused
// attention and LayerNorm kernels), then our WGSL kernels take the chosen layer's q|k|v to raw
// scores, row ranks, head-summed column ranks and the groups' exact integer sums, all on the GPU:
// per batch only the group bits go up and nothing comes back; the [M, M] sums are read once.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { TfjsEncoder } from '../encoder-tfjs.ts';
import { ColumnRankSumProgram } from './kernels/column-rank.ts';
import { GroupAccumulateProgram } from './kernels/group-accumulate.ts';
import { QkScoresProgram } from './kernels/qk-scores.ts';
import { RowRankProgram } from './kernels/row-rank.ts';
import type { GroupRanker } from './ranker.ts';

function backend(): WebGPUBackend {
  return tf.backend() as unknown as WebGPUBackend;
}

function run(program: object, inputs: tf.TensorInfo[], dtype: 'float32' | 'int32', uniforms?: { type: string; data: number[] }[]): tf.Tensor {
  const info = backend().runWebGPUProgram(program as never, inputs, dtype, uniforms);
  return tf.engine().makeTensorFromTensorInfo(info);
}

function batchOf(ids: Int32Array, values: Float32Array, cells: number, m: number) {
  return { ids, values, lengths: new Int32Array(cells).fill(m), batch: cells, seqLen: m };
}

/** Raw scores [cells, heads, M, M] of the chosen layer (for tests and inspection). */
export async function rawScoresWebGPU(enc: TfjsEncoder, ids: Int32Array, values: Float32Array, cells: number, m: number, layer: number): Promise<Float32Array> {
  const { dModel, nHeads } = enc.weights.config;
  const qkv = enc.layerQkv(batchOf(ids, values, cells, m), layer);
  const s = run(new QkScoresProgram(cells, m, dModel, nHeads), [qkv], 'float32');
  qkv.dispose();
  const out = (await s.data()) as Float32Array;
  s.dispose();
  return out;
}

/** Head-summed column ranks of row ranks [cells, M, M] (for tests: the CPU's headRankSums). */
export async function headRankSumsWebGPU(enc: TfjsEncoder, ids: Int32Array, values: Float32Array, cells: number, m: number, layer: number): Promise<Int32Array> {
  const t = rankSums(enc, ids, values, cells, m, layer);
  const out = (await t.data()) as Int32Array;
  t.dispose();
  return out;
}

function rankSums(enc: TfjsEncoder, ids: Int32Array, values: Float32Array, cells: number, m: number, layer: number): tf.Tensor {
  const { dModel, nHeads } = enc.weights.config;
  const qkv = enc.layerQkv(batchOf(ids, values, cells, m), layer);
  const scores = run(new QkScoresProgram(cells, m, dModel, nHeads), [qkv], 'float32');
  qkv.dispose();
  const rows = run(new RowRankProgram(cells, m, nHeads), [scores], 'int32');
  scores.dispose();
  const cols = run(new ColumnRankSumProgram(cells, m, nHeads), [rows], 'int32');
  rows.dispose();
  return cols;
}

/** `maxBatch` caps the cells per batch (memory decides below it). */
export function webgpuRanker(enc: TfjsEncoder, adapter: string, layer: number, maxBatch = 32): GroupRanker {
  let sums: tf.Tensor | null = null;
  let fixedBatch = 0;
  return {
    name: `WebGPU (${adapter})`,
    batchSize(m) {
      // The [cells, heads, M, M] scores and row ranks are the largest buffers: keep each within
      // half the storage-binding limit, and the tokens within the encoder's budget.
      const device = (backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } }).device;
      const limit = device?.limits?.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
      const perCell = enc.weights.config.nHeads * m * m * 4;
      return Math.max(1, Math.min(maxBatch, Math.floor(limit / 2 / perCell), Math.floor(enc.tokenBudget() / m)));
    },
    async add(ids, values, groups, cells, m) {
      // One batch shape for the whole run, the first batch's (only the last may be smaller; it is
      // padded with unused slots), so buffers are reused from tfjs's pool by exact size.
      fixedBatch ||= cells;
      const B = fixedBatch;
      if (cells > B) throw new RangeError(`batch of ${cells} cells exceeds ${B}`);
      const pad = (a: Int32Array | Float32Array, Ctor: Int32ArrayConstructor | Float32ArrayConstructor) => {
        if (cells === B) return a.subarray(0, B * m);
        const out = new Ctor(B * m);
        out.set(a.subarray(0, cells * m));
        for (let c = cells; c < B; c++) out.set(a.subarray(0, m), c * m);
        return out;
      };
      sums ??= tf.zeros([4, m * m], 'int32');
      const batchSums = rankSums(enc, pad(ids, Int32Array) as Int32Array, pad(values, Float32Array) as Float32Array, B, m, layer);
      const g = new Int32Array(B);
      g.set(groups.subarray(0, cells));
      const gt = tf.tensor1d(g, 'int32');
      const next = run(new GroupAccumulateProgram(m * m), [sums, batchSums, gt], 'int32', [{ type: 'int32', data: [B] }]);
      tf.dispose([sums, batchSums, gt]);
      sums = next;
      // Wait for this batch (a 4-byte read): progress then counts computed cells, a cancel is
      // prompt, and queued work cannot pile up ahead of the GPU.
      const probe = tf.slice(next, [0, 0], [1, 1]);
      await probe.data();
      probe.dispose();
    },
    async sums() {
      if (!sums) throw new Error('no cells were added');
      const words = (await sums.data()) as Int32Array;
      const mm = words.length / 4;
      const a = new Float64Array(mm);
      const b = new Float64Array(mm);
      for (let e = 0; e < mm; e++) {
        a[e] = words[mm + e] * 2 ** 24 + words[e];
        b[e] = words[3 * mm + e] * 2 ** 24 + words[2 * mm + e];
      }
      return { a, b };
    },
    dispose() {
      sums?.dispose();
      sums = null;
    },
  };
}
