import { outputShrinkDetector } from '../../lambdas/detectors/output-shrink.ts';
import { around, makeBaseline, makeRun } from './run-fixtures.ts';
import { testRunDetector } from './run-detector-tester.ts';

/** 20 previous runs of exactly 10 000 B (9.8 KiB) each, so shares read as plain percentages. */
const FLAT_10K = makeBaseline(Array(20).fill(10_000), around(60_000, 20));

testRunDetector(outputShrinkDetector, {
  valid: [
    { name: 'a normal run', run: makeRun() },
    { name: '70% of the median', run: makeRun({ output_bytes: 7_000 }), baseline: FLAT_10K },
    { name: 'exactly 30% of the median (the limit itself is not below it)', run: makeRun({ output_bytes: 3_000 }), baseline: FLAT_10K },
    {
      name: 'a ratio configured above 50% is capped: 60% stays quiet',
      run: makeRun({ output_bytes: 6_000 }),
      baseline: FLAT_10K,
      options: { outputShrinkRatio: 0.8 },
    },
    {
      name: 'too little history: 4 runs with min_history 5',
      run: makeRun({ output_bytes: 412 }),
      baseline: makeBaseline(around(6_963, 4), around(60_000, 4)),
      options: { minHistory: 5 },
    },
    { name: 'no history at all', run: makeRun({ output_bytes: 412 }), baseline: makeBaseline([], []) },
    { name: 'unknown output size', run: makeRun({ output_bytes: undefined, output_head: 'ok\n', output_tail: 'ok\n' }) },
    { name: 'empty-output already fired on this run', run: makeRun({ output_bytes: 0, output_head: '', output_tail: '' }), firedSoFar: ['empty-output'] },
    { name: 'previous runs wrote nothing (median 0)', run: makeRun({ output_bytes: 0 }), baseline: makeBaseline(Array(20).fill(0), around(60_000, 20)) },
    { name: 'a non-zero exit (that is run-failed)', run: makeRun({ exit_code: 2, output_bytes: 412 }) },
    { name: 'a Lambda timeout (that is run-failed)', run: makeRun({ failure: 'timeout', output_bytes: 412 }) },
  ],
  invalid: [
    {
      name: "the contract's example: 412 B against a median of 6963 B over 20 runs",
      run: makeRun({ output_bytes: 412 }),
      expected: {
        severity: 'high',
        message: 'output 412 B is 6% of the median 6.8 KiB of the last 20 runs',
        evidence: { output_bytes: 412, median: 6_963, window: 20, share: 0.0592, ratio: 0.3 },
      },
    },
    {
      name: '29% of the median',
      run: makeRun({ output_bytes: 2_900 }),
      baseline: FLAT_10K,
      expected: {
        severity: 'high',
        message: 'output 2.8 KiB is 29% of the median 9.8 KiB of the last 20 runs',
        evidence: { output_bytes: 2_900, median: 10_000, window: 20, share: 0.29, ratio: 0.3 },
      },
    },
    {
      name: 'just below 30% shows a decimal rather than the rounded limit',
      run: makeRun({ output_bytes: 2_999 }),
      baseline: FLAT_10K,
      expected: {
        severity: 'high',
        message: 'output 2.9 KiB is 29.9% of the median 9.8 KiB of the last 20 runs',
        evidence: { output_bytes: 2_999, median: 10_000, window: 20, share: 0.2999, ratio: 0.3 },
      },
    },
    {
      name: 'a ratio configured above 50% is capped at 50%: 49% fires',
      run: makeRun({ output_bytes: 4_900 }),
      baseline: FLAT_10K,
      options: { outputShrinkRatio: 0.8 },
      expected: {
        severity: 'high',
        message: 'output 4.8 KiB is 49% of the median 9.8 KiB of the last 20 runs',
        evidence: { output_bytes: 4_900, median: 10_000, window: 20, share: 0.49, ratio: 0.5 },
      },
    },
    {
      name: 'exactly min_history runs are enough',
      run: makeRun({ output_bytes: 412 }),
      baseline: makeBaseline(around(6_963, 5), around(60_000, 5)),
      options: { minHistory: 5 },
      expected: {
        severity: 'high',
        message: 'output 412 B is 6% of the median 6.8 KiB of the last 5 runs',
        evidence: { output_bytes: 412, median: 6_963, window: 5, share: 0.0592, ratio: 0.3 },
      },
    },
    {
      name: 'a baseline without a stored median uses the median of its sizes',
      run: makeRun({ output_bytes: 1_000 }),
      baseline: { outputBytes: [9_000, 10_000, 11_000, 10_000, 10_000], durations: [] },
      expected: {
        severity: 'high',
        message: 'output 1000 B is 10% of the median 9.8 KiB of the last 5 runs',
        evidence: { output_bytes: 1_000, median: 10_000, window: 5, share: 0.1, ratio: 0.3 },
      },
    },
    {
      name: 'fires on 0 B when empty-output has not fired (the engine must run empty-output first)',
      run: makeRun({ output_bytes: 0, output_head: '', output_tail: '' }),
      expected: {
        severity: 'high',
        message: 'output 0 B is 0% of the median 6.8 KiB of the last 20 runs',
        evidence: { output_bytes: 0, median: 6_963, window: 20, share: 0, ratio: 0.3 },
      },
    },
  ],
});
