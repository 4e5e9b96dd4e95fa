// Colour by a gene: a search box with autocomplete over the gene symbols (Ensembl ids are accepted
// too), filtered to the first matches so a 30k-gene list stays quick. A gene the data lacks is
// said so under the box.
import { useMemo, useState } from 'react';
import { findGene } from '../../io/gene-symbols.ts';
import { useAnalysis } from '../analysis-store.ts';

export function GeneSearch() {
  const genes = useAnalysis((s) => s.genes);
  const geneError = useAnalysis((s) => s.geneError);
  const colorByGene = useAnalysis((s) => s.colorByGene);
  const [text, setText] = useState('');
  const upper = text.trim().toUpperCase();
  const showIds = genes.source !== null;
  const options = useMemo(() => {
    if (upper.length === 0) return [];
    const out: number[] = [];
    for (let i = 0; i < genes.symbols.length && out.length < 50; i++) {
      if (genes.symbols[i].toUpperCase().startsWith(upper) || (showIds && genes.ids[i].toUpperCase().startsWith(upper))) out.push(i);
    }
    return out;
  }, [genes, upper, showIds]);
  const submit = () => {
    if (!text.trim()) return;
    const i = findGene(genes, text);
    // The worker says what is missing (and how many genes there are) when there is no match.
    void colorByGene(i >= 0 ? genes.ids[i] : text.trim());
  };
  return (
    <div className="gene-search">
      <label>
        Gene{' '}
        <input
          list="gene-options"
          value={text}
          placeholder={genes.symbols.length ? `${genes.symbols.length.toLocaleString()} genes${showIds ? ', symbol or id' : ''}` : ''}
          onChange={(e) => {
            setText(e.target.value);
            const hit = genes.symbols.indexOf(e.target.value);
            if (hit >= 0) void colorByGene(genes.ids[hit]);
          }}
          onKeyDown={(e) => e.key === 'Enter' && submit()}
          data-testid="gene-search"
        />
        <datalist id="gene-options">
          {options.map((i) => (
            <option key={genes.ids[i]} value={genes.symbols[i]} label={showIds ? genes.ids[i] : undefined} />
          ))}
        </datalist>
      </label>
      {geneError && (
        <div className="field-error" data-testid="gene-error" role="alert">
          {geneError}
        </div>
      )}
      {showIds && <div className="muted small">symbols from {genes.source}</div>}
    </div>
  );
}
