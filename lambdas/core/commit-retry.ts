import { sleep } from './sleep.ts';

/**
 * How a writer whose conditional write lost to a concurrent one waits before it re-reads and tries
 * again, and for how long it goes on: exponential backoff with full jitter, for as long as the
 * invocation has time (not a fixed number of attempts, which tens of Lambda environments writing
 * one subject at once outlast).
 */
export interface CommitRetry {
  /**
   * The milliseconds the invocation has left (a Lambda's `context.getRemainingTimeInMillis`): a
   * writer retries while a wait leaves `reservedMs` of them. Absent (the CLI, a scan): it retries
   * for `UNTIMED_BUDGET_MS` from its first conflict.
   */
  readonly remainingMs?: () => number;
  /** What of `remainingMs` a writer leaves for the rest of the invocation's work. Default: `RESERVED_MS`. */
  readonly reservedMs?: number;
  /** How a wait is waited (tests wait for nothing). Default: a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): where in its window a wait falls. Default: `Math.random`. */
  readonly random?: () => number;
  /** Wall-clock milliseconds, for the budget without `remainingMs`. Default: `Date.now`. */
  readonly now?: () => number;
}

/** The first retry waits up to 2 × this, each later one up to twice as long as the one before, … */
const BASE_MS = 10;
/** … up to this at most. */
const CAP_MS = 1_000;
/** What a Lambda invocation keeps of its time for the rest of its work (alerts, the response) when it stops retrying. */
export const RESERVED_MS = 10_000;
/** How long a writer with no invocation deadline goes on retrying one subject's write. */
export const UNTIMED_BUDGET_MS = 30_000;

export class CommitConflictError extends Error {
  constructor(readonly key: string, attempts: number) {
    super(`state of ${key} kept changing under ${attempts} attempts; the batch will be retried`);
    this.name = 'CommitConflictError';
  }
}

/** Marks an attempt whose conditional write lost: `retryOnConflict` waits and calls it again. */
export const CONFLICT: unique symbol = Symbol('conflict');

/**
 * Calls `attempt` (1, 2, …) until it returns something other than `CONFLICT`, waiting a backoff
 * with full jitter between calls; an attempt re-reads what it needs (only the state that
 * conflicted). Throws `CommitConflictError` when the next wait would not fit in the time left.
 */
export async function retryOnConflict<T>(key: string, retry: CommitRetry, attempt: (n: number) => Promise<T | typeof CONFLICT>): Promise<T> {
  let since: number | undefined;
  for (let n = 1; ; n++) {
    const result = await attempt(n);
    if (result !== CONFLICT) return result;
    const now = retry.now ?? Date.now;
    since ??= now();
    const wait = Math.floor((retry.random ?? Math.random)() * Math.min(CAP_MS, BASE_MS * 2 ** n));
    const left = retry.remainingMs ? retry.remainingMs() - (retry.reservedMs ?? RESERVED_MS) : UNTIMED_BUDGET_MS - (now() - since);
    if (wait >= left) throw new CommitConflictError(key, n);
    await (retry.sleep ?? sleep)(wait);
  }
}

/** What a Lambda invocation keeps of its time once its alert delivery stops: settling sent notices, its metrics, its response. */
const KEPT_AFTER_DELIVERY_MS = 5_000;

/**
 * How long a Lambda invocation's alert delivery may still start work (`DeliveryOptions.timeLeft`):
 * its time left less `KEPT_AFTER_DELIVERY_MS`, so that a burst of alerts leaves the rest pending rather than being cut off.
 */
export function deliveryTimeWithin(context: { getRemainingTimeInMillis(): number }): () => number {
  return () => context.getRemainingTimeInMillis() - KEPT_AFTER_DELIVERY_MS;
}

/**
 * What a Lambda invocation's `context` bounds of its ingest or sweep: a write that loses to another
 * invocation's is retried while it has time (`retryWithin`), and its alert delivery stops with the
 * time kept to finish (`deliveryTimeWithin`), the rest left pending.
 */
export function invocationLimits(context: { getRemainingTimeInMillis(): number }): { readonly retry: CommitRetry; readonly deliveryTimeLeft: () => number } {
  return { retry: retryWithin(context), deliveryTimeLeft: deliveryTimeWithin(context) };
}

/** The retry of a Lambda invocation: for as long as its `context` says it has time, keeping `reservedMs` of it. */
export function retryWithin(context: { getRemainingTimeInMillis(): number }, reservedMs = RESERVED_MS): CommitRetry {
  return { remainingMs: () => context.getRemainingTimeInMillis(), reservedMs };
}
