// The CPU encoder, binning, tokenizer and checkpoint reader against what scGPT v0.2.5 computes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binValues } from '../src/model/binning.ts';
import { readTorchStateDict } from '../src/model/checkpoint/torch.ts';
import { forwardCell, geneTokenEmbeddings, l2Normalize } from '../src/model/encoder-cpu.ts';
import { canonicalKey } from '../src/model/weights.ts';
import { expected, fixturePath, fixtureTokens, loadWeights, maxAbsDiff } from './model-fixtures.ts';
import { openPaths } from '../src/io/node.ts';
import { shared } from './helpers.ts';

interface BinningFixture {
  rands_per_cell: number[][];
  nonzero_values_per_cell: number[][];
  bins_per_cell: number[][];
}

describe('binning reproduces scGPT _digitize exactly with its draws injected', () => {
  for (const name of ['tiny', 'wide'] as const) {
    it(name, () => {
      const b = JSON.parse(readFileSync(fixturePath(name, 'expected', 'binning.json'), 'utf8')) as BinningFixture;
      let cellsChecked = 0;
      b.nonzero_values_per_cell.forEach((values, c) => {
        const draws = b.rands_per_cell[c];
        let i = 0;
        const bins = binValues(Float32Array.from(values), () => draws[i++]);
        expect(i).toBe(values.length);
        expect(Array.from(bins)).toEqual(b.bins_per_cell[c]);
        cellsChecked++;
      });
      expect(cellsChecked).toBeGreaterThan(5);
    });
  }
});

describe('checkpoint reader', () => {
  it('reads both key flavours to the same numbers', async () => {
    const a = await readTorchStateDict(readFileSync(fixturePath('tiny', 'checkpoint', 'best_model.pt')));
    const b = await readTorchStateDict(readFileSync(fixturePath('tiny', 'checkpoint_flash', 'best_model.pt')));
    const canon = (m: typeof a) => new Map([...m].map(([k, v]) => [canonicalKey(k), v]));
    const [ca, cb] = [canon(a), canon(b)];
    expect([...ca.keys()].sort()).toEqual([...cb.keys()].sort());
    expect(ca.has('transformer_encoder.layers.0.self_attn.in_proj_weight')).toBe(true);
    for (const [k, v] of ca) expect(Array.from(v.data), k).toEqual(Array.from(cb.get(k)!.data));
  });

  it('reads float16 checkpoints to the fp32 values rounded to float16', async () => {
    const f32 = await readTorchStateDict(readFileSync(fixturePath('tiny', 'checkpoint_flash', 'best_model.pt')));
    const f16 = await readTorchStateDict(readFileSync(fixturePath('tiny', 'checkpoint_fp16', 'best_model.pt')));
    // Round to the nearest float16, ties to even (IEEE, as torch's .half()).
    const roundEven = (q: number) => {
      const f = Math.floor(q);
      const r = q - f;
      return r > 0.5 ? f + 1 : r < 0.5 ? f : f % 2 === 0 ? f : f + 1;
    };
    const round16 = (x: number) => {
      if (x === 0) return x;
      const exp = Math.max(-14, Math.floor(Math.log2(Math.abs(x))));
      const ulp = 2 ** (exp - 10);
      return roundEven(x / ulp) * ulp;
    };
    let checked = 0;
    for (const [k, t16] of f16) {
      expect(t16.dtype).toBe('float16');
      const t32 = f32.get(k)!;
      expect(t16.shape).toEqual(t32.shape);
      for (let i = 0; i < t32.data.length; i += 7) {
        expect(t16.data[i], `${k}[${i}]`).toBe(round16(t32.data[i]));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('refuses a checkpoint whose vocab does not match the embedding table', async () => {
    const { buildWeights } = await import('../src/model/weights.ts');
    const sd = await readTorchStateDict(readFileSync(fixturePath('tiny', 'checkpoint', 'best_model.pt')));
    const args = JSON.parse(readFileSync(fixturePath('tiny', 'checkpoint', 'args.json'), 'utf8'));
    expect(() => buildWeights(sd, args, { size: 60697, padId: 60694, clsId: 60695 })).toThrow(/698 rows but vocab.json has 60697 tokens/);
    const missing = new Map(sd);
    missing.delete('transformer_encoder.layers.1.linear2.weight');
    expect(() => buildWeights(missing, args, { size: 698, padId: 695, clsId: 696 })).toThrow(/missing transformer_encoder.layers.1.linear2.weight/);
  });
});

describe('CPU encoder matches scGPT', () => {
  it('tiny: hidden states of every layer, cell embeddings, last-layer attention, gene token embeddings', async () => {
    const w = await loadWeights('tiny');
    const t = fixtureTokens('tiny');
    const d = w.config.dModel;
    const emb = expected('tiny', 'cell_embedding_l2');
    const hid = expected('tiny', 'hidden_states_first_cells');
    const att = expected('tiny', 'last_layer_attention_mean_heads_first_cells');
    const k = hid.shape[1];
    for (let c = 0; c < t.nCells; c++) {
      const n = t.lengths[c];
      const r = forwardCell(w, t.ids.subarray(c * t.seqLen), t.values.subarray(c * t.seqLen), n, { captureHidden: c < k, attentionLayer: c < k ? -1 : undefined });
      expect(maxAbsDiff(l2Normalize(r.cls), emb.data.subarray(c * d))).toBeLessThan(1e-5);
      if (c < k) {
        for (let l = 0; l < hid.shape[0]; l++) {
          expect(maxAbsDiff(r.hidden![l], hid.data.subarray(((l * k + c) * t.seqLen) * d), n * d), `layer ${l} cell ${c}`).toBeLessThan(1e-4);
        }
        let worst = 0;
        for (let i = 0; i < n; i++) worst = Math.max(worst, maxAbsDiff(r.attentionMean!.subarray(i * n), att.data.subarray((c * t.seqLen + i) * t.seqLen), n));
        expect(worst).toBeLessThan(1e-5);
      }
    }
    const gte = expected('tiny', 'gene_token_embedding');
    const g = geneTokenEmbeddings(w, Array.from({ length: gte.shape[0] }, (_, i) => i));
    expect(maxAbsDiff(g, gte.data)).toBeLessThan(1e-5);
  });

  it('wide (real widths, 1200 tokens): every cell embedding, and the first cell\'s hidden states', async () => {
    const w = await loadWeights('wide');
    const t = fixtureTokens('wide');
    const d = w.config.dModel;
    const hid = expected('wide', 'hidden_states_first_cells');
    const emb = expected('wide', 'cell_embedding_l2');
    for (let c = 0; c < t.nCells; c++) {
      // Each cell is ~15 s of synchronous work: yield between cells so vitest's worker RPC is served.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const r = forwardCell(w, t.ids.subarray(c * t.seqLen), t.values.subarray(c * t.seqLen), t.lengths[c], { captureHidden: c === 0 });
      if (c === 0) {
        for (let l = 0; l < hid.shape[0]; l++) {
          expect(maxAbsDiff(r.hidden![l], hid.data.subarray(l * hid.shape[1] * t.seqLen * d), t.lengths[0] * d)).toBeLessThan(1e-4);
        }
      }
      expect(maxAbsDiff(l2Normalize(r.cls), emb.data.subarray(c * d)), `cell ${c}`).toBeLessThan(1e-5);
    }
  }, 300_000);
});

describe('tokenizer on cells with more than max_length - 1 expressed genes (wide fixture)', () => {
  it('bins over all expressed genes, then keeps a 1199-gene subset whose bins are scGPT\'s', async () => {
    const { openPaths } = await import('../src/io/node.ts');
    const { parseVocab, mapGenes } = await import('../src/model/vocab.ts');
    const { tokenizeCell } = await import('../src/model/tokenize.ts');
    const { geneNames } = await import('../src/model/embed.ts');
    const { mulberry32 } = await import('../src/model/random.ts');
    const vocab = parseVocab(JSON.parse(readFileSync(fixturePath('wide', 'checkpoint_flash', 'vocab.json'), 'utf8')));
    const ds = await openPaths([fixturePath('wide', 'cells.h5ad')]);
    const mapping = mapGenes(geneNames(ds, 'X').names, vocab, 'feature_name');
    expect(mapping.matched).toBe(3653);
    const b = JSON.parse(readFileSync(fixturePath('wide', 'expected', 'binning.json'), 'utf8')) as BinningFixture;
    const ids = expected('wide', 'gene_ids');
    const values = expected('wide', 'values');
    const L = ids.shape[1];
    for (let c = 0; c < ds.nObs; c++) {
      const row = ds.readRows('X', c, c + 1);
      let i = 0;
      const draws = b.rands_per_cell[c];
      const subset = mulberry32(c); // scGPT's draws for binning, then our seeded subset
      const tokens = tokenizeCell(row.indices, row.data, mapping.ids, () => (i < draws.length ? draws[i++] : subset()), { maxLength: 1200, clsId: vocab.clsId, padValue: -2 })!;
      expect(tokens.nExpressed).toBe(b.nonzero_values_per_cell[c].length);
      // scGPT's own subset differs (randperm), but every gene both kept must carry the same bin.
      const ours = new Map<number, number>();
      for (let k = 1; k < tokens.ids.length; k++) ours.set(tokens.ids[k], tokens.values[k]);
      let shared = 0;
      for (let k = 1; k < L; k++) {
        const g = ids.data[c * L + k];
        if (g === vocab.padId || !ours.has(g)) continue;
        expect(ours.get(g), `cell ${c} gene ${g}`).toBe(values.data[c * L + k]);
        shared++;
      }
      if (tokens.nExpressed > 1199) {
        expect(tokens.ids.length).toBe(1200);
        expect(shared).toBeGreaterThan(400);
      } else expect(shared).toBe(tokens.ids.length - 1);
    }
    ds.close();
  });
});

describe('gene mapping for mouse symbols', () => {
  it('falls back to upper-cased symbols when few genes match a human vocabulary exactly', async () => {
    const { parseVocab, mapGenes } = await import('../src/model/vocab.ts');
    const vocab = parseVocab(JSON.parse(readFileSync(shared('data/scgpt/vocab.json'), 'utf8')));
    const ds = await openPaths([shared('data/mouse/actinn_mouse_1000x14063_counts.h5ad')]);
    const m = mapGenes(ds.var.index, vocab, 'var index');
    ds.close();
    expect(m.source).toContain('upper-cased');
    expect(m.matched).toBeGreaterThan(10000);
    expect(new Set(Array.from(m.ids).filter((i) => i >= 0)).size).toBe(m.matched);
    // Human symbols keep the exact mapping.
    expect(mapGenes(['CD3E', 'MS4A1', 'NOT_A_GENE'], vocab, 'x').source).toBe('x');
  });
});
