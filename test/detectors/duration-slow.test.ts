import { durationSlowDetector } from '../../lambdas/detectors/duration-slow.ts';
import { around, makeBaseline, makeRun } from './run-fixtures.ts';
import { testRunDetector } from './run-detector-tester.ts';

// The typical baseline: 20 runs with a median of 60 000 ms (1.0 min).

testRunDetector(durationSlowDetector, {
  valid: [
    { name: 'a normal run', run: makeRun() },
    { name: '40% slower than the median', run: makeRun({ duration_ms: 84_000 }) },
    { name: '40% faster than the median (that is duration-fast, if anything)', run: makeRun({ duration_ms: 36_000 }) },
    { name: 'exactly 3× the median (the limit itself is not above it)', run: makeRun({ duration_ms: 180_000 }) },
    { name: 'a factor configured below 1.5 is raised: 1.4× stays quiet', run: makeRun({ duration_ms: 84_000 }), options: { durationSlowFactor: 1.2 } },
    {
      name: 'too little history: 4 runs with min_history 5',
      run: makeRun({ duration_ms: 600_000 }),
      baseline: makeBaseline(around(6_963, 4), around(60_000, 4)),
      options: { minHistory: 5 },
    },
    { name: 'unknown duration', run: makeRun({ duration_ms: undefined }) },
    {
      name: 'previous durations of 0 (median 0, under a second as whole-second times give it): 3 s is not above 3× a second',
      run: makeRun({ duration_ms: 3_000 }),
      baseline: makeBaseline(around(6_963, 20), Array(20).fill(0)),
    },
    {
      name: 'previous durations of 0 and some in milliseconds (median 0, under 1 ms): 3 ms is not above 3× a millisecond',
      run: makeRun({ duration_ms: 3 }),
      baseline: makeBaseline(around(6_963, 6), [0, 0, 0, 0, 2, 7]),
    },
    {
      name: 'whole-second durations of 0 and 1 s (median 500 ms): 2 s is not above 3× the median taken as a second (3 s)',
      run: makeRun({ duration_ms: 2_000 }),
      baseline: makeBaseline(around(6_963, 6), [0, 0, 0, 1_000, 1_000, 1_000]),
    },
    {
      name: 'whole-second durations of 0 and 1 s (median 500 ms): 3 s is not above 3× a second (the median under the tick is taken as the tick)',
      run: makeRun({ duration_ms: 3_000 }),
      baseline: makeBaseline(around(6_963, 6), [0, 0, 0, 1_000, 1_000, 1_000]),
    },
    {
      name: 'whole-second durations of 1 s: exactly 3 s is not above 3× the median',
      run: makeRun({ duration_ms: 3_000 }),
      baseline: makeBaseline(around(6_963, 20), Array(20).fill(1_000)),
    },
    { name: 'a non-zero exit (that is run-failed)', run: makeRun({ exit_code: 1, duration_ms: 600_000 }) },
    { name: 'a Lambda timeout (that is run-failed)', run: makeRun({ failure: 'timeout', duration_ms: 900_000 }) },
  ],
  invalid: [
    {
      name: '3.1× the median',
      run: makeRun({ duration_ms: 186_000 }),
      expected: {
        severity: 'medium',
        message: 'run took 3.1 min, 3.1× the median 1.0 min of the last 20 runs',
        evidence: { duration_ms: 186_000, median: 60_000, window: 20, factor: 3 },
      },
    },
    {
      name: 'just above 3× shows two decimals rather than the rounded limit',
      run: makeRun({ duration_ms: 182_400 }),
      expected: {
        severity: 'medium',
        message: 'run took 3.0 min, 3.04× the median 1.0 min of the last 20 runs',
        evidence: { duration_ms: 182_400, median: 60_000, window: 20, factor: 3 },
      },
    },
    {
      name: 'whole-second durations of 0 and 1 s (median 500 ms): 5 s is above 3× the median taken as a second',
      run: makeRun({ duration_ms: 5_000 }),
      baseline: makeBaseline(around(6_963, 6), [0, 0, 0, 1_000, 1_000, 1_000]),
      expected: {
        severity: 'medium',
        message: 'run took 5 s, 10.0× the median 500 ms of the last 6 runs',
        evidence: { duration_ms: 5_000, median: 500, resolution_ms: 1000, window: 6, factor: 3 },
      },
    },
    {
      name: 'whole-second durations of 1 s: 4 s is above 3× the median (the slack is one tick in all, not 3 s)',
      run: makeRun({ duration_ms: 4_000 }),
      baseline: makeBaseline(around(6_963, 20), Array(20).fill(1_000)),
      expected: {
        severity: 'medium',
        message: 'run took 4 s, 4.0× the median 1 s of the last 20 runs',
        evidence: { duration_ms: 4_000, median: 1_000, resolution_ms: 1000, window: 20, factor: 3 },
      },
    },
    {
      name: 'whole-second durations of 2 s: 8 s is above 3× the median',
      run: makeRun({ duration_ms: 8_000 }),
      baseline: makeBaseline(around(6_963, 20), Array(20).fill(2_000)),
      expected: {
        severity: 'medium',
        message: 'run took 8 s, 4.0× the median 2 s of the last 20 runs',
        evidence: { duration_ms: 8_000, median: 2_000, resolution_ms: 1000, window: 20, factor: 3 },
      },
    },
    {
      name: 'whole-second durations of about a minute: 182 s is above 3× the median (no second of slack past the tick)',
      run: makeRun({ duration_ms: 182_000 }),
      baseline: makeBaseline(around(6_963, 20), around(60_000, 20).map((ms) => Math.round(ms / 1000) * 1000)),
      expected: {
        severity: 'medium',
        message: 'run took 3.0 min, 3.03× the median 1.0 min of the last 20 runs',
        evidence: { duration_ms: 182_000, median: 60_000, resolution_ms: 1000, window: 20, factor: 3 },
      },
    },
    {
      name: 'a factor configured below 1.5 is raised to 1.5: 1.6× fires',
      run: makeRun({ duration_ms: 96_000 }),
      options: { durationSlowFactor: 1.2 },
      expected: {
        severity: 'medium',
        message: 'run took 1.6 min, 1.6× the median 1.0 min of the last 20 runs',
        evidence: { duration_ms: 96_000, median: 60_000, window: 20, factor: 1.5 },
      },
    },
    {
      name: 'exactly min_history runs are enough',
      run: makeRun({ duration_ms: 7_200_000 }),
      baseline: makeBaseline(around(6_963, 5), around(60_000, 5)),
      options: { minHistory: 5 },
      expected: {
        severity: 'medium',
        message: 'run took 2.0 h, 120.0× the median 1.0 min of the last 5 runs',
        evidence: { duration_ms: 7_200_000, median: 60_000, window: 5, factor: 3 },
      },
    },
    {
      name: 'a median of 0 in whole seconds (sub-second runs logged by syslog or journald): a 25-min run is above 3× a second',
      run: makeRun({ duration_ms: 1_500_000 }),
      baseline: makeBaseline(around(6_963, 6), Array(6).fill(0)),
      expected: {
        severity: 'medium',
        message: 'run took 25.0 min, over 1500.0× the median (under 1 s) of the last 6 runs',
        evidence: { duration_ms: 1_500_000, median: 0, resolution_ms: 1000, window: 6, factor: 3 },
      },
    },
    {
      name: 'a median of 0 with durations in milliseconds: it is under 1 ms, and 4 ms is above 3× that',
      run: makeRun({ duration_ms: 4 }),
      baseline: makeBaseline(around(6_963, 6), [0, 0, 0, 0, 2, 7]),
      expected: {
        severity: 'medium',
        message: 'run took 4 ms, over 4.0× the median (under 1 ms) of the last 6 runs',
        evidence: { duration_ms: 4, median: 0, resolution_ms: 1, window: 6, factor: 3 },
      },
    },
  ],
});
