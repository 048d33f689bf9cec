import { join } from 'node:path';
import { ConsoleAlertSink, FileAlertSink } from '../adapters/console-alert-sink.ts';
import { localDynamoClient, startDynamoDbLocal } from '../adapters/dynamodb-local.ts';
import { DynamoExceptionStore } from '../adapters/dynamodb-exception-store.ts';
import { DynamoAuditStore } from '../adapters/dynamodb-store.ts';
import { writeWholeFile } from '../adapters/write-whole-file.ts';
import { validateConfig } from '../config.ts';
import type { AlertMessage } from '../core/alert-policy-messages.ts';
import type { Finding } from '../core/findings.ts';
import type { IngestReport } from '../core/ingest.ts';
import { addCounts, describeCounts, linesCount } from '../core/line-tally.ts';
import { listsBy } from '../core/report/lookup.ts';
import { runSweep } from '../core/sweep.ts';
import { textTable } from '../core/text-table.ts';
import { controlMessage, type Delivery, monthToDeliveries } from '../demo/cloudwatch-payload.ts';
import { DEMO_SEED, generateMonth } from '../demo/generate-month.ts';
import { createIngestHandler } from '../handlers/ingest.ts';
import type { AlertSink } from '../ports.ts';
import { writeReportFiles } from './report-command.ts';

export interface DemoOptions {
  readonly month: string;
  readonly seed?: number;
  readonly outDir: string;
  readonly stdout: NodeJS.WritableStream;
}

/** How long after a batch's last event CloudWatch delivers it, in the simulated clock. */
const DELIVERY_DELAY_MS = 30_000;

/** Every message to each of the local sinks (both send messages: notices and storm summaries reach them too). */
class TeeAlertSink implements AlertSink {
  constructor(private readonly sinks: ReadonlyArray<ConsoleAlertSink | FileAlertSink>) {}
  async publish(finding: Finding): Promise<void> {
    for (const sink of this.sinks) await sink.publish(finding);
  }
  async send(message: AlertMessage): Promise<void> {
    for (const sink of this.sinks) await sink.send(message);
  }
}

/**
 * `silent-audit demo` (and `npm start`): the whole pipeline on the embedded default. It starts
 * DynamoDB Local, generates a month of job logs with planted silent failures, delivers them as
 * real CloudWatch Logs subscription payloads to the real ingest handler in time order, prints
 * alerts as they fire, then a summary; it stops what it started.
 */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const say = (s = '') => opts.stdout.write(`${s}\n`);
  const started = Date.now();
  say(`silent-audit demo: ${opts.month}, seed ${opts.seed ?? DEMO_SEED}`);
  say('Starting DynamoDB Local (Java) …');
  const local = await startDynamoDbLocal();
  const client = localDynamoClient(local.endpoint);
  try {
    const table = 'silent-audit-demo';
    await DynamoAuditStore.ensureTable(client, table);
    say(`DynamoDB Local at ${local.endpoint}, table ${table}`);

    const month = generateMonth({ month: opts.month, seed: opts.seed ?? DEMO_SEED });
    const config = validateConfig(month.config, 'demo config');
    const deliveries = monthToDeliveries(month);
    const totalLines = deliveries.reduce((n, d) => n + d.lines, 0);
    say(`Generated ${new Set(month.logGroups.map((g) => g.logGroup)).size} log groups (${month.logGroups.length} log streams), ${totalLines.toLocaleString('en-US')} log lines, ${deliveries.length.toLocaleString('en-US')} subscription deliveries (and the control message CloudWatch Logs sends first)`);
    say('');

    const alertsFile = join(opts.outDir, 'alerts.jsonl');
    writeWholeFile(alertsFile, '', { makeFolder: true });
    const consoleSink = new ConsoleAlertSink((line) => say(line));
    const sink = new TeeAlertSink([consoleSink, new FileAlertSink(alertsFile)]);
    const store = new DynamoAuditStore(client, table, { stateCacheSize: 100 });
    const reports: IngestReport[] = [];
    const sweepFindings: Finding[] = [];

    // Each log group's deliveries go to the handler in time order, the groups side by side (as
    // Lambda runs concurrent invocations), one simulated day at a time; the sweep runs at the end
    // of each day, as the deployed schedule would, to judge missed and unfinished runs.
    const handlerAt = (now: number) =>
      createIngestHandler(
        () => ({ store, sink, config, clock: { now: () => now } }),
        (r) => reports.push(r),
      );
    if (deliveries.length > 0) await handlerAt(deliveries[0].deliverAt)(controlMessage());
    for (const day of deliveriesByDay(deliveries)) {
      await Promise.all(
        [...listsBy(day.deliveries, (d) => d.logGroup).values()].map(async (group) => {
          for (const delivery of group) await handlerAt(delivery.deliverAt + DELIVERY_DELAY_MS)(delivery.event);
        }),
      );
      const swept = await runSweep({ store, sink, config, clock: { now: () => day.end } });
      sweepFindings.push(...swept.findings);
    }

    const findings = [...reports.flatMap((r) => r.findings), ...sweepFindings].sort((a, b) => a.ts.localeCompare(b.ts));
    const counts = addCounts(reports.map((r) => r.counts));
    say('');
    say(summaryTable(findings));
    say('');
    const caught = month.planted.filter((p) => findings.some((f) => f.detector === p.detector && f.subject === p.job && (p.run_id ? f.run_id === p.run_id : f.ts.startsWith(p.day))));
    say(
      `Read ${linesCount(counts.lines)} in ${reports.length.toLocaleString('en-US')} deliveries: ${describeCounts(counts)}; ` +
        `${findings.length} findings, ${consoleSink.sent.length} alerts sent.`,
    );
    say(`Planted silent failures caught: ${caught.length} of ${month.planted.length}.`);
    for (const missed of month.planted.filter((p) => !caught.includes(p))) say(`  missed: ${missed.detector} on ${missed.job} ${missed.day} (${missed.note})`);

    const summary = { month: opts.month, seed: opts.seed ?? DEMO_SEED, counts, deliveries: reports.length, findings: findings.length, alerts: consoleSink.sent.length, planted: month.planted.length, caught: caught.length };
    writeWholeFile(join(opts.outDir, 'findings.jsonl'), findings.map((f) => JSON.stringify(f)).join('\n') + (findings.length ? '\n' : ''));
    writeWholeFile(join(opts.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    say(`Wrote ${alertsFile}, ${join(opts.outDir, 'findings.jsonl')} and ${join(opts.outDir, 'summary.json')}.`);
    const reportFiles = await writeReportFiles(opts.month, { findings: store, runs: store, catalog: store, exceptions: new DynamoExceptionStore(client, table, { states: store, redact: config.redact }), config }, opts.outDir);
    say(`Wrote the ${opts.month} audit report: ${reportFiles.documents.map((d) => d.uri).join(', ')}.`);
    say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return 0;
  } finally {
    client.destroy();
    await local.stop();
  }
}

/** Deliveries split by the UTC day they are delivered on, with each day's end. */
function deliveriesByDay(deliveries: readonly Delivery[]): { end: number; deliveries: Delivery[] }[] {
  const days = listsBy(deliveries, (d) => new Date(d.deliverAt + DELIVERY_DELAY_MS).toISOString().slice(0, 10));
  return [...days].map(([day, list]) => ({ end: Date.parse(`${day}T00:00:00Z`) + 86_400_000 - 1, deliveries: list }));
}

/** Findings per subject and detector: one row per subject, one column per detector that fired. */
function summaryTable(findings: readonly Finding[]): string {
  const detectors = [...new Set(findings.map((f) => f.detector))].sort();
  const subjects = [...new Set(findings.map((f) => f.subject))].sort();
  const rows = subjects.map((s) => [s, ...detectors.map((d) => String(findings.filter((f) => f.subject === s && f.detector === d).length || '·'))]);
  return textTable(['SUBJECT', ...detectors], rows);
}
