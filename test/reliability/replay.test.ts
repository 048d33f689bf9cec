import { beforeAll, describe, expect, it } from 'vitest';
import { storedState } from '../../lambdas/adapters/dynamodb-store.ts';
import { unpackRunRecords } from '../../lambdas/adapters/run-record-packs.ts';
import type { AlertState } from '../../lambdas/core/alert-policy.ts';
import { type Finding, findingKey } from '../../lambdas/core/findings.ts';
import type { JobState } from '../../lambdas/core/job-reducer.ts';
import { stateFacts } from '../../lambdas/core/report/subjects.ts';
import type { RouteState } from '../../lambdas/core/route-reducer.ts';
import { decodeSubscriptionEvent } from '../../lambdas/demo/cloudwatch-payload.ts';
import { aboutOf, type Delivering, type MonthRun, prefixOf, replayMonth, runMonth } from './month.ts';

const twice: Delivering = async (event, _lines, deliver) => {
  await deliver(event);
  await deliver(structuredClone(event));
};
/** The invocation died after committing the batch's first half; CloudWatch then redelivers the whole batch, same event ids. */
const crashThenRedeliver: Delivering = async (event, lines, deliver) => {
  await deliver(lines > 1 ? prefixOf(event, Math.ceil(lines / 2)) : event);
  await deliver(structuredClone(event));
};

const findingsOf = (items: readonly Record<string, unknown>[]) => items.filter((i) => String(i.pk).startsWith('FINDING#'));
const stateOf = (items: readonly Record<string, unknown>[], prefix: string) => items.filter((i) => String(i.pk).startsWith(prefix));
/** The run records the items hold, per subject, as `runs()` reads them back. */
const runRecordsOf = (items: readonly Record<string, unknown>[]) => {
  const pks = [...new Set(stateOf(items, 'RUN#').map((i) => String(i.pk)))].sort();
  return new Map(pks.map((pk) => [pk, unpackRunRecords(items.filter((i) => i.pk === pk), '', '\uffff')]));
};
const keysOf = (findings: readonly Finding[]) => findings.map(findingKey).sort();

describe('a realistic month delivered again: the same state, findings and alerts as one delivery', () => {
  const month = replayMonth();
  let single: MonthRun;

  beforeAll(async () => {
    single = await runMonth(month);
  });

  it('is a month of 315 batches, 854 lines, 14 findings of 9 detectors and 15 alerts, each counted once', () => {
    // Assess: the figures docs/reliability.md quotes, and the absolute counts the replays are compared against.
    expect([month.deliveries.length, month.lines, single.invocations]).toEqual([315, 854, 315]);
    const findings = findingsOf(single.items).map((i) => JSON.parse(String(i.finding)) as Finding);
    expect(findings).toHaveLength(14);
    expect(new Set(findings.map((f) => f.detector)).size).toBe(9);
    expect(keysOf(single.reported)).toEqual(keysOf(findings));
    // 12 finding alerts and 3 recovery notices; the 2 findings not alerted were folded into an alert of the same delivery.
    expect(single.publishes.map((p) => aboutOf(p).split(' ')[0])).toEqual([...Array(9).fill('finding'), 'recovery', 'finding', 'recovery', 'finding', 'recovery', 'finding']);
    expect(new Set(single.publishes.map(aboutOf)).size).toBe(15);
    const decisions = stateOf(single.items, 'STATE#alert#').flatMap((i) => Object.values((storedState(i) as AlertState).decided));
    expect(decisions.filter((d) => d.disposition !== 'sent').map((d) => [d.disposition, d.coalescedInto !== undefined])).toEqual([
      ['suppressed', true],
      ['suppressed', true],
    ]);
    // Every run of the month counted once: the job states against the run.end lines of the deliveries.
    const ends = new Map<string, number>();
    for (const d of month.deliveries) {
      for (const e of decodeSubscriptionEvent(d.event).logEvents) {
        const job = /"type":"run\.end".*?"job":"([^"]+)"/.exec(e.message)?.[1];
        if (job) ends.set(job, (ends.get(job) ?? 0) + 1);
      }
    }
    const stateOfJob = (job: string) => storedState(single.items.find((i) => i.pk === `STATE#job#${job}`) ?? {}) as JobState;
    expect([...ends].map(([job]) => stateOfJob(job).runs)).toEqual([...ends.values()]);
    // As the report and the MCP server count them: a Lambda function's first invocation, START read before its own run.start, once too.
    expect([...ends].map(([job]) => stateFacts(stateOfJob(job)).runs)).toEqual([...ends.values()]);
    expect([...ends.values()].reduce((a, b) => a + b, 0)).toBe(66);
    const route = storedState(single.items.find((i) => i.pk === 'STATE#route#search-api') ?? {}) as RouteState;
    expect(route.totals).toEqual({ requests: 101, retried: 11, failed: 0, attempts: 112 });
  });

  it('every batch delivered twice: the table, the findings and the SNS publishes are identical, item for item', async () => {
    // Act
    const replayed = await runMonth(month, { delivering: twice });
    // Assess: nothing excluded — a redelivered batch writes nothing and publishes nothing.
    expect(replayed.invocations).toBe(2 * single.invocations);
    expect(replayed.items).toEqual(single.items);
    expect(keysOf(replayed.reported)).toEqual(keysOf(single.reported));
    expect(replayed.publishes).toEqual(single.publishes);
  });

  it('a crash mid-batch and the redelivery of the whole batch: the same state, findings and alerts', async () => {
    // Act
    const recovered = await runMonth(month, { delivering: crashThenRedeliver });
    // Assess
    expect(recovered.invocations).toBe(2 * single.invocations);
    expect(keysOf(recovered.reported)).toEqual(keysOf(single.reported));
    expect(findingsOf(recovered.items)).toEqual(findingsOf(single.items));
    expect(recovered.publishes).toEqual(single.publishes);
    // A subject the crashed invocation committed is written twice (its version is one higher), and
    // its state is serialised from a different path (key order in `data`): compared as parsed objects.
    const asState = (items: readonly Record<string, unknown>[]) => items.map(({ version: _v, data: _d, dataz: _z, ...rest }, i) => ({ ...rest, state: storedState(items[i]) }));
    expect(asState(stateOf(recovered.items, 'STATE#'))).toEqual(asState(stateOf(single.items, 'STATE#')));
    // Run records are packed per commit: a subject's runs committed before the crash and after it
    // are in two items where one delivery wrote one, so they are compared as records.
    expect(runRecordsOf(recovered.items)).toEqual(runRecordsOf(single.items));
    expect(runRecordsOf(single.items).size).toBeGreaterThan(0);
  });
});
