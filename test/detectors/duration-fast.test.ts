import { durationFastDetector } from '../../lambdas/detectors/duration-fast.ts';
import { around, makeBaseline, makeRun } from './run-fixtures.ts';
import { testRunDetector } from './run-detector-tester.ts';

// The typical baseline: 20 runs with a median of 60 000 ms (1.0 min).

testRunDetector(durationFastDetector, {
  valid: [
    { name: 'a normal run', run: makeRun() },
    { name: '40% faster than the median', run: makeRun({ duration_ms: 36_000 }) },
    { name: '40% slower than the median', run: makeRun({ duration_ms: 84_000 }) },
    { name: 'exactly 25% of the median (the limit itself is not below it)', run: makeRun({ duration_ms: 15_000 }) },
    { name: 'a factor configured above 0.5 is capped: 55% stays quiet', run: makeRun({ duration_ms: 33_000 }), options: { durationFastFactor: 0.9 } },
    {
      name: 'too little history: 4 runs with min_history 5',
      run: makeRun({ duration_ms: 1_000 }),
      baseline: makeBaseline(around(6_963, 4), around(60_000, 4)),
      options: { minHistory: 5 },
    },
    { name: 'unknown duration', run: makeRun({ duration_ms: undefined }) },
    {
      name: 'previous durations of 0 (median 0, under the clock\'s resolution): no run is faster than that',
      run: makeRun({ duration_ms: 0 }),
      baseline: makeBaseline(around(6_963, 6), Array(6).fill(0)),
    },
    {
      name: 'whole-second durations of 1 s and one of 0 (median 1 s): 0 s is not below 25% of it less a tick',
      run: makeRun({ duration_ms: 0 }),
      baseline: makeBaseline(around(6_963, 6), [1_000, 1_000, 1_000, 1_000, 0, 1_000]),
    },
    {
      name: 'whole-second durations of 5 s: 1 s is not below 25% of the median less a tick (250 ms)',
      run: makeRun({ duration_ms: 1_000 }),
      baseline: makeBaseline(around(6_963, 6), Array(6).fill(5_000)),
    },
    {
      name: 'whole-second durations of 1 and 2 s (median 1.5 s): 0 s is within a tick of 25% of it (one tick less, never below 0)',
      run: makeRun({ duration_ms: 0 }),
      baseline: makeBaseline(around(6_963, 6), [1_000, 1_000, 1_000, 2_000, 2_000, 2_000]),
    },
    {
      name: 'whole-second durations of 10 s: 2 s is not below 25% of the median less a tick (1.5 s)',
      run: makeRun({ duration_ms: 2_000 }),
      baseline: makeBaseline(around(6_963, 6), Array(6).fill(10_000)),
    },
    { name: 'a non-zero exit (that is run-failed)', run: makeRun({ exit_code: 1, duration_ms: 1_000 }) },
    { name: 'a systemd failure (that is run-failed)', run: makeRun({ failure: 'systemd: signal', duration_ms: 1_000 }) },
  ],
  invalid: [
    {
      name: 'a run that took 4 s instead of a minute',
      run: makeRun({ duration_ms: 4_000 }),
      expected: {
        severity: 'medium',
        message: 'run took 4 s, 7% of the median 1.0 min of the last 20 runs',
        evidence: { duration_ms: 4_000, median: 60_000, window: 20, factor: 0.25 },
      },
    },
    {
      name: 'just below 25% shows a decimal rather than the rounded limit',
      run: makeRun({ duration_ms: 14_900 }),
      expected: {
        severity: 'medium',
        message: 'run took 15 s, 24.8% of the median 1.0 min of the last 20 runs',
        evidence: { duration_ms: 14_900, median: 60_000, window: 20, factor: 0.25 },
      },
    },
    {
      name: 'whole-second durations of 10 s: 1 s is below 25% of the median less a tick (1.5 s)',
      run: makeRun({ duration_ms: 1_000 }),
      baseline: makeBaseline(around(6_963, 6), Array(6).fill(10_000)),
      expected: {
        severity: 'medium',
        message: 'run took 1 s, 10% of the median 10 s of the last 6 runs',
        evidence: { duration_ms: 1_000, median: 10_000, resolution_ms: 1000, window: 6, factor: 0.25 },
      },
    },
    {
      name: 'a factor configured above 0.5 is capped at 0.5: 48% fires',
      run: makeRun({ duration_ms: 29_000 }),
      options: { durationFastFactor: 0.9 },
      expected: {
        severity: 'medium',
        message: 'run took 29 s, 48% of the median 1.0 min of the last 20 runs',
        evidence: { duration_ms: 29_000, median: 60_000, window: 20, factor: 0.5 },
      },
    },
    {
      name: 'exactly min_history runs are enough',
      run: makeRun({ duration_ms: 850 }),
      baseline: makeBaseline(around(6_963, 5), around(60_000, 5)),
      options: { minHistory: 5 },
      expected: {
        severity: 'medium',
        message: 'run took 850 ms, 1% of the median 1.0 min of the last 5 runs',
        evidence: { duration_ms: 850, median: 60_000, window: 5, factor: 0.25 },
      },
    },
  ],
});
