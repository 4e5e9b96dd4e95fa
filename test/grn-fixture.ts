// Loads the scGPT gene-network fixture (../shared/fixtures/scgpt-grn, see its README) for the GRN tests.
import { readFileSync } from 'node:fs';
import { parseNpy, type NpyArray } from '../src/io/npy.ts';
import { openPaths } from '../src/io/node.ts';
import type { Dataset } from '../src/io/types.ts';
import { loadModelDir } from '../src/model/node-model.ts';
import type { LoadedModel } from '../src/model/bundle.ts';
import type { Uniform } from '../src/model/random.ts';
import { expect } from 'vitest';
import type { AttentionGrnResult } from '../src/model/grn/attention-grn.ts';
import { topTargets } from '../src/model/grn/targets.ts';
import { shared } from './helpers.ts';

export const GRN_DIR = shared('fixtures/scgpt-grn/tiny');
export const GRN_CELLS = `${GRN_DIR}/cells.h5ad`;
export const GRN_CHECKPOINT = shared('fixtures/scgpt-parity/tiny/checkpoint');

export interface GrnManifest {
  group_col: string;
  group_A: string;
  group_B: string;
  panel: string[];
  panel_token_ids: number[];
  tfs: string[];
  M: number;
  heads: number;
  binning_draws: number[][];
  binning: { nonzero_positions: number[]; nonzero_values: number[]; bins: number[] }[];
}

export const manifest = (): GrnManifest => JSON.parse(readFileSync(`${GRN_DIR}/manifest.json`, 'utf8'));

export function grnExpected(file: string): NpyArray {
  return parseNpy(readFileSync(`${GRN_DIR}/expected/${file}.npy`));
}

export function grnTopTargets(): Record<string, { gene: string; row: number; score: number }[]> {
  return JSON.parse(readFileSync(`${GRN_DIR}/expected/top_targets_difference.json`, 'utf8'));
}

/** scGPT's recorded uniform draws of each cell, in order. */
export function fixtureDraws(m: GrnManifest): (cell: number) => Uniform {
  return (cell) => {
    const d = m.binning_draws[cell];
    let i = 0;
    return () => {
      if (i >= d.length) throw new Error(`cell ${cell} drew more than scGPT's ${d.length} uniforms`);
      return d[i++];
    };
  };
}

export async function openGrnFixture(): Promise<{ ds: Dataset; model: LoadedModel; m: GrnManifest }> {
  return { ds: await openPaths([GRN_CELLS]), model: await loadModelDir(GRN_CHECKPOINT), m: manifest() };
}

/** Scores equal to scGPT's top 10 within 1e-6; a gene may differ only where scores tie. */
export function expectTargetsMatch(r: Pick<AttentionGrnResult, 'panel' | 'm' | 'meanA' | 'meanB'>): void {
  const m = manifest();
  const [ea, eb] = [grnExpected('attn_rank_mean_A').data, grnExpected('attn_rank_mean_B').data];
  for (const [tf, want] of Object.entries(grnTopTargets())) {
    const got = topTargets(r, tf, want.length);
    const col = m.panel.indexOf(tf) + 1;
    got.forEach((t, i) => {
      expect(Math.abs(t.score - want[i].score), `${tf} rank ${i + 1}`).toBeLessThan(1e-6);
      const row = m.panel.indexOf(t.target) + 1;
      // Our gene's scGPT score equals the score scGPT has at this rank: the same gene, or a tie.
      expect(Math.abs(ea[row * m.M + col] - eb[row * m.M + col] - want[i].score), `${tf} ${t.target}`).toBeLessThan(1e-6);
    });
  }
}
