// scWeb's WebAssembly SIMD kernels (AssemblyScript). Built by scripts/build-wasm.ts into
// src/analysis/simd-bytes.ts; test/simd-build.test.ts checks that file against this source.
export { powScalar, powPairs } from './pow';
export { umapEpoch, umapScratchBytes } from './umap';
export { knnRows, knnScratchBytes, joinPoint } from './knn';
export { rankSums } from './ranks';
