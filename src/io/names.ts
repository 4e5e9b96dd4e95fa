// Gene/cell name helpers shared by the readers.

/** anndata's var_names_make_unique: later duplicates get "-1", "-2", ... appended. */
export function makeUnique(names: string[]): { names: string[]; duplicates: number } {
  const seen = new Map<string, number>();
  const taken = new Set(names);
  let duplicates = 0;
  const out = names.map((name) => {
    const n = seen.get(name);
    if (n === undefined) {
      seen.set(name, 0);
      return name;
    }
    duplicates++;
    let k = n + 1;
    while (taken.has(`${name}-${k}`)) k++;
    seen.set(name, k);
    taken.add(`${name}-${k}`);
    return `${name}-${k}`;
  });
  return { names: out, duplicates };
}

const ENSEMBL = /^ENS[A-Z]*G\d{6,}(\.\d+)?$/;

export function looksLikeEnsembl(names: string[]): boolean {
  const sample = names.slice(0, 200);
  return sample.length > 0 && sample.filter((n) => ENSEMBL.test(n)).length >= sample.length * 0.8;
}
