import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DynamoExceptionStore } from '../../lambdas/adapters/dynamodb-exception-store.ts';
import { localDynamoClient } from '../../lambdas/adapters/dynamodb-local.ts';
import type { DynamoAuditStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { openAuditSource, runMcp } from '../../lambdas/cli/mcp-command.ts';
import { scanToStore } from '../../lambdas/cli/scan-command.ts';
import type { AuditStore } from '../../lambdas/cli/stores.ts';
import { REDUCERS } from '../../lambdas/core/reducers.ts';
import type { ExceptionStore } from '../../lambdas/ports.ts';
import { freshDynamoStore } from '../helpers/dynamo.ts';
import { CONFIG, connectClient, fixtureMonthFiles, NOW, quietStream, structured } from './fixture-month.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const backupLog = fileURLToPath(new URL('../fixtures/instrumented/nightly-backup.jsonl', import.meta.url));
/** A file that is xz by its magic number: none of it can be read. */
const xzLog = join(mkdtempSync(join(tmpdir(), 'mcp-xz-')), 'app.log.xz');
writeFileSync(xzLog, Buffer.from('fd377a585a000004e6d6b446', 'hex'));
const OCTOBER = { from: '2026-09-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d.toString()));
  return { stream, text: () => text };
}

/** Writes a scan's states, findings and run records into a DynamoDB table, one commit per subject, as a `scan --store` would have. */
async function copyScan(from: AuditStore, to: DynamoAuditStore, registry: { from?: ExceptionStore; to: ExceptionStore }): Promise<void> {
  const findings = await from.query(OCTOBER);
  for (const kind of new Set(REDUCERS.map((r) => r.stateKind ?? r.kind))) {
    for (const s of await from.subjects(kind)) {
      const own = findings.filter((f) => `${f.subject_kind}#${f.subject}` === s.key).map(({ key: _key, alerted: _alerted, ...f }) => f);
      const records = await from.runs(s.key, OCTOBER.from, OCTOBER.to);
      expect(await to.commit({ key: s.key, expectedVersion: 0, state: s.state, findings: own, records })).toBe('committed');
    }
  }
  // The registry the scan seeded from the config, as a deployment's ingest would have stored it.
  for (const e of (await registry.from?.listRecords()) ?? []) expect(await registry.to.add(e)).toBe('added');
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('silent-audit mcp (the command)', () => {
  it('starts over stdio from the CLI on a log file, lists its tools and answers, with only the protocol on stdout', async () => {
    // Prepare
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(repo, 'bin/silent-audit.mjs'), 'mcp', '--now', '2026-10-10T12:00:00Z', backupLog],
      cwd: mkdtempSync(join(tmpdir(), 'silent-audit-mcp-stdio-')),
      stderr: 'pipe',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } as Record<string, string>,
    });
    let stderr = '';
    transport.stderr?.on('data', (d) => (stderr += d.toString()));
    const protocolErrors: Error[] = [];
    const client = new Client({ name: 'silent-audit-test', version: '1.0.0' });
    client.onerror = (e) => protocolErrors.push(e);

    // Act
    await client.connect(transport);
    const { tools } = await client.listTools();
    const overdue = structured<{ now: string; overdue: { subject: string; missed_runs: number }[] }>((await client.callTool({ name: 'find_overdue', arguments: {} })) as never);
    await client.close();

    // Assess
    expect(tools.map((t) => t.name)).toEqual(['explain_finding', 'find_findings', 'find_overdue', 'list_exceptions', 'list_subjects', 'subject_status']);
    expect(overdue.now).toBe('2026-10-10T12:00:00Z');
    expect(overdue.overdue.map((o) => [o.subject, o.missed_runs])).toEqual([['nightly-backup', 2]]);
    expect(stderr).toContain('silent-audit mcp: serving memory (1 file scanned: 16 events, 1 finding), read-only, on stdio');
    expect(protocolErrors).toEqual([]);
  });

  it('serving files with --timezone, learns the schedules of unconfigured jobs in that zone, as init does', async () => {
    // Prepare: a cron job at 02:30 New York time on 10 days, in syslog's zoneless times.
    const dir = mkdtempSync(join(tmpdir(), 'silent-audit-mcp-zone-'));
    const file = join(dir, 'syslog');
    const days = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
    writeFileSync(file, days.map((d, i) => `Oct ${String(d).padStart(2, ' ')} 02:30:01 web1 CRON[${2000 + i}]: (root) CMD (/usr/local/bin/backup.sh)\n`).join(''));
    const source = await openAuditSource({ paths: [file], config: CONFIG, year: 2026, timeZone: 'America/New_York', stderr: quietStream() });
    cleanups.push(() => source.close());
    const mcp = await connectClient(source.view);

    // Act
    const listed = structured<{ subjects: { name: string; schedule: unknown }[] }>(await mcp.call('list_subjects', { kind: 'job' }));
    await mcp.close();

    // Assess: 02:30 local, not 06:30 UTC.
    expect(listed.subjects.find((s) => s.name === '/usr/local/bin/backup.sh')?.schedule).toEqual({
      source: 'inferred',
      cron: '30 2 * * *',
      timezone: 'America/New_York',
      period: 'daily',
      period_ms: 86_400_000,
    });
  });

  it('serving files, judges at their latest event unless --now says otherwise', async () => {
    // Prepare
    const files = fixtureMonthFiles();

    // Act
    const source = await openAuditSource({ paths: files, config: CONFIG, stderr: quietStream() });
    cleanups.push(() => source.close());

    // Assess
    expect(new Date(source.view.now()).toISOString()).toBe('2026-10-15T11:00:30.000Z');
  });

  it('serving files, states the count of findings its tools read: each of a job\'s missed runs after its file ends, which scan folds into one', async () => {
    // Prepare: etl-loader's file ends 12 expected starts before the other files.
    const files = fixtureMonthFiles();

    // Act
    const source = await openAuditSource({ paths: files, config: CONFIG, stderr: quietStream() });
    cleanups.push(() => source.close());
    const read = await source.view.findings({ from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' });

    // Assess: 25 (scan shows 14, etl-loader's 12 missed runs as one).
    expect(read).toHaveLength(25);
    expect(source.view.source).toMatch(/^memory \(7 files scanned: \d+ events, 25 findings\)$/);
  });

  it.each<[{ paths: string[]; store?: string }, RegExp]>([
    [{ paths: ['/nonexistent/cron.log'] }, /^silent-audit mcp: \/nonexistent\/cron\.log: /],
    [{ paths: [backupLog, '/nonexistent/cron.log'] }, /^silent-audit mcp: \/nonexistent\/cron\.log: no such file\n/],
    [{ paths: [backupLog, xzLog] }, /^silent-audit mcp: \S+app\.log\.xz: xz-compressed; decompress it first .*: not served without it\n/],
    [{ paths: [backupLog], store: 'local' }, /^silent-audit mcp: give log files or --store, not both/],
    [{ paths: ['-'] }, /^silent-audit mcp: - \(stdin\) cannot be served: stdin carries the MCP protocol/],
    [{ paths: [], store: 'ftp://example.com' }, /^silent-audit mcp: --store ftp:\/\/example\.com: expected `local`/],
  ])('refuses %j with exit code 2 and a message on stderr, writing nothing to stdout', async (given, message) => {
    // Prepare
    const stdout = capture();
    const stderr = capture();

    // Act
    const code = await runMcp({ ...given, config: CONFIG, stdin: new PassThrough(), stdout: stdout.stream, stderr: stderr.stream });

    // Assess
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(message);
    expect(stdout.text()).toBe('');
  });

  it('refuses a local store that is not there (the default without files), creating nothing in the folder', async () => {
    // Prepare: a folder with no .silent-audit/ in it, as a client started in the wrong folder sees.
    const cwd = mkdtempSync(join(tmpdir(), 'mcp-no-store-'));
    const stdout = capture();
    const stderr = capture();

    // Act
    const code = await runMcp({ paths: [], cwd, config: CONFIG, stdin: new PassThrough(), stdout: stdout.stream, stderr: stderr.stream });

    // Assess
    expect(code).toBe(2);
    expect(stderr.text()).toBe(`silent-audit mcp: no store at ${join(cwd, '.silent-audit')}: run \`silent-audit scan --store local <log files>\` in this folder first, or give log files\n`);
    expect(stdout.text()).toBe('');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('refuses an endpoint without the table, creating no table there', async () => {
    // Prepare
    const endpoint = inject('dynamoEndpoint');
    const table = `t-missing-${randomUUID()}`;
    const stderr = capture();

    // Act
    const code = await runMcp({ paths: [], store: endpoint, table, config: CONFIG, stdin: new PassThrough(), stdout: capture().stream, stderr: stderr.stream });

    // Assess
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(new RegExp(`^silent-audit mcp: --store ${endpoint}: no table ${table} there: run \`silent-audit scan --store`));
    const client = localDynamoClient(endpoint);
    cleanups.push(async () => client.destroy());
    expect((await client.send(new ListTablesCommand({}))).TableNames).not.toContain(table);
  });

  it('serves a DynamoDB store (--store http://…) with the same answers as the scanned files, and leaves it as it was', async () => {
    // Prepare: the fixture month scanned into memory, and the same written into a fresh table.
    const files = fixtureMonthFiles();
    const scanned = await scanToStore({ paths: files, config: CONFIG, now: NOW, stderr: quietStream() });
    if (!scanned.ok) throw new Error(scanned.error);
    cleanups.push(() => scanned.opened.close());
    const { store, table, client } = await freshDynamoStore();
    await copyScan(scanned.opened.store, store, { from: scanned.opened.exceptions, to: new DynamoExceptionStore(client, table, { states: store }) });
    const holdings = async () => ({
      states: (await Promise.all([...new Set(REDUCERS.map((r) => r.stateKind ?? r.kind))].map((k) => store.subjects(k)))).flat().map((s) => `${s.key}@${s.version}`).sort(),
      findings: (await store.query(OCTOBER)).map((f) => `${f.key}|${f.alerted}`).sort(),
    });
    const before = await holdings();
    const fromFiles = await openAuditSource({ paths: files, config: CONFIG, now: NOW, stderr: quietStream() });
    const fromStore = await openAuditSource({ paths: [], store: inject('dynamoEndpoint'), table, config: CONFIG, now: NOW, stderr: quietStream() });
    cleanups.push(() => fromFiles.close(), () => fromStore.close());
    const files$ = await connectClient(fromFiles.view);
    const store$ = await connectClient(fromStore.view);
    cleanups.push(() => files$.close(), () => store$.close());
    const calls: [string, Record<string, unknown>][] = [
      ['list_subjects', {}],
      ['subject_status', { subject: 'hourly-sync' }],
      ['subject_status', { subject: 'support-bot' }],
      ['find_findings', { since: '30d', limit: 500 }],
      ['find_overdue', {}],
      ['explain_finding', { id: '2026-10-06T09:00:35Z#cost-outlier#support-bot#sb-106' }],
      ['list_exceptions', {}],
    ];

    // Act
    const answers = [];
    for (const [name, args] of calls) answers.push([await files$.call(name, args), await store$.call(name, args)]);
    const after = await holdings();

    // Assess
    expect(fromStore.view.source).toBe(`DynamoDB at ${inject('dynamoEndpoint')}, table ${table}`);
    for (const [i, [file, stored]] of answers.entries()) {
      expect(stored.isError, calls[i][0]).toBeFalsy();
      expect(stored.structuredContent, calls[i][0]).toEqual(file.structuredContent);
    }
    expect(structured<{ findings: unknown[] }>(answers[3][1]).findings).toHaveLength(25);
    expect(structured<{ overdue: { subject: string }[] }>(answers[4][1]).overdue.map((o) => o.subject)).toEqual(['etl-loader', 'nightly-backup', 'invoice-sync']);
    expect(before.findings).toHaveLength(25);
    expect(after).toEqual(before);
  });
});
