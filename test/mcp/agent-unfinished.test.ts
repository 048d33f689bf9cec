import { describe, expect, it } from 'vitest';
import { openAuditSource } from '../../lambdas/cli/mcp-command.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';
import { connectClient, quietStream, structured } from './fixture-month.ts';

const NEVER_ENDS = new URL('../fixtures/agents/support-bot-never-ends.jsonl', import.meta.url).pathname;
const OVERLAPPING = new URL('../fixtures/agents/bot-overlapping-never-ends.jsonl', import.meta.url).pathname;

interface Row {
  last_status: string | null;
}

describe('an agent root run that never logged its end, as list_subjects and subject_status count it', () => {
  it('counts the run reported run-unfinished among its runs and calls it unfinished, as the report does, not running', async () => {
    // Prepare: support-bot run sb-900 starts on 9 October 09:00 and never ends (run-unfinished at 10:00); asked on the 12th
    const source = await openAuditSource({ paths: [NEVER_ENDS], config: DEFAULT_CONFIG, now: Date.parse('2026-10-12T12:00:00Z'), stderr: quietStream() });
    const mcp = await connectClient(source.view);

    // Act
    const status = structured<{ subject: Row; recent_runs: unknown[]; success: { last_24h: unknown; last_7d: unknown } }>(await mcp.call('subject_status', { kind: 'agent', subject: 'support-bot' }));
    const list = structured<{ subjects: Row[] }>(await mcp.call('list_subjects', { kind: 'agent' }));
    await mcp.close();
    await source.close();

    // Assess
    expect(status.subject.last_status).toBe('unfinished');
    expect(list.subjects.map((s) => s.last_status)).toEqual(['unfinished']);
    expect(status.recent_runs).toEqual([{ run_id: 'sb-900', ts: '2026-10-09T10:00:00Z', status: 'unfinished', findings: ['budget-exceeded', 'run-unfinished'] }]);
    expect(status.success.last_7d).toEqual({ runs: 1, ok: 0, failed: 0, unfinished: 1, success_rate: null, with_findings: 1 });
    // Reported more than 24 h before: not in the last day's runs.
    expect(status.success.last_24h).toEqual({ runs: 0, ok: 0, failed: 0, success_rate: null, with_findings: 0 });
  });

  it('calls a root run running within its max runtime, before run-unfinished', async () => {
    // Prepare: asked at 09:30, half an hour into sb-900
    const source = await openAuditSource({ paths: [NEVER_ENDS], config: DEFAULT_CONFIG, now: Date.parse('2026-10-09T09:30:00Z'), stderr: quietStream() });
    const mcp = await connectClient(source.view);

    // Act
    const status = structured<{ subject: Row; success: { last_7d: unknown } }>(await mcp.call('subject_status', { kind: 'agent', subject: 'support-bot' }));
    await mcp.close();
    await source.close();

    // Assess
    expect(status.subject.last_status).toBe('running');
    expect(status.success.last_7d).toEqual({ runs: 0, ok: 0, failed: 0, success_rate: null, with_findings: 0 });
  });

  it('calls the agent unfinished when its latest root never ended though an earlier root, going on beside it, ended after it started', async () => {
    // Prepare: bot's run B 08:30-09:20 ends ok; run A starts at 09:00, beside it, and never ends (run-unfinished at 10:00); asked at 12:00
    const source = await openAuditSource({ paths: [OVERLAPPING], config: DEFAULT_CONFIG, now: Date.parse('2026-10-09T12:00:00Z'), stderr: quietStream() });
    const mcp = await connectClient(source.view);

    // Act
    const status = structured<{ subject: Row }>(await mcp.call('subject_status', { kind: 'agent', subject: 'bot' }));
    const list = structured<{ subjects: Row[] }>(await mcp.call('list_subjects', { kind: 'agent' }));
    await mcp.close();
    await source.close();

    // Assess: A started after B (B's record is stamped with its end, 09:20, after A's start)
    expect(status.subject.last_status).toBe('unfinished');
    expect(list.subjects.map((s) => s.last_status)).toEqual(['unfinished']);
  });
});
