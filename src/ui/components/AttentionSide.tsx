// Attention GRN: which cells to compare (two categories of a column, or the lasso selection
// against the rest), the regulators and the panel, and the regulator's top targets by the
// difference of the two groups' mean rank-normalised attention, or by either group alone.
import { ModelSelect } from './ModelSelect.tsx';
import { REST, useGrn } from '../grn-store.ts';
import { topTargets, type TargetOrder } from '../../model/grn/targets.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useApp } from '../store.ts';

export function AttentionForm() {
  const form = useGrn((s) => s.attentionForm);
  const setForm = useGrn((s) => s.setAttentionForm);
  const job = useGrn((s) => s.job);
  const run = useGrn((s) => s.runAttention);
  const summary = useApp((s) => s.summary);
  const selection = useAnalysis((s) => s.selection);
  const columns = Object.entries(summary?.obs ?? {}).filter(([, c]) => c.categories && Object.keys(c.categories).length >= 2 && Object.keys(c.categories).length <= 500);
  const groupBy = form.groupBy || (columns.find(([n]) => n === 'leiden') ?? columns[0])?.[0] || '';
  const cats = Object.keys(summary?.obs[groupBy]?.categories ?? {});
  const a = form.a || cats[0] || '';
  const b = form.b === REST || cats.includes(form.b) ? form.b : REST;
  const patch = (p: Partial<typeof form>) => setForm({ ...form, groupBy, a, b, ...p });
  return (
    <fieldset className="grn-form" disabled={!!job}>
      <legend>Attention GRN (two groups of cells)</legend>
      <ModelSelect testId="grn-model" />
      <label>
        compare
        <select value={groupBy} onChange={(e) => patch({ groupBy: e.target.value, a: '', b: REST })} data-testid="grn-groupby">
          {columns.map(([n]) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
          {selection && <option value="selection">lasso selection ({selection.count}) vs the rest</option>}
        </select>
      </label>
      {groupBy !== 'selection' && (
        <>
          <label>
            group A
            <select value={a} onChange={(e) => patch({ a: e.target.value })} data-testid="grn-group-a">
              {cats.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label>
            group B
            <select value={b} onChange={(e) => patch({ b: e.target.value })} data-testid="grn-group-b">
              <option value={REST}>all other cells</option>
              {cats
                .filter((c) => c !== a)
                .map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
            </select>
          </label>
        </>
      )}
      <label title="genes put first in the panel, e.g. transcription factors (comma or space separated)">
        regulators
        <input type="text" value={form.tfs} placeholder="e.g. SPI1, IRF8" onChange={(e) => patch({ tfs: e.target.value })} data-testid="grn-tfs" />
      </label>
      <label title="the panel: the regulators, then this many highly variable genes the model knows">
        panel HVGs
        <input type="number" value={form.nHvg} onChange={(e) => patch({ nHvg: Number(e.target.value) })} data-testid="grn-nhvg" />
      </label>
      <label title="the layer whose attention is read; -1 is the last, as scGPT's tutorial">
        layer
        <input type="number" value={form.layer} onChange={(e) => patch({ layer: Number(e.target.value) })} data-testid="grn-layer" />
      </label>
      <button
        className="primary"
        onClick={() => {
          // The choices shown (defaults included) are what runs.
          setForm({ ...form, groupBy, a, b });
          void run();
        }}
        data-testid="grn-run-attention"
      >
        Compute attention
      </button>
    </fieldset>
  );
}

export function TargetsTable({ tf, by, k, onTf, onBy, onK }: { tf: string; by: TargetOrder; k: number; onTf(g: string): void; onBy(b: TargetOrder): void; onK(k: number): void }) {
  const result = useGrn((s) => s.attention);
  const colorByGene = useAnalysis((s) => s.colorByGene);
  if (!result) return null;
  const targets = result.panel.includes(tf) ? topTargets(result, tf, k, by) : [];
  return (
    <div className="targets">
      <p className="muted small" data-testid="attention-note">
        {result.labelA} ({result.nA.toLocaleString('en-US')} cells) vs {result.labelB} ({result.nB.toLocaleString('en-US')}), layer {result.layer} (from 0), {result.panel.length} genes, {result.encoder}. A target&apos;s score is how much it attends to the regulator, rank-normalised (0 to 1), mean over heads and cells.
      </p>
      <div className="toolbar">
        <label>
          regulator
          <select value={tf} onChange={(e) => onTf(e.target.value)} data-testid="grn-tf">
            {result.panel.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <label>
          rank by
          <select value={by} onChange={(e) => onBy(e.target.value as TargetOrder)} data-testid="grn-rank-by">
            <option value="difference">A minus B</option>
            <option value="a">A</option>
            <option value="b">B</option>
          </select>
        </label>
        <label>
          top
          <input type="number" min={1} max={200} value={k} onChange={(e) => onK(Math.max(1, Number(e.target.value)))} />
        </label>
      </div>
      <table className="markers" data-testid="grn-targets">
        <thead>
          <tr>
            <th>#</th>
            <th>target</th>
            <th title="A minus B">score</th>
            <th>A</th>
            <th>B</th>
          </tr>
        </thead>
        <tbody>
          {targets.map((t) => (
            <tr key={t.target} onClick={() => void colorByGene(t.target)} title={`colour the cells by ${t.target}`}>
              <td>{t.rank}</td>
              <td>{t.target}</td>
              <td>{t.score.toFixed(4)}</td>
              <td>{t.scoreA.toFixed(4)}</td>
              <td>{t.scoreB.toFixed(4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
