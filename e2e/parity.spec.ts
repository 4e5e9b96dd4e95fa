// scGPT parity inside Chromium: the fixture's tokens go through the data worker's WebGPU encoder
// (the bundled fixture model) and must give scGPT's cell embeddings.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseNpy } from '../src/io/npy.ts';

const EXPECTED = fileURLToPath(new URL('../../shared/fixtures/scgpt-parity/tiny/expected/', import.meta.url));
const npy = (name: string) => parseNpy(readFileSync(`${EXPECTED}${name}.npy`));

test('the worker encoder on WebGPU reproduces scGPT on the tiny fixture', async ({ page }) => {
  test.setTimeout(300_000);
  const ids = npy('gene_ids');
  const values = npy('values');
  const mask = npy('padding_mask');
  const [n, L] = ids.shape;
  const lengths = Array.from({ length: n }, (_, c) => {
    let k = 0;
    while (k < L && !mask.data[c * L + k]) k++;
    return k;
  });
  await page.goto('/');
  const result = await page.evaluate(
    async ({ ids, values, lengths, n, L }) => {
      const hook = (globalThis as unknown as { __scweb: { encodeTokens(m: unknown, b: unknown, backend: string): Promise<{ cls: number[]; encoder: string }> } }).__scweb;
      return hook.encodeTokens(
        { kind: 'bundled', id: 'scgpt-tiny-fixture', path: 'weights/scgpt-tiny-fixture/' },
        { ids: Int32Array.from(ids), values: Float32Array.from(values), lengths: Int32Array.from(lengths), batch: n, seqLen: L },
        'webgpu', // SwiftShader here: asked for by name, as 'auto' prefers the CPU over a software GPU
      );
    },
    { ids: Array.from(ids.data), values: Array.from(values.data), lengths, n, L },
  );
  expect(result.encoder).toContain('WebGPU');
  // Chromium's SwiftShader has subgroups of a fixed size 4: its add+LayerNorm takes the subgroup path.
  if (/swiftshader/i.test(result.encoder)) expect(result.encoder).toContain('subgroups of 4');
  const d = 64;
  const want = npy('cell_embedding_l2').data;
  let worst = 0;
  for (let c = 0; c < n; c++) {
    const v = result.cls.slice(c * d, (c + 1) * d);
    const norm = Math.hypot(...v);
    for (let k = 0; k < d; k++) worst = Math.max(worst, Math.abs(v[k] / norm - want[c * d + k]));
  }
  expect(worst).toBeLessThan(1e-4);
});
