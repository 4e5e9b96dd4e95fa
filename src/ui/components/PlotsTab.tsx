// The plots scanpy users reach for, for any categorical grouping: dot plot, violins and a matrix
// plot, of the top markers per group (the marker table's, as sc.pl.rank_genes_groups_dotplot picks
// them: the top n of each group, each gene once, bracketed by the group it was picked for), or of
// genes the user lists (typed or pasted symbols, "name: genes" lines or a shipped marker set,
// bracketed by name as scanpy's var_names dict). Picking a column without markers computes them.
import { useEffect, useMemo, useRef, useState } from 'react';
import { geneGroupLine, parseGeneList, resolveGeneList } from '../../analysis/gene-list.ts';
import { topMarkerGroups } from '../../analysis/group-stats.ts';
import { guessSpecies, type MarkerSet } from '../../analysis/suggest.ts';
import { useAnalysis } from '../analysis-store.ts';
import { resolveChoice } from '../choice.ts';
import { useApp } from '../store.ts';
import type { Bracket } from './plot-grid.ts';
import { PlotsPanel } from './PlotsPanel.tsx';

type GenesMode = 'markers' | 'list';

let markerSetsLoad: Promise<MarkerSet[]> | null = null;
function loadMarkerSets(): Promise<MarkerSet[]> {
  markerSetsLoad ??= fetch(`${import.meta.env.BASE_URL}markers/cell-type-markers.json`)
    .then(async (r) => (r.ok ? ((await r.json()) as { sets: MarkerSet[] }).sets : []))
    .catch(() => []);
  return markerSetsLoad;
}

export function PlotsTab() {
  const markers = useAnalysis((s) => s.markers);
  const markersJob = useAnalysis((s) => s.markersJob);
  const pipelineJob = useAnalysis((s) => s.job);
  const computeMarkers = useAnalysis((s) => s.computeMarkers);
  const cancelMarkers = useAnalysis((s) => s.cancelMarkers);
  const geneLabels = useAnalysis((s) => s.genes);
  const summary = useApp((s) => s.summary);
  const [picked, setPicked] = useState<string | null>(null);
  const [mode, setMode] = useState<GenesMode>('markers');
  const [nGenes, setNGenes] = useState(3);
  const [text, setText] = useState('');
  const [applied, setApplied] = useState('');
  const [sets, setSets] = useState<MarkerSet[]>([]);
  // Columns whose markers this tab started (so a cancel or a failure is not retried by itself).
  const started = useRef(new Set<string>());
  const categorical = Object.entries(summary?.obs ?? {})
    .filter(([, c]) => c.categories && Object.keys(c.categories).length >= 2 && Object.keys(c.categories).length <= 200)
    .map(([n]) => n);
  const markersBy = markers && markers.groupBy !== 'selection' ? markers.groupBy : null;
  const groupBy = resolveChoice(picked, categorical, markersBy ?? undefined, 'leiden');
  const hasMarkers = !!markers && markersBy === groupBy;
  const computing = markersJob !== null;

  const compute = (by: string) => {
    started.current.add(by);
    void computeMarkers(by, 'wilcoxon');
  };
  useEffect(() => {
    if (mode !== 'markers' || !groupBy || hasMarkers || computing || pipelineJob || started.current.has(groupBy)) return;
    compute(groupBy);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [mode, groupBy, hasMarkers, computing, pipelineJob]);
  useEffect(() => {
    if (mode === 'list' && sets.length === 0) void loadMarkerSets().then(setSets);
  }, [mode, sets.length]);

  const chosen = useMemo((): { ids: string[]; symbols: string[]; brackets: Bracket[]; unknown: string[] } => {
    if (mode === 'list') return resolveGeneList(parseGeneList(applied), geneLabels);
    if (!hasMarkers || !markers) return { ids: [], symbols: [], brackets: [], unknown: [] };
    // By id where the table has them (CELLxGENE files), shown by symbol.
    const symbolOf = new Map(markers.groups.flatMap((g) => (g.geneIds ?? g.genes).map((id, i) => [id, g.genes[i]] as const)));
    const groups = topMarkerGroups(markers.groups.map((g) => ({ group: g.group, genes: g.geneIds ?? g.genes })), nGenes);
    const ids = groups.flatMap((g) => g.genes);
    let at = 0;
    const brackets = groups.map((g) => {
      const b = { label: g.label, start: at, end: at + g.genes.length - 1 };
      at += g.genes.length;
      return b;
    });
    return { ids, symbols: ids.map((id) => symbolOf.get(id) ?? id), brackets, unknown: [] };
  }, [mode, applied, geneLabels, hasMarkers, markers, nGenes]);

  if (!groupBy) return <p className="muted pad">No categorical column to group by: run the analysis (Analyze) for Leiden clusters.</p>;
  const species = guessSpecies(geneLabels.symbols);
  const offered = sets.filter((s) => !s.species || s.species === species);
  const addSets = (picked: MarkerSet[]) => setText((t) => [t.trim(), ...picked.map((s) => geneGroupLine(s.name, s.genes))].filter(Boolean).join('\n'));
  return (
    <div className="plots-tab">
      <div className="toolbar">
        <label>
          group by{' '}
          <select value={groupBy} onChange={(e) => setPicked(e.target.value)} data-testid="plots-groupby">
            {categorical.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          genes{' '}
          <select value={mode} onChange={(e) => setMode(e.target.value as GenesMode)} data-testid="plots-genes-mode">
            <option value="markers">top markers per group</option>
            <option value="list">my list / marker sets</option>
          </select>
        </label>
        {mode === 'markers' && (
          <label title="sc.pl.rank_genes_groups_dotplot's n_genes">
            top{' '}
            <input type="number" min={1} max={20} value={nGenes} onChange={(e) => setNGenes(Math.max(1, Math.min(20, Math.floor(Number(e.target.value)) || 1)))} data-testid="plots-n-genes" style={{ width: '3.5em' }} /> each
          </label>
        )}
        {mode === 'markers' && computing && (
          <span className="row small" data-testid="plots-markers-progress">
            <progress max={1} value={markersJob.fraction} /> <span className="muted">{markersJob.message}</span>
            <button onClick={cancelMarkers} data-testid="plots-markers-cancel">
              Cancel
            </button>
          </span>
        )}
        {mode === 'markers' && !computing && !hasMarkers && (
          <span className="small">
            <span className="muted">no markers of {groupBy} </span>
            <button onClick={() => compute(groupBy)} disabled={!!pipelineJob} data-testid="plots-markers-compute">
              compute markers of {groupBy}
            </button>
          </span>
        )}
      </div>
      {mode === 'list' && (
        <div className="plots-gene-list">
          <textarea
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={3}
            placeholder={'symbols separated by commas, spaces or new lines (CD3E, MS4A1 NKG7)\nor one group per line: "T cells: CD3E CD3D" (a bracket over its columns)'}
            aria-label="genes to plot"
            data-testid="plots-gene-list"
          />
          <div className="row small">
            <select
              value=""
              onChange={(e) => {
                const v = e.target.value;
                if (v === '*') addSets(offered);
                else if (v) addSets(offered.filter((s) => s.name === v));
              }}
              aria-label="add a marker set"
              data-testid="plots-marker-set"
            >
              <option value="">add a marker set…</option>
              {offered.length > 0 && <option value="*">all {species} sets</option>}
              {offered.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name} ({s.genes.length})
                </option>
              ))}
            </select>
            <button onClick={() => setApplied(text)} disabled={!text.trim()} data-testid="plots-gene-list-apply">
              Plot these genes
            </button>
            {applied && <span className="muted">{chosen.ids.length} genes</span>}
          </div>
          {chosen.unknown.length > 0 && (
            <p className="field-error" role="alert" data-testid="plots-unknown-genes">
              not in this dataset ({geneLabels.ids.length.toLocaleString('en-US')} genes, by symbol or id): {chosen.unknown.join(', ')}
            </p>
          )}
        </div>
      )}
      <PlotsPanel groupBy={groupBy} genes={chosen.ids} symbols={chosen.symbols} brackets={chosen.brackets} emptyText={mode === 'list' ? 'List genes above and press "Plot these genes".' : computing ? `computing the markers of ${groupBy}…` : `No markers of ${groupBy} yet.`} />
    </div>
  );
}
