import { describe, expect, it } from 'vitest';
import { errorKeywordDetector } from '../../lambdas/detectors/error-keyword.ts';
import { makeRun } from './run-fixtures.ts';
import { testRunDetector } from './run-detector-tester.ts';

/** A run whose head holds `text`; the tail is the normal one. */
function runWithHead(text: string) {
  return makeRun({ output_head: text });
}

const COUNT_KEYWORDS = { errorKeywords: ['errors'] };

testRunDetector(errorKeywordDetector, {
  valid: [
    { name: 'a normal run', run: makeRun() },
    { name: '0 errors (no default keyword is a plain word)', run: runWithHead('checked 1204 objects: 0 errors, 0 warnings\n') },
    { name: '0 errors, with errors as a keyword', run: runWithHead('checked 1204 objects: 0 errors, 0 warnings\n'), options: COUNT_KEYWORDS },
    { name: 'no errors', run: runWithHead('verify: no errors found\n'), options: COUNT_KEYWORDS },
    { name: 'zero errors', run: runWithHead('zero errors\n'), options: COUNT_KEYWORDS },
    { name: 'errors=0', run: runWithHead('stats: objects=1204 errors=0 retries=2\n'), options: COUNT_KEYWORDS },
    { name: 'finished without errors', run: runWithHead('finished without errors\n'), options: COUNT_KEYWORDS },
    { name: '0 FATAL', run: runWithHead('summary: 0 FATAL, 3 WARN\n') },
    { name: 'no FATAL', run: runWithHead('no FATAL messages in the server log\n') },
    { name: 'ERROR: 0', run: runWithHead('INFO: 1204 rows\nERROR: 0\n') },
    { name: 'FATAL: none', run: runWithHead('FATAL: none\n') },
    { name: 'FATAL 0 and ERROR=0 as counters', run: runWithHead('WARN 3 FATAL 0\nERROR=0\n'), options: { errorKeywords: ['FATAL', 'ERROR'] } },
    { name: 'NONFATAL and FATALITY are other words', run: runWithHead('NONFATAL warning: FATALITY_TABLE is large\n') },
    { name: 'NON-FATAL is negated', run: runWithHead('NON-FATAL: retrying upload 17\n') },
    { name: 'all-caps markers are case-sensitive: fatal, Error:', run: runWithHead('the fatal flaw is gone\nError: none of that\n') },
    { name: 'an error marker after a non-zero exit (that is run-failed)', run: makeRun({ exit_code: 1, output_tail: 'Traceback (most recent call last):\n' }) },
    { name: 'an error marker after a Lambda timeout (that is run-failed)', run: makeRun({ failure: 'timeout', output_tail: 'FATAL: timed out\n' }) },
    { name: 'errors: 0, in a list', run: runWithHead('errors: 0, warnings: 3\n'), options: COUNT_KEYWORDS },
    { name: 'ERROR: 0 closing a sentence', run: runWithHead('ERROR: 0.\n') },
    { name: '(ERROR: 0) in brackets', run: runWithHead('done (ERROR: 0)\n') },
    { name: 'ERROR: 0 at the very end of the output', run: runWithHead('rows 1204 ERROR: 0') },
    { name: 'a lone 0 before a counted marker at the start of a line', run: runWithHead('0 FATAL, 3 WARN\n') },
    ...[
      'ERROR: none found',
      'OK: 42 | ERROR: none | WARN: 3',
      '[INFO: 42] [ERROR: none] [WARN: 3]',
      'WARNING: 3  ERROR: none  CRITICAL: none',
      'ERROR: none\tWARN: 2',
      'FATAL: none (12 shards healthy)',
      'FATAL: zero (all good)',
      'ERROR: none - all 1204 objects uploaded',
      'ERROR: none!',
      'FATAL: none/12',
    ].map((line) => ({ name: `none or zero followed by other text than ' of' or '-', a count of nothing: ${line}`, run: runWithHead(`${line}\n`) })),
    { name: 'no keywords configured', run: runWithHead('FATAL: disk full\n'), options: { errorKeywords: [] } },
    { name: 'unknown output: no head or tail', run: makeRun({ output_head: undefined, output_tail: undefined }) },
  ],
  invalid: [
    {
      name: 'a Python traceback in the tail',
      run: makeRun({ output_tail: 'upload 17/1204 ok\nTraceback (most recent call last):\n  File "backup.py", line 88, in upload\nKeyError: \'etag\'\n' }),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "Traceback (most recent call last)": Traceback (most recent call last):',
        evidence: { keyword: 'Traceback (most recent call last)', excerpt: 'Traceback (most recent call last):', where: 'tail' },
      },
    },
    {
      name: 'FATAL in the head',
      run: runWithHead('connecting to db-1\nFATAL:  password authentication failed for user "backup"\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "FATAL": FATAL:  password authentication failed for user "backup"',
        evidence: { keyword: 'FATAL', excerpt: 'FATAL:  password authentication failed for user "backup"', where: 'head' },
      },
    },
    {
      name: 'ERROR: with a non-zero count is not negated',
      run: runWithHead('ERROR: 3 objects failed checksum\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "ERROR:": ERROR: 3 objects failed checksum',
        evidence: { keyword: 'ERROR:', excerpt: 'ERROR: 3 objects failed checksum', where: 'head' },
      },
    },
    {
      name: '10 FATAL is a count above zero',
      run: runWithHead('summary: 10 FATAL\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "FATAL": summary: 10 FATAL',
        evidence: { keyword: 'FATAL', excerpt: 'summary: 10 FATAL', where: 'head' },
      },
    },
    {
      name: 'a negated marker first, a real one later',
      run: runWithHead('pre-check: 0 FATAL\nupload 3/1204\nFATAL: quota exceeded\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "FATAL": FATAL: quota exceeded',
        evidence: { keyword: 'FATAL', excerpt: 'FATAL: quota exceeded', where: 'head' },
      },
    },
    {
      name: 'a hex code after ERROR: is no count',
      run: runWithHead('ERROR: 0x80070005 Access is denied\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "ERROR:": ERROR: 0x80070005 Access is denied',
        evidence: { keyword: 'ERROR:', excerpt: 'ERROR: 0x80070005 Access is denied', where: 'head' },
      },
    },
    {
      name: '0 of 12 after FATAL: is no count of nothing',
      run: runWithHead('FATAL: 0 of 12 shards reachable\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "FATAL": FATAL: 0 of 12 shards reachable',
        evidence: { keyword: 'FATAL', excerpt: 'FATAL: 0 of 12 shards reachable', where: 'head' },
      },
    },
    {
      name: '0 bytes written after ERROR: is a failure',
      run: runWithHead('ERROR: 0 bytes written, disk full\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "ERROR:": ERROR: 0 bytes written, disk full',
        evidence: { keyword: 'ERROR:', excerpt: 'ERROR: 0 bytes written, disk full', where: 'head' },
      },
    },
    ...['ERROR: none of the source paths exist', 'ERROR: None of the given URLs matched any objects', 'FATAL: zero-length snapshot file'].map((line) => {
      const keyword = line.startsWith('ERROR') ? 'ERROR:' : 'FATAL';
      return {
        name: `none or zero that starts a failure, not a count of nothing: ${line}`,
        run: runWithHead(`${line}\n`),
        expected: {
          severity: 'high' as const,
          message: `exited 0 but its output holds the error marker "${keyword}": ${line}`,
          evidence: { keyword, excerpt: line, where: 'head' as const },
        },
      };
    }),
    {
      name: 'worker-0 names a worker, not a count',
      run: runWithHead('worker-0 FATAL: database connection lost\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "FATAL": worker-0 FATAL: database connection lost',
        evidence: { keyword: 'FATAL', excerpt: 'worker-0 FATAL: database connection lost', where: 'head' },
      },
    },
    {
      name: 'rank 0 before a message prefix panic: is no count',
      run: runWithHead('rank 0 panic: runtime error\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "panic:": rank 0 panic: runtime error',
        evidence: { keyword: 'panic:', excerpt: 'rank 0 panic: runtime error', where: 'head' },
      },
    },
    {
      name: 'partition 0 before ERROR: is no count',
      run: runWithHead('partition 0 ERROR: leader not available\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "ERROR:": partition 0 ERROR: leader not available',
        evidence: { keyword: 'ERROR:', excerpt: 'partition 0 ERROR: leader not available', where: 'head' },
      },
    },
    {
      name: 'a 0 on the next line does not negate ERROR:',
      run: runWithHead('ERROR:\n0 rows affected\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "ERROR:": ERROR:',
        evidence: { keyword: 'ERROR:', excerpt: 'ERROR:', where: 'head' },
      },
    },
    {
      name: 'mixed-case keywords match in any case: no space left on device',
      run: makeRun({ output_tail: 'write /backup/db.dump: no space left on device\nbackup finished in 61 s\n' }),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "No space left on device": write /backup/db.dump: no space left on device',
        evidence: { keyword: 'No space left on device', excerpt: 'write /backup/db.dump: no space left on device', where: 'tail' },
      },
    },
    {
      // Unicode case folding (ſ is a long s, K the Kelvin sign) matches where lower-casing would not.
      name: 'in non-ASCII text, mixed-case keywords match under Unicode case folding: ſegmentation fault',
      run: runWithHead('Größe 3 KB\nſegmentation fault (core dumped)\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "Segmentation fault": ſegmentation fault (core dumped)',
        evidence: { keyword: 'Segmentation fault', excerpt: 'ſegmentation fault (core dumped)', where: 'head' },
      },
    },
    {
      name: 'the earliest marker in the text wins, whatever the keyword order',
      run: runWithHead('Segmentation fault (core dumped)\npanic: runtime error\n'),
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "Segmentation fault": Segmentation fault (core dumped)',
        evidence: { keyword: 'Segmentation fault', excerpt: 'Segmentation fault (core dumped)', where: 'head' },
      },
    },
    {
      name: 'a job-specific keyword list',
      run: runWithHead('rsync error: some files could not be transferred (code 23)\n'),
      options: { errorKeywords: ['rsync error:'] },
      expected: {
        severity: 'high',
        message: 'exited 0 but its output holds the error marker "rsync error:": rsync error: some files could not be transferred (code 23)',
        evidence: { keyword: 'rsync error:', excerpt: 'rsync error: some files could not be transferred (code 23)', where: 'head' },
      },
    },
    {
      name: 'a long line is cut to 120 characters around the marker',
      run: runWithHead(`${'x'.repeat(200)} panic: runtime error: index out of range [3] with length 3 ${'y'.repeat(200)}\n`),
      expected: {
        severity: 'high',
        message: expect.stringMatching(/^exited 0 but its output holds the error marker "panic:": …x+ panic: runtime error: index out of range \[3\] with length 3 y+…$/),
        evidence: {
          keyword: 'panic:',
          excerpt: expect.stringMatching(/^…(?=.{118}…$)x+ panic: runtime error: index out of range \[3\] with length 3 y+…$/u),
          where: 'head',
        },
      },
    },
  ],
});

describe("error-keyword's five Cs", () => {
  it('word the run whose exit status is not logged (cronie) beside the run that exited 0, not as one that exited 0', () => {
    // Prepare
    const { criteria, cause, correctiveAction } = errorKeywordDetector.meta.fiveCs;
    // Act
    const text = `${criteria} ${cause} ${correctiveAction}`;
    // Assess
    expect(criteria).toMatch(/^The run exited 0, or ended with its exit status not logged/);
    expect(text).toContain('the marker is the only sign the log gives');
    expect(correctiveAction).toMatch(/for a run whose exit status is not logged \(cronie\)/);
  });
});

/** A program's own error line (`<prog>: error:`), as PostgreSQL's tools write one, in a run's whole output. */
function runWithOutput(text: string, exitUnknown: boolean) {
  return makeRun({ output_head: text, output_tail: text, output_bytes: text.length, ...(exitUnknown ? { exit_code_unknown: true } : {}) });
}

testRunDetector(errorKeywordDetector, {
  valid: [
    { name: "a `<prog>: error:` line in a run that exited 0 (only the configured markers count there)", run: runWithOutput('pg_dump: error: connection to server failed\n', false) },
    { name: "an `error:` after other words, not starting its line, in a run whose exit is not logged", run: runWithOutput('retrying after vacuumdb: error: once\n', true) },
    { name: "an upper-case program's `NAME: error:` in a run whose exit is not logged", run: runWithOutput('PGDUMP: error: x\n', true) },
    ...[
      'summary: error: 0',
      'pg_dump: error: none',
      'checks: error: 0, warning: 2',
      'summary: error: 0.',
      'pg_dump: error: none.',
      'summary: error: 0)',
      'check: error: none found',
      'summary: error: none (all good)',
      'level: error: false',
      'log_level: error: only errors are logged',
      'verbosity: error: on',
    ].map((line) => ({
      name: `a count of nothing or a setting, not a failure, in a run whose exit is not logged: ${line}`,
      run: runWithOutput(`${line}\ndone\n`, true),
    })),
  ],
  invalid: [
    {
      name: "git's `remote: error:` after a count of nothing of another program, in a run whose exit status is not logged",
      run: runWithOutput('summary: error: 0\nremote: error: GH006: Protected branch update failed\n', true),
      expected: {
        severity: 'high',
        message: 'ended (its exit status not logged) but its output holds the error marker "remote: error:": remote: error: GH006: Protected branch update failed',
        evidence: { keyword: 'remote: error:', excerpt: 'remote: error: GH006: Protected branch update failed', where: 'head' },
      },
    },
    {
      name: "a `<prog>: error:` line in a run whose exit status is not logged (cronie): its only failure sign",
      run: runWithOutput('dumping appdb\npg_dump: error: connection to server failed\n', true),
      expected: {
        severity: 'high',
        message: 'ended (its exit status not logged) but its output holds the error marker "pg_dump: error:": pg_dump: error: connection to server failed',
        evidence: { keyword: 'pg_dump: error:', excerpt: 'pg_dump: error: connection to server failed', where: 'head' },
      },
    },
    ...[
      'backup: error: none of the source paths exist, nothing was copied',
      'gsutil: error: None of the given URLs matched any objects',
      'restic: error: zero-length snapshot file, repository may be damaged',
      'mailer: error: disabled account cannot send the report',
      'certsync: error: off-line: could not reach the CA',
    ].map((line) => {
      const keyword = line.slice(0, line.indexOf(': error:') + ': error:'.length);
      return {
        name: `a failure that starts with none, zero or a word like off, not a count of nothing nor a setting, in a run whose exit is not logged: ${line}`,
        run: runWithOutput(`${line}\ndone\n`, true),
        expected: {
          severity: 'high' as const,
          message: `ended (its exit status not logged) but its output holds the error marker "${keyword}": ${line}`,
          evidence: { keyword, excerpt: line, where: 'head' as const },
        },
      };
    }),
  ],
});
