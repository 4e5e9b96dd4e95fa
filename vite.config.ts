import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// h5wasm ships a large single-file WASM/JS bundle; keep it out of dependency pre-bundling so the
// worker imports it as an ES module unchanged.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' };

export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['h5wasm', 'h5wasm-plugins'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 6000 },
  // Cross-origin isolated, as `scweb serve` (server/security.ts): the analysis workers share memory.
  server: { port: 5173, headers: isolation },
  preview: { port: 4173, headers: isolation },
});
