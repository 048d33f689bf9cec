import { expectedPatternMissingDetector } from '../../lambdas/detectors/expected-pattern-missing.ts';
import { makeRun } from './run-fixtures.ts';
import { testRunDetector } from './run-detector-tester.ts';

const UPLOADED = /uploaded \d+ objects/;
const withPattern = { expectPattern: UPLOADED };

testRunDetector(expectedPatternMissingDetector, {
  valid: [
    { name: 'the pattern is in the tail', run: makeRun(), options: withPattern },
    {
      name: 'the pattern spans head and tail, which together hold the whole output',
      run: makeRun({ output_head: `${'.'.repeat(2040)}uploaded`, output_tail: ` 1204 objects\n${'.'.repeat(2000)}`, output_bytes: 2048 + 2014 }),
      options: withPattern,
    },
    {
      name: 'the pattern is in the head',
      run: makeRun({ output_head: 'uploaded 1204 objects to s3://acme-backups\n', output_tail: 'done\n' }),
      options: withPattern,
    },
    { name: 'no expect_pattern configured', run: makeRun({ output_head: 'nothing to do\n', output_tail: 'nothing to do\n' }) },
    {
      name: 'a run whose exit status is not logged (cronie) and whose output is not known (no CMDOUT line)',
      run: makeRun({ exit_code_unknown: true, output_head: undefined, output_tail: undefined, output_bytes: undefined }),
      options: withPattern,
    },
    {
      name: 'unknown output: a size but no head or tail',
      run: makeRun({ output_head: undefined, output_tail: undefined }),
      options: withPattern,
    },
    {
      name: 'a non-zero exit (that is run-failed)',
      run: makeRun({ exit_code: 1, output_head: 'error\n', output_tail: 'error\n' }),
      options: withPattern,
    },
    {
      name: 'a systemd failure (that is run-failed)',
      run: makeRun({ failure: 'systemd: exit-code', output_bytes: 0, output_head: undefined, output_tail: undefined }),
      options: withPattern,
    },
    {
      name: 'a pattern with the g flag matches every time (its lastIndex is never used)',
      run: makeRun(),
      options: { expectPattern: /uploaded \d+ objects/g },
    },
    {
      name: 'an empty output that empty-output reported on the same run (an empty output holds no pattern: it would page twice)',
      run: makeRun({ output_bytes: 0, output_head: '', output_tail: '' }),
      options: withPattern,
      firedSoFar: ['empty-output'],
    },
  ],
  invalid: [
    {
      name: 'a run whose exit status is not logged (cronie), whose output its CMDOUT lines logged, lacks the pattern',
      run: makeRun({ exit_code_unknown: true, output_head: 'nothing synced\n', output_tail: 'nothing synced\n', output_bytes: 15 }),
      options: withPattern,
      expected: {
        severity: 'medium',
        message: 'expected pattern /uploaded \\d+ objects/ is not in the output (15 B) of a run whose exit status is not logged',
        evidence: { pattern: 'uploaded \\d+ objects', output_bytes: 15 },
      },
    },
    {
      name: 'in neither head nor tail',
      run: makeRun({ output_tail: 'upload 1204/1204 skipped: bucket not found\nbackup finished in 61 s\n' }),
      options: withPattern,
      expected: {
        severity: 'medium',
        message: 'expected pattern /uploaded \\d+ objects/ is in neither the head nor the tail of the output (6.8 KiB)',
        evidence: { pattern: 'uploaded \\d+ objects', output_bytes: 6_963 },
      },
    },
    {
      name: 'a 0-byte output without head or tail',
      run: makeRun({ output_bytes: 0, output_head: undefined, output_tail: undefined }),
      options: withPattern,
      expected: {
        severity: 'medium',
        message: 'expected pattern /uploaded \\d+ objects/ is missing: the output is empty (0 B)',
        evidence: { pattern: 'uploaded \\d+ objects', output_bytes: 0 },
      },
    },
    {
      name: 'a short output that the head holds entirely',
      run: makeRun({ output_bytes: 18, output_head: 'nothing to upload\n', output_tail: 'nothing to upload\n' }),
      options: withPattern,
      expected: {
        severity: 'medium',
        message: 'expected pattern /uploaded \\d+ objects/ is not in the output (18 B)',
        evidence: { pattern: 'uploaded \\d+ objects', output_bytes: 18 },
      },
    },
    {
      name: 'only a head of a longer output',
      run: makeRun({ output_tail: undefined }),
      options: withPattern,
      expected: {
        severity: 'medium',
        message: 'expected pattern /uploaded \\d+ objects/ is not in the head of the output (6.8 KiB)',
        evidence: { pattern: 'uploaded \\d+ objects', output_bytes: 6_963 },
      },
    },
    {
      name: 'a pattern with the g flag is judged afresh on every check',
      run: makeRun({ output_tail: 'upload skipped\n' }),
      options: { expectPattern: /uploaded \d+ objects/g },
      expected: {
        severity: 'medium',
        message: 'expected pattern /uploaded \\d+ objects/g is in neither the head nor the tail of the output (6.8 KiB)',
        evidence: { pattern: 'uploaded \\d+ objects', output_bytes: 6_963 },
      },
    },
  ],
});
