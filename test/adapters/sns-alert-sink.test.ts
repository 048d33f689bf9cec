import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsAlertSink } from '../../lambdas/adapters/sns-alert-sink.ts';
import { validateConfig } from '../../lambdas/config.ts';
import type { PlannedAlert } from '../../lambdas/core/alert-policy.ts';
import { alertMessage, summaryMessage } from '../../lambdas/core/alert-policy-messages.ts';
import type { Finding } from '../../lambdas/core/findings.ts';
import { BUILTIN_REDACTOR } from '../../lambdas/core/redact.ts';

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const finding: Finding = {
  detector: 'empty-output',
  subject: 'nightly-backup',
  subject_kind: 'job',
  run_id: 'r-1042',
  ts: '2026-10-03T02:31:07Z',
  severity: 'high',
  message: 'exit 0 with empty output (0 B)',
  evidence: { output_bytes: 0 },
};

/** The per-protocol bodies of a `MessageStructure: 'json'` publish. */
function bodies(input: { Message?: string }): Record<string, string> {
  return JSON.parse(input.Message ?? '{}') as Record<string, string>;
}

describe('SnsAlertSink', () => {
  it('publishes a subject, a readable text for email, JSON for machines, and filterable attributes', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: '1' });
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    // Act
    await sink.publish(finding);
    // Assess
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.Subject).toBe('[HIGH] empty-output: nightly-backup');
    expect(input.MessageStructure).toBe('json');
    const body = bodies(input);
    // The JSON once, in `default` (every machine protocol takes it); email and SMS override it.
    expect(Object.keys(body).sort()).toEqual(['default', 'email', 'sms']);
    expect(body.email).toContain('exit 0 with empty output (0 B)');
    expect(body.email).toContain('Run:      r-1042');
    expect(body.email).toContain('output_bytes: 0');
    expect(body.email).toMatch(/Rule: .+/);
    expect(body.email).toMatch(/What to do: .+/);
    expect(body.sms).toBe('[HIGH] empty-output: nightly-backup');
    expect(JSON.parse(body.default)).toMatchObject({
      version: 1,
      kind: 'finding',
      severity: 'high',
      detector: 'empty-output',
      subject: 'nightly-backup',
      subject_kind: 'job',
      title: '[HIGH] empty-output: nightly-backup',
      finding: { ...finding },
    });
    expect(input.MessageAttributes).toEqual({
      detector: { DataType: 'String', StringValue: 'empty-output' },
      severity: { DataType: 'String', StringValue: 'high' },
      subject: { DataType: 'String', StringValue: 'nightly-backup' },
      subject_kind: { DataType: 'String', StringValue: 'job' },
      kind: { DataType: 'String', StringValue: 'finding' },
    });
  });

  it('writes the Rule: of the email with the thresholds the finding was judged by, never a raw {{key}} mark', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: '1' });
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const slow: Finding = { ...finding, detector: 'duration-slow', severity: 'medium', message: 'took 9 min', evidence: { factor: 3 } };
    const missed: Finding = { ...finding, detector: 'missed-run', severity: 'high', message: 'no run', evidence: { grace_minutes: 15 } };
    const retried: Finding = { ...finding, detector: 'retry-rate', subject: 'checkout', subject_kind: 'route', severity: 'medium', message: 'retries', evidence: { max_rate: 0.1 } };
    // Act
    for (const f of [slow, missed, retried]) await sink.publish(f);
    // Assess
    const emails = sns.commandCalls(PublishCommand).map((c) => bodies(c.args[0].input));
    const rules = emails.map((b) => b.email.split('\n').find((l) => l.startsWith('Rule:')) ?? '');
    expect(rules[0]).toContain('more than 3× (`duration_slow_factor`');
    expect(rules[1]).toContain('within `grace_minutes` (15)');
    expect(rules[2]).toContain('exceed 10% (`retry_rate_max`');
    for (const b of emails) {
      expect(b.email).not.toContain('{{');
      expect(JSON.parse(b.default).text).not.toContain('{{');
    }
  });

  it('writes the Rule: with the config it was given, and names a threshold its evidence does not keep as configured when it has none', async () => {
    // Prepare: etl judged with min_history 10 and grace 20 (the defaults are 5 and 15); its findings' evidence keeps the factor and schedule only.
    sns.on(PublishCommand).resolves({ MessageId: '1' });
    const config = validateConfig({ jobs: { etl: { schedule: '0 2 * * *', grace_minutes: 20, min_history: 10 } } });
    const slow: Finding = { ...finding, detector: 'duration-slow', subject: 'etl', severity: 'medium', message: 'took 9 min', evidence: { factor: 3 } };
    const missed: Finding = { ...finding, detector: 'missed-run', subject: 'etl', severity: 'high', message: 'no run', evidence: { schedule: '0 2 * * *' } };
    const configured = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t', BUILTIN_REDACTOR, config);
    const bare = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');

    // Act
    for (const sink of [configured, bare]) for (const f of [slow, missed]) await sink.publish(f);

    // Assess
    const rules = sns.commandCalls(PublishCommand).map((c) => bodies(c.args[0].input).email.split('\n').find((l) => l.startsWith('Rule:')) ?? '');
    expect(rules[0]).toContain('more than 3× (`duration_slow_factor`');
    expect(rules[0]).toContain('`min_history` (10)');
    expect(rules[1]).toContain('within `grace_minutes` (20)');
    expect(rules[2]).toContain('more than 3× (`duration_slow_factor`');
    expect(rules[2]).toContain('`min_history` (as configured)');
    expect(rules[3]).toContain('within `grace_minutes` (as configured)');
    for (const rule of rules.slice(2)) expect(rule).not.toMatch(/\(5\)|\(15\)|\{\{/);
  });

  it('keeps the subject under 100 characters and on one line, whatever the subject name', async () => {
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    await sink.publish({ ...finding, subject: `/opt/jobs/${'very-long-name-'.repeat(12)}\nrm -rf` });
    const subject = sns.commandCalls(PublishCommand)[0].args[0].input.Subject ?? '';
    expect(subject.length).toBeLessThan(100);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.startsWith('[HIGH] empty-output: /opt/jobs/very-long-name-')).toBe(true);
  });

  it.each([
    ['a long cron command', '/usr/local/bin/backup-postgres.sh --target s3://company-backups/prod/daily --retain 30', '[HIGH] empty-output: /usr/local/bin/backup-postgres.sh --target s3://company-backups/pro... #31cf35'],
    ['an accent', 'sauvegarde-données', '[HIGH] empty-output: sauvegarde-donnees #b51757'],
    ['an emoji', 'nightly 🚀 deploy', '[HIGH] empty-output: nightly ? deploy #2bd951'],
    ['Japanese', '夜間バックアップ', '[HIGH] empty-output: ? #49d6c1'],
    ['an emoji where the title is cut', `${'a'.repeat(70)}${'🚀'.repeat(10)}`, `[HIGH] empty-output: ${'a'.repeat(67)}... #1841fb`],
  ])('publishes a Subject SNS accepts (printable ASCII, under 100 characters) for a name with %s, keeping the name in the bodies', async (_, subject, expected) => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    // Act
    await sink.publish({ ...finding, subject });
    // Assess
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.Subject).toBe(expected);
    expect(input.Subject).toMatch(/^[\x21-\x7e][\x20-\x7e]{0,98}$/);
    expect(bodies(input).email).toContain(`"${subject}"`);
  });

  it('keeps jobs with names in other scripts apart in the Subject: Latin letters folded to ASCII, a stable tag of the name for letters ASCII cannot show', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const long = `nightly-backup-${'データベース-db-'.repeat(20)}`;
    const names = ['夜間バックアップ', '月次レポート', 'Größenprüfung', '夜間バックアップ', 'Ｆｕｌｌ－ｗｉｄｔｈ', long];
    // Act
    for (const subject of names) await sink.publish({ ...finding, subject });
    await sink.send(alertMessage({ kind: 'escalation', subject: long, subject_kind: 'job', detector: 'run-failed', severity: 'critical', streak: 3, at: 0, candidate: { key: 'k', finding: { ...finding, detector: 'run-failed', subject: long } }, suppressed: 0, snoozed: 0, coalesced: 0, retry: false }));
    // Assess
    const [nightly, monthly, german, nightlyAgain, wide, longOne, escalated] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
    expect(nightly).toMatch(/^\[HIGH\] empty-output: \? #[0-9a-f]{6}$/);
    expect(monthly).toMatch(/^\[HIGH\] empty-output: \? #[0-9a-f]{6}$/);
    expect(monthly).not.toBe(nightly);
    expect(nightlyAgain).toBe(nightly);
    expect(german).toBe('[HIGH] empty-output: Grossenprufung #bb23ab');
    expect(wide).toBe('[HIGH] empty-output: Full-width #a041d0');
    const tag = longOne.match(/#[0-9a-f]{6}$/)?.[0];
    expect(longOne.startsWith('[HIGH] empty-output: nightly-backup-?-db-?-db-')).toBe(true);
    expect(longOne.endsWith(`... ${tag}`)).toBe(true);
    expect(escalated.startsWith('[CRITICAL] run-failed: nightly-backup-?-db-')).toBe(true);
    expect(escalated.endsWith(`... ${tag} (3 in a row)`)).toBe(true);
    for (const s of [nightly, monthly, german, wide, longOne, escalated]) expect(s).toMatch(/^[\x21-\x7e][\x20-\x7e]{0,98}$/);
  });

  it('keeps a job whose name folds wholly to ASCII apart from the ASCII job it folds to, and never drops a name made of marks alone', async () => {
    // Prepare: names that fold to another job's ASCII name, and names of combining marks only
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const pairs = [['café-sync', 'cafe-sync'], ['Größe', 'Grosse'], ['\ufb01le-sync', 'file-sync'], ['Ｂａｃｋｕｐ', 'Backup'], ['a\tb', 'a b'], ['\u0301', '\u0308']];
    // Act
    for (const subject of pairs.flat()) await sink.publish({ ...finding, subject });
    // Assess: each pair gets two Subjects; the folded name is shown, tagged; an ASCII name stays as it is
    const subjects = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
    expect(pairs.map((_, i) => subjects[2 * i] === subjects[2 * i + 1])).toEqual(pairs.map(() => false));
    expect(subjects[0]).toMatch(/^\[HIGH\] empty-output: cafe-sync #[0-9a-f]{6}$/);
    expect(subjects[1]).toBe('[HIGH] empty-output: cafe-sync');
    expect(subjects[8]).toMatch(/^\[HIGH\] empty-output: a b #[0-9a-f]{6}$/);
    expect(subjects[10]).toMatch(/^\[HIGH\] empty-output: \? #[0-9a-f]{6}$/);
    for (const s of subjects) expect(s).toMatch(/^[\x21-\x7e][\x20-\x7e]{0,98}$/);
  });

  it('tags an ASCII name that is shortened, so jobs differing only past the cut keep apart Subjects', async () => {
    // Prepare: two cron jobs named by their commands, the same up to where the Subject cuts them; a short name
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const jobs = ['orders', 'invoices'].map((file) => `pg_dump -h db.internal.example.com -U backup -d orders_production -f /var/backups/${file}.sql`);
    // Act
    for (const subject of [...jobs, 'nightly-backup']) await sink.publish({ ...finding, subject });
    // Assess: the shortened names are tagged and apart, each under 100 characters; a name shown whole is not tagged
    const subjects = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
    expect(subjects[0]).not.toBe(subjects[1]);
    for (const s of subjects.slice(0, 2)) expect(s).toMatch(/^\[HIGH\] empty-output: pg_dump -h db\.internal\.example\.com .*\.\.\. #[0-9a-f]{6}$/);
    for (const s of subjects.slice(0, 2)) expect(s.length).toBeLessThan(100);
    expect(subjects[2]).toBe('[HIGH] empty-output: nightly-backup');
  });

  it('keeps the Subject under 100 characters when redacting the title again lengthens it', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const names = Array.from({ length: 40 }, (_, i) => BUILTIN_REDACTOR.redactName(`/opt/bin/${'x'.repeat(40 + i)} --password=hunter2secret --verbose`));
    // Act
    for (const subject of names) await sink.publish({ ...finding, detector: 'run-failed', subject });
    // Assess
    const subjects = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
    expect(subjects).toHaveLength(40);
    for (const s of subjects) {
      expect(s.length).toBeLessThan(100);
      expect(s).not.toContain('hunter2');
    }
  });

  it('shows the control characters of a name, run id and evidence from logs escaped in the email, so a log line cannot forge lines of it', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const forged: Finding = {
      ...finding,
      detector: 'run-failed',
      subject: 'backup\n\nAll clear: this is a drill, no action needed.\n\u001b[2J',
      run_id: 'r1\nRun:      r0-ok',
      message: 'run exited with code 1: ERROR\u001b[31m disk full',
      evidence: { excerpt: 'ERROR: disk full\nStatus: OK', exit_code: 1 },
    };
    // Act
    await sink.publish(forged);
    // Assess
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    const email = bodies(input).email;
    expect(email).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(email.split('\n')[0]).toBe('run-failed on job "backup\\x0a\\x0aAll clear: this is a drill, no action needed.\\x0a\\x1b[2J" (high)');
    expect(email.split('\n').filter((line) => line.startsWith('Run:'))).toEqual(['Run:      r1\\x0aRun:      r0-ok']);
    expect(email).toContain('run exited with code 1: ERROR\\x1b[31m disk full');
    expect(email).toContain('  excerpt: ERROR: disk full\\x0aStatus: OK');
    expect(email).not.toMatch(/^(All clear|Status)/m);
    // The JSON keeps the name as it is (JSON escapes it); the attribute drops what SNS refuses.
    expect(JSON.parse(bodies(input).default)).toMatchObject({ subject: forged.subject, finding: { run_id: forged.run_id } });
    expect(input.MessageAttributes?.subject?.StringValue).not.toContain('\u001b');
  });

  it('shows the C1 controls and bidi overrides of a name escaped in the SMS and the JSON title, so a name cannot reorder them', async () => {
    // Prepare: a right-to-left override that reads "OK, no action needed", a one-byte CSI and a NEL
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    // Act
    await sink.publish({ ...finding, detector: 'run-failed', subject: 'db-backup \u202edeen noitca on ,KO\u202c' });
    await sink.publish({ ...finding, detector: 'run-failed', subject: 'etl\u009b2J\u0085Run: fine' });
    // Assess: both titles show each such character as the email does; no raw one is left
    const titles = sns.commandCalls(PublishCommand).map((c) => bodies(c.args[0].input)).map((b) => [b.sms, JSON.parse(b.default).title as string]);
    expect(titles).toEqual([
      ['[HIGH] run-failed: db-backup \\u202edeen noitca on ,KO\\u202c', '[HIGH] run-failed: db-backup \\u202edeen noitca on ,KO\\u202c'],
      ['[HIGH] run-failed: etl\\x9b2J\\x85Run: fine', '[HIGH] run-failed: etl\\x9b2J\\x85Run: fine'],
    ]);
  });

  it('drops the control characters SNS refuses in a message attribute, keeping the rest of the subject', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    // Act
    await sink.publish({ ...finding, subject: 'nightly\u0007backup\u001b 🚀' });
    await sink.publish({ ...finding, subject: '\u0000' });
    // Assess
    const [first, second] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes?.subject);
    expect(first).toEqual({ DataType: 'String', StringValue: 'nightlybackup 🚀' });
    expect(second).toEqual({ DataType: 'String', StringValue: '-' });
  });

  it.each([
    ['an escalation', 'escalation', '[CRITICAL] run-failed: etl-customer-invoices-reconciliation-', '(3 in a row)'],
    ['a flapping notice', 'flapping', '[HIGH] flapping: etl-customer-invoices-reconciliation-', '(6 switches in 24 h)'],
    ['a recovery notice', 'recovery', '[RECOVERED] etl-customer-invoices-reconciliation-', 'healthy for 3 runs'],
  ] as const)('keeps the whole tail of %s about a long-named job in the Subject, shortening the name', async (_, kind, start, tail) => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const subject = `etl-customer-invoices-reconciliation-${'eu-west-1-'.repeat(8)}`;
    const planned = { subject, subject_kind: 'job' as const, at: 0, suppressed: 0, snoozed: 0, coalesced: 0, retry: false };
    const notice = { id: 'n', at: 0, leaseUntil: 0, severity: 'high' as const, detectors: ['run-failed'] };
    const alert: PlannedAlert =
      kind === 'escalation'
        ? { ...planned, kind, detector: 'run-failed', severity: 'critical', streak: 3, candidate: { key: 'k', finding: { ...finding, detector: 'run-failed', subject } } }
        : kind === 'flapping'
          ? { ...planned, kind, detector: 'run-failed', severity: 'high', notice: { ...notice, kind, detail: { transitions: 6, window_hours: 24, suppressed: 0 } } }
          : { ...planned, kind, detector: 'run-failed', severity: 'high', notice: { ...notice, kind, detail: { healthy_runs: 3, open_since: 0, suppressed: 0 } } };
    // Act
    await sink.send(alertMessage(alert));
    // Assess
    const got = sns.commandCalls(PublishCommand)[0].args[0].input.Subject ?? '';
    expect(got.length).toBeLessThan(100);
    expect(got.startsWith(start)).toBe(true);
    // …the shortened name tagged, so it stays apart from a job differing past the cut
    expect(got.endsWith(` ${tail}`)).toBe(true);
    expect(got.slice(0, -tail.length - 1)).toMatch(/\.\.\. #[0-9a-f]{6}$/);
  });

  it("keeps the tail of an escalation about a job named by a command with a redacted password, never cutting the name inside the marker", async () => {
    // Prepare: a cron job's name is its command, redacted as it was read, at 40 lengths that put the cut in and around the marker
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const names = Array.from({ length: 40 }, (_, i) =>
      BUILTIN_REDACTOR.redactName(`mysqldump -u svc-backup-${'x'.repeat(i)} --password=S3cretPass orders | gzip > /var/backups/orders.sql.gz`),
    );
    // Act
    for (const subject of names) {
      const planned = { kind: 'escalation' as const, subject, subject_kind: 'job' as const, detector: 'run-failed', severity: 'critical' as const, streak: 3, at: 0, suppressed: 0, snoozed: 0, coalesced: 0, retry: false };
      await sink.send(alertMessage({ ...planned, candidate: { key: 'k', finding: { ...finding, detector: 'run-failed', subject } } }));
    }
    // Assess: every Subject and SMS title keeps "(3 in a row)" after the shortened name, whose marker is whole or gone
    const inputs = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    const subjects = inputs.map((input) => input.Subject ?? '');
    const titles = inputs.map((input) => bodies(input).sms);
    expect(subjects.filter((s) => !s.endsWith(' (3 in a row)') || s.length > 99)).toEqual([]);
    expect(titles.filter((t) => !t.endsWith(' (3 in a row)') || t.length > 99)).toEqual([]);
    for (const text of [...subjects, ...titles]) expect(text.replace(/\[REDACTED:secret-assignment\]/g, '')).not.toMatch(/\[R|S3cret/);
  });

  it('keeps the start of a one-word name (a URL) when the cut falls in a marker, so such jobs keep apart Subjects', async () => {
    // Prepare: jobs named by a webhook URL whose token was redacted as it was read: one word, the marker past the cut
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const names = ['nightly-rebuild', 'weekly-cleanup'].map((job) =>
      BUILTIN_REDACTOR.redactName(`https://hooks.example.com/v1/${job}?token=9f8e7d6c5b4a39281706f5e4d3c2b1a0&project=infrastructure-operations`),
    );
    // Act
    for (const subject of names) {
      const planned = { kind: 'escalation' as const, subject, subject_kind: 'job' as const, detector: 'run-failed', severity: 'critical' as const, streak: 3, at: 0, suppressed: 0, snoozed: 0, coalesced: 0, retry: false };
      await sink.send(alertMessage({ ...planned, candidate: { key: 'k', finding: { ...finding, detector: 'run-failed', subject } } }));
    }
    // Assess: each Subject names its job's URL up to the marker's field, and the tail stays
    const subjects = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
    expect(subjects[0]).toMatch(/^\[CRITICAL\] run-failed: https:\/\/hooks\.example\.com\/v1\/nightly-rebuild\?\.\.\. .*\(3 in a row\)$/);
    expect(subjects[1]).toMatch(/^\[CRITICAL\] run-failed: https:\/\/hooks\.example\.com\/v1\/weekly-cleanup\?\.\.\. .*\(3 in a row\)$/);
    for (const text of subjects) expect(text).not.toMatch(/\[R|9f8e7d|token=/);
  });

  it('sends a storm summary with subject and detector `multiple` and its highest severity', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const planned = (subject: string, severity: 'high' | 'medium') => ({
      kind: 'finding' as const,
      subject,
      subject_kind: 'job' as const,
      detector: 'run-failed',
      severity,
      at: 0,
      candidate: { key: subject, finding: { ...finding, detector: 'run-failed' as const, subject, severity } },
      suppressed: 0,
      snoozed: 0,
      coalesced: 0,
      retry: false,
    });
    // Act
    await sink.send(summaryMessage([planned('a', 'medium'), planned('b', 'high'), planned('b', 'high')], 20));
    // Assess
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.Subject).toBe('[HIGH] silent-audit: 3 more alerts (storm cap 20)');
    expect(input.MessageAttributes).toMatchObject({ kind: { DataType: 'String', StringValue: 'summary' }, subject: { DataType: 'String', StringValue: 'multiple' }, severity: { DataType: 'String', StringValue: 'high' } });
    const body = bodies(input);
    expect(body.email).toContain('  run-failed × job "b": 2 (high)\n  run-failed × job "a": 1 (medium)');
    expect(JSON.parse(body.default).items).toEqual([
      { detector: 'run-failed', subject: 'b', subject_kind: 'job', kind: 'finding', severity: 'high', episode_since: '2026-10-03T02:31:07Z', count: 2 },
      { detector: 'run-failed', subject: 'a', subject_kind: 'job', kind: 'finding', severity: 'medium', episode_since: '2026-10-03T02:31:07Z', count: 1 },
    ]);
  });

  it.each(['finding', 'escalation', 'flapping', 'recovery'] as const)('names the subject’s config owner, redacted when the message is composed, in a %s message’s `owner` attribute and JSON', async (kind) => {
    // Prepare: etl's owner names a Slack webhook; a team subscribes with the filter policy {"owner": [...]}
    sns.on(PublishCommand).resolves({});
    const config = validateConfig({ jobs: { etl: { owner: 'team01 https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx' } } });
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t', BUILTIN_REDACTOR, config);
    const planned = { subject: 'etl', subject_kind: 'job' as const, detector: 'run-failed', at: 0, suppressed: 0, snoozed: 0, coalesced: 0, retry: false };
    const notice = { id: 'n', at: 0, leaseUntil: 0, severity: 'high' as const, detectors: ['run-failed'] };
    const alert: PlannedAlert =
      kind === 'finding' || kind === 'escalation'
        ? { ...planned, kind, severity: 'high', streak: 3, candidate: { key: 'k', finding: { ...finding, detector: 'run-failed', subject: 'etl' } } }
        : { ...planned, kind, severity: 'high', notice: { ...notice, kind, detail: kind === 'flapping' ? { transitions: 6, window_hours: 24 } : { healthy_runs: 3, open_since: 0 } } };
    // Act
    const message = alertMessage(alert, config);
    await sink.send(message);
    // Assess: redacted as composed (the file sink writes it as it is), not only by the sink's last redaction
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    const owner = 'team01 https://hooks.slack.com/services/[REDACTED:slack-webhook]';
    expect(message.owner).toBe(owner);
    expect(input.MessageAttributes?.owner).toEqual({ DataType: 'String', StringValue: owner });
    expect(Object.keys(input.MessageAttributes ?? {}).length).toBeLessThanOrEqual(10);
    expect(JSON.parse(bodies(input).default).owner).toBe(owner);
  });

  it('names the owners of a storm summary’s items in its `owners` String.Array attribute and in each item', async () => {
    // Prepare: a owned by team01, b by team02, c by no one
    sns.on(PublishCommand).resolves({});
    const config = validateConfig({ jobs: { a: { owner: 'team01' }, b: { owner: 'team02' }, c: {} } });
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t', BUILTIN_REDACTOR, config);
    const planned = (subject: string) => ({
      kind: 'finding' as const,
      subject,
      subject_kind: 'job' as const,
      detector: 'run-failed',
      severity: 'high' as const,
      at: 0,
      candidate: { key: subject, finding: { ...finding, detector: 'run-failed' as const, subject } },
      suppressed: 0,
      snoozed: 0,
      coalesced: 0,
      retry: false,
    });
    // Act
    await sink.send(summaryMessage([planned('b'), planned('a'), planned('c')], 20, config));
    // Assess
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.MessageAttributes?.owners).toEqual({ DataType: 'String.Array', StringValue: '["team01","team02"]' });
    expect(input.MessageAttributes?.owner).toBeUndefined();
    expect(JSON.parse(bodies(input).default).items.map((i: { subject: string; owner?: string }) => [i.subject, i.owner ?? null])).toEqual([['a', 'team01'], ['b', 'team02'], ['c', null]]);
  });

  it('keeps a storm summary of 1,000 subjects with distinct long owners under the SNS limit, attributes counted, dropping an `owners` attribute too large', async () => {
    // Prepare: 1,000 jobs, each owned by its own team (a 36-character address): 38 KB of owners
    sns.on(PublishCommand).resolves({});
    const jobs = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`etl-export-${i}`, { owner: `data-platform-team-${String(i).padStart(4, '0')}@example.com` }]));
    const config = validateConfig({ jobs });
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t', BUILTIN_REDACTOR, config);
    const storm = Object.keys(jobs).map((subject) => ({ kind: 'finding' as const, subject, subject_kind: 'job' as const, detector: 'run-failed', severity: 'high' as const, at: 0, candidate: { key: subject, finding: { ...finding, detector: 'run-failed' as const, subject } }, suppressed: 0, snoozed: 0, coalesced: 0, retry: false }));
    // Act
    await sink.send(summaryMessage(storm, 20, config));
    // Assess: what SNS counts (the body, each attribute's name, type and value, the subject) is under 256 KiB
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    const attributes = Object.entries(input.MessageAttributes ?? {}).reduce((sum, [name, a]) => sum + Buffer.byteLength(name) + Buffer.byteLength(a.DataType ?? '') + Buffer.byteLength(a.StringValue ?? ''), 0);
    expect(Buffer.byteLength(input.Message ?? '') + attributes + Buffer.byteLength(input.Subject ?? '')).toBeLessThanOrEqual(262_144);
    expect(input.MessageAttributes?.owners).toBeUndefined();
    const data = JSON.parse(bodies(input).default) as { owners?: string[]; owners_cut?: boolean; items: Array<{ owner?: string }>; items_more?: number };
    expect(data.owners).toBeUndefined();
    expect(data.owners_cut).toBe(true);
    expect(data.items[0].owner).toMatch(/^data-platform-team-\d{4}@example\.com$/);
    expect(data.items.length + (data.items_more ?? 0)).toBe(1000);
  });

  it('counts the attributes in the size limit of a summary whose owners attribute is kept', async () => {
    // Prepare: 600 jobs with long names, two by each of 300 owners of 47 characters (15 KB of owners, kept)
    sns.on(PublishCommand).resolves({});
    const names = Array.from({ length: 600 }, (_, i) => `/opt/jobs/etl/nightly-export-customer-partition-${String(i).padStart(4, '0')}-${'x'.repeat(600)}.sh`);
    const config = validateConfig({ jobs: Object.fromEntries(names.map((n, i) => [n, { owner: `team-${String(i % 300).padStart(4, '0')}-${'o'.repeat(25)}@example.com` }])) });
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t', BUILTIN_REDACTOR, config);
    const storm = Object.keys(config.jobs).map((subject) => ({ kind: 'finding' as const, subject, subject_kind: 'job' as const, detector: 'run-failed', severity: 'high' as const, at: 0, candidate: { key: subject, finding: { ...finding, detector: 'run-failed' as const, subject } }, suppressed: 0, snoozed: 0, coalesced: 0, retry: false }));
    // Act
    await sink.send(summaryMessage(storm, 20, config));
    // Assess
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    const attributes = Object.entries(input.MessageAttributes ?? {}).reduce((sum, [name, a]) => sum + Buffer.byteLength(name) + Buffer.byteLength(a.DataType ?? '') + Buffer.byteLength(a.StringValue ?? ''), 0);
    expect(JSON.parse(input.MessageAttributes?.owners?.StringValue ?? '[]')).toHaveLength(300);
    expect(Buffer.byteLength(input.Message ?? '') + attributes + Buffer.byteLength(input.Subject ?? '')).toBeLessThanOrEqual(240_000);
    const data = JSON.parse(bodies(input).default) as { owners: string[]; items: unknown[]; items_more?: number };
    expect(data.owners).toHaveLength(300);
    expect(data.items.length + (data.items_more ?? 0)).toBe(600);
  });

  it('treats a blank config owner as no owner: no `owner` attribute, not in a summary’s `owners`', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const config = validateConfig({ jobs: { a: { owner: '' }, b: { owner: '  ' }, c: { owner: 'team01' } } });
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t', BUILTIN_REDACTOR, config);
    const planned = (subject: string) => ({ kind: 'finding' as const, subject, subject_kind: 'job' as const, detector: 'run-failed', severity: 'high' as const, at: 0, candidate: { key: subject, finding: { ...finding, detector: 'run-failed' as const, subject } }, suppressed: 0, snoozed: 0, coalesced: 0, retry: false });
    // Act
    await sink.send(alertMessage(planned('a'), config));
    await sink.send(summaryMessage([planned('a'), planned('b'), planned('c')], 20, config));
    // Assess
    const [one, summary] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(one.MessageAttributes?.owner).toBeUndefined();
    expect(JSON.parse(bodies(one).default).owner).toBeUndefined();
    expect(summary.MessageAttributes?.owners).toEqual({ DataType: 'String.Array', StringValue: '["team01"]' });
    expect(JSON.parse(bodies(summary).default).items.map((i: { owner?: string }) => i.owner ?? null)).toEqual([null, null, 'team01']);
  });

  it('stays under the SNS size limit with a huge evidence, cutting the text and the evidence', async () => {
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    await sink.publish({ ...finding, evidence: { output_head: 'x'.repeat(100_000) } });
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(Buffer.byteLength(input.Message ?? '')).toBeLessThan(240_000);
    expect(JSON.parse(bodies(input).default).finding).toMatchObject({ detector: 'empty-output', evidence: {}, evidence_cut: true });
  });

  it('stays under the SNS size limit with a storm summary over 300 subjects, keeping the most urgent items and counting the rest', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const storm = Array.from({ length: 300 }, (_, i) => {
      const subject = `/opt/jobs/etl/nightly-export-customer-partition-${String(i).padStart(4, '0')}.sh`;
      const severity = i === 299 ? ('critical' as const) : ('high' as const);
      return { kind: 'finding' as const, subject, subject_kind: 'job' as const, detector: 'run-failed', severity, at: 0, candidate: { key: subject, finding: { ...finding, detector: 'run-failed' as const, subject, severity } }, suppressed: 0, snoozed: 0, coalesced: 0, retry: false };
    });
    // Act
    await sink.send(summaryMessage(storm, 20));
    // Assess
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(Buffer.byteLength(input.Message ?? '', 'utf8')).toBeLessThanOrEqual(240_000);
    const data = JSON.parse(bodies(input).default) as { alerts: number; items: Array<{ subject: string; severity: string }>; items_more?: number };
    expect(data.alerts).toBe(300);
    expect(data.items.length).toBeGreaterThan(0);
    expect(data.items.length + (data.items_more ?? 0)).toBe(300);
    expect(data.items[0]).toMatchObject({ subject: storm[299].subject, severity: 'critical' });
  });

  it('writes the JSON of a storm summary once, so a machine subscriber gets most of 380 long names, not 33', async () => {
    // Prepare: 380 jobs named in 198 characters of emoji, Japanese and ASCII (about 430 bytes each).
    sns.on(PublishCommand).resolves({});
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    const storm = Array.from({ length: 380 }, (_, i) => {
      const subject = `${'🔥'.repeat(40)}夜間バ${'a'.repeat(150)}-${String(i).padStart(4, '0')}`;
      return { kind: 'finding' as const, subject, subject_kind: 'job' as const, detector: 'run-failed', severity: 'high' as const, at: 0, candidate: { key: subject, finding: { ...finding, detector: 'run-failed' as const, subject, severity: 'high' as const } }, suppressed: 0, snoozed: 0, coalesced: 0, retry: false };
    });
    // Act
    await sink.send(summaryMessage(storm, 20));
    // Assess
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(Buffer.byteLength(input.Message ?? '', 'utf8')).toBeLessThanOrEqual(240_000);
    const data = JSON.parse(bodies(input).default) as { items: unknown[]; items_more?: number };
    expect(data.items.length).toBeGreaterThanOrEqual(200);
    expect(data.items.length + (data.items_more ?? 0)).toBe(380);
  });

  it('lets a failed publish surface, so the finding stays pending', async () => {
    sns.on(PublishCommand).rejects(new Error('Throttling'));
    const sink = new SnsAlertSink(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:1:t');
    await expect(sink.publish(finding)).rejects.toThrow('Throttling');
  });
});
