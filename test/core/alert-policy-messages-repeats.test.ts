import { describe, expect, it } from 'vitest';
import type { PlannedAlert } from '../../lambdas/core/alert-policy.ts';
import { summaryMessage } from '../../lambdas/core/alert-policy-messages.ts';
import { type Finding, isoTime } from '../../lambdas/core/findings.ts';

const T = Date.parse('2026-10-07T01:10:00Z');
const MIN = 60_000;

/** The failure of job `n` (`job-01`, …), sent before by a send that was not confirmed `n` minutes before T. */
function repeated(n: number): PlannedAlert {
  const subject = `job-${String(n).padStart(2, '0')}`;
  const finding: Finding = { detector: 'run-failed', subject, subject_kind: 'job', run_id: `${subject}-1`, ts: isoTime(T), severity: 'high', message: 'exit 1', evidence: { exit_code: 1 } };
  return { subject, subject_kind: 'job', kind: 'finding', detector: 'run-failed', severity: 'high', at: T, suppressed: 0, snoozed: 0, coalesced: 0, retry: true, unconfirmedSendAt: T - n * MIN, candidate: { key: `k${n}`, finding } };
}
const named = (n: number) => `run-failed × job "job-${String(n).padStart(2, '0')}" (at ${isoTime(T - n * MIN)})`;
const repeatNote = (text: string) => text.split('\n').find((line) => line.startsWith('Possible repeat:'));

describe('a storm summary of many possible repeats', () => {
  it('names the first 10 possible repeats, each with its unconfirmed send, and how many more there are', () => {
    // Act
    const message = summaryMessage(Array.from({ length: 12 }, (_, i) => repeated(i + 1)), 1);
    // Assess
    const first10 = Array.from({ length: 10 }, (_, i) => named(i + 1)).join(', ');
    expect(repeatNote(message.text)).toBe(`Possible repeat: 12 alerts of these were sent before by a send that was not confirmed, so you may have them already: ${first10}, and 2 more.`);
    expect(message.data.possible_repeats).toBe(12);
  });

  it('names all of exactly 10 possible repeats, with no "more"', () => {
    // Act
    const message = summaryMessage(Array.from({ length: 10 }, (_, i) => repeated(i + 1)), 1);
    // Assess
    const all = Array.from({ length: 10 }, (_, i) => named(i + 1)).join(', ');
    expect(repeatNote(message.text)).toBe(`Possible repeat: 10 alerts of these were sent before by a send that was not confirmed, so you may have them already: ${all}.`);
  });
});
