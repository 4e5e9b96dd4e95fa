// The Networks tab: gene programs from the model's gene embeddings, or the attention GRN between
// two groups of cells, drawn as a network beside the cells (coloured by whatever was clicked),
// with the parameters, the programs or the targets, and exports (Cytoscape CSV, PNG).
import { useMemo, useState } from 'react';
import { download, exportName } from '../download.ts';
import { useGrn } from '../grn-store.ts';
import type { TargetOrder } from '../../model/grn/targets.ts';
import { attentionNetwork, networkCsv, programsNetwork, type Network } from '../plot/network-graph.ts';
import { useApp } from '../store.ts';
import { AttentionForm, TargetsTable } from './AttentionSide.tsx';
import { ColorScale } from './ColorScale.tsx';
import { MatrixPlot } from './MatrixPlot.tsx';
import { NetworkView } from './NetworkView.tsx';
import { PanelError } from './PanelError.tsx';
import { ProgramsForm, ProgramsList } from './ProgramsSide.tsx';
import { ScatterView } from './ScatterView.tsx';

const NO_GENES: ReadonlySet<string> = new Set();

function ProgramsByGroup() {
  const summary = useApp((s) => s.summary);
  const heatmap = useGrn((s) => s.heatmap);
  const load = useGrn((s) => s.loadHeatmap);
  const columns = Object.entries(summary?.obs ?? {}).filter(([, c]) => c.categories && Object.keys(c.categories).length >= 2 && Object.keys(c.categories).length <= 200);
  const [groupBy, setGroupBy] = useState(columns.find(([n]) => n === 'leiden')?.[0] ?? columns[0]?.[0] ?? '');
  return (
    <div className="programs-heatmap">
      <div className="toolbar">
        <label>
          mean program score by{' '}
          <select value={groupBy} onChange={(e) => setGroupBy(e.target.value)} data-testid="heatmap-groupby">
            {columns.map(([n]) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <button onClick={() => void load(groupBy)} disabled={!groupBy} data-testid="heatmap-show">
          Show
        </button>
      </div>
      {heatmap && <MatrixPlot stats={heatmap} value="mean program score (0-1) in group" item="program" />}
    </div>
  );
}

export function NetworksTab() {
  const mode = useGrn((s) => s.mode);
  const setMode = useGrn((s) => s.setMode);
  const programs = useGrn((s) => s.programs);
  const attention = useGrn((s) => s.attention);
  const focus = useGrn((s) => s.focus);
  const focusGene = useGrn((s) => s.focusGene);
  const [emphasis, setEmphasis] = useState<ReadonlySet<string>>(NO_GENES);
  const [view, setView] = useState<'network' | 'heatmap'>('network');
  const [search, setSearch] = useState('');
  const [by, setBy] = useState<TargetOrder>('difference');
  const [k, setK] = useState(20);
  const tf = attention && focus && attention.panel.includes(focus) ? focus : (attention?.panel[0] ?? '');
  const network: Network | null = useMemo(() => {
    if (mode === 'programs') return programs ? programsNetwork(programs) : null;
    return attention ? attentionNetwork(attention, tf, by, k) : null;
  }, [mode, programs, attention, tf, by, k]);

  const find = (text: string) => {
    setSearch(text);
    const hit = network?.nodes.find((n) => n.gene.toLowerCase() === text.trim().toLowerCase());
    if (hit) void focusGene(hit.gene);
  };
  const exportCsv = () => {
    if (!network) return;
    const names = new Map(programs?.programs.map((p) => [p.id, `program_${p.id}`]));
    const csv = networkCsv(network, (n) => (mode === 'programs' ? (names.get(n.group) ?? 'none') : (n.role ?? '')));
    download(networkFileName(mode, tf, 'nodes', 'csv'), new Blob([csv.nodes], { type: 'text/csv' }));
    download(networkFileName(mode, tf, 'edges', 'csv'), new Blob([csv.edges], { type: 'text/csv' }));
  };
  const exportPng = () => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="network-view"] canvas');
    canvas?.toBlob((b) => b && download(networkFileName(mode, tf, null, 'png'), b), 'image/png');
  };

  return (
    <div className="networks" data-testid="networks-tab">
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="network kind">
          <button className={mode === 'programs' ? 'on' : ''} onClick={() => setMode('programs')} data-testid="grn-mode-programs">
            Gene programs
          </button>
          <button className={mode === 'attention' ? 'on' : ''} onClick={() => setMode('attention')} data-testid="grn-mode-attention">
            Attention GRN
          </button>
        </div>
        {mode === 'programs' && programs && (
          <div className="segmented" role="group" aria-label="programs view">
            <button className={view === 'network' ? 'on' : ''} onClick={() => setView('network')} data-testid="programs-view-network">
              Network
            </button>
            <button className={view === 'heatmap' ? 'on' : ''} onClick={() => setView('heatmap')} data-testid="programs-view-heatmap">
              By group
            </button>
          </div>
        )}
        <input type="search" placeholder="find a gene" value={search} onChange={(e) => find(e.target.value)} disabled={!network} data-testid="network-search" aria-label="find a gene in the network" />
        <button onClick={exportCsv} disabled={!network} data-testid="network-export-csv" title="nodes.csv and edges.csv for Cytoscape">
          CSV
        </button>
        <button onClick={exportPng} disabled={!network} data-testid="network-export-png">
          PNG
        </button>
      </div>
      <PanelError panel="grn" />
      <div className="networks-body">
        <div className="networks-main">
          {mode === 'programs' && programs && view === 'heatmap' ? (
            <ProgramsByGroup />
          ) : network ? (
            <NetworkView network={network} focus={focus} emphasis={emphasis} onPick={(g) => void focusGene(g)} />
          ) : (
            <p className="muted pad" data-testid="network-empty">
              {mode === 'programs'
                ? 'Gene programs group the genes the model places together (scGPT\'s GeneEmbedding): set the parameters on the right and press Find programs.'
                : 'The attention GRN ranks, for a regulator, the genes that attend to it more in one group of cells than in another (scGPT\'s attention-based GRN): choose the groups on the right.'}
            </p>
          )}
        </div>
        <aside className="networks-side">
          <div className="stage mini-stage">
            <ScatterView />
            <ColorScale />
          </div>
          {mode === 'programs' ? <ProgramsForm /> : <AttentionForm />}
          {mode === 'programs' ? (
            <ProgramsList emphasise={(genes) => setEmphasis(new Set(genes))} />
          ) : (
            <TargetsTable tf={tf} by={by} k={k} onTf={(g) => void focusGene(g)} onBy={setBy} onK={setK} />
          )}
        </aside>
      </div>
    </div>
  );
}

/** `<dataset>_gene_programs_nodes.csv`, `<dataset>_attention_<TF>.png`: after the dataset and what the network is. */
function networkFileName(mode: 'programs' | 'attention', tf: string, part: string | null, ext: string): string {
  const what = mode === 'programs' ? ['gene_programs'] : ['attention', tf];
  return exportName(useApp.getState().summary?.file, part ? [...what, part] : what, ext);
}
