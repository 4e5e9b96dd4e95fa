// A select's value must always be what the panel computes with: a remembered choice that is no
// longer among the options (a new clustering, another dataset) falls back to a stated default, and
// the select and the action read the same resolved value.

/** The choice if it is an option, else the first preferred value that is, else the first option. */
export function resolveChoice(choice: string | null | undefined, options: readonly string[], ...preferred: (string | null | undefined)[]): string {
  if (choice && options.includes(choice)) return choice;
  for (const p of preferred) if (p && options.includes(p)) return p;
  return options[0] ?? '';
}
