import { runFailedDetector } from '../../lambdas/detectors/run-failed.ts';
import { makeRun } from './run-fixtures.ts';
import { testRunDetector } from './run-detector-tester.ts';

testRunDetector(runFailedDetector, {
  valid: [
    { name: 'exit 0', run: makeRun() },
    { name: 'exit 0 with empty output (that is empty-output)', run: makeRun({ output_bytes: 0, output_head: '', output_tail: '' }) },
    { name: 'exit 0 with an error marker (that is error-keyword)', run: makeRun({ output_tail: 'FATAL: disk full\n' }) },
  ],
  invalid: [
    {
      name: 'a non-zero exit code',
      run: makeRun({ exit_code: 2, duration_ms: 270_000 }),
      expected: { severity: 'high', message: 'run exited with code 2 after 4.5 min', evidence: { exit_code: 2, duration_ms: 270_000 } },
    },
    {
      name: 'a non-zero exit code without a duration',
      run: makeRun({ exit_code: 137, duration_ms: undefined }),
      expected: { severity: 'high', message: 'run exited with code 137 (SIGKILL, often out of memory)', evidence: { exit_code: 137 } },
    },
    {
      name: 'an exit code of 128 + a signal names the signal: 143 is SIGTERM',
      run: makeRun({ exit_code: 143, duration_ms: 61_000, failure: 'systemd: exit-code' }),
      expected: {
        severity: 'high',
        message: 'run exited with code 143 (SIGTERM) after 1.0 min (systemd: exit-code)',
        evidence: { exit_code: 143, failure: 'systemd: exit-code', duration_ms: 61_000 },
      },
    },
    {
      name: 'an exit code past 128 of no common signal is the code alone',
      run: makeRun({ exit_code: 200, duration_ms: undefined }),
      expected: { severity: 'high', message: 'run exited with code 200', evidence: { exit_code: 200 } },
    },
    {
      name: 'a negative exit code',
      run: makeRun({ exit_code: -1, duration_ms: undefined }),
      expected: { severity: 'high', message: 'run exited with code -1', evidence: { exit_code: -1 } },
    },
    {
      name: 'a systemd failure result with its exit code',
      run: makeRun({ exit_code: 1, failure: 'systemd: exit-code', duration_ms: 61_000 }),
      expected: {
        severity: 'high',
        message: 'run exited with code 1 after 1.0 min (systemd: exit-code)',
        evidence: { exit_code: 1, failure: 'systemd: exit-code', duration_ms: 61_000 },
      },
    },
    {
      name: 'a Lambda timeout, which logs no exit code of its own',
      run: makeRun({ exit_code: 0, failure: 'timeout', duration_ms: 900_000, output_bytes: undefined }),
      expected: { severity: 'high', message: 'run timed out after 15.0 min', evidence: { exit_code: 0, failure: 'timeout', duration_ms: 900_000 } },
    },
    {
      name: "a Lambda timeout line, with the exit code 1 its run record stands in for the code it has none of",
      run: makeRun({ exit_code: 1, exit_code_inferred: true, failure: 'timeout after 900.00 s', duration_ms: 900_000, output_bytes: undefined }),
      expected: { severity: 'high', message: 'run timed out after 900.00 s', evidence: { exit_code: 1, exit_code_inferred: true, failure: 'timeout after 900.00 s', duration_ms: 900_000 } },
    },
    {
      name: "a Lambda report's timeout status, without a duration",
      run: makeRun({ exit_code: 1, exit_code_inferred: true, failure: 'timeout', duration_ms: undefined, output_bytes: undefined }),
      expected: { severity: 'high', message: 'run timed out', evidence: { exit_code: 1, exit_code_inferred: true, failure: 'timeout' } },
    },
    {
      name: "systemd's timeout result, which logs no exit code either",
      run: makeRun({ exit_code: 1, exit_code_inferred: true, failure: "systemd result 'timeout'", duration_ms: 1_800_000 }),
      expected: {
        severity: 'high',
        message: "run timed out after 30.0 min (systemd result 'timeout')",
        evidence: { exit_code: 1, exit_code_inferred: true, failure: "systemd result 'timeout'", duration_ms: 1_800_000 },
      },
    },
    {
      name: 'a kill by signal (no exit code of its own)',
      run: makeRun({ exit_code: 1, exit_code_inferred: true, failure: 'main process killed by signal TERM', duration_ms: undefined }),
      expected: { severity: 'high', message: 'run failed: main process killed by signal TERM', evidence: { exit_code: 1, exit_code_inferred: true, failure: 'main process killed by signal TERM' } },
    },
    {
      name: "a systemd control process's own exit status stays an exit code",
      run: makeRun({ exit_code: 1, failure: 'control process exited with status 1', duration_ms: undefined }),
      expected: { severity: 'high', message: 'run exited with code 1 (control process exited with status 1)', evidence: { exit_code: 1, failure: 'control process exited with status 1' } },
    },
  ],
});
