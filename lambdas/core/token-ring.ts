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

/** FNV-1a over one token's 8 characters: the slot of a token in a `RingIndex`. */
function tokenHash(text: string, at: number): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < TOKEN_CHARS; k++) h = Math.imul(h ^ text.charCodeAt(at + k), 0x01000193);
  return h;
}

/**
 * The tokens of a ring string, indexed for many lookups: an open-addressing table of their
 * positions in the string, so that nothing is sliced or allocated per token (a `Set` of the
 * tokens costs ~4.7× as much to build for a 5000-token ring, measured here).
 */
class RingIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(private readonly ring: string) {
    const tokens = Math.floor(ring.length / TOKEN_CHARS);
    let size = 16;
    while (size < tokens * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < tokens; i++) {
      let slot = tokenHash(ring, i * TOKEN_CHARS) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = i + 1;
    }
  }

  has(token: string): boolean {
    if (token.length !== TOKEN_CHARS) return false;
    for (let slot = tokenHash(token, 0) & this.mask; this.slots[slot] !== 0; slot = (slot + 1) & this.mask) {
      if (this.ring.startsWith(token, (this.slots[slot] - 1) * TOKEN_CHARS)) return true;
    }
    return false;
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
