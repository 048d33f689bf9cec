import type { TreePhase } from '../../lambdas/core/agent-tree.ts';
import { runFailedDetector, runFailedRootRunDetector } from '../../lambdas/detectors/run-failed.ts';
import { acts, end, start, treeOf } from '../core/agent-fixtures.ts';
import { testTreeDetector } from './agent-detector-tester.ts';
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
      expected: { severity: 'high', message: 'run exited with code 2 after 4.5 min', evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 2, duration_ms: 270_000 } },
    },
    {
      name: 'a non-zero exit code without a duration',
      run: makeRun({ exit_code: 137, duration_ms: undefined }),
      expected: { severity: 'high', message: 'run exited with code 137 (SIGKILL, often out of memory)', evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 137 } },
    },
    {
      name: 'an exit code of 128 + a signal names the signal: 143 is SIGTERM',
      run: makeRun({ exit_code: 143, duration_ms: 61_000, failure: 'systemd: exit-code' }),
      expected: {
        severity: 'high',
        message: 'run exited with code 143 (SIGTERM) after 1.0 min (systemd: exit-code)',
        evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 143, failure: 'systemd: exit-code', duration_ms: 61_000 },
      },
    },
    {
      name: 'an exit code past 128 of no common signal is the code alone',
      run: makeRun({ exit_code: 200, duration_ms: undefined }),
      expected: { severity: 'high', message: 'run exited with code 200', evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 200 } },
    },
    {
      name: 'a negative exit code',
      run: makeRun({ exit_code: -1, duration_ms: undefined }),
      expected: { severity: 'high', message: 'run exited with code -1', evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: -1 } },
    },
    {
      name: 'a systemd failure result with its exit code',
      run: makeRun({ exit_code: 1, failure: 'systemd: exit-code', duration_ms: 61_000 }),
      expected: {
        severity: 'high',
        message: 'run exited with code 1 after 1.0 min (systemd: exit-code)',
        evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 1, failure: 'systemd: exit-code', duration_ms: 61_000 },
      },
    },
    {
      name: 'a Lambda timeout, which logs no exit code of its own',
      run: makeRun({ exit_code: 0, failure: 'timeout', duration_ms: 900_000, output_bytes: undefined }),
      expected: { severity: 'high', message: 'run timed out after 15.0 min', evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 0, failure: 'timeout', duration_ms: 900_000 } },
    },
    {
      name: "a Lambda timeout line, with the exit code 1 its run record stands in for the code it has none of",
      run: makeRun({ exit_code: 1, exit_code_inferred: true, failure: 'timeout after 900.00 s', duration_ms: 900_000, output_bytes: undefined }),
      expected: { severity: 'high', message: 'run timed out after 900.00 s', evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 1, exit_code_inferred: true, failure: 'timeout after 900.00 s', duration_ms: 900_000 } },
    },
    {
      name: "a Lambda report's timeout status, without a duration",
      run: makeRun({ exit_code: 1, exit_code_inferred: true, failure: 'timeout', duration_ms: undefined, output_bytes: undefined }),
      expected: { severity: 'high', message: 'run timed out', evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 1, exit_code_inferred: true, failure: 'timeout' } },
    },
    {
      name: "a Lambda report's error status names its error type (out of memory)",
      run: makeRun({ exit_code: 1, exit_code_inferred: true, failure: 'error', error_type: 'Runtime.OutOfMemory', duration_ms: 31_014, output_bytes: undefined }),
      expected: {
        severity: 'high',
        message: 'run failed after 31 s: error (Runtime.OutOfMemory)',
        evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 1, exit_code_inferred: true, failure: 'error', error_type: 'Runtime.OutOfMemory', duration_ms: 31_014 },
      },
    },
    {
      name: "a Lambda report's timeout status with its error type",
      run: makeRun({ exit_code: 1, exit_code_inferred: true, failure: 'timeout', error_type: 'Sandbox.Timedout', duration_ms: 900_000, output_bytes: undefined }),
      expected: {
        severity: 'high',
        message: 'run timed out after 15.0 min (Sandbox.Timedout)',
        evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 1, exit_code_inferred: true, failure: 'timeout', error_type: 'Sandbox.Timedout', duration_ms: 900_000 },
      },
    },
    {
      name: "systemd's timeout result, which logs no exit code either",
      run: makeRun({ exit_code: 1, exit_code_inferred: true, failure: "systemd result 'timeout'", duration_ms: 1_800_000 }),
      expected: {
        severity: 'high',
        message: "run timed out after 30.0 min (systemd result 'timeout')",
        evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 1, exit_code_inferred: true, failure: "systemd result 'timeout'", duration_ms: 1_800_000 },
      },
    },
    {
      name: 'a kill by signal (no exit code of its own)',
      run: makeRun({ exit_code: 1, exit_code_inferred: true, failure: 'main process killed by signal TERM', duration_ms: undefined }),
      expected: { severity: 'high', message: 'run failed: main process killed by signal TERM', evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 1, exit_code_inferred: true, failure: 'main process killed by signal TERM' } },
    },
    {
      name: "a systemd control process's own exit status stays an exit code",
      run: makeRun({ exit_code: 1, failure: 'control process exited with status 1', duration_ms: undefined }),
      expected: { severity: 'high', message: 'run exited with code 1 (control process exited with status 1)', evidence: { host: 'db-1', excerpt: 'backup finished in 61 s', exit_code: 1, failure: 'control process exited with status 1' } },
    },
    {
      name: "exec's record of a kill by signal names it, once",
      run: makeRun({ exit_code: 137, signal: 'SIGKILL', failure: 'killed by SIGKILL', duration_ms: 4_000, output_tail: 'loading 3 GB into memory\n' }),
      expected: {
        severity: 'high',
        message: 'run exited with code 137 (killed by SIGKILL, often out of memory) after 4 s',
        evidence: { exit_code: 137, signal: 'SIGKILL', failure: 'killed by SIGKILL', duration_ms: 4_000, host: 'db-1', excerpt: 'loading 3 GB into memory' },
      },
    },
    {
      name: "exec's record of a command it could not run gives exec's error, and no excerpt of an empty output",
      run: makeRun({ exit_code: 127, error: 'cannot run /usr/local/bin/bakup.sh (no such file, ENOENT)', failure: 'cannot run /usr/local/bin/bakup.sh (no such file, ENOENT)', duration_ms: 3, output_bytes: 0, output_head: '', output_tail: '' }),
      expected: {
        severity: 'high',
        message: 'run exited with code 127 after 3 ms: cannot run /usr/local/bin/bakup.sh (no such file, ENOENT)',
        evidence: { exit_code: 127, failure: 'cannot run /usr/local/bin/bakup.sh (no such file, ENOENT)', duration_ms: 3, host: 'db-1' },
      },
    },
    {
      name: 'the excerpt is the error marker of the output tail when it holds one, else its last line',
      run: makeRun({ exit_code: 2, duration_ms: undefined, output_tail: 'connecting\npsql: error: connection to server at "db" failed: FATAL: password authentication failed\nwill retry tomorrow\n' }),
      expected: {
        severity: 'high',
        message: 'run exited with code 2',
        evidence: { exit_code: 2, host: 'db-1', excerpt: 'psql: error: connection to server at "db" failed: FATAL: password authentication failed' },
      },
    },
    {
      name: 'a run with no host and no output tail has neither in its evidence',
      run: makeRun({ exit_code: 2, duration_ms: undefined, host: undefined, output_tail: undefined }),
      expected: { severity: 'high', message: 'run exited with code 2', evidence: { exit_code: 2 } },
    },
  ],
});

/** triage-bot's root run `t1`: its `agent.start`, `n` actions, and, 10 s in, its `agent.end` with `status`. */
function agentRun(n: number, status: string, phase?: TreePhase) {
  return treeOf([start(0, 'triage-bot', 't1'), ...acts(n, 1, 'triage-bot', 't1'), end(10, 'triage-bot', 't1', { status })], 't1', phase);
}

/** A root `t2` whose sub-agent `t2.1` ended with status error (the root handled it and ended `rootStatus`). */
function treeWithFailedSubAgent(rootStatus: string) {
  return treeOf(
    [start(0, 'triage-bot', 't2'), start(1, 'lookup', 't2.1', { parent_run_id: 't2' }), ...acts(2, 2, 'lookup', 't2.1'), end(4, 'lookup', 't2.1', { status: 'error' }), ...acts(1, 5, 'triage-bot', 't2'), end(8, 'triage-bot', 't2', { status: rootStatus })],
    't2',
  );
}

testTreeDetector(runFailedRootRunDetector, {
  valid: [
    { name: 'an agent root run that ended ok', input: { tree: agentRun(3, 'ok') } },
    { name: 'an agent root run stopped by its budget (budget_exhausted: the hard stop doing its job)', input: { tree: agentRun(20, 'budget_exhausted') } },
    { name: 'an agent root run that was cancelled', input: { tree: agentRun(1, 'cancelled') } },
    { name: 'a sub-agent that failed under a root that ended ok (its parent handled it)', input: { tree: treeWithFailedSubAgent('ok') } },
    { name: 'a running tree', input: { tree: treeOf([start(0, 'triage-bot', 't3'), ...acts(2, 1, 'triage-bot', 't3')], 't3', 'running') } },
  ],
  invalid: [
    {
      name: 'an agent root run that ended with status error',
      input: { tree: agentRun(0, 'error') },
      expected: [
        {
          run_id: 't1',
          ts: '2026-10-05T10:00:10Z',
          severity: 'high',
          message: 'run t1 ended with status error after 10 s (0 actions)',
          evidence: { status: 'error', duration_ms: 10_000, actions: 0, runs: 1, root_run_id: 't1' },
        },
      ],
    },
    {
      name: 'an agent root run that ended with status timeout',
      input: { tree: agentRun(4, 'timeout') },
      expected: [
        {
          run_id: 't1',
          ts: '2026-10-05T10:00:10Z',
          severity: 'high',
          message: 'run t1 timed out after 10 s (4 actions)',
          evidence: { status: 'timeout', duration_ms: 10_000, actions: 4, runs: 1, root_run_id: 't1' },
        },
      ],
    },
    {
      name: 'an agent root run that ended with a synonym in another case (FAILED)',
      input: { tree: agentRun(2, 'FAILED') },
      expected: [
        {
          run_id: 't1',
          ts: '2026-10-05T10:00:10Z',
          severity: 'high',
          message: 'run t1 ended with status FAILED after 10 s (2 actions)',
          evidence: { status: 'FAILED', duration_ms: 10_000, actions: 2, runs: 1, root_run_id: 't1' },
        },
      ],
    },
    {
      name: 'an agent root run that ended with status timed_out',
      input: { tree: agentRun(4, 'timed_out') },
      expected: [
        {
          run_id: 't1',
          ts: '2026-10-05T10:00:10Z',
          severity: 'high',
          message: 'run t1 timed out after 10 s (4 actions)',
          evidence: { status: 'timed_out', duration_ms: 10_000, actions: 4, runs: 1, root_run_id: 't1' },
        },
      ],
    },
    {
      name: 'a root that failed with its sub-agent: one finding, of the root',
      input: { tree: treeWithFailedSubAgent('error') },
      expected: [
        {
          run_id: 't2',
          ts: '2026-10-05T10:00:08Z',
          severity: 'high',
          message: 'run t2 ended with status error after 8 s (3 actions across 2 runs)',
          evidence: { status: 'error', duration_ms: 8_000, actions: 3, runs: 2, root_run_id: 't2' },
        },
      ],
    },
  ],
});
