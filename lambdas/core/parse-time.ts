/**
 * `Date.parse`, with the forms nearly every line carries read by hand: `2026-10-03T02:31:07Z` and
 * `2026-10-03T02:31:07.123Z` (what `toISOString`, `isoTime` and most loggers write). Each line is
 * timed two or three times on the way in (its `ts` when checked and when resolved, the alert
 * policy's records), and `Date.parse` costs several times as much as this. Anything else, or
 * anything odd in these forms (a year before 1970, an hour of 24), is left to `Date.parse`, so the
 * result is always exactly what `Date.parse` gives (test/core/parse-time.test.ts compares them).
 */
export function parseTime(text: string): number {
  // A line's `ts` is read twice (checked, then resolved): the second time is a comparison.
  if (text === lastText) return lastValue;
  lastValue = readTime(text);
  lastText = text;
  return lastValue;
}

let lastText = '';
let lastValue = Number.NaN;

function readTime(text: string): number {
  const length = text.length;
  if ((length !== 20 && length !== 24) || text.charCodeAt(length - 1) !== Z) return Date.parse(text);
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(10) !== T || text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return Date.parse(text);
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  let ms = 0;
  if (length === 24) {
    if (text.charCodeAt(19) !== DOT) return Date.parse(text);
    ms = digits(text, 20, 3);
  }
  // `Date.parse` takes any day up to 31 in any month (Feb 30 is Mar 2), as `Date.UTC` does.
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || (hour | minute | second | ms) < 0 || hour > 23 || minute > 59 || second > 59) return Date.parse(text);
  return (daysBeforeMonth(year, month) + day - 1) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}

/**
 * Days from 1970-01-01 to the first of the month (a proleptic Gregorian calendar, as `Date.UTC`
 * counts; `Date.UTC` itself costs most of `Date.parse`). Days past the month's end roll into the next.
 */
function daysBeforeMonth(year: number, month: number): number {
  // Years that begin in March, so that a leap day is the last day of its year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5);
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const Z = 0x5a;
const T = 0x54;
const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;

/** The decimal number written by `count` digits at `from`; -1 when one of them is not a digit. */
function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}
