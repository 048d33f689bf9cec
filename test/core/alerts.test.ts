import { describe, expect, it } from 'vitest';
import { MemoryAuditStore } from '../../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../../lambdas/config.ts';
import type { AlertMessage } from '../../lambdas/core/alert-policy-messages.ts';
import { deliverAlerts } from '../../lambdas/core/alerts.ts';
import { isoTime } from '../../lambdas/core/findings.ts';
import type { AlertSink, RunRecord, Snooze, Versioned } from '../../lambdas/ports.ts';

const T0 = Date.parse('2026-10-17T08:00:00Z');
const TEN_MIN = 600_000;

/** A store whose next read answers with an older snapshot, as a warm container's state cache or a writer in between would. */
class StaleOnceStore extends MemoryAuditStore {
  private stale?: Map<string, Versioned<unknown>>;
  serveOnce(snapshot: Map<string, Versioned<unknown>>): void {
    this.stale = snapshot;
  }
  override async load(keys: readonly string[]): Promise<Map<string, Versioned<unknown>>> {
    const stale = this.stale;
    if (!stale) return super.load(keys);
    this.stale = undefined;
    return new Map([...stale].filter(([key]) => keys.includes(key)));
  }
}

class RecordingSink implements AlertSink {
  readonly messages: AlertMessage[] = [];
  async publish(): Promise<void> {
    throw new Error('the policy sends messages, not findings');
  }
  async send(message: AlertMessage): Promise<void> {
    this.messages.push(message);
  }
}

function record(run: number, status: 'ok' | 'failed'): RunRecord {
  return { subject: 'etl', subject_kind: 'job', run_id: `etl-${run}`, ts: isoTime(T0 + run * TEN_MIN), status, exit_code: status === 'ok' ? 0 : 1 };
}

describe('deliverAlerts with stored snoozes', () => {
  it('holds a flapping notice under a stored snooze when the alert state it first read was out of date', async () => {
    // Prepare: a job switching between failing and healthy runs, snoozed from the CLI; the last delivery first reads the state as it was two switches ago.
    const config = validateConfig({ defaults: { flapping_transitions_per_day: 3 } }, 'test', undefined, { now: T0 });
    const snooze: Snooze = { id: 'SZ-1', subject: 'etl', owner: 'alice', reason: 'migration', until: isoTime(T0 + 86_400_000), status: 'active', origin: 'cli' };
    let snoozeReads = 0;
    const snoozes = {
      list: async () => {
        snoozeReads++;
        return [snooze];
      },
    };
    const store = new StaleOnceStore();
    const sink = new RecordingSink();
    const deliverRun = (run: number, status: 'ok' | 'failed') => deliverAlerts([], store, sink, { now: () => T0 + run * TEN_MIN + 1000 }, { config, snoozes, records: [record(run, status)], drainLimit: 0 });
    await deliverRun(1, 'failed');
    const outdated = await store.load(['alert#job#etl']);
    await deliverRun(2, 'ok');
    await deliverRun(3, 'failed');
    const readsBefore = snoozeReads;
    store.serveOnce(outdated);
    // Act
    const result = await deliverRun(4, 'ok');
    // Assess
    expect(sink.messages.filter((m) => m.kind === 'flapping')).toEqual([]);
    expect(result).toMatchObject({ sent: 0, snoozed: 1 });
    expect(snoozeReads - readsBefore).toBe(1);
  });

  it('does not read the stored snoozes for run records that cannot make a notice', async () => {
    // Prepare
    const config = validateConfig({ defaults: { flapping_transitions_per_day: 3 } }, 'test', undefined, { now: T0 });
    let snoozeReads = 0;
    const snoozes = {
      list: async () => {
        snoozeReads++;
        return [];
      },
    };
    // Act
    const result = await deliverAlerts([], new MemoryAuditStore(), new RecordingSink(), { now: () => T0 + TEN_MIN + 1000 }, { config, snoozes, records: [record(1, 'ok')], drainLimit: 0 });
    // Assess
    expect(result.sent).toBe(0);
    expect(snoozeReads).toBe(0);
  });
});
