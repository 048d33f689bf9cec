import { compareNames } from './name-order.ts';

/**
 * The edit distance of two short strings: insertions, deletions, substitutions, and a swap of two
 * neighbouring letters counting one (`cofnig` is one off `config`; restricted Damerau–Levenshtein).
 * Given `atMost`, a distance past it is not worked out: `atMost + 1` stands for any farther, and
 * only the band of the table within `atMost` of its diagonal is filled, given up once a row of
 * it is all farther (no later row comes nearer), so that a name is checked against thousands quickly.
 */
export function editDistance(a: string, b: string, atMost = Infinity): number {
  const farther = atMost + 1;
  if (Math.abs(a.length - b.length) > atMost) return farther;
  // Three rows of the table, kept between calls (a name is checked against thousands): the one two back (for a swap), the previous and the current.
  let [beforePrevious, previous, current] = tableRows(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j <= atMost ? j : Infinity;
  for (let i = 1; i <= a.length; i++) {
    // Only the band is filled: the cells just outside it, left of this row's and right of the previous one's, count as farther.
    const first = Math.max(1, i - atMost);
    const last = Math.min(b.length, i + atMost);
    current[first - 1] = i <= atMost ? i : Infinity;
    if (last > i - 1 + atMost) previous[last] = Infinity;
    let nearest = current[first - 1];
    for (let j = first; j <= last; j++) {
      let distance = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, beforePrevious[j - 2] + 1);
      current[j] = distance;
      nearest = Math.min(nearest, distance);
    }
    if (nearest > atMost) return farther;
    [beforePrevious, previous, current] = [previous, current, beforePrevious];
  }
  return Math.min(previous[b.length], farther);
}

let rows: Float64Array[] = [];

/** Three rows of at least `length` cells for `editDistance`, made anew only when longer are needed. */
function tableRows(length: number): Float64Array[] {
  if ((rows[0]?.length ?? 0) < length) rows = [0, 1, 2].map(() => new Float64Array(length));
  return rows;
}

/** How many letters a name may be off one meant to be a slip for it: two, one for a name shorter than 8 (`confg`, `cofnig`). */
export function lettersOff(meant: string): number {
  return meant.length < 8 ? 1 : 2;
}

/**
 * The names of `known` that `typed` looks like a slip for: the same name in another case
 * (`Nightly-Backup` for `nightly-backup`, the likeliest, so first), a letter or two off in any
 * case (`lettersOff`), two neighbouring letters swapped (`nightly-backp`, `nigthly-backup` for
 * `nightly-backup`); the closest first, at most `max`. Never `typed` itself.
 */
export function namesMeant(typed: string, known: Iterable<string>, max = 3): string[] {
  const lower = typed.toLowerCase();
  const near: { name: string; distance: number }[] = [];
  for (const name of new Set(known)) {
    if (name === typed) continue;
    const most = lettersOff(name);
    const distance = editDistance(lower, name.toLowerCase(), most);
    if (distance <= most) near.push({ name, distance });
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
