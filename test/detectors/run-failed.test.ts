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
      expected: { severity: 'high', message: 'run exited with code 137', evidence: { exit_code: 137 } },
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
      expected: { severity: 'high', message: 'run failed after 15.0 min: timeout', evidence: { exit_code: 0, failure: 'timeout', duration_ms: 900_000 } },
    },
  ],
});
