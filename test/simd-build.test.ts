// The committed kernel bytes (src/analysis/simd-bytes.ts) are what the project's AssemblyScript
// compiler makes of wasm/*.ts today: a change to the source without `make wasm` fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildKernelsSource, OUTPUT } from '../scripts/build-wasm.ts';

describe('WebAssembly kernels build', () => {
  it('src/analysis/simd-bytes.ts equals a fresh build of wasm/*.ts', async () => {
    const committed = readFileSync(new URL(`../${OUTPUT}`, import.meta.url), 'utf8');
    const built = await buildKernelsSource();
    expect(built === committed, 'src/analysis/simd-bytes.ts is stale: run `make wasm` and commit it').toBe(true);
  }, 180_000);
});
