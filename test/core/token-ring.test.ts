import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { doneToken } from '../../lambdas/core/route-reducer.ts';
import { appendRing, fingerprint, RingIndex, ringHas, TimedTokenRing, TokenRing } from '../../lambdas/core/token-ring.ts';

describe('fingerprint', () => {
  it('is the first 8 base64url characters of SHA-256, as the rings already stored hold them', () => {
    for (const id of ['run-1', 'cw:37203982|{"type":"agent.action"}', 'ünïcødé ✓', '']) {
      expect(fingerprint(id)).toBe(createHash('sha256').update(id).digest('base64url').slice(0, 8));
    }
  });
});

describe('ringHas: a fingerprint in a ring string, at a token boundary only', () => {
  it('finds tokens where they start, not across two of them', () => {
    const ring = 'AAAABBBBCCCCDDDD';
    expect(ringHas(ring, 'AAAABBBB')).toBe(true);
    expect(ringHas(ring, 'CCCCDDDD')).toBe(true);
    // Present in the text, but straddling the two tokens: not a token of the ring.
    expect(ringHas(ring, 'BBBBCCCC')).toBe(false);
    expect(ringHas(`${ring}BBBBCCCC`, 'BBBBCCCC')).toBe(true);
    expect(ringHas('', 'AAAABBBB')).toBe(false);
  });
});

describe('TokenRing: one batch reading and adding to a stored ring', () => {
  const stored = Array.from({ length: 300 }, (_, i) => fingerprint(`stored-${i}`));
  const ring = stored.join('');

  it('answers the same whether it searches the string (first lookups) or a set (after many)', () => {
    const r = new TokenRing(ring, 1000);
    const probes = [...stored.slice(0, 50).map((t, i) => (i % 2 ? t : fingerprint(`new-${i}`))), 'BBBBCCCC'];
    const answers = [...probes, ...probes].map((t) => r.has(t));
    const expected = [...probes, ...probes].map((t) => stored.includes(t));
    expect(answers).toEqual(expected);
    expect(answers.filter(Boolean)).toHaveLength(50);
  });

  it('finds every token of a full 5000-token ring once indexed, and no token that straddles two', () => {
    const tokens = Array.from({ length: 5000 }, (_, i) => fingerprint(`run-${i}`));
    const full = tokens.join('');
    const r = new TokenRing(full, 5000);
    const absent = Array.from({ length: 2000 }, (_, i) => fingerprint(`other-${i}`)).filter((t) => !tokens.includes(t));
    const straddling = Array.from({ length: 200 }, (_, i) => full.slice(i * 8 + 4, i * 8 + 12));
    expect(tokens.every((t) => r.has(t))).toBe(true);
    expect(absent.some((t) => r.has(t))).toBe(false);
    expect(straddling.filter((t) => !tokens.includes(t)).some((t) => r.has(t))).toBe(false);
    expect(r.has('short')).toBe(false);
  });

  it('answers the same when told the batch makes many lookups (indexed at the first) as when told nothing', () => {
    // Prepare
    const told = new TokenRing(ring, 1000, 100);
    const untold = new TokenRing(ring, 1000);
    const added = Array.from({ length: 20 }, (_, i) => fingerprint(`added-${i}`));
    const probes = [...stored.slice(0, 30).map((t, i) => (i % 3 ? t : fingerprint(`new-${i}`))), 'BBBBCCCC', ring.slice(4, 12)];
    // Act
    const answer = (r: TokenRing) =>
      probes.flatMap((t, i) => {
        const before = r.has(t);
        if (i < added.length) r.add(added[i]);
        return [before, r.has(added[Math.min(i, added.length - 1)])];
      });
    const fromTold = answer(told);
    const fromUntold = answer(untold);
    // Assess
    expect(fromTold).toEqual(fromUntold);
    expect(fromTold.filter((_, i) => i % 2 === 0)).toEqual(probes.map((t) => stored.includes(t)));
    expect(told.toString()).toBe(untold.toString());
  });

  it('knows the tokens added during the batch, before and after it builds its set', () => {
    const r = new TokenRing(ring, 1000);
    const added = Array.from({ length: 40 }, () => fingerprint(randomUUID()));
    for (const t of added) {
      expect(r.has(t)).toBe(false);
      r.add(t);
      expect(r.has(t)).toBe(true);
    }
    expect(r.changed).toBe(true);
  });

  it('keeps the newest `limit` tokens, the batch’s after the stored ones, and leaves an unchanged ring as it was', () => {
    const r = new TokenRing(ring, 301);
    expect(r.changed).toBe(false);
    expect(r.toString()).toBe(ring);
    r.add('NEWTOKEN');
    r.add('NEWER123');
    expect(r.toString()).toBe(appendRing(ring, ['NEWTOKEN', 'NEWER123'], 301));
    expect(r.toString()).toHaveLength(301 * 8);
    expect(r.toString().slice(-16)).toBe('NEWTOKENNEWER123');
    expect(r.toString().startsWith(stored[1])).toBe(true);
  });
});

describe('RingIndex: tokens spread over its slots', () => {
  const probesOf = (ring: string, lookups: readonly string[]) => {
    const index = new RingIndex(ring);
    const probes = lookups.map((t) => index.probes(t));
    return { average: probes.reduce((a, b) => a + b, 0) / probes.length, max: Math.max(...probes), found: lookups.filter((t) => index.has(t)) };
  };
  const print = (id: string) => fingerprint(`req:${id}`);

  it('keeps lookups short in a route done ring whose tokens share their first 6 characters per request', () => {
    // Prepare: 20 requests retried for a day (72 slots of 20 minutes each), then short requests, 3000
    // tokens (MAX_DONE_REQUESTS); and 100 request ids reused on 30 days
    const dayLong: string[] = [];
    for (let i = 0; i < 20; i++) for (let s = 0; s < 72; s++) dayLong.push(doneToken(print(`long${i}`), 1_000_000 + s));
    for (let i = 0; dayLong.length < 3000; i++) dayLong.push(doneToken(print(`short${i}`), 1_000_072));
    const reused: string[] = [];
    for (let d = 0; d < 30; d++) for (let i = 0; i < 100; i++) reused.push(doneToken(print(`${i}`), 1_000_000 + d * 72 + (i >> 4)));
    const laterSlots = (ids: string[], from: number) => ids.flatMap((id) => [0, 1, 2].map((k) => doneToken(print(id), from + k)));
    const longIds = Array.from({ length: 20 }, (_, i) => `long${i}`);
    const reusedIds = Array.from({ length: 100 }, (_, i) => `${i}`);

    // Act
    const dayLongLookups = probesOf(dayLong.join(''), [...laterSlots(longIds, 1_000_100), ...dayLong.slice(0, 1440)]);
    const reusedLookups = probesOf(reused.join(''), [...laterSlots(reusedIds, 1_000_000 + 31 * 72), ...reused]);

    // Assess: as few slots visited as for tokens of 8 random characters (~0.8 on average, ~10 at most)
    for (const { average, max } of [dayLongLookups, reusedLookups]) {
      expect(average).toBeLessThan(2);
      expect(max).toBeLessThan(30);
    }
    expect(dayLongLookups.found).toEqual(dayLong.slice(0, 1440));
    expect(reusedLookups.found).toEqual(reused);
  });
});

describe('TimedTokenRing.timesOf: when a token was added, once per time it is in the ring', () => {
  it('gives the stored times (0 for tokens stored without one) and the batch\'s, in seconds rounded up', () => {
    // Prepare: a stored ring of 3 tokens, the first without a time, then "b" at 100 s and "a" again at 160 s
    const [a, b, c] = ['a', 'b', 'c'].map(fingerprint);
    const ring = new TimedTokenRing(a + b + a, [100, 60], undefined, 10);

    // Act
    ring.add(a, 200_400);
    ring.add(c, 300_000);

    // Assess
    expect(ring.timesOf(a)).toEqual([0, 160, 201]);
    expect(ring.timesOf(b)).toEqual([100]);
    expect(ring.timesOf(c)).toEqual([300]);
    expect(ring.timesOf(fingerprint('d'))).toEqual([]);
  });
});
