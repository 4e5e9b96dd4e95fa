// A select's value must always be what the panel computes with: a remembered choice that is no
// longer among the options (a new clustering, another dataset) falls back to a stated default, and
// the select and the action read the same resolved value.

/** The choice if it is an option, else the first preferred value that is, else the first option. */
export function resolveChoice(choice: string | null | undefined, options: readonly string[], ...preferred: (string | null | undefined)[]): string {
  if (choice && options.includes(choice)) return choice;
  for (const p of preferred) if (p && options.includes(p)) return p;
  return options[0] ?? '';
}

/** A choice with the options it was made among. */
export interface RememberedChoice {
  value: string;
  offered: readonly string[];
}

/**
 * For selects whose default is a column the pipeline makes (leiden): the default when it exists,
 * else no choice at all ('', shown as "choose…") rather than whichever column happens to come first
 * (a `condition` or `batch` column, silently used for labels). A choice made while the default was
 * not on offer was no choice against it: once it appears (the pipeline ran), it is the value again.
 */
export function resolveDefaulted(choice: RememberedChoice | null, options: readonly string[], preferred: string): string {
  const fresh = options.includes(preferred) && !!choice && !choice.offered.includes(preferred);
  if (choice && !fresh && options.includes(choice.value)) return choice.value;
  return options.includes(preferred) ? preferred : '';
}
