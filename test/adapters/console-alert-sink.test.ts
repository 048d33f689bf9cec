import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleAlertSink, FileAlertSink } from '../../lambdas/adapters/console-alert-sink.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';
import { type Finding, findingKey, isoTime } from '../../lambdas/core/findings.ts';
import type { AlertSink, RunRecord } from '../../lambdas/ports.ts';

const T0 = Date.parse('2026-10-05T00:00:00Z');
const HOUR = 3_600_000;

/** Both local sinks at once, as the demo wires them: the terminal's lines and the file's records. */
function localSinks(): { sinks: AlertSink[]; lines: string[]; records: () => Array<Record<string, unknown>> } {
  const file = join(mkdtempSync(join(tmpdir(), 'alerts-')), 'alerts.jsonl');
  writeFileSync(file, '');
  const lines: string[] = [];
  return {
    sinks: [new ConsoleAlertSink((line) => lines.push(line)), new FileAlertSink(file)],
    lines,
    records: () =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

function failure(subject: string, at: number): Finding {
  return { detector: 'run-failed', subject, subject_kind: 'job', run_id: `${subject}-1`, ts: isoTime(at), severity: 'high', message: 'run exited with code 1', evidence: { exit_code: 1 } };
}

describe('the local alert sinks', () => {
  it('show a flapping notice about runs that made no finding, and count only what they show', async () => {
    // Prepare: an hourly job that fails every other run without a finding (the runs alone switch it), for 8 hours.
    const config = validateConfig({}, 'test', undefined, { now: T0 });
    const { sinks, lines, records } = localSinks();
    let sent = 0;
    // Act: the same runs through each sink, each with a store of its own.
    for (const sink of sinks) {
      const store = new MemoryAuditStore();
      for (let h = 0; h < 8; h++) {
        const at = T0 + h * HOUR;
        const record: RunRecord = { subject: 'etl', subject_kind: 'job', run_id: `r-${h}`, ts: isoTime(at), status: h % 2 === 0 ? 'failed' : 'ok' };
        sent += (await deliverAlerts([], store, sink, { now: () => at + 60_000 }, { config, records: [record] })).sent;
      }
    }
    // Assess: one flapping notice per sink, shown and written as the SNS sink's JSON body.
    expect(sent).toBe(2);
    expect(lines).toEqual([expect.stringMatching(/^ALERT 2026-10-05T0\d:00:00Z \[MEDIUM\] flapping: etl \(6 switches in 24 h\)$/)]);
    expect(records()).toEqual([expect.objectContaining({ version: 1, kind: 'flapping', detector: 'flapping', subject: 'etl', subject_kind: 'job', title: '[MEDIUM] flapping: etl (6 switches in 24 h)', notice: expect.objectContaining({ detectors: [], transitions: 6 }) })]);
  });

  it('show a storm summary with its items, and plain alerts as the finding records they always wrote', async () => {
    // Prepare: four jobs fail in one delivery; the storm cap lets one alert out alone.
    const config = validateConfig({ defaults: { alert_storm_cap: 1 } }, 'test', undefined, { now: T0 });
    const findings = ['a-job', 'b-job', 'c-job', 'd-job'].map((s) => failure(s, T0));
    const { sinks, lines, records } = localSinks();
    // Act: the same delivery through each sink, each with a store of its own (findings stored first, as the pipeline does).
    const results = [];
    for (const sink of sinks) {
      const store = new MemoryAuditStore();
      expect(await store.commit({ key: 'seed', expectedVersion: 0, state: {}, findings, records: [] })).toBe('committed');
      results.push(await deliverAlerts(findings, store, sink, { now: () => T0 }, { config }));
    }
    // Assess
    expect(results).toEqual([expect.objectContaining({ sent: 2, summarized: 3 }), expect.objectContaining({ sent: 2, summarized: 3 })]);
    expect(lines[0]).toMatch(/^ALERT 2026-10-05T00:00:00Z HIGH {3}run-failed {15}a-job a-job-1 — run exited with code 1$/);
    expect(lines.slice(1)).toEqual([
      'ALERT [HIGH] silent-audit: 3 more alerts (storm cap 1)',
      '  run-failed × job "b-job": 1 (high)',
      '  run-failed × job "c-job": 1 (high)',
      '  run-failed × job "d-job": 1 (high)',
    ]);
    const [plain, summary] = records();
    expect(plain).toEqual({ ...findings[0], evidence: { exit_code: 1, alert_kind: 'finding' }, id: findingKey(findings[0]), correlation_key: `job#a-job#${isoTime(T0)}` });
    expect(summary).toMatchObject({ version: 1, kind: 'summary', subject: 'multiple', storm_cap: 1, alerts: 3 });
    expect((summary.items as Array<{ subject: string }>).map((i) => i.subject)).toEqual(['b-job', 'c-job', 'd-job']);
  });

  it("write an alert's record with its message's id and correlation key, so that it joins its recovery in the file as on SNS", async () => {
    // Prepare: etl fails, then three healthy runs close its episode.
    const config = validateConfig({}, 'test', undefined, { now: T0 });
    const failed = failure('etl', T0);
    const healthy = [1, 2, 3].map((h): RunRecord => ({ subject: 'etl', subject_kind: 'job', run_id: `ok-${h}`, ts: isoTime(T0 + h * HOUR), status: 'ok' }));
    const { sinks, records } = localSinks();
    const store = new MemoryAuditStore();
    await store.commit({ key: 'seed', expectedVersion: 0, state: {}, findings: [failed], records: [] });
    // Act: the failure's delivery, then the healthy runs', to the file.
    await deliverAlerts([failed], store, sinks[1], { now: () => T0 }, { config, records: [{ subject: 'etl', subject_kind: 'job', run_id: 'etl-1', ts: isoTime(T0), status: 'failed' }] });
    await deliverAlerts([], store, sinks[1], { now: () => T0 + 4 * HOUR }, { config, records: healthy });
    // Assess
    const [alert, recovery] = records();
    expect(recovery).toMatchObject({ kind: 'recovery', correlation_key: `job#etl#${isoTime(T0)}` });
    expect(alert).toEqual({ ...failed, evidence: { exit_code: 1, alert_kind: 'finding' }, id: findingKey(failed), correlation_key: recovery.correlation_key });
  });

  it('show the control characters of a subject and a message escaped on the terminal, the file keeping them as they are', async () => {
    // Prepare: a job name and message that would erase the row above and turn the text around
    const config = validateConfig({}, 'test', undefined, { now: T0 });
    const finding = { ...failure('nightly\u001b[2K\u001b[1Aevil', T0), message: 'exit 1\r\u202Eko' };
    const { sinks, lines, records } = localSinks();
    // Act
    for (const sink of sinks) {
      const store = new MemoryAuditStore();
      await store.commit({ key: 'seed', expectedVersion: 0, state: {}, findings: [finding], records: [] });
      await deliverAlerts([finding], store, sink, { now: () => T0 }, { config });
    }
    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('nightly\\x1b[2K\\x1b[1Aevil');
    expect(lines[0]).toContain('exit 1\\x0d\\u202eko');
    expect(lines[0]).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(records()).toEqual([expect.objectContaining({ subject: finding.subject, message: finding.message })]);
  });
});
