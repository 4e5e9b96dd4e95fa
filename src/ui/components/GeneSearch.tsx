// Colour by a gene: a search box with autocomplete over the var names (a datalist, filtered to
// the first matches so a 30k-gene list stays quick).
import { useMemo, useState } from 'react';
import { useAnalysis } from '../analysis-store.ts';

export function GeneSearch() {
  const genes = useAnalysis((s) => s.genes);
  const colorByGene = useAnalysis((s) => s.colorByGene);
  const [text, setText] = useState('');
  const upper = text.toUpperCase();
  const options = useMemo(() => (upper.length === 0 ? [] : genes.filter((g) => g.toUpperCase().startsWith(upper)).slice(0, 50)), [genes, upper]);
  const exact = genes.find((g) => g.toUpperCase() === upper);
  const submit = () => {
    if (exact) void colorByGene(exact);
  };
  return (
    <label>
      Gene{' '}
      <input
        list="gene-options"
        value={text}
        placeholder={genes.length ? `${genes.length.toLocaleString()} genes` : ''}
        onChange={(e) => {
          setText(e.target.value);
          const hit = genes.find((g) => g === e.target.value);
          if (hit) void colorByGene(hit);
        }}
        onKeyDown={(e) => e.key === 'Enter' && submit()}
        data-testid="gene-search"
      />
      <datalist id="gene-options">
        {options.map((g) => (
          <option key={g} value={g} />
        ))}
      </datalist>
    </label>
  );
}
