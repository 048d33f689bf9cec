import { compareNames } from './name-order.ts';

/**
 * The edit distance of two short strings: insertions, deletions, substitutions, and a swap of two
 * neighbouring letters counting one (`cofnig` is one off `config`; restricted Damerau–Levenshtein).
 */
export function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      let distance = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, beforePrevious[j - 2] + 1);
      current.push(distance);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length];
}

/** How many letters a name may be off one meant to be a slip for it: two, one for a name shorter than 8 (`confg`, `cofnig`). */
export function lettersOff(meant: string): number {
  return meant.length < 8 ? 1 : 2;
}

/**
 * The names of `known` that `typed` looks like a slip for, in any case: a letter or two off
 * (`lettersOff`), two neighbouring letters swapped (`nightly-backp`, `nigthly-backup` for
 * `nightly-backup`); the closest first, at most `max`.
 */
export function namesMeant(typed: string, known: Iterable<string>, max = 3): string[] {
  const lower = typed.toLowerCase();
  const near: { name: string; distance: number }[] = [];
  for (const name of new Set(known)) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance > 0 && distance <= lettersOff(name)) near.push({ name, distance });
  }
  return near
    .sort((a, b) => a.distance - b.distance || compareNames(a.name, b.name))
    .slice(0, max)
    .map((n) => n.name);
}

/** `did you mean a, b?` for the names a slip looks meant for (`namesMeant`), undefined for none: one wording for every hint. */
export function didYouMean(meant: readonly string[]): string | undefined {
  return meant.length > 0 ? `did you mean ${meant.join(', ')}?` : undefined;
}
