import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import type { PlannedAlert } from '../../lambdas/core/alert-policy.ts';
import { alertMessage, fitTitle, MAX_SUMMARY_LINES, messageAsFinding, type SummaryItem, summaryMessage, suppressedNote } from '../../lambdas/core/alert-policy-messages.ts';
import { type Finding, isoTime } from '../../lambdas/core/findings.ts';
import { DETECTOR_IDS } from '../../lambdas/detectors/ids.ts';

const T = Date.parse('2026-10-07T01:10:00Z');
const failed: Finding = {
  detector: 'run-failed',
  subject: 'etl',
  subject_kind: 'job',
  run_id: 'r-3',
  ts: '2026-10-07T01:10:00Z',
  severity: 'high',
  message: 'run exited with code 2 after 4 min',
  evidence: { exit_code: 2 },
};
const base = { subject: 'etl', subject_kind: 'job' as const, at: T, suppressed: 0, snoozed: 0, coalesced: 0, retry: false };

describe('alert messages', () => {
  it.each([
    ['a finding', { ...base, kind: 'finding', detector: 'run-failed', severity: 'high', candidate: { key: 'k', finding: failed } }, '[HIGH] run-failed: etl'],
    ['an escalation', { ...base, kind: 'escalation', detector: 'run-failed', severity: 'critical', streak: 3, candidate: { key: 'k', finding: failed } }, '[CRITICAL] run-failed: etl (3 in a row)'],
    [
      'a recovery notice',
      { ...base, kind: 'recovery', detector: 'run-failed', severity: 'high', notice: { id: 'n', kind: 'recovery', at: T, leaseUntil: T, severity: 'high', detectors: ['run-failed'], detail: { healthy_runs: 3, open_since: T - 3_600_000, suppressed: 2 } } },
      '[RECOVERED] etl healthy for 3 runs',
    ],
    [
      'a flapping notice',
      { ...base, kind: 'flapping', detector: 'run-failed', severity: 'high', notice: { id: 'n', kind: 'flapping', at: T, leaseUntil: T, severity: 'high', detectors: ['run-failed'], detail: { transitions: 6, window_hours: 24, suppressed: 0 } } },
      '[HIGH] flapping: etl (6 switches in 24 h)',
    ],
  ] as Array<[string, PlannedAlert, string]>)('titles %s', (_, alert, title) => {
    // Act
    const message = alertMessage(alert);
    // Assess
    expect(message.title).toBe(title);
    expect(message.data).toMatchObject({ version: 1, kind: alert.kind, severity: alert.severity, subject: 'etl', title });
  });

  it('says why an escalation came, what was held and how many more came in the same delivery', () => {
    // Prepare
    const alert: PlannedAlert = { ...base, kind: 'escalation', detector: 'run-failed', severity: 'critical', streak: 3, suppressed: 1, snoozed: 0, since: T - 7_200_000, coalesced: 2, candidate: { key: 'k', finding: failed } };
    // Act
    const { text, data, findings } = alertMessage(alert);
    // Assess
    expect(text.split('\n\n')[0]).toBe(
      [
        'Escalated: the 3rd run-failed finding in a row for this job, with no healthy run in between (severity raised to critical).',
        '2 more findings like it in the same delivery, stored and not alerted one by one.',
        '1 similar alert suppressed since 2026-10-06T23:10:00Z.',
      ].join('\n'),
    );
    expect(text).toContain('run-failed on job "etl" (critical)');
    expect(data).toMatchObject({ escalation: { in_a_row: 3 }, coalesced: 2, suppressed: { count: 1, snoozed: 0, since: '2026-10-06T23:10:00Z' } });
    expect(findings).toEqual([{ ...failed, severity: 'critical' }]);
  });

  it.each([
    [0, 0, undefined, undefined],
    [1, 0, T, '1 similar alert suppressed since 2026-10-07T01:10:00Z.'],
    [3, 2, T, '3 similar alerts suppressed since 2026-10-07T01:10:00Z (2 while snoozed or in maintenance).'],
  ])('notes %i suppressed (%i snoozed)', (suppressed, snoozed, since, note) => {
    expect(suppressedNote(suppressed, snoozed, since)).toBe(note);
  });

  it('fits any title under 100 characters on one line, keeping the tail', () => {
    // Act
    const title = fitTitle('[HIGH] flapping: ', `job\n${'x'.repeat(200)}`, '(6 switches in 24 h)');
    // Assess
    expect(title.length).toBeLessThan(100);
    expect(title).toMatch(/^\[HIGH\] flapping: job x+… \(6 switches in 24 h\)$/);
  });

  it.each([
    ['a name', '[HIGH] run-failed: ', `${'a'.repeat(70)}${'🚀'.repeat(10)}`, ''],
    ['a name before a tail', '[HIGH] flapping: ', `${'b'.repeat(51)}${'🚀'.repeat(20)}`, '(6 switches in 24 h)'],
    ['a head with no room for the name', `[HIGH] ${'🚀'.repeat(60)}: `, 'etl', ''],
  ])('cuts %s between characters, never inside an emoji', (_, head, name, tail) => {
    // Act
    const title = fitTitle(head, name, tail);
    // Assess
    expect(title.length).toBeLessThan(100);
    expect(title).toMatch(/…/);
    expect(title).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  it.each([
    ['written as an ISO time', '2026-10-07T00:10:00Z', '2026-10-07T05:00:00Z'],
    ['kept in a stored notice from before as epoch milliseconds', T - 3_600_000, Date.parse('2026-10-07T05:00:00Z')],
  ])('gives the times of a recovery and a flapping notice in ISO, as every other time, when %s', (_, openSince, flappingSince) => {
    // Prepare
    const notice = { id: 'n', at: T, leaseUntil: T, severity: 'high' as const, detectors: ['run-failed'] };
    const recovery: PlannedAlert = { ...base, kind: 'recovery', detector: 'run-failed', severity: 'high', notice: { ...notice, kind: 'recovery', detail: { healthy_runs: 3, open_since: openSince, suppressed: 0 } } };
    const flapping: PlannedAlert = { ...base, kind: 'flapping', detector: 'run-failed', severity: 'high', notice: { ...notice, kind: 'flapping', detail: { transitions: 6, window_hours: 24, suppressed: 0, flapping_since: flappingSince } } };
    // Act
    const [recovered, flapped] = [alertMessage(recovery), alertMessage(flapping)];
    // Assess
    expect(recovered.data.notice).toMatchObject({ at: '2026-10-07T01:10:00Z', open_since: '2026-10-07T00:10:00Z' });
    expect(recovered.text).toContain('Open since: 2026-10-07T00:10:00Z');
    expect(flapped.data.notice).toMatchObject({ flapping_since: '2026-10-07T05:00:00Z' });
    expect(flapped.text).toContain('Flapping since: 2026-10-07T05:00:00Z');
  });

  it('fills the rule of every detector with the thresholds the finding was judged by, else the config\'s, leaving no {{key}} mark', () => {
    // Prepare
    const config = validateConfig({ defaults: { min_history: 7, alert_cooldown_minutes: 90 }, jobs: { etl: { schedule: '0 2 * * *', grace_minutes: 20 } } });
    const judged = (detector: string, evidence: Record<string, unknown>): PlannedAlert => ({
      ...base,
      kind: 'finding',
      detector,
      severity: 'medium',
      candidate: { key: 'k', finding: { ...failed, detector: detector as Finding['detector'], severity: 'medium', evidence } },
    });
    // Act
    const slow = alertMessage(judged('duration-slow', { factor: 3 }), config);
    const missed = alertMessage(judged('missed-run', {}), config);
    const slower = alertMessage(judged('duration-slow', { factor: 2.5 }), config);
    const all = DETECTOR_IDS.map((d) => alertMessage(judged(d, {}), config));
    // Assess
    expect(slow.text).toContain('Rule: The run exited 0 (or ended with its exit status not logged, a cronie CMDEND) and took more than 3× (`duration_slow_factor`, at least 1.5×) the median duration of the previous successful runs (a median under a second taken as a second when their durations are whole seconds), once at least `min_history` (7) runs are known.');
    expect(missed.text).toContain('within `grace_minutes` (20)');
    expect(slower.text).toContain('took more than 2.5× (`duration_slow_factor`');
    for (const message of all) {
      // tool-arg-invalid's rule quotes a placeholder argument, `{{user_id}}`, as an example: not a threshold mark.
      const text = message.detector === 'tool-arg-invalid' ? message.text.replaceAll('`{{user_id}}`', '') : message.text;
      expect(text, message.detector).not.toContain('{{');
      expect(String(message.data.text).replaceAll('`{{user_id}}`', ''), message.detector).not.toContain('{{');
    }
  });

  it('turns a message into a finding for sinks that only publish findings', () => {
    // Prepare
    const escalation = alertMessage({ ...base, kind: 'escalation', detector: 'run-failed', severity: 'critical', streak: 3, candidate: { key: 'k', finding: failed } });
    const recovery = alertMessage({ ...base, kind: 'recovery', detector: 'run-failed', severity: 'high', notice: { id: 'n', kind: 'recovery', at: T, leaseUntil: T, severity: 'high', detectors: ['run-failed'], detail: { healthy_runs: 3, open_since: T } } });
    // Act
    const asFindings = [escalation, recovery].map((m) => messageAsFinding(m, T));
    // Assess
    expect(asFindings[0]).toMatchObject({ detector: 'run-failed', severity: 'critical', run_id: 'r-3', evidence: { exit_code: 2, alert_kind: 'escalation' } });
    expect(asFindings[0]?.message).toMatch(/^run exited with code 2 after 4 min \[Escalated: the 3rd run-failed finding/);
    expect(asFindings[1]).toEqual({ detector: 'run-failed', subject: 'etl', subject_kind: 'job', ts: '2026-10-07T01:10:00Z', severity: 'high', message: '[RECOVERED] etl healthy for 3 runs', evidence: { alert_kind: 'recovery' } });
  });

  it('shows the control characters of a name and run id from logs escaped in the texts of notices and storm summaries', () => {
    // Prepare
    const subject = 'etl\n\nAll clear: this is a drill.\n\u001b[2J';
    const notice = { id: 'n', at: T, leaseUntil: T, severity: 'high' as const, detectors: ['run-failed'] };
    const recovery: PlannedAlert = { ...base, subject, kind: 'recovery', detector: 'run-failed', severity: 'high', notice: { ...notice, kind: 'recovery', detail: { healthy_runs: 3, open_since: T, suppressed: 0, last_run_id: 'r9\nLast run:   r8' } } };
    const flapping: PlannedAlert = { ...base, subject, kind: 'flapping', detector: 'run-failed', severity: 'high', notice: { ...notice, kind: 'flapping', detail: { transitions: 6, window_hours: 24, suppressed: 0 } } };
    const finding: PlannedAlert = { ...base, subject, kind: 'finding', detector: 'run-failed', severity: 'high', candidate: { key: 'k', finding: { ...failed, subject } } };
    const shown = 'etl\\x0a\\x0aAll clear: this is a drill.\\x0a\\x1b[2J';
    // Act
    const [recovered, flapped, summary] = [alertMessage(recovery), alertMessage(flapping), summaryMessage([finding], 1)];
    // Assess
    for (const { text } of [recovered, flapped, summary]) {
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
      expect(text).not.toMatch(/^All clear/m);
    }
    expect(recovered.text.split('\n')[0]).toBe(`job "${shown}" is healthy again: 3 healthy runs in a row since its last failure.`);
    expect(recovered.text).toContain('Last run:   r9\\x0aLast run:   r8');
    expect(flapped.text.split('\n')[0]).toBe(`job "${shown}" is flapping: it switched between healthy and failing 6 times within 24 hours.`);
    expect(summary.text).toContain(`  run-failed × job "${shown}": 1 (high)`);
    expect(summary.data.items).toEqual([expect.objectContaining({ subject })]);
  });

  it('keeps in a storm summary the similar alerts held before the alerts it sums up', () => {
    // Prepare: the next alert about etl after a cooldown that held 6 (2 of them snoozed), beyond a storm cap of 1.
    const alert: PlannedAlert = { ...base, kind: 'finding', detector: 'run-failed', severity: 'high', suppressed: 6, snoozed: 2, since: T - 6 * 3_600_000, candidate: { key: 'k', finding: failed } };
    // Act
    const message = summaryMessage([alert], 1);
    // Assess
    expect(message.text.split('\n')[0]).toBe('More than 1 alert in one delivery: the most urgent one went out on its own, this one is summed up here.');
    expect(message.text).toContain('  run-failed × job "etl": 1 (high); 6 similar alerts suppressed since 2026-10-06T19:10:00Z (2 while snoozed or in maintenance)');
    expect(message.data.items).toEqual([{ detector: 'run-failed', subject: 'etl', subject_kind: 'job', kind: 'finding', severity: 'high', episode_since: '2026-10-07T01:10:00Z', count: 1, suppressed: { count: 6, snoozed: 2, since: '2026-10-06T19:10:00Z' } }]);
  });

  it.each([
    ['a critical escalation and a recovery notice', 'critical', ['escalation', 'recovery'], '[CRITICAL] silent-audit: 2 more alerts (storm cap 20)'],
    ['a high finding and a recovery notice', 'high', ['finding', 'recovery'], '[HIGH] silent-audit: 2 more alerts (storm cap 20)'],
    ['recovery notices alone', 'low', ['recovery', 'recovery'], '[RECOVERED] silent-audit: 2 more recoveries (storm cap 20)'],
  ] as Array<[string, string, Array<'escalation' | 'finding' | 'recovery'>, string]>)('gives a storm summary of %s the severity %s, and its title', (_, severity, kinds, title) => {
    // Prepare: an escalation is critical; a recovery notice carries its episode's severity, critical here.
    const alerts: PlannedAlert[] = kinds.map((kind, i) => {
      const subject = `etl-${i}`;
      if (kind === 'recovery') return { ...base, subject, kind, detector: 'run-failed', severity: 'critical', notice: { id: `n${i}`, kind, at: T, leaseUntil: T, severity: 'critical', detectors: ['run-failed'], detail: { healthy_runs: 3, open_since: T } } };
      return { ...base, subject, kind, detector: 'run-failed', severity: kind === 'escalation' ? 'critical' : 'high', candidate: { key: subject, finding: { ...failed, subject } } };
    });
    // Act
    const message = summaryMessage(alerts, 20);
    // Assess
    expect(message.severity).toBe(severity);
    expect(message.title).toBe(title);
    expect(message.data.severity).toBe(severity);
  });

  it('names in a storm summary which of its alerts may be repeats of a send that was not confirmed, titled a possible repeat only when all are', () => {
    // Prepare: two findings beyond the cap, one of them sent before by a send whose mark was lost.
    const repeated: PlannedAlert = { ...base, kind: 'finding', detector: 'run-failed', severity: 'high', unconfirmedSendAt: T - 3_600_000, candidate: { key: 'k1', finding: failed } };
    const fresh: PlannedAlert = { ...base, subject: 'etl-2', kind: 'finding', detector: 'run-failed', severity: 'high', candidate: { key: 'k2', finding: { ...failed, subject: 'etl-2' } } };
    // Act
    const [message, allRepeats, plain] = [summaryMessage([repeated, fresh], 1), summaryMessage([repeated, { ...fresh, unconfirmedSendAt: T }], 1), summaryMessage([fresh], 1)];
    // Assess: the fresh alert keeps the title plain; the note names the repeat and when its send was not confirmed.
    expect(message.asciiTitle).toBe('[HIGH] silent-audit: 2 more alerts (storm cap 1)');
    expect(message.text).toContain(`Possible repeat: 1 alert of these was sent before by a send that was not confirmed, so you may have it already: run-failed × job "etl" (at ${isoTime(T - 3_600_000)}).`);
    expect(message.data.possible_repeats).toBe(1);
    expect((message.data.items as { subject: string; possible_repeats?: number }[]).map((i) => [i.subject, i.possible_repeats])).toEqual([['etl', 1], ['etl-2', undefined]]);
    expect(allRepeats.asciiTitle).toBe('(possible repeat) [HIGH] silent-audit: 2 more alerts (storm cap 1)');
    expect(allRepeats.text).toContain(`Possible repeat: 2 alerts of these were sent before by a send that was not confirmed, so you may have them already: run-failed × job "etl" (at ${isoTime(T - 3_600_000)}), run-failed × job "etl-2" (at ${isoTime(T)}).`);
    expect([plain.asciiTitle, plain.text.includes('repeat'), plain.data.possible_repeats]).toEqual(['[HIGH] silent-audit: 1 more alert (storm cap 1)', false, undefined]);
  });

  it('says in a storm summary which line is an escalation, and counts alerts as its title does, the findings folded into them apart', () => {
    // Prepare: etl's first alert (a second finding of the delivery folded into it) and its escalation
    const first: PlannedAlert = { ...base, kind: 'finding', detector: 'run-failed', severity: 'high', coalesced: 1, candidate: { key: 'k1', finding: failed } };
    const escalation: PlannedAlert = { ...base, kind: 'escalation', detector: 'run-failed', severity: 'critical', streak: 3, candidate: { key: 'k3', finding: failed } };
    // Act
    const message = summaryMessage([first, escalation], 1);
    // Assess
    expect(message.title).toBe('[CRITICAL] silent-audit: 2 more alerts (storm cap 1)');
    expect(message.text.split('\n').slice(4)).toEqual([
      '  escalation (run-failed) × job "etl": 1 (critical)',
      '  run-failed × job "etl": 1 (high); 1 more finding like it in the same delivery',
    ]);
    expect(message.data.items).toEqual([
      { detector: 'run-failed', subject: 'etl', subject_kind: 'job', kind: 'escalation', severity: 'critical', episode_since: '2026-10-07T01:10:00Z', count: 1 },
      { detector: 'run-failed', subject: 'etl', subject_kind: 'job', kind: 'finding', severity: 'high', episode_since: '2026-10-07T01:10:00Z', count: 1, coalesced: 1 },
    ]);
  });

  it("lists a pair's alerts of two episodes in a storm summary's text on one line, counting both, and as two items in its JSON", () => {
    // Prepare: two alerts about etl in one delivery, of two episodes (a recovery closed the first between them); the second held 2 before it.
    const at = (hour: number) => Date.parse(`2026-10-07T0${hour}:00:00Z`);
    const alert = (hour: number, more: Partial<PlannedAlert> = {}): PlannedAlert => ({ ...base, kind: 'finding', detector: 'run-failed', severity: 'high', episodeSince: at(hour), candidate: { key: `k${hour}`, finding: { ...failed, ts: isoTime(at(hour)), run_id: `r${hour}` } }, ...more });
    // Act
    const message = summaryMessage([alert(1, { coalesced: 1 }), alert(5, { severity: 'critical', suppressed: 2, snoozed: 1, since: at(2) })], 1);
    // Assess
    expect(message.text.split('\n').slice(4)).toEqual(['  run-failed × job "etl": 2 (critical); 1 more finding like it in the same delivery; 2 similar alerts suppressed since 2026-10-07T02:00:00Z (1 while snoozed or in maintenance)']);
    expect((message.data.items as SummaryItem[]).map((i) => [i.episode_since, i.count, i.severity])).toEqual([
      ['2026-10-07T05:00:00Z', 1, 'critical'],
      ['2026-10-07T01:00:00Z', 1, 'high'],
    ]);
  });

  it('lists at most MAX_SUMMARY_LINES detector × subject pairs in a storm summary, and counts the rest', () => {
    // Prepare
    const storm: PlannedAlert[] = Array.from({ length: 300 }, (_, i) => {
      const subject = `etl-partition-${String(i).padStart(4, '0')}`;
      return { ...base, subject, kind: 'finding', detector: 'run-failed', severity: 'high', candidate: { key: subject, finding: { ...failed, subject } } };
    });
    // Act
    const message = summaryMessage(storm, 20);
    // Assess
    const listed = message.text.split('\n').filter((line) => line.startsWith('  run-failed × job'));
    expect(listed).toHaveLength(MAX_SUMMARY_LINES);
    expect(message.text).toContain(`  … and ${300 - MAX_SUMMARY_LINES} more detector × subject pairs.`);
    expect(message.data.items).toHaveLength(300);
  });
});
