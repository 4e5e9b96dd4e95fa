// The row blocks the WebGPU gradient keeps on the GPU (logreg-webgpu.ts): their rows, fixed by the
// matrix's shape alone (so results are the same run after run), and the memory they take, which
// logreg-engine.ts weighs before choosing the GPU. No tfjs here: the choice is made without it.

/** Largest block, in float32 values (64 MiB): well inside WebGPU's default 128 MiB binding limit. */
const BLOCK_VALUES = 1 << 24;
/** Rows of a block are a multiple of this (tfjs's matMul tiles are 32 or 64 wide). */
export const ROW_ALIGN = 64;

/** Rows per resident GPU block for `n` rows of `p` features: fixed by n and p alone. */
export function blockRows(n: number, p: number): number {
  const most = Math.max(ROW_ALIGN, Math.floor(BLOCK_VALUES / Math.max(1, p) / ROW_ALIGN) * ROW_ALIGN);
  return Math.min(8192, most, Math.ceil(n / ROW_ALIGN) * ROW_ALIGN);
}

/** Bytes the resident float32 blocks (values, one-hot labels, row weights) take on the GPU, padding included. */
export function residentBytes(n: number, p: number, K: number): number {
  const B = blockRows(n, p);
  return Math.ceil(n / B) * B * (p + K + 1) * 4;
}
