import { describe, expect, it } from 'vitest';
import { editDistance, namesMeant } from '../../lambdas/core/edit-distance.ts';

/** The whole table, no band and no cut-off: restricted Damerau–Levenshtein as written out in full, to check the bounded one against. */
function fullDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** A seeded pseudo-random source (mulberry32), so that a failing pair can be found again. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A word of up to 12 letters of a small alphabet, and a slip of it (letters changed, dropped, added, swapped), so that near pairs are common. */
function randomPair(random: () => number): [string, string] {
  const letter = () => 'abc-'[Math.floor(random() * 4)];
  const word = Array.from({ length: Math.floor(random() * 13) }, letter).join('');
  const slip = [...word];
  for (let k = Math.floor(random() * 5); k > 0; k--) {
    const at = Math.floor(random() * (slip.length + 1));
    const how = Math.floor(random() * 4);
    if (how === 0) slip.splice(at, 0, letter());
    else if (how === 1) slip.splice(at, 1);
    else if (how === 2) slip[at] = letter();
    else if (at + 1 < slip.length) [slip[at], slip[at + 1]] = [slip[at + 1], slip[at]];
  }
  return [word, slip.join('')];
}

describe('editDistance', () => {
  it('gives, within a bound, the distance the full table gives, and bound + 1 for any farther, on random pairs', () => {
    // Prepare
    const random = seeded(36);
    const pairs = Array.from({ length: 3000 }, () => randomPair(random));

    // Act
    const differing = pairs.flatMap(([a, b]) =>
      [0, 1, 2, 3].flatMap((atMost) => {
        const full = fullDistance(a, b);
        const bounded = editDistance(a, b, atMost);
        return bounded === Math.min(full, atMost + 1) && editDistance(a, b) === full ? [] : [{ a, b, atMost, full, bounded }];
      }),
    );

    // Assess
    expect(differing).toEqual([]);
  });

  it('counts a swap of neighbouring letters as one, bounded or not', () => {
    expect([editDistance('cofnig', 'config'), editDistance('cofnig', 'config', 1), editDistance('cofnig', 'config', 0)]).toEqual([1, 1, 1]);
  });
});

describe('namesMeant', () => {
  it('suggests a name that differs from the typed one only in case, first, and never the typed name itself', () => {
    // Act
    const caseOnly = namesMeant('nightly-backup', ['Nightly-Backup', 'nightly-backups', 'weekly-backup']);
    const exact = namesMeant('nightly-backup', ['nightly-backup', 'Nightly-Backup']);
    const shortName = namesMeant('Missed-Run', ['missed-run', 'run-failed']);

    // Assess
    expect(caseOnly).toEqual(['Nightly-Backup', 'nightly-backups']);
    expect(exact).toEqual(['Nightly-Backup']);
    expect(shortName).toEqual(['missed-run']);
  });

  it('finds among thousands of like names those a letter or two off, as the full distance would', () => {
    // Prepare: 5,000 names alike but for their last digits, as a large config's jobs are
    const known = Array.from({ length: 5000 }, (_, i) => `nightly-backup-job-${String(i).padStart(5, '0')}`);

    // Act
    const meant = namesMeant('nightly-backup-job-0042', known, 5000);
    const expected = known.filter((name) => fullDistance('nightly-backup-job-0042', name) <= 2);

    // Assess
    expect(meant.slice().sort()).toEqual(expected.sort());
    expect(namesMeant('legacy-etl-only-in-logs-7', known)).toEqual([]);
  });
});
