import { hash } from 'node:crypto';

/**
 * Rings of fingerprints: how states remember what they already counted (agent actions, tool
 * calls, finished requests and runs) so that a redelivered line counts nothing twice. A ring is
 * one string of fixed-width tokens, newest last, the newest `limit` kept: compact in DynamoDB,
 * and cheap to search without taking it apart.
 */

const TOKEN_CHARS = 8;

/** 48 bits of SHA-256 in 8 base64url characters: collisions among 5000 tokens are ~1 in 10⁷. */
export function fingerprint(identity: string): string {
  // The one-shot hash: the same digest as createHash().update().digest(), without the Hash object.
  return hash('sha256', identity, 'base64url').slice(0, TOKEN_CHARS);
}

/** The fingerprints of a ring string, as a set. */
export function ringSet(ring: string): Set<string> {
  const set = new Set<string>();
  for (let i = 0; i + TOKEN_CHARS <= ring.length; i += TOKEN_CHARS) set.add(ring.slice(i, i + TOKEN_CHARS));
  return set;
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
 * Lookups of one batch answered by searching the ring string; past them a set is built once.
 * Measured here: building the set of a 5000-token ring costs as much as ~30 searches of it (a
 * 100-token ring, ~90), and most batches look up a handful of tokens per subject.
 */
const LINEAR_LOOKUPS = 24;

/** A stored ring while one batch reads and adds to it: the stored string is never changed. */
export class TokenRing {
  private readonly fresh: string[] = [];
  private set: Set<string> | undefined;
  private lookups = 0;

  constructor(
    private readonly stored: string,
    private readonly limit: number,
  ) {}

  /** Whether tokens were added during the batch. */
  get changed(): boolean {
    return this.fresh.length > 0;
  }

  has(token: string): boolean {
    if (!this.set && ++this.lookups <= LINEAR_LOOKUPS) return ringHas(this.stored, token) || this.fresh.includes(token);
    if (!this.set) {
      this.set = ringSet(this.stored);
      for (const t of this.fresh) this.set.add(t);
    }
    return this.set.has(token);
  }

  add(token: string): void {
    this.set?.add(token);
    this.fresh.push(token);
  }

  /** The ring as the state keeps it: the batch's tokens after the stored ones, the newest `limit`. */
  toString(): string {
    return this.fresh.length > 0 ? appendRing(this.stored, this.fresh, this.limit) : this.stored;
  }
}
