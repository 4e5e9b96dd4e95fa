// Gene programs: the parameters of scGPT's GeneEmbedding recipe under its names, the programs
// found (click one to colour the cells by its score), and the genes most like the picked one.
import type { ProgramsParams } from '../../workers/protocol.ts';
import { programColors } from '../plot/network-graph.ts';
import { ModelSelect } from './ModelSelect.tsx';
import { useGrn } from '../grn-store.ts';
import { useApp } from '../store.ts';

const rgb = (c: number[]) => `rgb(${c.join(',')})`;

export function ProgramsForm() {
  const params = useGrn((s) => s.programsParams);
  const setParams = useGrn((s) => s.setProgramsParams);
  const job = useGrn((s) => s.job);
  const run = useGrn((s) => s.runPrograms);
  const set = (key: keyof ProgramsParams, value: number) => setParams({ ...params, [key]: value });
  const num = (key: keyof ProgramsParams, label: string, title: string, step = 1) => (
    <label title={title}>
      {label}
      <input type="number" step={step} value={params[key] as number} onChange={(e) => set(key, Number(e.target.value))} data-testid={`grn-param-${key}`} />
    </label>
  );
  return (
    <fieldset className="grn-form" disabled={!!job}>
      <legend>Gene programs (gene embeddings)</legend>
      <ModelSelect testId="grn-model" />
      {num('nHvg', 'genes (HVGs)', 'the most highly variable genes of the dataset that the model knows')}
      {num('k', 'n_neighbors', 'neighbours of each gene in the kNN graph (scanpy neighbors, use_rep=X)')}
      {num('resolution', 'resolution', 'Leiden resolution: scGPT\'s tutorial uses 40 for many small programs', 0.5)}
      {num('minSize', 'min genes', 'programs are clusters with at least this many genes')}
      {num('edgeThreshold', 'edge cosine', 'join two genes in the view when their embeddings\' cosine similarity is above this (tutorial: 0.5)', 0.05)}
      <button className="primary" onClick={() => void run()} data-testid="grn-run-programs">
        Find programs
      </button>
    </fieldset>
  );
}

export function ProgramsList({ emphasise }: { emphasise(genes: string[]): void }) {
  const result = useGrn((s) => s.programs);
  const colorBy = useApp((s) => s.colorBy);
  const colorByProgram = useGrn((s) => s.colorByProgram);
  const similar = useGrn((s) => s.similar);
  const focusGene = useGrn((s) => s.focusGene);
  if (!result) return null;
  const palette = programColors(result.programs.length);
  const minSize = useGrn.getState().programsParams.minSize;
  return (
    <>
      {result.programs.length === 0 && (
        <p className="warning small" data-testid="programs-none">
          No cluster of the genes reaches {minSize} genes at this resolution: lower the resolution for larger clusters (a model with random weights gives little structure).
        </p>
      )}
      <p className="muted small" data-testid="programs-note">
        {result.programs.length} programs of {result.genes.length.toLocaleString('en-US')} genes ({result.genesNote}), model {result.model}; each program&apos;s score per cell is an obs column.
      </p>
      {similar && (
        <div className="similar" data-testid="similar-genes">
          <b>Genes like {similar.gene}</b> (cosine of gene embeddings)
          <ol>
            {similar.similar.map((s) => (
              <li key={s.gene}>
                <button className="link" onClick={() => void focusGene(s.gene)}>
                  {s.gene}
                </button>{' '}
                <span className="muted">{s.cosine.toFixed(3)}</span>
              </li>
            ))}
          </ol>
        </div>
      )}
      <ul className="programs" data-testid="programs-list">
        {result.programs.map((p, i) => (
          <li key={p.id}>
            <button
              className={`program${colorBy === p.column ? ' on' : ''}`}
              data-testid="program-item"
              data-program={p.id}
              title={p.genes.join(', ')}
              onClick={() => {
                emphasise(p.genes);
                void colorByProgram(p.id);
              }}
            >
              <span className="swatch" style={{ background: rgb(palette[i]) }} />
              <b>{p.id}</b> <span className="muted">({p.genes.length})</span> {p.genes.slice(0, 6).join(', ')}
              {p.genes.length > 6 ? '…' : ''}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
