/**
 * Quantities are bounded by what one line can sanely say: a larger number is a wrong unit or a
 * corrupt value, and rejects its line (`events.ts`, `parse/fast-validate.ts`; the agent kit refuses
 * to write one). So sums over a run stay finite (two costs of 1e308 summed to Infinity: "used
 * $Infinity", stored as null), and a time less a duration (a run's start from its end, an
 * attempt's from its answer) stays within the years a time is written in. In their own module, so
 * that the agent kit knows them without loading the schemas.
 */
export const MAX_COST_USD = 1_000_000;
export const MAX_TOKENS = 1_000_000_000;
/** 366 days. */
export const MAX_DURATION_MS = 31_622_400_000;
