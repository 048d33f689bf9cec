/**
 * Two values as `format` writes them, unless they differ but would read the same: then with as many
 * more digits (`extra`, up to `most`) as tell them apart, so that a value over or short of its limit
 * never reads as the limit itself (`10.04%` against `10%`, `1.04 min` against `1 min`, `$0.199`
 * against `$0.200`).
 */
export function formatApart(a: number, b: number, format: (value: number, extra: number) => string, most: number): readonly [string, string] {
  let extra = 0;
  while (extra < most && a !== b && format(a, extra) === format(b, extra)) extra++;
  return [format(a, extra), format(b, extra)];
}
