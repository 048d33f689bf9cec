/**
 * Reducers never change the state they are given: they return a new state (sharing what did not
 * change). So the stores can hand out the state they hold, and keep the state they are given,
 * without copying it — a copy per subject per batch was the largest single cost of the hot path.
 *
 * The rule is checked, not trusted: with `SILENT_AUDIT_FREEZE_STATE=1` (set for the whole test
 * suite in `vitest.config.ts`) every state a store keeps is deep-frozen, so a reducer that writes
 * into its input throws a TypeError (ES modules are strict) in the tests that drive it.
 */
const FREEZE = process.env.SILENT_AUDIT_FREEZE_STATE === '1';

export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

/** The state as a store keeps it: as given, deep-frozen when the immutability check is on. */
export function keptState<T>(state: T): T {
  return FREEZE ? deepFreeze(state) : state;
}
