/** Every detector id of contract §4, plus our own additions. Sorted. */
export const DETECTOR_IDS = [
  'audit-trail-drift',
  'budget-exceeded',
  'budget-undercount',
  'cost-outlier',
  'duration-fast',
  'duration-slow',
  'empty-output',
  'error-keyword',
  'expected-pattern-missing',
  'guard-bypass-unregistered',
  'guard-exception-expired',
  'guard-exception-expiring',
  'missed-run',
  'output-discarded',
  'output-shrink',
  'retry-latency',
  'retry-rate',
  'run-failed',
  'run-unfinished',
  'tool-arg-invalid',
] as const;

export type DetectorId = (typeof DETECTOR_IDS)[number];
