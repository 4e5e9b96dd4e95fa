// What a label transfer is worth: how logistic regression was trained and how well calibrated it
// is on the reference cells held back from training, and, against known labels (the held-out half,
// or the query's own column), a confusion matrix whose cells select their cells on the plot, and
// precision and recall per label: of the per-cell prediction, or of its majority vote.
import { useState } from 'react';
import { NO_LABEL_COLOR } from '../../io/category-palette.ts';
import type { MapReport } from '../../workers/protocol.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useApp } from '../store.ts';
import { dataClient } from '../worker-client.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function MappingTraining({ report }: { report: MapReport }) {
  const t = report.training;
  const c = report.calibration;
  if (!t || !c) return null;
  return (
    <p className="muted small" data-testid="map-calibration">
      Logistic regression ({t.solver === 'lbfgs' ? 'L-BFGS' : 'mini-batch SGD'}) on {t.nCells.toLocaleString()} cells × {t.nFeatures.toLocaleString()} genes
      {t.featureSelection ? ` (${t.featureSelection})` : ''}: {t.iterations} {t.solver === 'lbfgs' ? 'iterations' : 'epochs'}, {t.converged ? 'converged' : 'not converged'}, {t.seconds.toFixed(1)} s
      {t.engine && <span data-testid="map-engine"> on the {t.engine}</span>}.
      {c.nHeldOut > 0 && (
        <>
          {' '}On {c.nHeldOut.toLocaleString()} held-back reference cells: accuracy {pct(c.accuracy)}, macro-F1 {c.macroF1.toFixed(3)}, calibration error (ECE) {c.eceBefore.toFixed(3)} → {c.eceAfter.toFixed(3)} at temperature {c.temperature.toFixed(2)}
        </>
      )}
      {c.note ? ` (${c.note})` : ''}.
    </p>
  );
}

/** The labels evaluated: their column and the evaluation against known ones. */
type Evaluated = { predictedColumn: string; evaluation?: MapReport['evaluation'] };

type Cells = { report: Evaluated; truth: { codes: Int32Array; categories: string[] }; pred: { codes: Int32Array; categories: string[] } };

async function categorical(name: string): Promise<{ codes: Int32Array; categories: string[] }> {
  const { column } = await dataClient().request<'column'>({ type: 'column', name }).done;
  if (column.kind !== 'categorical') throw new Error(`"${name}" is not categorical`);
  return column;
}

/** `testId`: the prefix of the test ids ('map' for the per-cell prediction, 'vote' for the majority vote); `what` heads it. */
export function MappingEvaluation({ report, testId = 'map', what = '' }: { report: Evaluated; testId?: string; what?: string }) {
  const [cells, setCells] = useState<Cells | null>(null);
  const e = report.evaluation;
  if (!e) return null;
  const id = (s: string) => (testId === 'map' ? s : `${testId}-${s}`);
  const nc = e.columns.length;
  const rowTotal = e.rows.map((_, r) => e.counts.slice(r * nc, (r + 1) * nc).reduce((a, b) => a + b, 0));

  async function select(r: number, c: number) {
    try {
      let data = cells?.report === report ? cells : null;
      if (!data) {
        data = { report, truth: await categorical(e!.truthColumn), pred: await categorical(report.predictedColumn) };
        setCells(data);
      }
      const { truth, pred } = data;
      const mask = new Uint8Array(truth.codes.length);
      let count = 0;
      for (let i = 0; i < mask.length; i++) {
        const t = truth.codes[i];
        const p = pred.codes[i];
        if (t < 0 || p < 0 || truth.categories[t] !== e!.rows[r] || pred.categories[p] !== e!.columns[c]) continue;
        mask[i] = 1;
        count++;
      }
      useAnalysis.setState({ selection: { mask, count, embedding: useApp.getState().embedding?.key ?? '' } });
    } catch (err) {
      useApp.getState().fail(err, 'mapping', 'Selecting the cells of a confusion-matrix cell');
    }
  }

  const cs = 24;
  // Room for 18-character labels: rows on the left, columns slanted up and to the right.
  const left = 136;
  const top = 96;
  const short = (s: string) => (s.length > 18 ? `${s.slice(0, 17)}…` : s);
  const width = left + nc * cs + 60;
  const height = top + e.rows.length * cs + 4;
  return (
    <div data-testid={`${testId}-evaluation`}>
      <p className="small">
        <b>
          {what}Against {e.truthColumn} ({e.nCells.toLocaleString()} cells): accuracy {pct(e.accuracy)}, macro-F1 {e.macroF1.toFixed(3)}
        </b>
        <span className="muted"> — rows: true labels; columns: predicted. Click a square to select its cells.</span>
      </p>
      <svg className="confusion" viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={`confusion matrix of ${e.truthColumn}`} data-testid={id('confusion-matrix')}>
        {e.columns.map((name, c) => (
          <text key={`c${c}`} transform={`translate(${left + c * cs + cs / 2 + 3},${top - 4}) rotate(-55)`} fontSize={10} fill={name === 'unassigned' ? '#888' : '#333'}>
            <title>{name}</title>
            {short(name)}
          </text>
        ))}
        {e.rows.map((name, r) => (
          <text key={`r${r}`} x={left - 4} y={top + r * cs + cs / 2 + 3} fontSize={10} textAnchor="end" fill="#333">
            <title>{name}</title>
            {short(name)}
          </text>
        ))}
        {e.rows.map((rowName, r) =>
          e.columns.map((colName, c) => {
            const n = e.counts[r * nc + c];
            const f = rowTotal[r] > 0 ? n / rowTotal[r] : 0;
            const fill = colName === 'unassigned' ? NO_LABEL_COLOR : colName === rowName ? '#1f77b4' : '#d62728';
            return (
              <g
                key={`${r}:${c}`}
                role="button"
                tabIndex={n > 0 ? 0 : -1}
                style={{ cursor: n > 0 ? 'pointer' : 'default' }}
                onClick={() => n > 0 && void select(r, c)}
                onKeyDown={(ev) => ev.key === 'Enter' && n > 0 && void select(r, c)}
                data-testid={id(`confusion-${r}-${c}`)}
              >
                <title>{`${rowName} → ${colName}: ${n} cells (${pct(f)} of ${rowName})${n > 0 ? '; click to select them' : ''}`}</title>
                <rect x={left + c * cs} y={top + r * cs} width={cs - 1} height={cs - 1} fill="#f4f5f7" />
                {n > 0 && <rect x={left + c * cs} y={top + r * cs} width={cs - 1} height={cs - 1} fill={fill} fillOpacity={0.12 + 0.88 * f} />}
                {n > 0 && (
                  <text x={left + c * cs + cs / 2} y={top + r * cs + cs / 2 + 3} fontSize={9} textAnchor="middle" fill={f > 0.55 ? '#fff' : '#222'} pointerEvents="none">
                    {n}
                  </text>
                )}
              </g>
            );
          }),
        )}
      </svg>
      <table className="small" data-testid={`${testId}-per-label`}>
        <thead>
          <tr>
            <th>true label</th>
            <th>cells</th>
            <th title="of the cells predicted as this label, the share that has it">precision</th>
            <th title="of the cells with this label, the share predicted as it">recall</th>
            <th>F1</th>
          </tr>
        </thead>
        <tbody>
          {e.perLabel.map((l) => (
            <tr key={l.label}>
              <td>{l.label}</td>
              <td>{l.support.toLocaleString()}</td>
              <td>{l.predicted > 0 ? l.precision.toFixed(3) : '–'}</td>
              <td>{l.recall.toFixed(3)}</td>
              <td>{l.f1.toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
