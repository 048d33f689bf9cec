import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG, loadConfig, parseConfigText } from '../../lambdas/config.ts';
import { runInit, starterConfig, yamlString } from '../../lambdas/cli/init-command.ts';
import { buildProgram } from '../../lambdas/cli/program.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { expectedStarts } from '../../lambdas/core/schedule.ts';
import { lambdaInvocations, serveLogGroups } from '../helpers/cloudwatch-logs.ts';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d.toString()));
  return { stream, text: () => text };
}

async function init(paths: string[], extra: Partial<Parameters<typeof runInit>[0]> = {}) {
  const out = capture();
  const err = capture();
  const result = await runInit({ paths, out: 'silent-audit.config.yaml', force: false, year: 2026, stdout: out.stream, stderr: err.stream, ...extra });
  return { result, stdout: out.text(), stderr: err.text() };
}

async function scanFindings(paths: string[], config = DEFAULT_CONFIG) {
  const out = capture();
  const result = await runScan({ paths, config, json: true, year: 2026, stdout: out.stream, stderr: capture().stream });
  return result.findings.map((f) => [f.detector, f.subject, f.run_id ?? f.expected_at ?? '']);
}

/** A cron log of a backup started at these times, written in RFC 3339 with the offset of `zone` at each. */
function zonedCronLog(dir: string, starts: readonly number[], zone: string): string {
  const lines = starts.map((t, i) => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(t)).map((p) => [p.type, p.value]));
    const offset = Math.round((Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second) - Math.floor(t / 1000) * 1000) / 60_000);
    const hhmm = `${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset < 0 ? '-' : '+'}${hhmm} web1 CRON[${1000 + i}]: (root) CMD (/usr/local/bin/backup.sh)`;
  });
  const file = join(dir, 'cron.log');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/**
 * A cron log of three October weeks: a daily `mysqldump` with a password on its command line at
 * 04:00 (its run on the 14th missing), and a job with a `:` and a `#` in its command run twice.
 */
function cronLog(dir: string): string {
  const lines: string[] = [];
  for (let d = 1; d <= 21; d++) {
    const day = String(d).padStart(2, ' ');
    if (d !== 14) lines.push(`Oct ${day} 04:00:01 db1 CRON[${2000 + d}]: (root) CMD (mysqldump -uroot -pS3cret appdb)`);
    if (d <= 2) lines.push(`Oct ${day} 05:15:01 db1 CRON[${3000 + d}]: (root) CMD (echo "rotated: ok" # weekly note)`);
  }
  const file = join(dir, 'cron.log');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('silent-audit init', () => {
  it('is listed among the commands', () => {
    // Act
    const help = buildProgram().helpInformation();

    // Assess
    expect(help).toMatch(/^\s+init \[options\] \[paths\.\.\.\]\s+scan logs as scan does and write a starter config/m);
  });

  it('writes a config that loads, keys the redacted cron command, and configures the learned daily schedule', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const log = cronLog(dir);
    const before = await scanFindings([log]);

    // Act
    const { result, stdout } = await init([log], { cwd: dir });

    // Assess: the file is there and loads through the real loader
    expect(result.exitCode).toBe(0);
    const file = join(dir, 'silent-audit.config.yaml');
    const text = readFileSync(file, 'utf8');
    const config = loadConfig(file);
    const dump = 'mysqldump -uroot -p[REDACTED:cli-password] appdb';
    expect(Object.keys(config.jobs).sort()).toEqual(['echo "rotated: ok" # weekly note', dump]);
    expect(config.jobs[dump].schedule).toBe('0 4 * * *');
    expect(config.jobs[dump].timezone).toBeUndefined();
    expect(config.jobs['echo "rotated: ok" # weekly note'].schedule).toBeUndefined();
    expect(text).toMatch(/# schedule learned from its runs: daily, 95% regular over 19 intervals; times in UTC\n {2}"mysqldump -uroot -p\[REDACTED:cli-password\] appdb":\n {4}schedule: "0 4 \* \* \*"\n {4}# no expect_pattern: .*\n {4}# owner: /);
    expect(text).toContain('# no schedule learned: too few runs (2 seen; one is learned from 6 or more)');
    expect(text).toContain('docs/configuration.md');
    expect(text).toMatch(/^# deploy:\n# {3}log_groups: .*\n# {3}alert_emails: .*$/m);
    expect(stdout).toContain('wrote silent-audit.config.yaml: 2 jobs (1 with a learned schedule), 0 agents, 0 routes');

    // Assess: scanning with it gives the same findings, and the missed run its schedule now says
    const after = await scanFindings([log], config);
    expect(before.some(([detector]) => detector === 'missed-run')).toBe(false);
    expect(after).toEqual([...before, ['missed-run', dump, '2026-10-14T04:00:00Z']].sort((a, b) => (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0)));
  });

  it('writes JSON for an --out named .json, which scan --config then loads with the learned schedule', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const log = cronLog(dir);

    // Act
    const { result, stdout } = await init([log], { cwd: dir, out: 'silent-audit.config.json' });

    // Assess
    expect(result.exitCode).toBe(0);
    const file = join(dir, 'silent-audit.config.json');
    const dump = 'mysqldump -uroot -p[REDACTED:cli-password] appdb';
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ jobs: { [dump]: { schedule: '0 4 * * *' }, 'echo "rotated: ok" # weekly note': {} } });
    expect(loadConfig(file).jobs[dump].schedule).toBe('0 4 * * *');
    expect(stdout).toContain('wrote silent-audit.config.json (JSON, which has no comments: the notes and the keys left to fill in are in the YAML one, --out silent-audit.config.yaml): 2 jobs (1 with a learned schedule)');
  });

  it('suggests expect_pattern only for jobs whose lines carry their output, not for cron, systemd or Lambda platform jobs', async () => {
    // Prepare: cron CMD lines, systemd's journal, Lambda START/REPORT lines, and instrumented run lines with output
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const paths = [cronLog(dir), join(fixtures, 'journal/backup-oneshot.jsonl'), join(fixtures, 'lambda/etl-loader.log'), join(fixtures, 'instrumented/nightly-backup.jsonl')];

    // Act
    const { result } = await init(paths, { out: '-' });

    // Assess: each job's block of lines under its key
    const blocks = new Map([...result.text!.matchAll(/^ {2}(\S.*):\n((?: {4}.*\n)*)/gm)].map((m) => [m[1].replace(/^"|"$/g, ''), m[2]]));
    const suggested = [...blocks].filter(([, block]) => block.includes('# expect_pattern:')).map(([job]) => job);
    expect(suggested).toEqual(['nightly-backup']);
    expect([...blocks.keys()]).toEqual(expect.arrayContaining(['mysqldump -uroot -p[REDACTED:cli-password] appdb', 'backup.service', 'etl-loader', 'nightly-backup']));
    for (const job of ['mysqldump -uroot -p[REDACTED:cli-password] appdb', 'backup.service', 'etl-loader']) {
      expect(blocks.get(job), job).toContain('# no expect_pattern: no run of it seen logged its output');
    }
  });

  it('reads the logs as of an earlier --now, as scan does: a job whose lines all come after it is not configured, and the lines left out are said', async () => {
    // Prepare: the October cron log (to the 21st), and a job first seen on 25 October
    const dir = mkdtempSync(join(tmpdir(), 'init-now-'));
    const late = join(dir, 'late.log');
    writeFileSync(late, ['Oct 25 05:00:01 db1 CRON[3001]: (root) CMD (/usr/local/bin/late.sh)', 'Oct 26 05:00:01 db1 CRON[3002]: (root) CMD (/usr/local/bin/late.sh)'].join('\n') + '\n');

    // Act
    const { result, stderr } = await init([cronLog(dir), late], { out: '-', now: Date.parse('2026-10-22T00:00:00Z') });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.text).toContain('mysqldump');
    expect(result.text).not.toContain('late.sh');
    expect(stderr).toContain('2 events after --now 2026-10-22T00:00:00Z left out: the init is as of then.');
  });

  it('stubs the agents and routes seen, commented, and leaves the rest of the scan unchanged', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const paths = [join(fixtures, 'instrumented/nightly-backup.jsonl'), join(fixtures, 'agents/support-bot.jsonl')];
    const before = await scanFindings(paths);

    // Act
    const { result } = await init(paths, { cwd: dir });

    // Assess
    expect(result.exitCode).toBe(0);
    const text = result.text!;
    expect(text).toMatch(/^# agents:\n# {3}fact-checker:\n# {5}budget: \{ max_actions: \d+, max_cost_usd: [\d.]+ \}\n/m);
    expect(text).toMatch(/^# routes:\n# {3}search-api:\n# {5}p99_ms: \d+\n/m);
    // The route detectors are in docs/agents.md, their keys in docs/configuration.md.
    expect(text).toContain('# Routes seen: the latency and retry rate they may reach (docs/agents.md has the retry-rate and retry-latency detectors, docs/configuration.md their keys).\n# routes:');
    // The stubs are valid YAML once uncommented.
    const uncommented = (section: string) => parse(text.match(new RegExp(`^# ${section}:\n(?:#.*\n)+`, 'm'))![0].replace(/^# ?/gm, ''))[section];
    expect(Object.keys(uncommented('agents'))).toEqual(['fact-checker', 'researcher', 'support-bot']);
    expect(uncommented('agents')['support-bot']).toEqual({ budget: { max_actions: 50, max_cost_usd: 1 }, owner: 'team@example.com' });
    expect(Object.keys(uncommented('routes'))).toEqual(['search-api']);
    expect(Object.keys(uncommented('deploy'))).toEqual(['log_groups', 'alert_emails']);
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    expect(config.jobs['nightly-backup'].schedule).toBe('30 2 * * *');
    expect(config.agents).toEqual({});
    expect(await scanFindings(paths, config)).toEqual(before);
  });

  it('writes the jobs in the same order on every host: under LC_ALL=tr_TR.UTF-8 as under C (`ilk` before `Ima`, where Turkish collation put `Ima` first)', () => {
    // Prepare: four jobs, run daily for a week
    const dir = mkdtempSync(join(tmpdir(), 'init-order-'));
    const log = join(dir, 'names.log');
    const day = Date.parse('2026-10-01T02:00:00Z');
    const lines = ['Zeta', 'alpha', 'Ima', 'ilk'].flatMap((job) =>
      Array.from({ length: 7 }, (_, i) => {
        const ts = new Date(day + i * 86_400_000).toISOString();
        return [
          JSON.stringify({ type: 'run.start', ts, job, run_id: `${job}-${i}` }),
          JSON.stringify({ type: 'run.end', ts: new Date(day + i * 86_400_000 + 300_000).toISOString(), job, run_id: `${job}-${i}`, exit_code: 0, output_bytes: 10, duration_ms: 300_000 }),
        ];
      }),
    );
    writeFileSync(log, `${lines.join('\n')}\n`);
    const cli = fileURLToPath(new URL('../../bin/silent-audit.mjs', import.meta.url));
    const initUnder = (locale: string) => spawnSync(process.execPath, [cli, 'init', '--out', '-', log], { cwd: dir, encoding: 'utf8', env: { ...process.env, LC_ALL: locale, LANG: locale } });

    // Act
    const turkish = initUnder('tr_TR.UTF-8');
    const posix = initUnder('C');

    // Assess
    expect([turkish.status, posix.status]).toEqual([0, 0]);
    expect(Object.keys(parse(turkish.stdout).jobs)).toEqual(['alpha', 'ilk', 'Ima', 'Zeta']);
    expect(turkish.stdout).toBe(posix.stdout);
  });

  it('reads --log-group as scan does, and names the groups in the deploy stub', async () => {
    // Prepare: a function run daily at 06:00 for eight days
    const first = Date.parse('2026-10-01T06:00:00Z');
    const cwl = mockClient(CloudWatchLogsClient);
    const days = [0, 1, 2, 3, 4, 5, 6, 7];
    serveLogGroups(cwl, { '/aws/lambda/orders-export': lambdaInvocations('orders-export', days.map((d) => ({ at: first + d * 86_400_000, durationMs: 1500, output: { bytes: 6900, head: 'exported\n' } }))) });

    // Act
    const { result } = await init([], { out: '-', logGroups: ['/aws/lambda/orders-export'], since: first - 86_400_000, logsClient: new CloudWatchLogsClient({ region: 'eu-central-1' }) });
    cwl.restore();

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.text).toMatch(/\n {2}orders-export:\n {4}schedule: "0 6 \* \* \*"\n/);
    expect(result.text).toContain('#   log_groups: [/aws/lambda/orders-export]');
  });

  /** Debian rsyslog lines of a daily cron job, 18 to 31 October 2026, at 00:30Z to the day before `movedOn` and 01:30Z from it, written with Berlin's offset. */
  function movingCronLog(dir: string, movedOn: number): string {
    const lines = Array.from({ length: 14 }, (_, i) => {
      const day = 18 + i;
      const utcHour = day < movedOn ? 0 : 1;
      const offset = day <= 25 && !(day === 25 && utcHour === 1) ? 2 : 1;
      return `2026-10-${day}T${String(utcHour + offset).padStart(2, '0')}:30:01+0${offset}:00 web1 CRON[${1000 + 7 * i}]: (root) CMD (/usr/local/bin/backup.sh)`;
    });
    const file = join(dir, 'cron.log');
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  it('writes the schedule of a job on a Berlin host across the October clock change in Europe/Berlin, so that its own config reports no run missed', async () => {
    // Prepare: 02:30 Berlin time every day, 00:30Z to 25 October and 01:30Z after
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const log = movingCronLog(dir, 26);
    const before = await scanFindings([log]);

    // Act
    const { result } = await init([log], { cwd: dir });

    // Assess: the local time in the zone guessed, with a note saying so, and the zones that fit at other times
    expect(result.exitCode).toBe(0);
    const file = join(dir, 'silent-audit.config.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(
      /# schedule learned from its runs: daily, 100% regular over 13 intervals in local time; times in Europe\/Berlin \(guessed: see below\)\n {2}\/usr\/local\/bin\/backup.sh:\n {4}schedule: "30 2 \* \* \*"\n {4}timezone: Europe\/Berlin\n {4}# timezone guessed: the runs kept one local time while their UTC time moved by an hour at the clock change on 2026-10-25; if the host is in another zone, use its own \(these fit as well: "30 1 \* \* \*" in Europe\/London, "30 3 \* \* \*" in Europe\/Helsinki, /,
    );
    const config = loadConfig(file);
    expect(config.jobs['/usr/local/bin/backup.sh']).toMatchObject({ schedule: '30 2 * * *', timezone: 'Europe/Berlin' });
    // Assess: scanning with it gives the same findings: no run after the change is missed
    expect(await scanFindings([log], config)).toEqual(before);
  });

  it('writes the hours of a job run in business hours, and comments out an hourly schedule its earlier runs in Lord Howe do not fit, so that neither config reports runs missed on the same logs', async () => {
    // Prepare: a job at 09:00 to 17:00 UTC for 14 days; an @hourly job in Australia/Lord_Howe across its half-hour clock change of 4 October (:30Z before, :00Z after), 336 runs
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const office = expectedStarts('0 9-17 * * *', undefined, Date.parse('2026-10-01T00:00:00Z'), Date.parse('2026-10-15T00:00:00Z')).map((t) => t + 20_000);
    const officeLog = zonedCronLog(mkdtempSync(join(dir, 'office-')), office, 'UTC');
    const hourly = expectedStarts('@hourly', 'Australia/Lord_Howe', Date.parse('2026-09-28T00:00:00Z'), Date.parse('2026-10-12T00:00:00Z')).map((t) => t + 15_000);
    const hourlyLog = zonedCronLog(mkdtempSync(join(dir, 'lh-')), hourly, 'Australia/Lord_Howe');

    // Act
    const office_ = await init([officeLog], { cwd: dir, out: 'office.yaml' });
    const hourly_ = await init([hourlyLog], { cwd: dir, out: 'lh.yaml' });

    // Assess: the window learned; the hourly schedule left commented out with the reason
    expect([office_.result.exitCode, hourly_.result.exitCode]).toEqual([0, 0]);
    const officeConfig = loadConfig(join(dir, 'office.yaml'));
    expect(officeConfig.jobs['/usr/local/bin/backup.sh']).toMatchObject({ schedule: '0 9-17 * * *' });
    const lhText = readFileSync(join(dir, 'lh.yaml'), 'utf8');
    expect(lhText).toContain('# no schedule learned: it runs every 1 h (100% regular over 199 intervals), but its first run seen, at 2026-09-28 00:30 UTC, is at no time of "0 * * * *"');
    expect(lhText).toContain('    # schedule: "0 * * * *"    # UTC, the time of its latest runs; add timezone: if its host runs on local time');
    const lhConfig = loadConfig(join(dir, 'lh.yaml'));
    expect(lhConfig.jobs['/usr/local/bin/backup.sh']?.schedule).toBeUndefined();
    // Assess: scanning the same logs with them reports no run missed
    expect((await scanFindings([officeLog], officeConfig)).filter(([detector]) => detector === 'missed-run')).toEqual([]);
    expect((await scanFindings([hourlyLog], lhConfig)).filter(([detector]) => detector === 'missed-run')).toEqual([]);
  });

  it('keeps live the hourly schedule of a job whose first run seen was by hand, with an outage of two hours later on, so that a scan reports the outage\'s runs missed', async () => {
    // Prepare: a run by hand at 14:37Z on 1 October, then hourly on the hour for 12 days, with no run at 03:00 and 04:00 on the 8th
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const outage = [Date.parse('2026-10-08T03:00:00Z'), Date.parse('2026-10-08T04:00:00Z')];
    const hourly = expectedStarts('0 * * * *', undefined, Date.parse('2026-10-01T14:59:00Z'), Date.parse('2026-10-13T15:00:00Z')).filter((t) => !outage.includes(t));
    const log = zonedCronLog(dir, [Date.parse('2026-10-01T14:37:00Z'), ...hourly].map((t) => t + 5_000), 'UTC');
    // Act
    const { result } = await init([log], { cwd: dir });
    // Assess: the schedule is live (the hand run and the outage cancel out in the count, but the runs after the hand run are on time)
    expect(result.exitCode).toBe(0);
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    expect(config.jobs['/usr/local/bin/backup.sh']).toMatchObject({ schedule: '0 * * * *' });
    const missed = (await scanFindings([log], config)).filter(([detector]) => detector === 'missed-run');
    expect(missed.map(([, , at]) => at)).toEqual(['2026-10-08T03:00:00Z', '2026-10-08T04:00:00Z']);
  });

  it('reads a Berlin host\'s syslog dates in --timezone Europe/Berlin, so that a scan in it with the config written reports no run missed', async () => {
    // Prepare: a backup at 02:30 Berlin time, written as BSD syslog dates (no zone), 18 to 31 October 2026 (the clock goes back on the 25th)
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const log = join(dir, 'syslog');
    const lines = Array.from({ length: 14 }, (_, i) => `Oct ${18 + i} 02:30:01 web1 CRON[${1000 + 7 * i}]: (root) CMD (/usr/local/bin/backup.sh)`);
    writeFileSync(log, lines.join('\n') + '\n');

    // Act
    const { result, stdout } = await init([log], { cwd: dir, timeZone: 'Europe/Berlin' });
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    const out = capture();
    const scanned = await runScan({ paths: [log], config, json: true, year: 2026, timeZone: 'Europe/Berlin', stdout: out.stream, stderr: capture().stream });

    // Assess: its wall time in the zone, no run missed, and the summary's scan gives the zone again
    expect(result.exitCode).toBe(0);
    expect(config.jobs['/usr/local/bin/backup.sh']).toMatchObject({ schedule: '30 2 * * *', timezone: 'Europe/Berlin' });
    expect(scanned.findings).toEqual([]);
    expect(stdout).toContain('Check it, then: silent-audit scan --timezone Europe/Berlin --config silent-audit.config.yaml <the same logs>');
  });

  it('writes the zone --timezone names (America/Nuuk), not the older name Node resolves it to (America/Godthab)', async () => {
    // Prepare: a backup at 02:30 Nuuk time, written as BSD syslog dates (no zone), 1 to 14 September 2026
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const log = join(dir, 'syslog');
    const out = join(dir, 'silent-audit.config.yaml');
    writeFileSync(log, Array.from({ length: 14 }, (_, i) => `Sep ${String(1 + i).padStart(2, ' ')} 02:30:01 gl1 CRON[${1000 + i}]: (root) CMD (/usr/local/bin/backup.sh)`).join('\n') + '\n');
    const program = buildProgram();
    program.commands.find((c) => c.name() === 'init')!.configureOutput({ writeOut: () => undefined });
    const stdout = process.stdout.write;
    process.stdout.write = () => true;

    // Act
    try {
      await program.parseAsync(['node', 'silent-audit', 'init', '--year', '2026', '--timezone', 'America/Nuuk', '--out', out, log]);
    } finally {
      process.stdout.write = stdout;
    }

    // Assess: the zone as given, at the wall time the runs kept in it
    expect(loadConfig(out).jobs['/usr/local/bin/backup.sh']).toMatchObject({ schedule: '30 2 * * *', timezone: 'America/Nuuk' });
    expect(readFileSync(out, 'utf8')).not.toContain('Godthab');
  });

  it("reads a stock Debian host's hourly run-parts in --timezone Europe/Berlin, run in both passes of the hour the clock goes back, so that its own config reports no run missed", async () => {
    // Prepare: /etc/crontab's `17 * * * *` run-parts with its PAM session lines, hourly from 18 to 31 October 2026, as Berlin wall time; cron logs `02:17:01` twice on the 25th
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const log = join(dir, 'syslog');
    const wall = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const lines: string[] = [];
    for (let t = Date.UTC(2026, 9, 18, 0, 17), pid = 5000; t < Date.UTC(2026, 10, 1); t += 3_600_000, pid += 2) {
      const p = Object.fromEntries(wall.formatToParts(new Date(t)).map((part) => [part.type, part.value]));
      const date = `${p.month} ${p.day.padStart(2, ' ')} ${p.hour}:${p.minute}:01 deb1`;
      lines.push(
        `${date} CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
        `${date} CRON[${pid + 1}]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)`,
        `${date} CRON[${pid}]: pam_unix(cron:session): session closed for user root`,
      );
    }
    writeFileSync(log, lines.join('\n') + '\n');

    // Act
    const { result } = await init([log], { cwd: dir, timeZone: 'Europe/Berlin' });
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    const scanned = await runScan({ paths: [log], config, json: true, year: 2026, timeZone: 'Europe/Berlin', stdout: capture().stream, stderr: capture().stream });

    // Assess: learned hourly, both 02:17 runs counted, none missed
    expect(result.exitCode).toBe(0);
    expect(lines.filter((line) => line.startsWith('Oct 25 02:17:01') && line.includes(' CMD ('))).toHaveLength(2);
    expect(config.jobs['cd / && run-parts --report /etc/cron.hourly']).toMatchObject({ schedule: '17 * * * *' });
    expect(scanned.findings).toEqual([]);
  });

  it("learns the schedule of a Berlin host's syslog of September in --timezone Europe/Berlin, so that it holds after the October clock change", async () => {
    // Prepare: a backup at 02:30 Berlin time, as BSD syslog dates, every day from 1 September to 20 November 2026; init reads September's 20 days
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const [september, all] = [join(dir, 'september'), join(dir, 'syslog')];
    const date = (day: number) => new Date(Date.UTC(2026, 8, 1 + day));
    const lines = Array.from({ length: 81 }, (_, i) => `${date(i).toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })} ${String(date(i).getUTCDate()).padStart(2, ' ')} 02:30:01 web1 CRON[${1000 + i}]: (root) CMD (/usr/local/bin/backup.sh)`);
    writeFileSync(september, lines.slice(0, 20).join('\n') + '\n');
    writeFileSync(all, lines.join('\n') + '\n');

    // Act
    const { result } = await init([september], { cwd: dir, timeZone: 'Europe/Berlin' });
    const text = readFileSync(join(dir, 'silent-audit.config.yaml'), 'utf8');
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    const scanned = await runScan({ paths: [all], config, json: true, year: 2026, timeZone: 'Europe/Berlin', stdout: capture().stream, stderr: capture().stream });

    // Assess: learned in Berlin's wall time, said to come from --timezone; no run after the change missed
    expect(result.exitCode).toBe(0);
    expect(text).toContain('# schedule learned from its runs: daily, 100% regular over 19 intervals in local time; times in Europe/Berlin (the --timezone given)');
    expect(config.jobs['/usr/local/bin/backup.sh']).toMatchObject({ schedule: '30 2 * * *', timezone: 'Europe/Berlin' });
    expect(scanned.findings).toEqual([]);
  });

  it('writes the schedule of a UTC job whose runs start 0 to 5 minutes late at the earliest minute, so that its own config reports no run missed', async () => {
    // Prepare: 02:30 UTC every day for 45 days, each run 0 to 5 minutes late (02:34 the most common)
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const late = [0, 4, 1, 4, 2, 5, 3, 4];
    const starts = Array.from({ length: 45 }, (_, i) => Date.UTC(2026, 9, 1 + i, 2, 30 + late[i % late.length], 7));
    const log = zonedCronLog(dir, starts, 'UTC');
    const before = await scanFindings([log]);

    // Act
    const { result } = await init([log], { cwd: dir });

    // Assess: the schedule at 02:30, and scanning with it gives the same findings
    expect(result.exitCode).toBe(0);
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    expect(config.jobs['/usr/local/bin/backup.sh']).toMatchObject({ schedule: '30 2 * * *' });
    expect(await scanFindings([log], config)).toEqual(before);
  });

  it('writes for a daily job whose runs moved by 3 hours the time they moved to, saying so, and no grace: its runs since are none of them missed', async () => {
    // Prepare: 05:00 UTC from 1 November for 15 days, then 08:00 for 15 days
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const starts = Array.from({ length: 30 }, (_, i) => Date.UTC(2026, 10, 1 + i, i < 15 ? 5 : 8, 0, 5));
    const log = zonedCronLog(dir, starts, 'UTC');
    const since = zonedCronLog(mkdtempSync(join(tmpdir(), 'init-')), starts.slice(15), 'UTC');
    const scanNotes = capture();
    await runScan({ paths: [log], config: DEFAULT_CONFIG, json: false, year: 2026, stdout: scanNotes.stream, stderr: capture().stream });

    // Act
    const { result } = await init([log], { cwd: dir });

    // Assess: 08:00, the move said in the file and in scan's note
    expect(result.exitCode).toBe(0);
    const text = readFileSync(join(dir, 'silent-audit.config.yaml'), 'utf8');
    expect(text).toContain('its runs moved from 05:00 to 08:00 UTC on 2026-11-16, and the 15 since kept the new time');
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    expect(config.jobs['/usr/local/bin/backup.sh']).toEqual({ schedule: '0 8 * * *' });
    expect((await scanFindings([since], config)).filter(([detector]) => detector === 'missed-run')).toEqual([]);
    expect(scanNotes.text()).toContain('"0 8 * * *"  (daily, 29 intervals, 97% regular; its runs moved from 05:00 to 08:00 UTC on 2026-11-16: learned from the 15 since)');
  });

  it('writes for a job run every 90 minutes the cron every 3 hours at its time, which reports a 12-hour outage missed; scan notes it, and that it is not judged unconfigured', async () => {
    // Prepare: every 90 minutes from 00:30 UTC on 1 November for 4 days, none from 2 November 12:00 to 3 November 00:00
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const starts = Array.from({ length: 64 }, (_, i) => Date.UTC(2026, 10, 1, 0, 30 + 90 * i, 5)).filter((t) => t < Date.UTC(2026, 10, 2, 12) || t >= Date.UTC(2026, 10, 3));
    const log = zonedCronLog(dir, starts, 'UTC');
    const scanNotes = capture();
    await runScan({ paths: [log], config: DEFAULT_CONFIG, json: false, year: 2026, stdout: scanNotes.stream, stderr: capture().stream });

    // Act
    const { result } = await init([log], { cwd: dir });

    // Assess: no placeholder at 02:30, but every 3 hours at :30 from 00:30; the gap's four starts of it missed
    expect(result.exitCode).toBe(0);
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    expect(config.jobs['/usr/local/bin/backup.sh']).toEqual({ schedule: '30 0-23/3 * * *' });
    const missed = (await scanFindings([log], config)).filter(([detector]) => detector === 'missed-run');
    expect(missed.map(([, , at]) => at)).toEqual(['2026-11-02T12:30:00Z', '2026-11-02T15:30:00Z', '2026-11-02T18:30:00Z', '2026-11-02T21:30:00Z']);
    expect(scanNotes.text()).toContain('inferred, and not judged: runs are reported missed only by a jobs.<job>.schedule in the config');
    expect(scanNotes.text()).toContain('no cron says every 90 min');
    expect(scanNotes.text()).toContain('as its schedule "30 0-23/3 * * *" (every 3 h) expects every 2nd of its runs');
  });

  it('says for a job run every 90 minutes that only a gap of 4 h 30 min is sure to be reported missed: one run missing (a 3 h gap) falls between the runs its cron names', async () => {
    // Prepare: every 90 minutes from 00:30 UTC on 1 November, 64 runs but the 21st (2 November 06:30), a 3-hour gap
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const starts = Array.from({ length: 64 }, (_, i) => Date.UTC(2026, 10, 1, 0, 30 + 90 * i, 5)).filter((_, i) => i !== 20);
    const log = zonedCronLog(dir, starts, 'UTC');
    const scanNotes = capture();
    await runScan({ paths: [log], config: DEFAULT_CONFIG, json: false, year: 2026, stdout: scanNotes.stream, stderr: capture().stream });

    // Act
    const { result } = await init([log], { cwd: dir });

    // Assess: the half of the runs with none missing is named, so its own scan reports the 3 h gap not, as the comment and the note say
    expect(result.exitCode).toBe(0);
    const text = readFileSync(join(dir, 'silent-audit.config.yaml'), 'utf8');
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    expect(config.jobs['/usr/local/bin/backup.sh']).toEqual({ schedule: '0 2-23/3 * * *' });
    expect((await scanFindings([log], config)).filter(([detector]) => detector === 'missed-run')).toEqual([]);
    const sure = 'only a gap of 4 h 30 min or more (2 runs in a row missing) is sure to be reported missed: a shorter one may miss only runs between, which are not judged';
    expect(text).toContain(`expects every 2nd run; ${sure} (of the runs in these logs it names those at the time most came at, so a gap in them may have fallen on the others)`);
    expect(scanNotes.text()).toContain(`expects every 2nd of its runs: ${sure}`);
    expect(`${text}${scanNotes.text()}`).not.toContain('a gap of 3 h or more is reported missed');
  });

  it('writes a grace_minutes for a UTC job whose runs start 0 to 19 minutes late at random, so that its own config reports no run missed', async () => {
    // Prepare: 02:00 UTC every day for 30 days, each run 0 to 19 minutes late (a RandomizedDelaySec of 20 minutes)
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const late = [16, 5, 0, 3, 8, 13, 8, 17, 19, 8, 19, 0, 4, 3, 17, 6, 11, 0, 0, 11, 4, 18, 7, 1, 9, 7, 5, 5, 14, 10];
    const log = zonedCronLog(dir, late.map((l, i) => Date.UTC(2026, 9, 1 + i, 2, l, 5)), 'UTC');
    const scanNotes = capture();
    await runScan({ paths: [log], config: DEFAULT_CONFIG, json: false, year: 2026, stdout: scanNotes.stream, stderr: capture().stream });

    // Act
    const { result } = await init([log], { cwd: dir });

    // Assess: 02:00 with a grace above the lateness seen (said in the file and in scan's note), and scanning with it reports no run missed
    expect(result.exitCode).toBe(0);
    const text = readFileSync(join(dir, 'silent-audit.config.yaml'), 'utf8');
    expect(text).toContain('    grace_minutes: 25    # runs started up to 19 min after it');
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    expect(config.jobs['/usr/local/bin/backup.sh']).toMatchObject({ schedule: '0 2 * * *', grace_minutes: 25 });
    expect((await scanFindings([log], config)).filter(([detector]) => detector === 'missed-run')).toEqual([]);
    expect(scanNotes.text()).toContain('"0 2 * * *"  (daily, 29 intervals, 100% regular); runs started up to 19 min after it: set jobs.<job>.grace_minutes: 25');
  });

  it.each([
    // 02:30 Berlin time, 0 to 5 minutes late, 1 October to 14 November, and a run by hand at 03:34 on 14 October (01:34Z, the UTC time of winter's most common minute)
    ['a Berlin job at 02:30 started minutes late, with a run by hand an hour after one, across the October change', '30 2 * * *', '2026-10-01', 45, [0, 4, 1, 4, 2, 5, 3, 4], [Date.UTC(2026, 9, 14, 1, 34, 10)]],
    // 02:00 Berlin time, 15 March to 11 April: on 29 March 02:00 does not exist, and cron runs it at 03:00 (01:00Z, winter's UTC time)
    ['a Berlin job at 02:00, the hour the March change skips', '0 2 * * *', '2026-03-15', 28, [0], []],
  ])('writes %s in Europe/Berlin, so that its own config reports no run missed', async (_, cron, from, days, late, byHand) => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const first = Date.parse(`${from}T00:00:00Z`);
    const runs = expectedStarts(cron, 'Europe/Berlin', first, first + days * 86_400_000).map((t, i) => t + late[i % late.length] * 60_000 + 5_000);
    const log = zonedCronLog(dir, [...runs, ...byHand].sort((a, b) => a - b), 'Europe/Berlin');
    const before = await scanFindings([log]);

    // Act
    const { result } = await init([log], { cwd: dir });

    // Assess: the local time in Europe/Berlin, and scanning with it gives the same findings
    expect(result.exitCode).toBe(0);
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    expect(config.jobs['/usr/local/bin/backup.sh']).toMatchObject({ schedule: cron, timezone: 'Europe/Berlin' });
    expect(await scanFindings([log], config)).toEqual(before);
  });

  it('writes the schedule of a job whose runs moved by an hour on a day no zone changed its clock commented out, saying so', async () => {
    // Prepare: 00:30Z to 21 October, 01:30Z from the 22nd
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const log = movingCronLog(dir, 22);

    // Act
    const { result, stdout } = await init([log], { cwd: dir });

    // Assess: neither UTC time is written as the schedule (each would report the other's runs missed)
    expect(result.exitCode).toBe(0);
    const file = join(dir, 'silent-audit.config.yaml');
    expect(readFileSync(file, 'utf8')).toMatch(
      /# no schedule learned: it runs daily, but its runs moved by an hour on 2026-10-22 \(from 00:30 to 01:30 UTC\), and no time zone's clock change fits them\n {2}\/usr\/local\/bin\/backup.sh:\n {4}# schedule: "30 1 \* \* \*" {4}# UTC, the time of its runs since 2026-10-22; add timezone: if its host runs on local time\n/,
    );
    expect(loadConfig(file).jobs['/usr/local/bin/backup.sh'].schedule).toBeUndefined();
    expect(stdout).toContain('1 job (0 with a learned schedule)');
  });

  it('says why a job with irregular runs has no schedule', async () => {
    // Prepare: eight runs at gaps of 1 to 8 hours
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const file = join(dir, 'irregular.jsonl');
    let at = Date.parse('2026-10-01T00:00:00Z');
    const lines: string[] = [];
    for (let i = 0; i < 8; i++) {
      at += (i + 1) * 3_600_000;
      lines.push(JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job: 'adhoc', run_id: `a-${i}` }));
      lines.push(JSON.stringify({ type: 'run.end', ts: new Date(at + 60_000).toISOString(), job: 'adhoc', run_id: `a-${i}`, exit_code: 0, output_bytes: 10 }));
    }
    writeFileSync(file, lines.join('\n') + '\n');

    // Act
    const { result } = await init([file], { out: '-' });

    // Assess
    expect(result.text).toMatch(/# no schedule learned: its 8 runs are irregular .*\n {2}adhoc:\n {4}# schedule: /);
  });

  it('refuses to overwrite a file, before scanning, unless --force', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const file = join(dir, 'mine.yaml');
    writeFileSync(file, 'jobs: {}\n');
    const log = join(fixtures, 'instrumented/nightly-backup.jsonl');

    // Act
    const refused = await init([join(dir, 'no-such.log')], { cwd: dir, out: 'mine.yaml' });
    const forced = await init([log], { cwd: dir, out: 'mine.yaml', force: true });

    // Assess
    expect(refused.result.exitCode).toBe(2);
    expect(refused.stderr).toBe('silent-audit init: mine.yaml already exists; give --force to overwrite it, or --out FILE to write another file (--out - for stdout)\n');
    expect(forced.result.exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(forced.result.text);
  });

  it('writes to stdout with --out -, the summary to stderr', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'init-'));

    // Act
    const { result, stdout, stderr } = await init([join(fixtures, 'instrumented/nightly-backup.jsonl')], { cwd: dir, out: '-' });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(stdout).toBe(result.text);
    expect(stderr).toContain('wrote the config: 1 job (1 with a learned schedule)');
    expect(existsSync(join(dir, 'silent-audit.config.yaml'))).toBe(false);
  });

  it('writes a job named "__proto__" commented out with a note, since the config loader drops that key', async () => {
    // Prepare: a daily job named __proto__ and another, ten days of runs each
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const file = join(dir, 'proto.jsonl');
    const lines: string[] = [];
    for (let d = 1; d <= 10; d++) {
      const day = String(d).padStart(2, '0');
      for (const job of ['__proto__', 'nightly']) {
        lines.push(JSON.stringify({ type: 'run.start', ts: `2026-10-${day}T04:00:00Z`, job, run_id: `${job}-${d}` }));
        lines.push(JSON.stringify({ type: 'run.end', ts: `2026-10-${day}T04:01:00Z`, job, run_id: `${job}-${d}`, exit_code: 0, output_bytes: 10 }));
      }
    }
    writeFileSync(file, lines.join('\n') + '\n');

    // Act
    const { result, stdout } = await init([file], { cwd: dir });

    // Assess: every key written is a job of the config as loaded, and the summary counts only those
    expect(result.exitCode).toBe(0);
    expect(stdout).toContain('wrote silent-audit.config.yaml: 1 job (1 with a learned schedule; 1 more left commented out), 0 agents');
    const text = readFileSync(join(dir, 'silent-audit.config.yaml'), 'utf8');
    expect(text).toMatch(/ {2}# left commented out: a config cannot name a job "__proto__".*\n(?: {2}# .*\n)* {2}# __proto__:\n {2}# {3}schedule: "0 4 \* \* \*"\n/);
    const written = Object.keys((parse(text) as { jobs: object }).jobs);
    const loaded = loadConfig(join(dir, 'silent-audit.config.yaml'));
    expect(written).toEqual(['nightly']);
    expect(Object.keys(loaded.jobs)).toEqual(written);
  });

  it('notes under a learned weekday schedule that the weekend left out was seen only once', async () => {
    // Prepare: a job at 04:00 UTC on the weekdays of Monday 5 to Wednesday 14 October 2026 (one
    // weekend), and one run daily over three weeks (its weekends seen three times)
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const file = join(dir, 'weekdays.jsonl');
    const lines: string[] = [];
    const run = (job: string, d: number) => {
      const day = String(d).padStart(2, '0');
      lines.push(JSON.stringify({ type: 'run.start', ts: `2026-10-${day}T04:00:00Z`, job, run_id: `${job}-${d}` }));
      lines.push(JSON.stringify({ type: 'run.end', ts: `2026-10-${day}T04:01:00Z`, job, run_id: `${job}-${d}`, exit_code: 0, output_bytes: 10 }));
    };
    for (let d = 5; d <= 14; d++) if (d !== 10 && d !== 11) run('report', d);
    for (let d = 5; d <= 30; d++) if (new Date(Date.UTC(2026, 9, d)).getUTCDay() % 6 !== 0) run('billing', d);
    writeFileSync(file, lines.join('\n') + '\n');

    // Act
    const { result } = await init([file], { cwd: dir });

    // Assess: the note is under the one-week job only, and the config loads with the schedules as learned
    expect(result.exitCode).toBe(0);
    const text = readFileSync(join(dir, 'silent-audit.config.yaml'), 'utf8');
    expect(text).toMatch(/ {2}report:\n {4}schedule: "0 4 \* \* 1-5"\n {4}# Sat, Sun \(UTC\): no run in the one week seen; if the job runs every day, use "0 4 \* \* \*"\n/);
    expect(text.match(/no run in the one week seen/g)).toHaveLength(1);
    const config = loadConfig(join(dir, 'silent-audit.config.yaml'));
    expect(config.jobs.report.schedule).toBe('0 4 * * 1-5');
    expect(config.jobs.billing.schedule).toBe('0 4 * * 1-5');
  });

  it('notes under a daily schedule that a weekday kept in had no run the one time it came', async () => {
    // Prepare: a job at 06:00 UTC from Monday 5 to Thursday 15 October 2026 except Sunday 11 (a Mon–Sat job, one Sunday seen)
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const file = join(dir, 'mon-sat.jsonl');
    const lines: string[] = [];
    for (let d = 5; d <= 15; d++) {
      if (d === 11) continue;
      const day = String(d).padStart(2, '0');
      lines.push(JSON.stringify({ type: 'run.start', ts: `2026-10-${day}T06:00:00Z`, job: 'orders', run_id: `orders-${d}` }));
      lines.push(JSON.stringify({ type: 'run.end', ts: `2026-10-${day}T06:01:00Z`, job: 'orders', run_id: `orders-${d}`, exit_code: 0, output_bytes: 10 }));
    }
    writeFileSync(file, lines.join('\n') + '\n');

    // Act
    const { result } = await init([file], { cwd: dir });

    // Assess: every day is expected (a missed Sunday is reported), and the note offers the schedule that rests on Sundays
    expect(result.exitCode).toBe(0);
    const text = readFileSync(join(dir, 'silent-audit.config.yaml'), 'utf8');
    expect(text).toMatch(/ {2}orders:\n {4}schedule: "0 6 \* \* \*"\n {4}# Sun \(UTC\): no run the one time it came, kept in as a possible missed run; if the job rests that day, use "0 6 \* \* 1-6"\n/);
    expect(loadConfig(join(dir, 'silent-audit.config.yaml')).jobs.orders.schedule).toBe('0 6 * * *');
  });

  it('writes a job whose name the config loader would redact to another name commented out with a note', () => {
    // Prepare: a name cut inside a redaction marker (as names shortened before markers were kept whole were)
    const job = (name: string) => ({ job: name, runs: 1, failures: 0, hosts: {}, startMinutes: 1 });
    const cut = `/opt/etl/run.sh ${'y'.repeat(170)} --password=[REDACTE…08dc60c0`;
    const seen = { jobs: [job(cut), job('mysqldump -p[REDACTED:cli-password] appdb')], agents: [], routes: [], lines: 2, sources: '1 file', findings: 0, logGroups: [] };

    // Act
    const text = starterConfig(seen);

    // Assess: the cut name is left commented out, the redacted one is a key that names its job
    expect(text).toContain(`  # left commented out: as a key, this name is redacted again when the config is read and names no job seen\n`);
    expect(text).toContain(`  # ${yamlString(cut)}:\n`);
    const written = Object.keys((parse(text) as { jobs: object }).jobs);
    expect(written).toEqual(['mysqldump -p[REDACTED:cli-password] appdb']);
    expect(Object.keys(parseConfigText(text, 'c.yaml').jobs)).toEqual(written);
  });

  it('writes nothing when the logs name no job, agent or route', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'init-'));
    const file = join(dir, 'plain.log');
    writeFileSync(file, 'hello\nworld\n');

    // Act
    const { result, stderr } = await init([file], { cwd: dir });

    // Assess
    expect(result.exitCode).toBe(2);
    expect(stderr).toContain('no job, agent or route in 2 lines from 1 file, so no config was written');
    expect(existsSync(join(dir, 'silent-audit.config.yaml'))).toBe(false);
  });

  it('exits 2 naming a log file that does not exist beside one that does (a typo), and writes no config', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'init-'));

    // Act
    const { result, stderr } = await init([join(dir, 'nope.log'), join(fixtures, 'instrumented/nightly-backup.jsonl')], { cwd: dir });

    // Assess
    expect(result.exitCode).toBe(2);
    expect(stderr).toMatch(/^silent-audit init: \S*nope\.log: no such file\n$/);
    expect(existsSync(join(dir, 'silent-audit.config.yaml'))).toBe(false);
  });

  it.each([
    ['nightly-backup', 'nightly-backup'],
    ['/aws/lambda/etl', '/aws/lambda/etl'],
    ['a: b', '"a: b"'],
    ['x #y', '"x #y"'],
    ['true', '"true"'],
    ['123', '"123"'],
    ['line\nbreak', '"line\\nbreak"'],
    ['\x1b[31mred', '"\\u001b[31mred"'],
    ['del\x7f csi\x9b', '"del\\u007f csi\\u009b"'],
    ['- dash', '"- dash"'],
    ["it's", '"it\'s"'],
  ])('writes the name %j as a key that reads back as itself', (name, expected) => {
    // Act
    const key = yamlString(name);

    // Assess
    expect(key).toBe(expected);
    expect(Object.keys(parse(`${key}: 1\n`))).toEqual([name]);
  });
});
