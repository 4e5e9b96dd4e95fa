// Neighbour search with the distance loops in the WebAssembly SIMD kernels against the JS loops:
// identical neighbours and distances (exact kNN, NN-descent), for odd row counts, duplicated rows,
// few dimensions, k above the row count, and NaN coordinates.
import { describe, expect, it } from 'vitest';
import { exactKnnAsync } from '../src/analysis/knn.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { simdSupported } from '../src/analysis/simd.ts';
import { mulberry32 } from '../src/model/random.ts';

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function points(n: number, d: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const centres = Array.from({ length: 4 * d }, () => r() * 6);
  const x = Float32Array.from({ length: n * d }, (_, t) => centres[(Math.floor(t / d) % 4) * d + (t % d)] + r() - 0.5);
  // Repeated rows: ties broken by row order in both.
  for (let i = 10; i < Math.min(n, 20); i++) x.copyWithin(i * d, 3 * d, 4 * d);
  return x;
}

describe.runIf(simdSupported())('neighbour distances in WebAssembly SIMD', () => {
  it.each([
    [1001, 50, 15],
    [999, 3, 10],
    [400, 1, 7],
    [6, 4, 9],
  ])('exact kNN: n %i, d %i, k %i gives the JS neighbours and distances', async (n, d, k) => {
    const x = points(n, d, n + d);
    const js = await exactKnnAsync(x, n, d, k, { engine: 'js' });
    const wasm = await exactKnnAsync(x, n, d, k, { engine: 'wasm' });
    expect(bytes(wasm.indices).equals(bytes(js.indices))).toBe(true);
    expect(bytes(wasm.distances).equals(bytes(js.distances))).toBe(true);
    if (n < k) expect(Array.from(js.indices.subarray(0, k)).includes(-1)).toBe(true);
  });

  it('exact kNN with a NaN coordinate: same lists as JS', async () => {
    const x = points(300, 5, 2);
    x[7 * 5 + 2] = NaN;
    const js = await exactKnnAsync(x, 300, 5, 6, { engine: 'js' });
    const wasm = await exactKnnAsync(x, 300, 5, 6, { engine: 'wasm' });
    expect(bytes(wasm.indices).equals(bytes(js.indices))).toBe(true);
    expect(bytes(wasm.distances).equals(bytes(js.distances))).toBe(true);
  });

  it.each([
    [3001, 20, 15, 4],
    [1500, 7, 10, 11],
  ])('NN-descent: n %i, d %i, k %i, seed %i gives the JS graph', async (n, d, k, seed) => {
    const x = points(n, d, seed);
    const js = await nnDescent(x, n, d, k, { seed, engine: 'js' });
    const wasm = await nnDescent(x, n, d, k, { seed, engine: 'wasm' });
    expect(bytes(wasm.indices).equals(bytes(js.indices))).toBe(true);
    expect(bytes(wasm.distances).equals(bytes(js.distances))).toBe(true);
  });
});
