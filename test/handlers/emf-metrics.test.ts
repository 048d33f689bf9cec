import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Finding } from '../../lambdas/core/findings.ts';
import { type IngestReport, payloadRejected } from '../../lambdas/core/ingest.ts';
import type { SweepDeps, SweepReport } from '../../lambdas/core/sweep.ts';
import { powertoolsObserver } from '../../lambdas/handlers/observability.ts';
import { createSweepHandler } from '../../lambdas/handlers/sweep.ts';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { encodePayload } from '../../lambdas/demo/cloudwatch-payload.ts';
import { createKinesisIngestHandler } from '../../lambdas/handlers/ingest-kinesis.ts';
import type { CommitResult, SubjectCommit } from '../../lambdas/ports.ts';

const { runSweep } = vi.hoisted(() => ({ runSweep: vi.fn<(deps: SweepDeps) => Promise<SweepReport>>() }));
vi.mock('../../lambdas/core/sweep.ts', () => ({ runSweep }));

interface EmfLine {
  readonly _aws: { readonly Timestamp: number; readonly CloudWatchMetrics: ReadonlyArray<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  readonly [key: string]: unknown;
}

/** Whether an EMF document carries the per-detector dimension set. */
const byDetector = (line: EmfLine) => line._aws.CloudWatchMetrics[0].Dimensions.some((set) => set.includes('detector'));

/** Runs `act` and returns the EMF documents it wrote to stdout (Powertools Metrics writes one JSON line per flush). */
/** Stdout captured while a test acts: what the handlers' EMF lines are written to. */
function spyStdout(): { written: string[]; restore: () => void } {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
  return { written, restore: () => spy.mockRestore() };
}

function emfLines(written: readonly string[]): EmfLine[] {
  return written
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

function captureEmf(act: () => void): EmfLine[] {
  const out = spyStdout();
  try {
    act();
  } finally {
    out.restore();
  }
  return emfLines(out.written);
}

/** `captureEmf` for an asynchronous act. */
async function captureEmfAsync(act: () => Promise<unknown>): Promise<EmfLine[]> {
  const out = spyStdout();
  try {
    await act();
  } finally {
    out.restore();
  }
  return emfLines(out.written);
}

const finding = (detector: Finding['detector'], run_id: string): Finding => ({ detector, subject: 'etl', subject_kind: 'job', run_id, ts: '2026-10-05T03:00:00Z', severity: 'high', message: 'm', evidence: {} });

const REPORT: IngestReport = {
  status: 'processed',
  logGroup: '/jobs/etl',
  counts: { lines: 18, events: 12, eventLines: 10, nothingToJudge: 2, rejected: 2, unrecognised: 4 },
  rejections: [],
  findings: [finding('run-failed', 'a'), finding('output-shrink', 'b'), finding('run-failed', 'c')],
  alerts: { sent: 1, failed: 0, errors: [], suppressed: 2, snoozed: 1, summarized: 0, abandoned: 0 },
  batchLagMs: 90_000,
  conflicts: 0,
};

afterEach(() => vi.restoreAllMocks());

describe('EMF metrics of a delivery (Powertools Metrics)', () => {
  it('writes the delivery’s counts in the SilentAudit namespace, by service, with their units', () => {
    // Act
    const documents = captureEmf(() => powertoolsObserver(REPORT));
    const [main] = documents.filter((d) => !byDetector(d));
    // Assess
    expect(documents).toHaveLength(3);
    const directive = main._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe('SilentAudit');
    expect(directive.Dimensions).toEqual([['service']]);
    expect(Object.fromEntries(directive.Metrics.map((m) => [m.Name, m.Unit]))).toEqual({
      LinesParsed: 'Count',
      LinesRecognised: 'Count',
      LinesRejected: 'Count',
      LinesUnrecognised: 'Count',
      Findings: 'Count',
      AlertsSent: 'Count',
      AlertsFailed: 'Count',
      BatchLag: 'Milliseconds',
      AlertsSuppressed: 'Count',
      AlertsSnoozed: 'Count',
      AlertsSummarized: 'Count',
      AlertsAbandoned: 'Count',
    });
    expect(main).toMatchObject({
      service: 'silent-audit',
      LinesParsed: 18,
      LinesRecognised: 12,
      LinesRejected: 2,
      LinesUnrecognised: 4,
      Findings: 3,
      AlertsSent: 1,
      AlertsFailed: 0,
      AlertsSuppressed: 2,
      AlertsSnoozed: 1,
      AlertsSummarized: 0,
      AlertsAbandoned: 0,
      BatchLag: 90_000,
    });
    expect(typeof main._aws.Timestamp).toBe('number');
  });

  it('writes findings per detector, one document each with the `detector` dimension', () => {
    // Act
    const documents = captureEmf(() => powertoolsObserver(REPORT));
    const perDetector = documents.filter(byDetector);
    // Assess
    expect(perDetector.map((d) => d._aws.CloudWatchMetrics[0])).toEqual([
      { Namespace: 'SilentAudit', Dimensions: [['service', 'detector']], Metrics: [{ Name: 'Findings', Unit: 'Count' }] },
      { Namespace: 'SilentAudit', Dimensions: [['service', 'detector']], Metrics: [{ Name: 'Findings', Unit: 'Count' }] },
    ]);
    expect(perDetector.map((d) => [d.detector, d.Findings])).toEqual([
      ['output-shrink', 1],
      ['run-failed', 2],
    ]);
  });

  it('writes the alerts given up (AlertsAbandoned) beside the failed sends, for the self-watch alarms', () => {
    // Prepare
    const failing: IngestReport = { ...REPORT, alerts: { sent: 0, failed: 3, errors: ['e1', 'e2', 'gave up after 40 failed sends: e3'], abandoned: 1 } };
    // Act
    const [main] = captureEmf(() => powertoolsObserver(failing)).filter((d) => !byDetector(d));
    // Assess
    expect(main).toMatchObject({ service: 'silent-audit', AlertsFailed: 3, AlertsAbandoned: 1 });
    expect(main._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'AlertsAbandoned', Unit: 'Count' });
  });

  it('writes the sweep’s failed and given-up alerts too (it drains the outbox every 5 minutes)', async () => {
    // Prepare
    runSweep.mockResolvedValue({ subjects: 4, subjectsLeft: 0, kindsLeft: 0, findings: [], alerts: { sent: 0, failed: 2, errors: ['e1', 'gave up after 40 failed sends: e2'], abandoned: 1 }, conflicts: 0, awaitingRetry: 3, alertsLeft: 0 });
    const handler = createSweepHandler(() => ({}) as SweepDeps);
    // Act
    const documents = await captureEmfAsync(handler);
    const [main] = documents.filter((d) => !byDetector(d));
    // Assess
    expect(main._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'SilentAudit', Dimensions: [['service']] });
    expect(main).toMatchObject({ service: 'silent-audit', SweepSubjects: 4, AlertsFailed: 2, AlertsAbandoned: 1 });
  });

  it('writes the sweep’s gauge of findings waiting for a retry (AlertsAwaitingRetry), 0 too, for the alerts-failing alarm', async () => {
    // Prepare
    const handler = createSweepHandler(() => ({}) as SweepDeps);
    runSweep.mockResolvedValueOnce({ subjects: 1, subjectsLeft: 0, kindsLeft: 0, findings: [], alerts: { sent: 0, failed: 0, errors: [] }, conflicts: 0, awaitingRetry: 2, alertsLeft: 0 });
    runSweep.mockResolvedValueOnce({ subjects: 1, subjectsLeft: 0, kindsLeft: 0, findings: [], alerts: { sent: 1, failed: 0, errors: [] }, conflicts: 0, awaitingRetry: 0, alertsLeft: 0 });
    // Act
    const waiting = (await captureEmfAsync(handler)).filter((d) => !byDetector(d));
    const drained = (await captureEmfAsync(handler)).filter((d) => !byDetector(d));
    // Assess
    expect(waiting[0]).toMatchObject({ service: 'silent-audit', AlertsAwaitingRetry: 2, AlertsFailed: 0 });
    expect(waiting[0]._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'AlertsAwaitingRetry', Unit: 'Count' });
    expect(drained[0]).toMatchObject({ AlertsAwaitingRetry: 0 });
  });

  it('writes the subjects the sweep judged (SweepSubjects) apart from those it left for lack of time (SweepSubjectsLeft), 0 too, for the sweep-incomplete alarm', async () => {
    // Prepare
    const handler = createSweepHandler(() => ({}) as SweepDeps);
    runSweep.mockResolvedValueOnce({ subjects: 40, subjectsLeft: 70, kindsLeft: 0, findings: [], alerts: { sent: 0, failed: 0, errors: [] }, conflicts: 0, awaitingRetry: 0, alertsLeft: 0 });
    runSweep.mockResolvedValueOnce({ subjects: 110, subjectsLeft: 0, kindsLeft: 0, findings: [], alerts: { sent: 0, failed: 0, errors: [] }, conflicts: 0, awaitingRetry: 0, alertsLeft: 0 });
    // Act
    const short = (await captureEmfAsync(handler)).filter((d) => !byDetector(d));
    const whole = (await captureEmfAsync(handler)).filter((d) => !byDetector(d));
    // Assess
    expect(short[0]).toMatchObject({ service: 'silent-audit', SweepSubjects: 40, SweepSubjectsLeft: 70 });
    expect(short[0]._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'SweepSubjectsLeft', Unit: 'Count' });
    expect(whole[0]).toMatchObject({ SweepSubjects: 110, SweepSubjectsLeft: 0, SweepKindsLeft: 0 });
  });

  it('writes the alerts the sweep’s delivery left pending for lack of time (SweepAlertsLeft), 0 too, for the sweep-incomplete alarm, and logs them', async () => {
    // Prepare: a burst of findings outran the invocation's time, then the next sweep sent the rest
    const handler = createSweepHandler(() => ({}) as SweepDeps);
    runSweep.mockResolvedValueOnce({ subjects: 2000, subjectsLeft: 0, kindsLeft: 0, findings: [], alerts: { sent: 21, failed: 0, errors: [], left: 600 }, conflicts: 0, awaitingRetry: 0, alertsLeft: 600 });
    runSweep.mockResolvedValueOnce({ subjects: 2000, subjectsLeft: 0, kindsLeft: 0, findings: [], alerts: { sent: 21, failed: 0, errors: [] }, conflicts: 0, awaitingRetry: 0, alertsLeft: 0 });
    // Act
    const out = spyStdout();
    try {
      await handler();
      await handler();
    } finally {
      out.restore();
    }
    // Assess
    const [short, whole] = emfLines(out.written).filter((d) => !byDetector(d));
    expect(short).toMatchObject({ service: 'silent-audit', SweepAlertsLeft: 600, AlertsSent: 21 });
    expect(short._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'SweepAlertsLeft', Unit: 'Count' });
    expect(whole).toMatchObject({ SweepAlertsLeft: 0 });
    const done = out.written.flatMap((chunk) => chunk.split('\n')).find((line) => line.includes('"sweep done"'));
    expect(done && JSON.parse(done)).toMatchObject({ alertsLeft: 600 });
  });

  it('writes the kinds the sweep had no time to list (SweepKindsLeft), for the sweep-incomplete alarm, and logs them', async () => {
    // Prepare: every subject listed was judged, but two kinds were never listed
    const handler = createSweepHandler(() => ({}) as SweepDeps);
    runSweep.mockResolvedValueOnce({ subjects: 110, subjectsLeft: 0, kindsLeft: 2, findings: [], alerts: { sent: 0, failed: 0, errors: [] }, conflicts: 0, awaitingRetry: 0, alertsLeft: 0 });
    // Act
    const out = spyStdout();
    try {
      await handler();
    } finally {
      out.restore();
    }
    // Assess
    const [main] = emfLines(out.written).filter((d) => !byDetector(d));
    expect(main).toMatchObject({ service: 'silent-audit', SweepSubjects: 110, SweepSubjectsLeft: 0, SweepKindsLeft: 2 });
    expect(main._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'SweepKindsLeft', Unit: 'Count' });
    const done = out.written.flatMap((chunk) => chunk.split('\n')).find((line) => line.includes('"sweep done"'));
    expect(done && JSON.parse(done)).toMatchObject({ subjectsLeft: 0, kindsLeft: 2 });
  });

  it('returns the sweep’s report under Lambda’s 6 MB response limit, its findings cut and counted, all of them in its metrics', async () => {
    // Prepare: a sweep after an outage judges 3,000 missed runs of 4 KiB of evidence each (12 MB of JSON)
    const many = Array.from({ length: 3000 }, (_, i) => ({ ...finding('missed-run', `r${i}`), evidence: { note: 'x'.repeat(4096) } }));
    runSweep.mockResolvedValueOnce({ subjects: 3000, subjectsLeft: 0, kindsLeft: 0, findings: many, alerts: { sent: 21, failed: 0, errors: [] }, conflicts: 0, awaitingRetry: 0, alertsLeft: 0 });
    const handler = createSweepHandler(() => ({}) as SweepDeps);
    let response: Awaited<ReturnType<typeof handler>> | undefined;
    // Act
    const [main] = (await captureEmfAsync(async () => void (response = await handler()))).filter((d) => !byDetector(d));
    // Assess
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(6 * 1024 * 1024);
    expect(response?.findings).toEqual(many.slice(0, response?.findings.length));
    expect((response?.findings.length ?? 0) + (response?.findingsLeftOut ?? 0)).toBe(3000);
    expect(response).toMatchObject({ subjects: 3000, alerts: { sent: 21 }, awaitingRetry: 0 });
    expect(main).toMatchObject({ SweepFindings: 3000 });
  });

  it('writes the lines a parser read (LinesRecognised, the heartbeat’s) apart from the rejected and unrecognised ones', () => {
    // Prepare: a log format changed by an upgrade: every line rejected or unrecognised
    const unread: IngestReport = { ...REPORT, counts: { lines: 9, events: 0, eventLines: 0, nothingToJudge: 0, rejected: 7, unrecognised: 2 }, findings: [] };
    const read: IngestReport = { ...REPORT, counts: { lines: 9, events: 6, eventLines: 5, nothingToJudge: 1, rejected: 1, unrecognised: 2 }, findings: [] };
    // Act
    const [whenUnread] = captureEmf(() => powertoolsObserver(unread));
    const [whenRead] = captureEmf(() => powertoolsObserver(read));
    // Assess
    expect(whenUnread).toMatchObject({ LinesParsed: 9, LinesRecognised: 0, LinesRejected: 7, LinesUnrecognised: 2 });
    expect(whenRead).toMatchObject({ LinesParsed: 9, LinesRecognised: 6 });
  });

  it('writes a delivery refused whole as one LinesRejected and one PayloadsRejected, no LinesParsed (lines-rejected subtracts it)', () => {
    // Prepare
    const refused = payloadRejected('payload', 'not gzip');
    // Act
    const [main] = captureEmf(() => powertoolsObserver(refused));
    // Assess
    expect(main).toMatchObject({ LinesParsed: 0, LinesRecognised: 0, LinesRejected: 1, PayloadsRejected: 1 });
  });

  it('writes LinesParsed 0 for an empty delivery, so the heartbeat alarm sees the function run', () => {
    // Act
    const documents = captureEmf(() => powertoolsObserver({ ...REPORT, status: 'control-message', counts: { lines: 0, events: 0, eventLines: 0, nothingToJudge: 0, rejected: 0, unrecognised: 0 }, findings: [], batchLagMs: undefined }));
    // Assess
    expect(documents).toHaveLength(1);
    const [main] = documents;
    expect(main).toMatchObject({ LinesParsed: 0, Findings: 0 });
    expect(main._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name)).not.toContain('BatchLag');
  });
});

describe('EMF metrics of a stack not named SilentAudit (POWERTOOLS_SERVICE_NAME, which its alarms read)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  /** The handler modules as a Lambda of that stack loads them: the service name is read when they load. */
  async function loadedAs(serviceName: string) {
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', serviceName);
    vi.resetModules();
    const [observability, sweep] = await Promise.all([import('../../lambdas/handlers/observability.ts'), import('../../lambdas/handlers/sweep.ts')]);
    return { powertoolsObserver: observability.powertoolsObserver, createSweepHandler: sweep.createSweepHandler };
  }

  it('writes the ingest function’s and the sweep’s metrics with service = the stack’s name, each findings-by-detector document too', async () => {
    // Prepare
    const handlers = await loadedAs('SilentAuditBatch');
    runSweep.mockResolvedValueOnce({ subjects: 4, subjectsLeft: 0, kindsLeft: 0, findings: [], alerts: { sent: 0, failed: 0, errors: [] }, conflicts: 0, awaitingRetry: 0, alertsLeft: 0 });
    const sweepHandler = handlers.createSweepHandler(() => ({}) as SweepDeps);

    // Act
    const ingest = captureEmf(() => handlers.powertoolsObserver(REPORT));
    const sweep = await captureEmfAsync(sweepHandler);

    // Assess
    expect(ingest.map((d) => d.service)).toEqual(['SilentAuditBatch', 'SilentAuditBatch', 'SilentAuditBatch']);
    expect(sweep.filter((d) => !byDetector(d)).map((d) => [d.service, d.SweepSubjects])).toEqual([['SilentAuditBatch', 4]]);
  });
});

describe('EMF metrics of the Kinesis consumer', () => {
  /** A store whose every write is refused, as when the table's permissions were taken away. */
  class RefusingStore extends MemoryAuditStore {
    override async commit(_commit: SubjectCommit): Promise<CommitResult> {
      throw new Error('AccessDeniedException: not authorized to perform dynamodb:TransactWriteItems');
    }
  }
  const at = Date.UTC(2026, 9, 16, 10);
  const kinesisEvent = {
    Records: [0, 1].map((i) => ({
      eventSource: 'aws:kinesis',
      eventSourceARN: 'arn:aws:kinesis:eu-central-1:123456789012:stream/logs',
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'p',
        sequenceNumber: String(100 + i),
        approximateArrivalTimestamp: 1,
        data: encodePayload({
          messageType: 'DATA_MESSAGE',
          owner: '123456789012',
          logGroup: '/jobs/etl',
          logStream: `s${i}`,
          subscriptionFilters: ['f'],
          logEvents: [{ id: String(i), timestamp: at + i, message: JSON.stringify({ ts: new Date(at + i * 1000).toISOString(), type: 'run.end', job: `job-${i}`, run_id: `r${i}`, exit_code: 2, duration_ms: 1000 }) }],
        }).awslogs.data,
      },
    })),
  };
  const handlerWith = (store: MemoryAuditStore) =>
    createKinesisIngestHandler(() => ({ store, sink: { publish: async () => undefined }, config: validateConfig({}, 'test'), clock: { now: () => at + 60_000 } }), () => undefined, { warn: () => undefined });
  const recordsFailed = (lines: readonly EmfLine[]) => lines.filter((line) => line._aws.CloudWatchMetrics[0].Metrics.some((m) => m.Name === 'KinesisRecordsFailed')).map((line) => line.KinesisRecordsFailed);

  it('writes KinesisRecordsFailed for a record given back to Lambda, which returns it rather than throwing (Errors stays 0)', async () => {
    // Prepare
    const handler = handlerWith(new RefusingStore());

    // Act
    let response: unknown;
    const lines = await captureEmfAsync(async () => (response = await handler(kinesisEvent as never)));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '100' }] });
    expect(recordsFailed(lines)).toEqual([1]);
    expect(lines.find((line) => 'KinesisRecordsFailed' in line)?._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'SilentAudit', Dimensions: [['service']] });
  });

  it('writes KinesisRecordsFailed 0 for a batch processed whole', async () => {
    // Prepare
    const handler = handlerWith(new MemoryAuditStore());

    // Act
    const lines = await captureEmfAsync(() => handler(kinesisEvent as never));

    // Assess
    expect(recordsFailed(lines)).toEqual([0]);
  });
});
