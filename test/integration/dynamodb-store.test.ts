import { createHash, randomBytes } from 'node:crypto';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, DEFAULT_RUN_RETENTION_DAYS } from '../../lambdas/config.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { findingKey, isoTime } from '../../lambdas/core/findings.ts';
import type { JobState } from '../../lambdas/core/job-reducer.ts';
import { processBatch } from '../../lambdas/core/pipeline.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import { run } from '../helpers/events.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';
import { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';

const ctx = { config: DEFAULT_CONFIG, clock: { now: () => Date.parse('2026-11-01T00:00:00Z') } };

function finding(ts: string, detector: Finding['detector'] = 'run-failed'): Finding {
  return { detector, subject: 'backup', subject_kind: 'job', run_id: `r-${ts}`, ts, severity: 'high', message: 'exit 1', evidence: { exit_code: 1 } };
}

describe('DynamoAuditStore against DynamoDB Local', () => {
  it('writes state conditionally on the version it read', async () => {
    // Prepare
    const { store } = await freshDynamoStore();
    // Act
    const first = await store.commit({ key: 'job#backup', expectedVersion: 0, state: { n: 1 }, findings: [], records: [] });
    const stale = await store.commit({ key: 'job#backup', expectedVersion: 0, state: { n: 99 }, findings: [], records: [] });
    const second = await store.commit({ key: 'job#backup', expectedVersion: 1, state: { n: 2 }, findings: [], records: [] });
    // Assess
    expect([first, stale, second]).toEqual(['committed', 'conflict', 'committed']);
    const loaded = await store.load(['job#backup', 'job#none']);
    expect(loaded.get('job#backup')).toEqual({ state: { n: 2 }, version: 2 });
    expect(loaded.has('job#none')).toBe(false);
  });

  it('writes a state alone as one conditional put (half the write units of a transaction), and a state with findings or records as one transaction', async () => {
    // Prepare: a store whose client notes every command it sends, and the item it put
    const { client, table, store } = await freshDynamoStore();
    const sent: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String((context as { commandName?: string }).commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'noteCommands' },
    );
    const f = finding('2026-10-05T02:31:07Z');
    const expiresAt = Date.parse('2026-11-30T00:00:00Z');
    // Act
    const results = [
      await store.commit({ key: 'agentrun#r-1', expectedVersion: 0, state: { n: 1 }, findings: [], records: [], expiresAt }),
      await store.commit({ key: 'agentrun#r-1', expectedVersion: 0, state: { n: 9 }, findings: [], records: [] }),
      await store.commit({ key: 'agentrun#r-1', expectedVersion: 1, state: { n: 2 }, findings: [], records: [], expiresAt }),
      await store.commit({ key: 'job#backup', expectedVersion: 0, state: { n: 1 }, findings: [f], records: [] }),
      await store.commit({ key: 'job#backup', expectedVersion: 1, state: { n: 2 }, findings: [], records: [{ subject: 'backup', subject_kind: 'job', run_id: 'r-2', ts: f.ts, status: 'ok' }] }),
    ];
    // Assess: the lost put is a conflict and leaves the state as it was; the put item is the transaction's item
    expect(results).toEqual(['committed', 'conflict', 'committed', 'committed', 'committed']);
    expect(sent).toEqual(['PutItem', 'PutItem', 'PutItem', 'TransactWriteItems', 'TransactWriteItems']);
    expect(await store.loadCurrent(['agentrun#r-1', 'job#backup'])).toEqual(
      new Map([
        ['agentrun#r-1', { state: { n: 2 }, version: 2 }],
        ['job#backup', { state: { n: 2 }, version: 2 }],
      ]),
    );
    const items = await client.send(new ScanCommand({ TableName: table }));
    const run = items.Items?.find((i) => i.pk.S === 'STATE#agentrun#r-1');
    expect(run).toMatchObject({ sk: { S: 'STATE' }, version: { N: '2' }, data: { S: '{"n":2}' }, catalog: { S: 'agentrun' }, ttl: { N: String(expiresAt / 1000) } });
  });

  it('stores a state of 1 KB or more deflated, reads it back, and still reads states stored as JSON text', async () => {
    // Prepare: a job-like state (a ring of fingerprints, a baseline window) of ~14 KB, and one stored as text before deflating
    const { client, table, store } = await freshDynamoStore();
    const ring = Array.from({ length: 1000 }, (_, i) => createHash('sha256').update(`run-${i}`).digest('base64url').slice(0, 8)).join('');
    const state = { processedRing: ring, durations: Array.from({ length: 200 }, (_, i) => 60_000 + i * 37), hosts: { 'web-1.internal': 700, 'web-2.internal': 300 } };
    await client.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'STATE#job#legacy' }, sk: { S: 'STATE' }, version: { N: '3' }, data: { S: JSON.stringify(state) } } }),
    );
    // Act
    expect(await store.commit({ key: 'job#big', expectedVersion: 0, state, findings: [], records: [] })).toBe('committed');
    // Assess: binary, and a quarter smaller or more (the ring is random: 6 bits in each 8-bit character)
    const items = (await client.send(new ScanCommand({ TableName: table }))).Items ?? [];
    const big = items.find((i) => i.pk.S === 'STATE#job#big');
    expect(big?.data).toBeUndefined();
    expect(big?.dataz.B?.byteLength).toBeLessThan(0.75 * JSON.stringify(state).length);
    expect(await store.loadCurrent(['job#big', 'job#legacy'])).toEqual(
      new Map([
        ['job#big', { state, version: 1 }],
        ['job#legacy', { state, version: 3 }],
      ]),
    );
  });

  it('loads a key asked for twice once (BatchGetItem refuses a duplicate key)', async () => {
    // Prepare
    const { store } = await freshDynamoStore();
    await store.commit({ key: 'job#a', expectedVersion: 0, state: { n: 1 }, findings: [], records: [] });
    // Act
    const loaded = await store.load(['job#a', 'job#b', 'job#a']);
    const current = await store.loadCurrent(['job#a', 'job#a']);
    // Assess
    expect(loaded).toEqual(new Map([['job#a', { state: { n: 1 }, version: 1 }]]));
    expect(current).toEqual(new Map([['job#a', { state: { n: 1 }, version: 1 }]]));
  });

  it('lists the subjects of a kind with their state through the catalog index', async () => {
    const { store } = await freshDynamoStore();
    await store.commit({ key: 'job#b', expectedVersion: 0, state: { n: 2 }, findings: [], records: [] });
    await store.commit({ key: 'job#a', expectedVersion: 0, state: { n: 1 }, findings: [], records: [] });
    await store.commit({ key: 'route#search', expectedVersion: 0, state: { r: 1 }, findings: [], records: [] });
    expect(await store.subjects('job')).toEqual([
      { key: 'job#a', state: { n: 1 }, version: 1 },
      { key: 'job#b', state: { n: 2 }, version: 1 },
    ]);
    expect((await store.subjects('route')).map((s) => s.key)).toEqual(['route#search']);
    expect(await store.subjects('agent')).toEqual([]);
  });

  it('lists a state under the catalog kind its last write named (listedAs) and only there: the sweep queries the alert states due a look, not all', async () => {
    // Prepare
    const { store } = await freshDynamoStore();
    await store.commit({ key: 'alert#job#steady', expectedVersion: 0, state: { flapping: false }, findings: [], records: [] });
    await store.commit({ key: 'alert#job#flaky', expectedVersion: 0, state: { flapping: true }, findings: [], records: [], listedAs: 'alert-due' });
    // Act
    const dueWhileFlapping = await store.subjects('alert-due');
    const alertWhileFlapping = (await store.subjects('alert')).map((s) => s.key);
    await store.commit({ key: 'alert#job#flaky', expectedVersion: 1, state: { flapping: false }, findings: [], records: [] });
    // Assess
    expect(dueWhileFlapping).toEqual([{ key: 'alert#job#flaky', state: { flapping: true }, version: 1 }]);
    expect(alertWhileFlapping).toEqual(['alert#job#steady']);
    expect(await store.subjects('alert-due')).toEqual([]);
    expect((await store.subjects('alert')).map((s) => s.key)).toEqual(['alert#job#flaky', 'alert#job#steady']);
  });

  it('stores findings with the state, each once, pending until alerted', async () => {
    const { store } = await freshDynamoStore();
    const f = finding('2026-10-05T02:31:07Z');
    await store.commit({ key: 'job#backup', expectedVersion: 0, state: {}, findings: [f], records: [] });
    // The same finding again (an interrupted earlier attempt wrote it): kept as it is, no error.
    await store.commit({ key: 'job#backup', expectedVersion: 1, state: {}, findings: [f], records: [] });
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    expect(stored).toEqual([{ ...f, key: findingKey(f), alerted: false }]);
    expect((await store.pendingAlerts(10)).map((p) => p.key)).toEqual([findingKey(f)]);

    expect(await store.claimAlert(findingKey(f), 1000, 60_000)).toEqual({});
    expect(await store.claimAlert(findingKey(f), 2000, 60_000)).toBe(false);
    expect(await store.markAlerted(findingKey(f))).toBe(true);
    expect(await store.markAlerted(findingKey(f))).toBe(false);
    expect(await store.pendingAlerts(10)).toEqual([]);
    expect((await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }))[0].alerted).toBe(true);
  });

  it('tells a claim that an earlier claim ran out neither marked nor released (its send not confirmed), counts such a finding as waiting, and keeps that through a failed send', async () => {
    // Prepare: a stored finding claimed at 1000, its mark never written (the invocation lost DynamoDB after its publish).
    const { store } = await freshDynamoStore();
    const f = finding('2026-10-05T02:31:07Z');
    const key = findingKey(f);
    await store.commit({ key: 'job#backup', expectedVersion: 0, state: {}, findings: [f], records: [] });
    const first = await store.claimAlert(key, 1000, 60_000);
    const waitingWhileClaimed = await store.alertsAwaitingRetry();
    // Act: claimed again after the lease; that send is refused; claimed again at its retry.
    const second = await store.claimAlert(key, 70_000, 60_000);
    await store.releaseAlert(key, { failures: 1, first_at: 70_000, error: 'refused', retry_at: 70_000, unconfirmed_send_at: 1000 });
    const waitingAfterFailure = await store.alertsAwaitingRetry();
    const third = await store.claimAlert(key, 80_000, 60_000);
    await store.markAlerted(key);
    // Assess
    expect([first, second, third]).toEqual([{}, { unconfirmedSendAt: 1000 }, { unconfirmedSendAt: 1000 }]);
    expect([waitingWhileClaimed, waitingAfterFailure, await store.alertsAwaitingRetry()]).toEqual([1, 1, 0]);
  });

  it('reads back a pending finding\'s unconfirmed claim (alert_claimed_at) once its lease is over, and counts only the never-claimed one in alertsPending', async () => {
    // Prepare: two stored findings; one claimed at 1000 and never marked nor released (the invocation died)
    const { store } = await freshDynamoStore();
    const claimed = finding('2026-10-05T02:31:07Z');
    const unclaimed = finding('2026-10-05T02:32:07Z');
    await store.commit({ key: 'job#backup', expectedVersion: 0, state: {}, findings: [claimed, unclaimed], records: [] });
    await store.claimAlert(findingKey(claimed), 1000, 60_000);

    // Act: read after the claim's lease
    const pending = await store.pendingAlerts(10, 70_000);

    // Assess
    expect(pending.map((p) => [p.key, p.alert_claimed_at])).toEqual([
      [findingKey(claimed), 1000],
      [findingKey(unclaimed), undefined],
    ]);
    expect(await store.alertsPending()).toBe(1);
    expect(await store.alertsAwaitingRetry()).toBe(1);
  });

  it('reads back from a claim only the fields it changed, not the stored finding, and still tells it of an unconfirmed send kept through a failed one', async () => {
    // Prepare: a stored finding with a large output tail; every item DynamoDB returns is noted.
    const { store } = await freshDynamoStore();
    const f = { ...finding('2026-10-05T02:31:07Z'), evidence: { exit_code: 1, output_tail: 'x'.repeat(6000) } };
    const key = findingKey(f);
    await store.commit({ key: 'job#backup', expectedVersion: 0, state: {}, findings: [f], records: [] });
    const doc = (store as unknown as { doc: { send: (command: unknown) => Promise<{ Attributes?: Record<string, unknown> }> } }).doc;
    const send = doc.send.bind(doc);
    const returned: string[][] = [];
    doc.send = async (command) => {
      const out = await send(command);
      if (out.Attributes) returned.push(Object.keys(out.Attributes).sort());
      return out;
    };
    // Act: claimed, its lease runs out unconfirmed; claimed again and refused; claimed at its retry.
    await store.claimAlert(key, 1000, 60_000);
    const second = await store.claimAlert(key, 70_000, 60_000);
    await store.releaseAlert(key, { failures: 1, first_at: 70_000, error: 'refused', retry_at: 70_000, unconfirmed_send_at: 1000 });
    const third = await store.claimAlert(key, 80_000, 60_000);
    // Assess: no claim carried the finding back; the unconfirmed send is told both times.
    expect([second, third]).toEqual([{ unconfirmedSendAt: 1000 }, { unconfirmedSendAt: 1000 }]);
    expect(returned.flat()).not.toContain('finding');
    expect(returned.flat().every((name) => ['claimed_at', 'lease_until'].includes(name))).toBe(true);
  });

  it('claims a finding released without a failure as a send surely not made', async () => {
    // Prepare
    const { store } = await freshDynamoStore();
    const f = finding('2026-10-05T02:31:07Z');
    await store.commit({ key: 'job#backup', expectedVersion: 0, state: {}, findings: [f], records: [] });
    await store.claimAlert(findingKey(f), 1000, 60_000);
    await store.releaseAlert(findingKey(f));
    // Act
    const claim = await store.claimAlert(findingKey(f), 2000, 60_000);
    // Assess
    expect(claim).toEqual({});
  });

  it('stores a finding whose key passes DynamoDB\'s 1,024-byte sort key (names of 256 characters not in ASCII), once, and alerts it by its key', async () => {
    // Prepare: a job and run named in 256 Japanese characters each: a key of 1,568 bytes.
    const { store } = await freshDynamoStore();
    const f = { ...finding('2026-10-05T02:31:07Z'), subject: '日'.repeat(256), run_id: '本'.repeat(256) };

    // Act
    await store.commit({ key: `job#${f.subject}`, expectedVersion: 0, state: {}, findings: [f], records: [] });
    await store.commit({ key: `job#${f.subject}`, expectedVersion: 1, state: {}, findings: [f], records: [] });
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    const pending = (await store.pendingAlerts(10)).map((p) => p.key);
    const claimed = await store.claimAlert(findingKey(f), 1000, 60_000);
    const marked = await store.markAlerted(findingKey(f));

    // Assess
    expect(Buffer.byteLength(findingKey(f))).toBeGreaterThan(1024);
    expect(stored).toEqual([{ ...f, key: findingKey(f), alerted: false }]);
    expect(pending).toEqual([findingKey(f)]);
    expect([claimed, marked]).toEqual([{}, true]);
    expect(await store.pendingAlerts(10)).toEqual([]);
  });

  it('writes a finding whose key came twice in one commit once: DynamoDB refuses a transaction with two writes to one item', async () => {
    // Prepare: a store whose client notes the items of every transaction it sends
    const { client, store } = await freshDynamoStore();
    const transactions: string[][] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TransactItems?: { Put?: { Item?: Record<string, { S?: string }> } }[] };
        if ((context as { commandName?: string }).commandName === 'TransactWriteItemsCommand') {
          transactions.push((input.TransactItems ?? []).map((t) => `${t.Put?.Item?.pk?.S}|${t.Put?.Item?.sk?.S}`));
        }
        return next(args);
      },
      { step: 'serialize', name: 'noteTransactions', priority: 'low' },
    );
    const f = finding('2026-10-05T02:31:07Z');

    // Act
    const result = await store.commit({ key: 'job#backup', expectedVersion: 0, state: {}, findings: [f, { ...f }, finding('2026-10-05T02:31:08Z')], records: [] });

    // Assess
    expect(result).toBe('committed');
    expect(transactions).toHaveLength(1);
    expect(new Set(transactions[0]).size).toBe(transactions[0].length);
    expect(transactions[0]).toHaveLength(3);
    expect(await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' })).toHaveLength(2);
  });

  it('drains a newer pending alert past older ones whose sends fail every time, and gives a finding up out of the outbox', async () => {
    // Prepare: three old findings whose alerts SNS refuses fill the drain; a newer one was left pending.
    const { store } = await freshDynamoStore();
    const poison = [1, 2, 3].map((i) => ({ ...finding(`2026-10-05T02:3${i}:00Z`), subject: `poison-${i}` }));
    const newer = finding('2026-10-05T03:00:00Z');
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [...poison, newer], records: [] });
    const sent: string[] = [];
    const sink = {
      publish: async () => undefined,
      send: async (m: AlertMessage) => {
        if (m.subject.startsWith('poison')) throw new Error(`InvalidParameter: message about ${m.subject} refused`);
        sent.push(m.subject);
      },
    };
    const start = Date.parse('2026-10-05T04:00:00Z');
    // Act: a sweep every 5 minutes for 45 minutes.
    for (let at = start; at < start + 2_700_000; at += 300_000) await deliverAlerts([], store, sink, { now: () => at }, { drainLimit: 3 });
    // Assess: the newer alert went out; the refused ones wait, recorded with their error.
    expect(sent).toEqual(['backup']);
    const waiting = await store.pendingAlerts(10);
    expect(waiting.map((f) => [f.subject, f.alert_failure?.error])).toEqual([1, 2, 3].map((i) => [`poison-${i}`, `InvalidParameter: message about poison-${i} refused`]));
    expect(await store.pendingAlerts(10, start + 2_700_000)).toEqual([]);
    // Assess: all three counted as waiting for a retry (the sweep's gauge), leased as they are.
    expect(await store.alertsAwaitingRetry()).toBe(3);
    // Act: one of them given up.
    const key = findingKey(poison[0]);
    await store.releaseAlert(key, { ...waiting[0].alert_failure!, gave_up: true });
    // Assess: out of the outbox, not alerted, cannot be claimed or marked.
    expect((await store.pendingAlerts(10)).map((f) => f.subject)).toEqual(['poison-2', 'poison-3']);
    expect(await store.alertsAwaitingRetry()).toBe(2);
    const stored = (await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' })).find((f) => f.key === key);
    expect([stored?.alerted, stored?.alert_failure?.gave_up]).toEqual([false, true]);
    expect(await store.claimAlert(key, start + 86_400_000, 60_000)).toBe(false);
    expect(await store.markAlerted(key)).toBe(false);
  });

  it('drains a newer pending alert, and a failed one due again, past more failed ones waiting to retry than ten pages of the drain hold', async () => {
    // Prepare: 25 old findings whose sends failed wait an hour to retry, one failed finding is due again
    // (its key sorts after all of them), and a newer finding was left pending; the drain takes 2.
    const { store } = await freshDynamoStore();
    const start = Date.parse('2026-10-05T04:00:00Z');
    const waiting = Array.from({ length: 25 }, (_, i) => ({ ...finding(isoTime(Date.parse('2026-10-04T00:00:00Z') + i * 60_000)), subject: `poison-${i}` }));
    const due = finding('2026-10-04T23:00:00Z');
    const newer = finding('2026-10-05T03:00:00Z');
    await store.commit({ key: 'job#seed', expectedVersion: 0, state: {}, findings: [...waiting, due, newer], records: [] });
    const failure = { failures: 8, first_at: start - 86_400_000, error: 'InvalidParameter: refused' };
    for (const f of waiting) await store.releaseAlert(findingKey(f), { ...failure, retry_at: start + 3_600_000 });
    await store.releaseAlert(findingKey(due), { ...failure, retry_at: start - 60_000 });
    // Act
    const drained = await store.pendingAlerts(2, start);
    // Assess: the waiting ones are passed over, however many stand in front
    expect(drained.map((f) => f.key)).toEqual([findingKey(due), findingKey(newer)]);
    expect(drained[0].alert_failure?.failures).toBe(8);
  });

  it('queries findings across months and filters by detector and subject', async () => {
    const { store } = await freshDynamoStore();
    const findings = [finding('2026-09-30T23:00:00Z'), finding('2026-10-01T01:00:00Z', 'empty-output'), finding('2026-10-31T23:59:59Z'), finding('2026-11-01T00:00:00Z')];
    await store.commit({ key: 'job#backup', expectedVersion: 0, state: {}, findings, records: [] });
    const october = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    expect(october.map((f) => f.ts)).toEqual(['2026-10-01T01:00:00Z', '2026-10-31T23:59:59Z']);
    const both = await store.query({ from: '2026-09-01T00:00:00Z', to: '2026-11-30T00:00:00Z', detector: 'run-failed' });
    expect(both.map((f) => f.ts)).toEqual(['2026-09-30T23:00:00Z', '2026-10-31T23:59:59Z', '2026-11-01T00:00:00Z']);
  });

  it('writes more findings and run records than one transaction holds', async () => {
    const { store } = await freshDynamoStore();
    const findings = Array.from({ length: 120 }, (_, i) => finding(isoTime(Date.parse('2026-10-01T00:00:00Z') + i * 60_000)));
    const records = findings.map((f) => ({ subject: 'backup', subject_kind: 'job' as const, run_id: f.run_id!, ts: f.ts, status: 'failed' as const }));
    expect(await store.commit({ key: 'job#backup', expectedVersion: 0, state: {}, findings, records })).toBe('committed');
    expect(await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' })).toHaveLength(120);
    expect(await store.runs('job#backup', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')).toHaveLength(120);
  });

  it('commits findings of more than a transaction’s 4 MB (70 with evidence near its 64 KB bound): what does not fit is written on its own', async () => {
    // Prepare
    const { store } = await freshDynamoStore();
    const findings = Array.from({ length: 70 }, (_, i) => ({
      ...finding(isoTime(Date.parse('2026-10-01T00:00:00Z') + i * 60_000)),
      evidence: { output_head: `${i}`.padEnd(60_000, 'x') },
    }));
    // Act
    const committed = await store.commit({ key: 'job#backup', expectedVersion: 0, state: { n: 70 }, findings, records: [] });
    // Assess
    expect(committed).toBe('committed');
    const stored = await store.query({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
    expect(stored.map((f) => f.evidence.output_head)).toEqual(findings.map((f) => f.evidence.output_head));
    expect((await store.loadCurrent(['job#backup'])).get('job#backup')).toEqual({ state: { n: 70 }, version: 1 });
  });

  it('refuses a state too large for one DynamoDB item with an error that names the subject', async () => {
    // Prepare: a state that does not deflate below 400 KB
    const { store } = await freshDynamoStore();
    const state = { blob: randomBytes(400_000).toString('base64') };
    // Act
    const commit = store.commit({ key: 'route#search', expectedVersion: 0, state, findings: [], records: [] });
    // Assess
    await expect(commit).rejects.toThrow(/^the state of route#search is \d+ bytes stored, over DynamoDB's 400 KB item limit/);
    expect(await store.loadCurrent(['route#search'])).toEqual(new Map());
  });

  it('answers a range that ends before it starts with nothing, as the memory store does', async () => {
    // Prepare
    const { store } = await freshDynamoStore();
    const f = finding('2026-10-05T02:31:07Z');
    await store.commit({ key: 'job#backup', expectedVersion: 0, state: {}, findings: [f], records: [{ subject: 'backup', subject_kind: 'job', run_id: 'r-1', ts: f.ts, status: 'ok' }] });
    // Act
    const findings = await store.query({ from: '2026-11-01T00:00:00Z', to: '2026-10-01T00:00:00Z' });
    const runs = await store.runs('job#backup', '2026-10-06T00:00:00Z', '2026-10-05T00:00:00Z');
    // Assess
    expect(findings).toEqual([]);
    expect(runs).toEqual([]);
    expect(await store.runs('job#backup', '2026-10-05T00:00:00Z', '2026-10-06T00:00:00Z')).toHaveLength(1);
  });

  it('packs a commit’s run records per UTC day, in the state’s transaction, and reads them back by time, with items of one record', async () => {
    // Prepare: 30 runs every 2 hours from Oct 30 noon (3 days), and an item of one record as stored before packs
    const { client, table, store } = await freshDynamoStore({ clock: () => Date.parse('2026-11-01T00:00:00Z') });
    const records = Array.from({ length: 30 }, (_, i) => ({
      subject: 'backup',
      subject_kind: 'job' as const,
      run_id: `r-${String(i).padStart(2, '0')}`,
      ts: isoTime(Date.parse('2026-10-30T12:00:00Z') + i * 7_200_000),
      status: 'ok' as const,
      exit_code: 0,
      duration_ms: 60_000,
    }));
    const legacy = { ...records[0], run_id: 'r-legacy', ts: '2026-10-31T05:00:00.000Z' };
    await client.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'RUN#job#backup' }, sk: { S: `${legacy.ts}#r-legacy` }, record: { S: JSON.stringify(legacy) } } }),
    );
    // Act: the runs in two commits, then a writer that lost the race with one more run
    const lost = { ...records[29], run_id: 'r-lost' };
    expect(await store.commit({ key: 'job#backup', expectedVersion: 0, state: { n: 10 }, findings: [], records: records.slice(0, 10) })).toBe('committed');
    expect(await store.commit({ key: 'job#backup', expectedVersion: 1, state: { n: 30 }, findings: [], records: records.slice(10) })).toBe('committed');
    expect(await store.commit({ key: 'job#backup', expectedVersion: 1, state: { n: 31 }, findings: [], records: [...records.slice(10), lost] })).toBe('conflict');
    // Assess: one item per commit and day (Oct 30–31, then Oct 31–Nov 1; none of the lost writer's), expiring DEFAULT_RUN_RETENTION_DAYS (400) after its latest run
    const items = (await client.send(new ScanCommand({ TableName: table }))).Items ?? [];
    const packs = items.filter((i) => i.pk.S === 'RUN#job#backup' && i.records !== undefined);
    expect(packs.map((i) => i.sk.S?.slice(0, 10)).sort()).toEqual(['2026-10-30', '2026-10-31', '2026-10-31', '2026-11-01']);
    const nov1 = packs.find((i) => i.sk.S?.startsWith('2026-11-01'));
    expect(Number(nov1?.ttl.N)).toBe(Date.parse(records[29].ts) / 1000 + DEFAULT_RUN_RETENTION_DAYS * 86_400);
    // Every record once, in time order, whatever the range cuts through
    expect(await store.runs('job#backup', '2026-10-01T00:00:00Z', '2026-12-01T00:00:00Z')).toEqual([...records.slice(0, 9), legacy, ...records.slice(9)]);
    expect(await store.runs('job#backup', records[7].ts, records[21].ts)).toEqual([...records.slice(7, 9), legacy, ...records.slice(9, 21)]);
    expect(await store.runs('job#backup', '2026-11-01T07:00:00Z', '2026-11-01T13:00:00Z')).toEqual(records.filter((r) => r.ts >= '2026-11-01T07' && r.ts < '2026-11-01T13'));
  });

  it('tells whether a subject ran in a month in one query, reading none of the next day’s packs, and pages of packs before the span 25 at a time', async () => {
    // Prepare: a 5-minute job idle all September, back on 1 October: 60 runs from midnight, each its own commit (a pack each); a store whose client counts its queries
    const { client, store } = await freshDynamoStore();
    const runsOn1October = Array.from({ length: 60 }, (_, i) => ({
      subject: 'every5',
      subject_kind: 'job' as const,
      run_id: `r-${i}`,
      ts: isoTime(Date.parse('2026-10-01T00:00:00Z') + i * 300_000),
      status: 'ok' as const,
    }));
    for (const [i, r] of runsOn1October.entries()) await store.commit({ key: 'job#every5', expectedVersion: i, state: { n: i + 1 }, findings: [], records: [r] });
    let queries = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if ((context as { commandName?: string }).commandName === 'QueryCommand') queries++;
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
    const probe = async (from: string, to: string) => {
      queries = 0;
      const ran = await store.hasRuns('job#every5', from, to);
      return { ran, queries, runs: (await store.runs('job#every5', from, to)).length };
    };
    // Act
    const september = await probe('2026-09-01T00:00:00Z', '2026-10-01T00:00:00Z');
    const october = await probe('2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z');
    const lateOn1October = await probe('2026-10-01T23:00:00Z', '2026-11-01T00:00:00Z');
    // Assess: September reads none of October's packs; a span from late on 1 October reads that day's 60 packs in pages of 25
    expect(september).toEqual({ ran: false, queries: 1, runs: 0 });
    expect(october).toEqual({ ran: true, queries: 1, runs: 60 });
    expect(lateOn1October).toEqual({ ran: false, queries: 3, runs: 0 });
  });

  it('commits a backfill-sized batch of run records (5 MB, past a transaction’s 4 MB): what does not fit goes by batch', async () => {
    // Prepare: 16,000 runs with long ids, ~5 MB of records
    const { store } = await freshDynamoStore();
    const records = Array.from({ length: 16_000 }, (_, i) => ({
      subject: 'backup',
      subject_kind: 'job' as const,
      run_id: `r-${String(i).padStart(5, '0')}-${'x'.repeat(200)}`,
      ts: isoTime(Date.parse('2026-10-01T00:00:00Z') + i * 60_000),
      status: 'ok' as const,
      host: 'web-1.internal',
    }));
    // Act
    const committed = await store.commit({ key: 'job#backup', expectedVersion: 0, state: { n: records.length }, findings: [], records });
    // Assess
    expect(committed).toBe('committed');
    const read = await store.runs('job#backup', '2026-10-01T00:00:00Z', '2026-12-01T00:00:00Z');
    expect(read).toHaveLength(records.length);
    expect(read.at(-1)).toEqual(records.at(-1));
  });

  it('leaves keys presumed absent unread, unless its cache holds them', async () => {
    // Prepare: a and b stored by another writer; c written (and so cached) by this store
    const { client, table } = await freshDynamoStore();
    const store = new DynamoAuditStore(client, table, { stateCacheSize: 10 });
    const other = new DynamoAuditStore(client, table);
    await other.commit({ key: 'agentrun#a', expectedVersion: 0, state: { n: 1 }, findings: [], records: [] });
    await other.commit({ key: 'agentrun#b', expectedVersion: 0, state: { n: 2 }, findings: [], records: [] });
    await store.commit({ key: 'agentrun#c', expectedVersion: 0, state: { n: 3 }, findings: [], records: [] });
    const presumedAbsent = new Set(['agentrun#b', 'agentrun#c']);
    // Act
    const loaded = await store.load(['agentrun#a', 'agentrun#b', 'agentrun#c'], { presumedAbsent });
    // Assess: b is stored but presumed absent and not cached: unread, so a commit over it conflicts and then reads it
    expect([...loaded.keys()].sort()).toEqual(['agentrun#a', 'agentrun#c']);
    expect(await store.commit({ key: 'agentrun#b', expectedVersion: 0, state: { n: 9 }, findings: [], records: [] })).toBe('conflict');
    expect((await store.load(['agentrun#b'])).get('agentrun#b')).toEqual({ state: { n: 2 }, version: 1 });
  });

  it('serves state from its cache but loses no update when another writer came in between', async () => {
    // Prepare: two warm containers, each caching what it wrote, on one table.
    const { client, table } = await freshDynamoStore();
    const cachedA = new DynamoAuditStore(client, table, { stateCacheSize: 10 });
    const cachedB = new DynamoAuditStore(client, table, { stateCacheSize: 10 });
    // Act: A writes runs 1–2, B writes run 3 (reading A's state), A writes run 4 from its stale cache.
    await processBatch(run('backup', 'r-1', '2026-10-01T00:00:00Z', 30).concat(run('backup', 'r-2', '2026-10-02T00:00:00Z', 30)), REDUCERS, cachedA, ctx);
    await processBatch(run('backup', 'r-3', '2026-10-03T00:00:00Z', 30), REDUCERS, cachedB, ctx);
    const result = await processBatch(run('backup', 'r-4', '2026-10-04T00:00:00Z', 30), REDUCERS, cachedA, ctx);
    // Assess
    expect(result.conflicts).toBe(1);
    const servedFromCache = (await cachedB.load(['job#backup'])).get('job#backup')!;
    expect((servedFromCache.state as JobState).runs).toBe(3);
    const fresh = (await new DynamoAuditStore(client, table).load(['job#backup'])).get('job#backup')!;
    expect([(fresh.state as JobState).runs, fresh.version]).toEqual([4, 3]);
  });

  it('loses no update when 8 invocations process runs of the same job at once', async () => {
    // Prepare: 8 batches, 5 distinct runs each, all for one job.
    const { store } = await freshDynamoStore();
    const batches = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: 5 }, (_, i) => run('backup', `b${b}-r${i}`, new Date(Date.parse('2026-10-01T00:00:00Z') + (b * 5 + i) * 3_600_000).toISOString(), 30)).flat(),
    );
    // Act
    const results = await Promise.all(batches.map((events) => processBatch(events, REDUCERS, store, ctx)));
    // Assess
    const state = (await store.load(['job#backup'])).get('job#backup')!;
    expect((state.state as JobState).runs).toBe(40);
    expect(state.version).toBe(8);
    expect(results.reduce((n, r) => n + r.conflicts, 0)).toBeGreaterThan(0);
    expect(await store.runs('job#backup', '2026-09-01T00:00:00Z', '2026-12-01T00:00:00Z')).toHaveLength(40);
  });
});
