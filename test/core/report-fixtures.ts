import { type Config, validateConfig } from '../../lambdas/config.ts';
import type { Finding, Severity, SubjectKind } from '../../lambdas/core/findings.ts';
import type { ReportInput } from '../../lambdas/core/report/build-report.ts';
import type { SubjectSnapshot } from '../../lambdas/core/report/subjects.ts';
import type { ExceptionRegistry, GuardException, RunRecord } from '../../lambdas/ports.ts';

/**
 * A known month for the report tests: October 2026 against September 2026, with the report run
 * as the schedule runs it (1 November, 06:00 UTC).
 *
 * - nightly-backup: output-shrink on every run from 14 October on (new, a change at the source).
 * - etl-loader: run-failed on 3 and 17 October, and on 20 September (recurring); empty-output on
 *   5 and 6 September only (resolved).
 * - weekly-digest: error-keyword on 7 September, nothing at all in October (unverified).
 * - report-mailer: 2 runs, min_history 5 (UNKNOWN: too little history).
 * - monthly-close: configured, never seen (UNKNOWN: no data).
 * - cache-warmer: runs every third day to the month's end, no finding (OK).
 * - support-bot (agent), search-api (route), guards cost-cap and schema-validator.
 */

export const REPORT_DATE = '2026-11-01T06:00:00Z';
export const clock = { now: () => Date.parse(REPORT_DATE) };

export const RAW_CONFIG = {
  defaults: { min_history: 5 },
  jobs: {
    'nightly-backup': { schedule: '30 2 * * *', expect_pattern: 'uploaded \\d+ objects', owner: 'data-platform@example.com' },
    'etl-loader': { owner: 'data-eng@example.com' },
    'weekly-digest': { schedule: '0 8 * * 1', owner: 'growth@example.com' },
    'monthly-close': { schedule: '0 5 1 * *', owner: 'finance-eng@example.com' },
  },
  agents: { 'support-bot': { budget: { max_actions: 20, max_cost_usd: 0.5, scope: 'task' }, owner: 'ai-team@example.com' } },
  routes: { 'search-api': { retry_rate_max: 0.1, p99_ms: 3000, owner: 'search@example.com' } },
  exceptions: [{ id: 'EX-12', guard: 'pii-redaction', reason: 'support workflow needs raw logs', owner: 'alice@example.com', expires: '2026-12-31' }],
};

export const CONFIG: Config = validateConfig(RAW_CONFIG, 'report test config');

const DAY_MS = 86_400_000;

export function day(n: number, month = '2026-10'): string {
  return `${month}-${String(n).padStart(2, '0')}`;
}

export function finding(
  detector: string,
  subject: string,
  ts: string,
  extra: { run_id?: string; severity?: Severity; kind?: SubjectKind; message?: string; evidence?: Record<string, unknown> } = {},
): Finding {
  return {
    detector: detector as Finding['detector'],
    subject,
    subject_kind: extra.kind ?? 'job',
    run_id: extra.run_id,
    ts,
    severity: extra.severity ?? 'high',
    message: extra.message ?? `${detector} on ${subject}`,
    evidence: extra.evidence ?? {},
  };
}

export function runRecord(subject: string, run_id: string, ts: string, status: RunRecord['status'] = 'ok', kind: SubjectKind = 'job'): RunRecord {
  return { subject, subject_kind: kind, run_id, ts, status, exit_code: status === 'failed' ? 1 : 0 };
}

/** The nightly backup's October runs: one a day at 03:10, output shrunk from the 14th on. */
export function backupRuns(month = '2026-10', days = 31): RunRecord[] {
  return Array.from({ length: days }, (_, i) => runRecord('nightly-backup', `nb-${month}-${day(i + 1, month).slice(8)}`, `${day(i + 1, month)}T03:10:00Z`));
}

export function octoberFindings(): Finding[] {
  const shrink = Array.from({ length: 18 }, (_, i) => {
    const d = 14 + i;
    return finding('output-shrink', 'nightly-backup', `${day(d)}T03:10:00Z`, {
      run_id: `nb-2026-10-${String(d).padStart(2, '0')}`,
      message: `output 412 B is 6% of the median 6.8 KiB of the last 20 runs`,
      evidence: { output_bytes: 400 + (i % 3) * 10, median: 6963, window: 20, ratio: 0.3 },
    });
  });
  return [
    ...shrink,
    finding('run-failed', 'etl-loader', '2026-10-03T06:04:10Z', { run_id: 'etl-10-03', message: 'run exited with code 137 after 4.2 min', evidence: { exit_code: 137, duration_ms: 252_000 } }),
    finding('run-failed', 'etl-loader', '2026-10-17T06:05:00Z', { run_id: 'etl-10-17', message: 'run exited with code 137 after 5.0 min', evidence: { exit_code: 137, duration_ms: 300_000 } }),
    finding('cost-outlier', 'support-bot', '2026-10-09T11:00:00Z', { kind: 'agent', severity: 'medium', run_id: 'sb-77', message: 'run cost $2.40, 8× the median $0.30', evidence: { cost_usd: 2.4, median: 0.3, factor: 5 } }),
    finding('budget-exceeded', 'support-bot', '2026-10-21T15:30:00Z', {
      kind: 'agent',
      run_id: 'sb-91',
      message: 'used 34 actions of a 20-action budget',
      evidence: { actions: 34, max_actions: 20, cost_usd: 0.9, max_cost_usd: 0.5 },
    }),
    finding('retry-rate', 'search-api', '2026-10-12T00:00:00Z', { kind: 'route', severity: 'medium', message: '17% of 240 requests needed a retry', evidence: { requests: 240, retried: 41, rate: 0.17 } }),
    finding('retry-latency', 'search-api', '2026-10-12T00:00:00Z', { kind: 'route', severity: 'medium', message: 'p99 end to end 8.2 s is above 3 s', evidence: { p99_e2e_ms: 8200, p99_ms: 3000 } }),
    finding('guard-bypass-unregistered', 'cost-cap', '2026-10-10T09:00:00Z', { kind: 'guard', message: 'cost-cap bypassed without an exception' }),
    finding('guard-bypass-unregistered', 'cost-cap', '2026-10-24T09:00:00Z', { kind: 'guard', message: 'cost-cap bypassed without an exception' }),
    finding('guard-exception-expired', 'schema-validator', '2026-10-09T10:00:00Z', { kind: 'guard', message: 'bypassed under EX-7, expired 2026-09-30', evidence: { exception_id: 'EX-7' } }),
  ];
}

export function septemberFindings(): Finding[] {
  return [
    finding('run-failed', 'etl-loader', '2026-09-20T06:04:00Z', { run_id: 'etl-09-20', message: 'run exited with code 1 after 3.0 min', evidence: { exit_code: 1 } }),
    finding('empty-output', 'etl-loader', '2026-09-05T06:03:00Z', { run_id: 'etl-09-05', message: 'exited 0 but wrote no output (0 B)', evidence: { output_bytes: 0, reason: 'zero-bytes' } }),
    finding('empty-output', 'etl-loader', '2026-09-06T06:03:00Z', { run_id: 'etl-09-06', message: 'exited 0 but wrote no output (0 B)', evidence: { output_bytes: 0, reason: 'zero-bytes' } }),
    finding('error-keyword', 'weekly-digest', '2026-09-07T08:02:00Z', { run_id: 'wd-09-07', severity: 'medium', message: 'exited 0 but its output holds "FATAL"', evidence: { keyword: 'FATAL' } }),
  ];
}

export function octoberRuns(): RunRecord[] {
  const etl = Array.from({ length: 31 }, (_, i) => {
    const d = i + 1;
    const id = `etl-10-${String(d).padStart(2, '0')}`;
    return runRecord('etl-loader', id, `${day(d)}T06:04:10Z`, d === 3 || d === 17 ? 'failed' : 'ok');
  });
  const warmer = Array.from({ length: 10 }, (_, i) => runRecord('cache-warmer', `cw-${i}`, `${day(3 * i + 1)}T00:15:00Z`));
  const agent = ['2026-10-09T11:00:00Z', '2026-10-21T15:30:00Z', '2026-10-28T10:00:00Z'].map((ts, i) => runRecord('support-bot', `sb-${i}`, ts, 'ok', 'agent'));
  return [
    ...backupRuns(),
    ...etl,
    ...warmer,
    ...agent,
    runRecord('report-mailer', 'rm-1', '2026-10-20T09:00:00Z'),
    runRecord('report-mailer', 'rm-2', '2026-10-27T09:00:00Z'),
  ];
}

/** A job's stored state as the report reads it: its run count and when it was first and last seen. */
export function jobState(job: string, runs: number, firstSeen: string, lastSeen: string): Record<string, unknown> {
  return {
    job,
    outputs: [],
    durations: [],
    processed: [],
    open: [],
    endsLogged: true,
    runs,
    failures: 0,
    consecutiveFailures: 0,
    firstSeenAt: Date.parse(firstSeen),
    lastSeenAt: Date.parse(lastSeen),
  };
}

export function octoberSubjects(): SubjectSnapshot[] {
  return [
    { kind: 'job', name: 'nightly-backup', state: jobState('nightly-backup', 61, '2026-09-01T02:30:00Z', '2026-10-31T03:10:00Z') },
    { kind: 'job', name: 'etl-loader', state: jobState('etl-loader', 61, '2026-09-01T06:00:00Z', '2026-10-31T06:04:10Z') },
    { kind: 'job', name: 'weekly-digest', state: jobState('weekly-digest', 4, '2026-09-07T08:00:00Z', '2026-09-28T08:02:00Z') },
    { kind: 'job', name: 'report-mailer', state: jobState('report-mailer', 2, '2026-10-20T09:00:00Z', '2026-10-27T09:00:00Z') },
    { kind: 'job', name: 'cache-warmer', state: jobState('cache-warmer', 400, '2026-08-01T00:15:00Z', '2026-10-28T00:15:00Z') },
    {
      kind: 'agent',
      name: 'support-bot',
      state: {
        agent: 'support-bot',
        history: [
          { run_id: 'sb-77', ended_at: Date.parse('2026-10-09T11:00:00Z'), cost_usd: 2.4 },
          { run_id: 'sb-91', ended_at: Date.parse('2026-10-21T15:30:00Z'), cost_usd: 0.9 },
        ],
        judged: [],
        open: [],
        roots: 30,
      },
    },
    {
      kind: 'route',
      name: 'search-api',
      state: { route: 'search-api', watermark: Date.parse('2026-10-31T23:00:00Z'), months: [{ start: Date.parse('2026-10-01T00:00:00Z'), requests: 1240, retried: 41, failed: 3, attempts: 1290 }] },
    },
  ];
}

export function guardException(overrides: Partial<GuardException> & Pick<GuardException, 'id' | 'guard' | 'expires'>): GuardException {
  return {
    reason: 'a reason',
    owner: 'alice@example.com',
    status: 'active',
    created_at: '2026-06-01T00:00:00Z',
    origin: 'cli',
    renewals: [],
    bypass_count: 0,
    ...overrides,
  };
}

export function octoberExceptions(): GuardException[] {
  return [
    guardException({ id: 'EX-12', guard: 'pii-redaction', expires: '2026-12-31', owner: 'alice@example.com', reason: 'support workflow needs raw logs', origin: 'config', bypass_count: 14, last_bypass_at: '2026-10-28T14:00:00Z' }),
    guardException({ id: 'EX-7', guard: 'schema-validator', expires: '2026-09-30', owner: 'bob@example.com', reason: 'model passes free text for ids', bypass_count: 3, last_bypass_at: '2026-10-09T10:00:00Z' }),
    guardException({ id: 'EX-20', guard: 'cost-cap', expires: '2026-11-20', owner: 'carol@example.com', reason: 'holiday traffic', bypass_count: 0 }),
    guardException({
      id: 'EX-9',
      guard: 'output-validator',
      expires: '2027-03-01',
      owner: 'dan@example.com',
      reason: 'launch week',
      bypass_count: 5,
      last_bypass_at: '2026-08-15T00:00:00Z',
      renewals: [
        { at: '2026-07-01T00:00:00Z', by: 'dan', reason: 'launch slipped', from_expires: '2026-07-15', to_expires: '2026-10-01' },
        { at: '2026-09-28T00:00:00Z', by: 'dan', reason: 'still needed', from_expires: '2026-10-01', to_expires: '2027-03-01' },
      ],
    }),
    guardException({ id: 'EX-3', guard: 'pii-redaction', expires: '2026-10-15', status: 'revoked', revoked_at: '2026-10-02T00:00:00Z', revoked_by: 'alice', revoke_reason: 'guard fixed', bypass_count: 1 }),
  ];
}

/** A registry as the interface promises it, for tests: the real one is another module's. */
export class InTestExceptionRegistry implements ExceptionRegistry {
  constructor(private readonly entries: readonly GuardException[]) {}
  async list(): Promise<GuardException[]> {
    return structuredClone([...this.entries]);
  }
  async get(id: string): Promise<GuardException | undefined> {
    return structuredClone(this.entries.find((e) => e.id === id));
  }
}

export function octoberInput(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    month: '2026-10',
    findings: octoberFindings(),
    previousFindings: septemberFindings(),
    subjects: octoberSubjects(),
    runs: octoberRuns(),
    exceptions: octoberExceptions(),
    config: CONFIG,
    clock,
    ...overrides,
  };
}

export { DAY_MS };
