import { hash } from 'node:crypto';

/**
 * Rings of fingerprints: how states remember what they already counted (agent actions, tool
 * calls, finished requests and runs) so that a redelivered line counts nothing twice. A ring is
 * one string of fixed-width tokens, newest last, the newest `limit` kept: compact in DynamoDB,
 * and cheap to search without taking it apart.
 */

/** The width of a fingerprint in a ring. */
export const TOKEN_CHARS = 8;

/** 48 bits of SHA-256 in 8 base64url characters: collisions among 5000 tokens are ~1 in 10⁷. */
export function fingerprint(identity: string): string {
  // The one-shot hash: the same digest as createHash().update().digest(), without the Hash object.
  return hash('sha256', identity, 'base64url').slice(0, TOKEN_CHARS);
}

/** Whether a ring string holds the fingerprint, at a token boundary: no set built, for a few lookups. */
export function ringHas(ring: string, token: string): boolean {
  for (let i = ring.indexOf(token); i >= 0; i = ring.indexOf(token, i + 1)) if (i % TOKEN_CHARS === 0) return true;
  return false;
}

/** The ring with tokens appended, keeping the newest `limit`. */
export function appendRing(ring: string, tokens: readonly string[], limit: number): string {
  const next = ring + tokens.join('');
  const max = limit * TOKEN_CHARS;
  return next.length > max ? next.slice(next.length - max) : next;
}

/**
 * The slot of a token in a `RingIndex` of `2^bits` slots: its two 32-bit halves (4 characters each)
 * mixed by multiplication, the top bits taken. All 8 characters count: a route's done tokens share
 * their first 6 per request id (its fingerprint's start, then 2 of the slot; `doneToken`), so a
 * request done in many slots (retried for a day, an id reused) would pile up in one slot on the
 * first 4 alone. Tokens are always `TOKEN_CHARS` wide (`has` takes no other, and a ring is cut in
 * whole tokens). Two multiplications, against FNV-1a's eight over the characters one by one.
 */
function tokenSlot(text: string, at: number, bits: number): number {
  const head = text.charCodeAt(at) | (text.charCodeAt(at + 1) << 8) | (text.charCodeAt(at + 2) << 16) | (text.charCodeAt(at + 3) << 24);
  const tail = text.charCodeAt(at + 4) | (text.charCodeAt(at + 5) << 8) | (text.charCodeAt(at + 6) << 16) | (text.charCodeAt(at + 7) << 24);
  return Math.imul(head ^ Math.imul(tail, 0x85ebca6b), 0x9e3779b1) >>> (32 - bits);
}

/**
 * The tokens of a ring string, indexed for many lookups: an open-addressing table of their
 * positions in the string, so that nothing is sliced or allocated per token (a `Set` of the
 * tokens costs ~4.7× as much to build for a 5000-token ring, measured here).
 */
export class RingIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly bits: number;

  constructor(private readonly ring: string) {
    const tokens = Math.floor(ring.length / TOKEN_CHARS);
    let bits = 4;
    while (1 << bits < tokens * 2) bits++;
    this.slots = new Int32Array(1 << bits);
    this.mask = (1 << bits) - 1;
    this.bits = bits;
    for (let i = 0; i < tokens; i++) {
      let slot = tokenSlot(ring, i * TOKEN_CHARS, bits);
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = i + 1;
    }
  }

  has(token: string): boolean {
    if (token.length !== TOKEN_CHARS) return false;
    for (let slot = tokenSlot(token, 0, this.bits); this.slots[slot] !== 0; slot = (slot + 1) & this.mask) {
      if (this.ring.startsWith(token, (this.slots[slot] - 1) * TOKEN_CHARS)) return true;
    }
    return false;
  }

  /** How many slots a lookup of the token visits (as `has` walks them): a measure of clustering, off the hot path. */
  probes(token: string): number {
    let visited = 0;
    for (let slot = tokenSlot(token, 0, this.bits); this.slots[slot] !== 0; slot = (slot + 1) & this.mask) {
      visited++;
      if (this.ring.startsWith(token, (this.slots[slot] - 1) * TOKEN_CHARS)) break;
    }
    return visited;
  }
}

/**
 * Lookups of one batch answered by searching the ring string; past them the ring is indexed once.
 * Measured here: indexing a ring costs about as much as 6 (5000 tokens) to 10 (100 tokens)
 * searches of it, and most batches look up a handful of tokens per subject.
 */
const LINEAR_LOOKUPS = 8;

/** A stored ring while one batch reads and adds to it: the stored string is never changed. */
export class TokenRing {
  private readonly fresh: string[] = [];
  private index: { readonly stored: RingIndex; readonly fresh: Set<string> } | undefined;
  private lookups: number;

  /**
   * `expectedLookups`: how many lookups the batch will make, when its owner knows; more than
   * `LINEAR_LOOKUPS` and the ring is indexed at the first, rather than after searching it that often.
   */
  constructor(
    private readonly stored: string,
    private readonly limit: number,
    expectedLookups = 0,
  ) {
    this.lookups = expectedLookups > LINEAR_LOOKUPS ? LINEAR_LOOKUPS : 0;
  }

  /** Whether tokens were added during the batch. */
  get changed(): boolean {
    return this.fresh.length > 0;
  }

  has(token: string): boolean {
    if (!this.index && ++this.lookups <= LINEAR_LOOKUPS) return ringHas(this.stored, token) || this.fresh.includes(token);
    this.index ??= { stored: new RingIndex(this.stored), fresh: new Set(this.fresh) };
    return this.index.fresh.has(token) || this.index.stored.has(token);
  }

  add(token: string): void {
    this.index?.fresh.add(token);
    this.fresh.push(token);
  }

  /** The ring as the state keeps it: the batch's tokens after the stored ones, the newest `limit`. */
  toString(): string {
    return this.fresh.length > 0 ? appendRing(this.stored, this.fresh, this.limit) : this.stored;
  }
}

/**
 * A line is taken as counted by its time alone (its token or mark forgotten) only this far behind
 * its owner's latest line: the hosts of a busy job or fleet deliver their log streams one after
 * another, so within this lag a line older than those forgotten is one not read yet, not one read
 * again (a redriven delivery, a backfill over live history).
 */
export const DELIVERY_LAG_MS = 60 * 60_000;

/**
 * Whether a line at `at` that is not remembered is taken as counted: as old as the latest one
 * forgotten (`until`), and `DELIVERY_LAG_MS` behind the owner's latest line (`latest`).
 */
export function takenAsCounted(at: number, until: number | undefined, latest: number): boolean {
  return until !== undefined && at <= until && at <= latest - DELIVERY_LAG_MS;
}

/** An event time as a timed ring keeps it: whole seconds, rounded up (never before the event), 0 when unknown. */
export function secondsOf(at: number): number {
  return Number.isFinite(at) && at > 0 ? Math.ceil(at / 1000) : 0;
}

/** A timed ring as a state keeps it. */
export interface TimedRing {
  /** The tokens, oldest first by time. */
  readonly ring: string;
  /**
   * The event times of the last tokens of `ring`: in whole seconds (rounded up), the first from the
   * epoch, each next one as the seconds after the one before (small numbers: a compact state).
   * Tokens before them have no known time (states written before times were kept): the oldest.
   */
  readonly at: number[];
  /** The latest event time (ms) of a token forgotten (dropped from the ring). */
  readonly until?: number;
}

/**
 * A ring that keeps the `limit` tokens of the latest event times, each with its time, and the latest
 * time of one it forgot: a token at or before that time that is not remembered, and an hour behind
 * the owner's latest line, cannot be told from one counted and forgotten, so the owner takes it as
 * counted (`forgotten`). What is read again that late (a redriven delivery, a backfill over what
 * live ingest counted) then counts once, at the cost of never counting what is first read that late
 * after `limit` newer tokens; old history read again cannot push the latest tokens out of the ring.
 */
export class TimedTokenRing {
  private readonly ring: TokenRing;
  private readonly fresh: Array<{ readonly print: string; readonly at: number }> = [];
  /** The seconds of each stored token, worked out from `storedAt` once it is asked for. */
  private seconds: number[] | undefined;

  constructor(
    private readonly stored: string,
    private readonly storedAt: readonly number[] | undefined,
    private readonly until: number | undefined,
    private readonly limit: number,
    /** As `TokenRing`'s. */
    expectedLookups = 0,
  ) {
    this.ring = new TokenRing(stored, limit, expectedLookups);
  }

  /** Whether tokens were added during the batch. */
  get changed(): boolean {
    return this.fresh.length > 0;
  }

  /** Whether the token is remembered. */
  has(print: string): boolean {
    return this.ring.has(print);
  }

  /**
   * The times (seconds, as `toState` keeps them) at which the token was added, one per time it is
   * in the ring: 0 for one stored without a time (a state written before times were kept).
   */
  timesOf(print: string): number[] {
    if (!this.ring.has(print)) return [];
    const times: number[] = [];
    const stored = this.stored;
    for (let i = stored.indexOf(print); i >= 0; i = stored.indexOf(print, i + 1)) {
      if (i % TOKEN_CHARS === 0) times.push(this.storedSeconds()[i / TOKEN_CHARS]);
    }
    for (const f of this.fresh) if (f.print === print) times.push(secondsOf(f.at));
    return times;
  }

  /** The seconds of each stored token, 0 for those without a time (the oldest). */
  private storedSeconds(): number[] {
    if (this.seconds) return this.seconds;
    const count = Math.floor(this.stored.length / TOKEN_CHARS);
    const deltas = this.storedAt ?? [];
    const timed = Math.min(count, deltas.length);
    const untimed = count - timed;
    const seconds = new Array<number>(count).fill(0);
    for (let k = 0, sum = 0, skip = deltas.length - timed; k < deltas.length; k++) {
      sum += deltas[k];
      if (k >= skip) seconds[untimed + k - skip] = sum;
    }
    this.seconds = seconds;
    return seconds;
  }

  /**
   * Whether something at `at` is as old as the tokens forgotten and `DELIVERY_LAG_MS` behind the
   * owner's latest line: what it would count may have been counted (`takenAsCounted`).
   */
  forgotten(at: number, latest: number): boolean {
    return takenAsCounted(at, this.until, latest);
  }

  add(print: string, at: number): void {
    this.ring.add(print);
    this.fresh.push({ print, at });
  }

  /**
   * The ring as the state keeps it: the stored tokens and this batch's merged in time order (a
   * stored token before a new one of the same time), the `limit` of the latest times kept, and the
   * latest time of those dropped.
   */
  toState(): TimedRing {
    const stored = this.stored;
    const count = Math.floor(stored.length / TOKEN_CHARS);
    // Seconds of each timed token, from the deltas. Tokens without a time (written before times were
    // kept) are the oldest: the times are the last tokens'.
    const seconds = this.storedSeconds();
    const added = this.fresh.map((f) => ({ print: f.print, s: secondsOf(f.at) }));
    if (added.length > 1) added.sort((a, b) => a.s - b.s);
    const total = count + added.length;
    const drop = Math.max(0, total - this.limit);
    let forgotten = this.until !== undefined ? Math.ceil(this.until / 1000) : 0;
    // Deltas of the seconds kept, from the first timed one (unknown times, 0, come first and stay
    // unknown), written as the kept seconds come: no list of them is built to be copied.
    const at: number[] = [];
    let previous = 0;
    const keep = (s: number): void => {
      if (at.length > 0) at.push(s - previous);
      else if (s > 0) at.push(s);
      previous = s;
    };
    let ring: string;
    if (count === 0 || added.length === 0 || added[0].s >= seconds[count - 1]) {
      // The usual batch: its tokens are the latest, and go after the others.
      ring = (stored + added.map((a) => a.print).join('')).slice(drop * TOKEN_CHARS);
      for (let n = 0; n < total; n++) {
        const s = n < count ? seconds[n] : added[n - count].s;
        if (n < drop) forgotten = Math.max(forgotten, s);
        else keep(s);
      }
    } else {
      const prints: string[] = [];
      for (let i = 0, j = 0, n = 0; n < total; n++) {
        const old = i < count && (j >= added.length || seconds[i] <= added[j].s);
        const print = old ? stored.slice(i * TOKEN_CHARS, (i + 1) * TOKEN_CHARS) : added[j].print;
        const s = old ? seconds[i++] : added[j++].s;
        if (n < drop) forgotten = Math.max(forgotten, s);
        else {
          prints.push(print);
          keep(s);
        }
      }
      ring = prints.join('');
    }
    return { ring, at, ...(forgotten > 0 ? { until: forgotten * 1000 } : {}) };
  }
}
