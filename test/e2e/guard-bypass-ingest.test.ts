import { gzipSync } from 'node:zlib';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoExceptionStore } from '../../lambdas/adapters/dynamodb-exception-store.ts';
import { SnsAlertSink } from '../../lambdas/adapters/sns-alert-sink.ts';
import { validateConfig } from '../../lambdas/config.ts';
import { addException } from '../../lambdas/core/exception-registry.ts';
import type { IngestReport } from '../../lambdas/core/ingest.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { powertoolsObserver } from '../../lambdas/handlers/observability.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:silent-audit-alerts';
let nextId = 1n;

/** A subscription delivery as CloudWatch Logs sends it (gzip + base64), lines in Lambda's console format. */
function delivery(lines: { ts: string; body: Record<string, unknown> }[]): CloudWatchLogsEvent {
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/lambda/support-bot',
    logStream: '2026/10/15/[$LATEST]0123456789abcdef',
    subscriptionFilters: ['silent-audit-ingest'],
    logEvents: lines.map((l) => ({
      id: String(37_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + nextId++),
      timestamp: Date.parse(l.ts),
      message: `${l.ts}\t8f5e2c1a-0000-4000-8000-000000000000\tINFO\t${JSON.stringify(l.body)}`,
    })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } };
}

const bypass = (ts: string, fields: Record<string, unknown>) => ({ ts, body: { type: 'guard.bypass', guard: 'pii-redaction', actor: 'support-bot', ...fields } });

describe('guard bypasses through the ingest handler, judged against the registry in DynamoDB', () => {
  it('judges each bypass against the registry (config seeds and CLI additions), counts it once, and alerts', async () => {
    // Prepare: EX-12 valid and EX-7 expired (from the config), EX-20 added with the CLI for another guard.
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const now = Date.parse('2026-10-15T12:00:00Z');
    const { store, client, table } = await freshDynamoStore({ clock: () => now });
    const exceptions = new DynamoExceptionStore(client, table, { states: store });
    const config = validateConfig({
      exceptions: [
        { id: 'EX-12', guard: 'pii-redaction', reason: 'support workflow needs raw logs', owner: 'alice@example.com', expires: '2026-12-31' },
        { id: 'EX-7', guard: 'pii-redaction', reason: 'migration', owner: 'carol@example.com', expires: '2026-09-30' },
      ],
    });
    await addException(exceptions, { id: 'EX-20', guard: 'approval-step', reason: 'refund backlog', owner: 'dave@example.com', expires: '2026-11-30', by: 'dave' }, { now, maxDays: 90 });
    const reports: IngestReport[] = [];
    const deps = { store, exceptions, sink: new SnsAlertSink(new SNSClient({ region: 'eu-west-1' }), TOPIC), config, clock: { now: () => now } };
    const handler = createIngestHandler(() => deps, (r) => reports.push(r));
    const event = delivery([
      bypass('2026-10-15T10:00:00.000Z', { exception_id: 'EX-12' }),
      bypass('2026-10-15T10:05:00.000Z', { exception_id: 'EX-12' }),
      bypass('2026-10-15T10:10:00.000Z', { exception_id: 'EX-7' }),
      bypass('2026-10-15T10:15:00.000Z', { exception_id: 'EX-20' }),
      bypass('2026-10-15T10:20:00.000Z', {}),
    ]);

    // Act
    const first = await handler(event);
    const redelivered = await handler(event);

    // Assess
    expect(first.findings.map((f) => [f.detector, f.ts, f.evidence.exception_id ?? null])).toEqual([
      ['guard-exception-expired', '2026-10-15T10:10:00Z', 'EX-7'],
      ['guard-bypass-unregistered', '2026-10-15T10:15:00Z', 'EX-20'],
      ['guard-bypass-unregistered', '2026-10-15T10:20:00Z', null],
    ]);
    expect(first.findings[1].message).toBe('guard "pii-redaction" bypassed by support-bot under EX-20, which is an exception for guard "approval-step", not this one');
    expect(first.bypasses).toEqual({ byGuard: { 'pii-redaction': 5 }, byException: { 'EX-12': 2, 'EX-7': 1, 'EX-20': 1 } });
    // Stored with the state; alerted (how findings are grouped into messages is the alert policy's business).
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    expect(stored.map((f) => f.detector)).toEqual(['guard-exception-expired', 'guard-bypass-unregistered', 'guard-bypass-unregistered']);
    // The two unregistered bypasses of one delivery make one alert ("1 more like it").
    expect(first.alerts).toMatchObject({ sent: 2, failed: 0, suppressed: 1 });
    const subjects = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
    expect(subjects).toEqual(['[HIGH] guard-exception-expired: pii-redaction', '[HIGH] guard-bypass-unregistered: pii-redaction']);
    expect(redelivered.findings).toEqual([]);
    expect((await exceptions.list()).map((e) => [e.id, e.origin, e.bypass_count])).toEqual([
      ['EX-12', 'config', 2],
      ['EX-20', 'cli', 0],
      ['EX-7', 'config', 1],
    ]);
    expect(reports).toHaveLength(2);
  });

  it('emits bypass counts per guard and per exception as CloudWatch metrics (EMF)', () => {
    // Prepare
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    const report: IngestReport = {
      status: 'processed',
      counts: { lines: 3, events: 3, eventLines: 3, nothingToJudge: 0, rejected: 0, unrecognised: 0 },
      rejections: [],
      findings: [],
      alerts: { sent: 0, failed: 0, errors: [] },
      conflicts: 0,
      bypasses: { byGuard: { 'pii-redaction': 3 }, byException: { 'EX-12': 2 } },
    };
    // Act
    try {
      powertoolsObserver(report);
    } finally {
      spy.mockRestore();
    }
    // Assess
    const emf = written.flatMap((w) => w.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((o) => o._aws);
    expect(emf.find((o) => o.Guard === 'pii-redaction')).toMatchObject({ GuardBypasses: 3 });
    expect(emf.find((o) => o.ExceptionId === 'EX-12')).toMatchObject({ ExceptionBypasses: 2 });
  });
});
