import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import type { MonthlyReportResult, ReportDeps } from '../../lambdas/core/report/monthly-report.ts';
import { createReportHandler, type ReportRefusal } from '../../lambdas/handlers/report.ts';
import type { ReportDocument, ReportPublisher } from '../../lambdas/ports.ts';

/** A publisher that keeps the months it was asked to publish. */
class InTestPublisher implements ReportPublisher {
  readonly published: string[] = [];
  async publish(month: string, documents: readonly ReportDocument[]) {
    this.published.push(month);
    return { location: `memory://reports/${month}/`, documents: documents.map((d) => ({ format: d.format, uri: `memory://reports/${month}/report.${d.format}` })) };
  }
  async read(): Promise<string | undefined> {
    return undefined;
  }
}

/** The report's dependencies over a memory store, on 15 November 2026. */
function depsOver(store = new MemoryAuditStore()) {
  const publisher = new InTestPublisher();
  const deps: ReportDeps = {
    findings: store,
    runs: store,
    catalog: store,
    config: validateConfig({ jobs: { 'nightly-backup': {} } }, 'report handler test config'),
    clock: { now: () => Date.parse('2026-11-15T10:00:00Z') },
    publisher,
  };
  return { deps, publisher };
}

function setup(store = new MemoryAuditStore()) {
  const { deps, publisher } = depsOver(store);
  const results: MonthlyReportResult[] = [];
  const refusals: ReportRefusal[] = [];
  const handler = createReportHandler(
    () => deps,
    (r) => results.push(r),
    (r) => refusals.push(r),
  );
  return { handler, publisher, results, refusals };
}

afterEach(() => vi.restoreAllMocks());

describe('the report handler', () => {
  it.each([
    ['2026-13', 'month "2026-13": expected "YYYY-MM", e.g. {"month": "2026-10"}'],
    ['Nov 2026', 'month "Nov 2026": expected "YYYY-MM", e.g. {"month": "2026-10"}'],
    [202610, 'month 202610: expected "YYYY-MM", e.g. {"month": "2026-10"}'],
    ['2027-01', 'month "2027-01": January 2027 has not begun (the report is made as of 2026-11-15T10:00:00Z): a report of it would be an empty month'],
  ])('refuses a request for month %j with what was wrong, without throwing and without a report', async (month, error) => {
    // Prepare
    const { handler, publisher, results, refusals } = setup();

    // Act
    const response = await handler({ month });

    // Assess
    expect(response).toEqual({ error, month });
    expect(refusals).toEqual([{ error, month }]);
    expect(publisher.published).toEqual([]);
    expect(results).toEqual([]);
  });

  it.each([
    [{ Month: '2026-08' }, 'unknown key "Month"'],
    [{ mnth: '2026-08' }, 'unknown key "mnth"'],
    ['2026-08', 'a string "2026-08"'],
  ])('refuses the mistyped request %j rather than publishing last month', async (event, what) => {
    // Prepare
    const { handler, publisher, results, refusals } = setup();

    // Act
    const response = await handler(event);

    // Assess
    const error = `${what}: expected {"month": "YYYY-MM"}, e.g. {"month": "2026-10"}, or {} for last month`;
    expect(response).toEqual({ error, month: undefined });
    expect(refusals).toEqual([{ error, month: undefined }]);
    expect(publisher.published).toEqual([]);
    expect(results).toEqual([]);
  });

  it.each([
    [{ month: '2026-10', Month: '2026-09' }, 'unknown key "Month"'],
    [{ month: '2026-10', format: 'html' }, 'unknown key "format"'],
    [{ month: '2026-10', mnth: 'x' }, 'unknown key "mnth"'],
  ])('refuses %j, a month with a key beside it that is not month, rather than publishing that month', async (event, what) => {
    // Prepare
    const { handler, publisher, results, refusals } = setup();

    // Act
    const response = await handler(event);

    // Assess
    const error = `${what}: expected {"month": "YYYY-MM"}, e.g. {"month": "2026-10"}, or {} for last month`;
    expect(response).toEqual({ error, month: '2026-10' });
    expect(refusals).toEqual([{ error, month: '2026-10' }]);
    expect(publisher.published).toEqual([]);
    expect(results).toEqual([]);
  });

  it.each([
    ['1970-01-01T00:00:00Z', 'time "1970-01-01T00:00:00Z": the month before it, 1969-12, is no month to report on: its year is before 1970, the first a log can be from'],
    ['2099-01-01T00:00:00Z', 'time "2099-01-01T00:00:00Z": the month before it, December 2098 has not begun (the report is made as of 2026-11-15T10:00:00Z): a report of it would be an empty month'],
  ])('refuses the console\'s scheduled-event test at %s without throwing and without a report', async (time, error) => {
    // Prepare
    const { handler, publisher, results, refusals } = setup();

    // Act
    const response = await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', time, detail: {} });

    // Assess
    expect(response).toEqual({ error, month: undefined });
    expect(refusals).toEqual([{ error, month: undefined }]);
    expect(publisher.published).toEqual([]);
    expect(results).toEqual([]);
  });

  it('logs a refused request as a warning and counts it in ReportRequestsRefused', async () => {
    // Prepare
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    const { deps } = depsOver();
    const handler = createReportHandler(() => deps);

    // Act
    await handler({ month: '2026-13' });

    // Assess
    const lines = written.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const emf = lines.find((l) => l._aws !== undefined) as { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> }; ReportRequestsRefused: number };
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('SilentAudit');
    expect(emf._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name)).toEqual(['ReportRequestsRefused']);
    expect(emf.ReportRequestsRefused).toBe(1);
    expect(lines.find((l) => l.message === 'report request refused')).toMatchObject({ level: 'WARN', month: '2026-13', error: expect.stringContaining('expected "YYYY-MM"') });
  });

  it('still throws when the report itself fails: a store it cannot read', async () => {
    // Prepare
    const store = new MemoryAuditStore();
    store.query = () => Promise.reject(new Error('store unreachable'));
    const { handler, refusals } = setup(store);

    // Act
    const invocation = handler({ month: '2026-10' });

    // Assess
    await expect(invocation).rejects.toThrow('store unreachable');
    expect(refusals).toEqual([]);
  });

  it('reports the month before on the schedule, as before', async () => {
    // Prepare
    const { handler, publisher, refusals } = setup();

    // Act
    const response = await handler({ 'detail-type': 'Scheduled Event', time: '2026-11-01T06:00:00Z' });

    // Assess
    expect(response).toMatchObject({ month: '2026-10', location: 'memory://reports/2026-10/' });
    expect(publisher.published).toEqual(['2026-10']);
    expect(refusals).toEqual([]);
  });
});
