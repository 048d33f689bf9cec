import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { ConfigError, configAsWritten, DEFAULT_CONFIG, defaultsSetIn, parseConfigText, readLambdaEnv, validateConfig } from '../../lambdas/config.ts';
import { backtrackingCheckWork, backtrackingProblem } from '../../lambdas/config-tools.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';
import { cronOf } from '../../lambdas/core/schedule.ts';

function problemsOf(text: string, reading: { deploying?: boolean } = {}): string[] {
  try {
    parseConfigText(text, 'silent-audit.config.yaml', reading);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected the config to be refused');
}

describe('config file (contract §2)', () => {
  it('gives every threshold a default', () => {
    expect(DEFAULT_CONFIG.defaults).toMatchObject({ min_history: 5, baseline_window: 20, output_shrink_ratio: 0.3, retry_rate_max: 0.1, cost_outlier_factor: 5, alert_cooldown_minutes: 360 });
    expect(DEFAULT_CONFIG.jobs).toEqual({});
  });

  it("reads the contract's example file", () => {
    const config = parseConfigText(
      `defaults:
  min_history: 5
  error_keywords: ["Traceback (most recent call last)", "FATAL"]
jobs:
  nightly-backup:
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    grace_minutes: 20
    max_runtime_minutes: 90
    expect_pattern: "uploaded \\\\d+ objects"
    audit_records_per_run: 1
    owner: data-platform@example.com
agents:
  support-bot:
    budget: { max_actions: 20, max_cost_usd: 0.50, scope: task }
tools:
  escalate_to_human:
    args: { user_id: uuid, email: email, amount: number, due: { date: { min: "-30d", max: "+365d" } } }
routes:
  search-api: { retry_rate_max: 0.10, p99_ms: 3000 }
exceptions:
  - id: EX-12
    guard: pii-redaction
    reason: support workflow needs raw logs
    owner: alice@example.com
    expires: 2025-12-31
`,
      'x.yaml',
    );
    expect(config.jobs['nightly-backup']).toMatchObject({ schedule: '30 2 * * *', timezone: 'Europe/Berlin', expect_pattern: 'uploaded \\d+ objects' });
    expect(config.agents['support-bot'].budget).toEqual({ max_actions: 20, max_cost_usd: 0.5, scope: 'task' });
    expect(config.tools.escalate_to_human.args.due).toEqual({ date: { min: '-30d', max: '+365d' } });
    // An expired exception is history, taken as it stands.
    expect(config.exceptions[0]).toMatchObject({ id: 'EX-12', expires: '2025-12-31' });
  });

  it('keys a route written with a concrete id or a trailing slash by its template, and refuses two keys of one route only when their settings differ', () => {
    // Act
    const config = parseConfigText('routes:\n  "GET /api/s3-bucket-notifications/": { p99_ms: 50 }\n  "/users/123": { p99_ms: 9 }\n', 'x.yaml');
    const same = parseConfigText('routes:\n  "/reports/annual-report-2024": { p99_ms: 50, owner: bi }\n  "/reports/annual-report-2023": { owner: bi, p99_ms: 50 }\n', 'x.yaml');
    const problems = problemsOf('routes:\n  "/health/": { p99_ms: 50 }\n  "/health": { p99_ms: 9 }\n');
    // Assess
    expect(config.routes).toEqual({ 'GET /api/s3-bucket-notifications': { p99_ms: 50 }, '/users/{id}': { p99_ms: 9 } });
    expect(same.routes).toEqual({ '/reports/{id}': { p99_ms: 50, owner: 'bi' } });
    expect(problems).toEqual(['routes./health: names the same route as "/health/" (/health) with other settings: keep one (line 3)']);
  });

  it("takes a polling route's retries as normal: retry_rate_max 1, and the relative latency rule turned off with retry_latency_factor 0", () => {
    // Act
    const config = parseConfigText('routes:\n  job-status: { retry_rate_max: 1, retry_latency_factor: 0, p99_ms: 10000 }\n  search-api: { retry_latency_factor: 3 }\n', 'x.yaml');
    const problems = problemsOf('routes:\n  a: { retry_rate_max: 1.5 }\n  b: { retry_latency_factor: 1 }\n  c: { retry_latency_factor: -2 }\n');

    // Assess
    expect(config.routes).toEqual({ 'job-status': { retry_rate_max: 1, retry_latency_factor: 0, p99_ms: 10_000 }, 'search-api': { retry_latency_factor: 3 } });
    expect(problems).toEqual([
      'routes.a.retry_rate_max: expected a number at most 1 (1: never fires) (line 2)',
      'routes.b.retry_latency_factor: expected 0 (off) or a factor above 1 (line 3)',
      'routes.c.retry_latency_factor: expected 0 (off) or a factor above 1 (line 4)',
    ]);
  });

  it('names the key path, what was expected and the line of every bad key', () => {
    const problems = problemsOf(`defaults:
  min_histroy: 3
  output_shrink_ratio: 2
jobs:
  backup:
    schedule: "every night"
    timezone: Mars/Olympus
    expect_pattern: "(unclosed"
tools:
  t:
    args: { user_id: guid }
`);
    expect(problems).toEqual([
      'defaults.min_histroy: unknown key; did you mean min_history? (line 2)',
      'defaults.output_shrink_ratio: expected at most 0.5 (an output of half the median or more is never flagged) (line 3)',
      'jobs.backup.schedule: not a cron expression (line 6)',
      'jobs.backup.timezone: not an IANA time zone (e.g. Europe/Berlin) (line 7)',
      'jobs.backup.expect_pattern: not a valid regular expression (line 8)',
      expect.stringMatching(/^tools\.t\.args\.user_id: expected one of uuid, email, .* \(line 11\)$/),
    ]);
  });

  it('reads a maintenance window\'s and a snooze\'s reason and owner without the spaces and line break around them (a YAML block `>` ends with one)', () => {
    // Act
    const config = parseConfigText(
      'maintenance_windows:\n  - subjects: [backup]\n    owner: " ops@example.com "\n    reason: >\n      DB failover test,\n      ticket OPS-123\n    start: 2026-10-24T01:00:00Z\n    end: 2026-10-24T03:00:00Z\n' +
        `snoozes:\n  - subject: backup\n    owner: ops@example.com\n    reason: |\n      Patching: step 1\n    until: ${new Date(Date.now() + 86_400_000).toISOString()}\n`,
      'c.yaml',
    );
    // Assess
    expect([config.maintenance_windows[0].reason, config.maintenance_windows[0].owner, config.snoozes[0].reason]).toEqual(['DB failover test, ticket OPS-123', 'ops@example.com', 'Patching: step 1']);
  });

  it.each([
    ['30 2 * * *'],
    ['*/15 * * * 1-5'],
    ['0 4 ? * SUN'],
    ['@daily'],
    ['@Hourly'],
    ['@midnight'],
  ])('takes the 5-field cron %j and the @-macros, as jobs.*.schedule and maintenance_windows.*.cron', (cron) => {
    // Act
    const config = parseConfigText(`jobs:\n  backup: { schedule: "${cron}" }\nmaintenance_windows:\n  - { subjects: [backup], owner: o, reason: r, cron: "${cron}", duration_minutes: 30, until: 2026-12-31 }\n`, 'c.yaml');
    // Assess
    expect([config.jobs.backup.schedule, config.maintenance_windows[0].cron]).toEqual([cron, cron]);
  });

  it.each([
    ['30 2 * * ? *', 'not a cron expression: 6 fields; AWS EventBridge\'s cron(minutes hours day-of-month month day-of-week year) and a seconds field are not supported: write the 5 fields minute hour day-of-month month day-of-week, e.g. "30 2 * * *"'],
    ['0 30 2 * * *', 'not a cron expression: 6 fields; AWS EventBridge\'s cron(minutes hours day-of-month month day-of-week year) and a seconds field are not supported: write the 5 fields minute hour day-of-month month day-of-week, e.g. "30 2 * * *"'],
    ['0 30 2 * * * 2026', 'not a cron expression: 7 fields; AWS EventBridge\'s cron(minutes hours day-of-month month day-of-week year) and a seconds field are not supported: write the 5 fields minute hour day-of-month month day-of-week, e.g. "30 2 * * *"'],
    ['CRON_TZ=America/New_York 30 1 * * *', 'not a cron expression: a CRON_TZ= prefix is not read: write the 5 fields alone ("30 1 * * *") and the zone in the timezone key beside the schedule (timezone: America/New_York)'],
    ['cron_tz=America/New_York 30 1 * * *', 'not a cron expression: a cron_tz= prefix is not read: write the 5 fields alone ("30 1 * * *") and the zone in the timezone key beside the schedule (timezone: America/New_York)'],
    ['TZ=Europe/Berlin 30 2 * * 1-5', 'not a cron expression: a TZ= prefix is not read: write the 5 fields alone ("30 2 * * 1-5") and the zone in the timezone key beside the schedule (timezone: Europe/Berlin)'],
    ['2026-10-24T02:30:00', 'not a cron expression: a date or time is not a schedule; write the 5 fields minute hour day-of-month month day-of-week, e.g. "30 2 * * *"'],
    ['@reboot', 'not a cron expression: @reboot is not a time (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)'],
    ['rate(1 hour)', 'not a cron expression: rate(1 hour) is AWS EventBridge\'s rate expression, which is not supported: write it as cron\'s 5 fields, "0 * * * *" (its minute the one the rule fires at)'],
    ['rate(5 minutes)', 'not a cron expression: rate(5 minutes) is AWS EventBridge\'s rate expression, which is not supported: write it as cron\'s 5 fields, "*/5 * * * *" (its minutes the ones the rule fires at: "2-59/5 * * * *" for a rule firing at :02, :07, :12 … :57)'],
    ['rate(30 minutes)', 'not a cron expression: rate(30 minutes) is AWS EventBridge\'s rate expression, which is not supported: write it as cron\'s 5 fields, "*/30 * * * *" (its minutes the ones the rule fires at: "17,47 * * * *" for a rule firing at :17 and :47)'],
    ['rate(1 minute)', 'not a cron expression: rate(1 minute) is AWS EventBridge\'s rate expression, which is not supported: write it as cron\'s 5 fields, "* * * * *"'],
    ['rate(0 minutes)', 'not a cron expression: rate(0 minutes) is AWS EventBridge\'s rate expression, which is not supported, and EventBridge refuses a rate of 0 too: write the 5 fields minute hour day-of-month month day-of-week of the times the job runs, e.g. "30 2 * * *"'],
    ['rate(1 hours)', 'not a cron expression: rate(1 hours) is AWS EventBridge\'s rate expression, which is not supported, and EventBridge refuses it too (a value of 1 takes "hour", any other "hours"): write it as cron\'s 5 fields, "0 * * * *" (its minute the one the rule fires at)'],
    ['rate(6 hours)', 'not a cron expression: rate(6 hours) is AWS EventBridge\'s rate expression, which is not supported: write it as cron\'s 5 fields, "0 */6 * * *" (its minute and hours the ones the rule fires at)'],
    ['rate(1 day)', 'not a cron expression: rate(1 day) is AWS EventBridge\'s rate expression, which is not supported: write it as cron\'s 5 fields, "0 0 * * *" (its minute and hour the ones the rule fires at)'],
    ['rate(7 days)', 'not a cron expression: rate(7 days) is AWS EventBridge\'s rate expression, which is not supported: write it as cron\'s 5 fields, "0 0 * * 0" (its minute, hour and day of week the ones the rule fires at)'],
    ['every night', 'not a cron expression'],
    ['*/90 9-17 * * *', 'not a cron expression: */90, the minute field, steps by 90, past its values (minute is 0-59, and a step does not carry into the next field): list the minute values of the times it names'],
    ['*/0 * * * *', 'not a cron expression: */0, the minute field, steps by 0: a step must be 1 or more'],
    ['0 */0 * * *', 'not a cron expression: */0, the hour field, steps by 0: a step must be 1 or more'],
    ['0 0 1-31/40 * *', 'not a cron expression: 1-31/40, the day-of-month field, steps by 40, past its values (day-of-month is 1-31, and a step does not carry into the next field): list the day-of-month values of the times it names'],
    ['61 2 * * *', 'not a cron expression: minute 61 is out of range: minute is 0-59'],
    ['0 0 0 * *', 'not a cron expression: day-of-month 0 is out of range: day-of-month is 1-31'],
    ['0 0 1,32 * *', 'not a cron expression: day-of-month 32 (in 1,32) is out of range: day-of-month is 1-31'],
    ['0 9 * * 1-8', 'not a cron expression: day-of-week 8 (in 1-8) is out of range: day-of-week is 0-7'],
    ['0 0 L-3 * *', 'not a cron expression: L-3 (3 days before the month\'s last) is not supported: day-of-month takes L alone, the month\'s last day ("0 0 L * *"), or days by number (28, say)'],
  ])('refuses %j as jobs.*.schedule and maintenance_windows.*.cron, saying why', (cron, message) => {
    // Act
    const problems = problemsOf(`jobs:\n  backup: { schedule: "${cron}" }\nmaintenance_windows:\n  - { subjects: [backup], owner: o, reason: r, cron: "${cron}", duration_minutes: 30, until: 2026-12-31 }\n`);
    // Assess
    expect(problems).toEqual([`jobs.backup.schedule: ${message} (line 2)`, `maintenance_windows.0.cron: ${message} (line 4)`]);
  });

  it.each([
    ['rate(7 minutes)',
      'not a cron expression: rate(7 minutes) is AWS EventBridge\'s rate expression, which is not supported, and cron has no exact equivalent of it: no cron expression says every 7 minutes: leave schedule out (its runs and failures are still reported, none is expected)',
      'not a cron expression: rate(7 minutes) is AWS EventBridge\'s rate expression, which is not supported, and cron has no exact equivalent of it: no cron expression says every 7 minutes (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: list them, in several windows, one cron each, or in one cron listing their minutes and hours'],
    ['rate(2 days)',
      'not a cron expression: rate(2 days) is AWS EventBridge\'s rate expression, which is not supported, and cron has no exact equivalent of it: no cron expression says every 2 days: leave schedule out (its runs and failures are still reported, none is expected)',
      'not a cron expression: rate(2 days) is AWS EventBridge\'s rate expression, which is not supported, and cron has no exact equivalent of it: no cron expression says every 2 days (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: list them, in several windows, one cron each, or in one cron listing their minutes and hours'],
    ['rate(90 minutes)',
      'not a cron expression: rate(90 minutes) is AWS EventBridge\'s rate expression, which is not supported, and cron has no exact equivalent of it: one cron expression cannot name every run of every 90 minutes; write one that names every 2nd run, every 3 h, "0 */3 * * *" (its minute and hours those of one of the job\'s runs; only a gap of 4 h 30 min or more (2 runs in a row missing) is sure to be reported missed: a shorter one may miss only runs between, which are not judged), or run silent-audit init on its logs to write it',
      'not a cron expression: rate(90 minutes) is AWS EventBridge\'s rate expression, which is not supported, and cron has no exact equivalent of it: no cron expression says every 90 minutes (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: list them, in several windows, one cron each: every 3 h, "0 */3 * * *" and "30 1-23/3 * * *" (minutes and hours those the window opens at), or in one cron listing their minutes and hours'],
    ['every 90 min',
      'not a cron expression: every 90 min is a period, which a schedule here does not take (nor EventBridge\'s rate()): one cron expression cannot name every run of every 90 min; write one that names every 2nd run, every 3 h, "0 */3 * * *" (its minute and hours those of one of the job\'s runs; only a gap of 4 h 30 min or more (2 runs in a row missing) is sure to be reported missed: a shorter one may miss only runs between, which are not judged), or run silent-audit init on its logs to write it',
      'not a cron expression: every 90 min is a period, which a schedule here does not take (nor EventBridge\'s rate()): no cron expression says every 90 min (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: list them, in several windows, one cron each: every 3 h, "0 */3 * * *" and "30 1-23/3 * * *" (minutes and hours those the window opens at), or in one cron listing their minutes and hours'],
    ['*/90 * * * *',
      'not a cron expression: */90 steps past the minute field (minutes are 0-59; a step does not carry into the hours): one cron expression cannot name every run of every 90 min; write one that names every 2nd run, every 3 h, "0 */3 * * *" (its minute and hours those of one of the job\'s runs; only a gap of 4 h 30 min or more (2 runs in a row missing) is sure to be reported missed: a shorter one may miss only runs between, which are not judged), or run silent-audit init on its logs to write it',
      'not a cron expression: */90 steps past the minute field (minutes are 0-59; a step does not carry into the hours): no cron expression says every 90 min (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: list them, in several windows, one cron each: every 3 h, "0 */3 * * *" and "30 1-23/3 * * *" (minutes and hours those the window opens at), or in one cron listing their minutes and hours'],
    ['every 15 minutes',
      'not a cron expression: every 15 minutes is a period, which a schedule here does not take (nor EventBridge\'s rate()): write it as cron\'s 5 fields, "*/15 * * * *" (its minutes those of the job\'s runs)',
      'not a cron expression: every 15 minutes is a period, which a schedule here does not take (nor EventBridge\'s rate()): write it as cron\'s 5 fields, "*/15 * * * *" (its minutes those of the times the window opens at)'],
    ['every 2 hours',
      'not a cron expression: every 2 hours is a period, which a schedule here does not take (nor EventBridge\'s rate()): write it as cron\'s 5 fields, "0 */2 * * *" (its minute and hours those of the job\'s runs)',
      'not a cron expression: every 2 hours is a period, which a schedule here does not take (nor EventBridge\'s rate()): write it as cron\'s 5 fields, "0 */2 * * *" (its minute and hours those of the times the window opens at)'],
    ['0 */36 * * *',
      'not a cron expression: */36 steps past the hour field (hours are 0-23; a step does not carry into the days): no cron expression says every 36 h: leave schedule out (its runs and failures are still reported, none is expected)',
      'not a cron expression: */36 steps past the hour field (hours are 0-23; a step does not carry into the days): no cron expression says every 36 h (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: list them, in several windows, one cron each, or in one cron listing their minutes and hours'],
    ['every 7 min',
      'not a cron expression: every 7 min is a period, which a schedule here does not take (nor EventBridge\'s rate()): no cron expression says every 7 min: leave schedule out (its runs and failures are still reported, none is expected)',
      'not a cron expression: every 7 min is a period, which a schedule here does not take (nor EventBridge\'s rate()): no cron expression says every 7 min (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: list them, in several windows, one cron each, or in one cron listing their minutes and hours'],
    ['every 45 min',
      'not a cron expression: every 45 min is a period, which a schedule here does not take (nor EventBridge\'s rate()): one cron expression cannot name every run of every 45 min; write one that names every 4th run, every 3 h, "0 */3 * * *" (its minute and hours those of one of the job\'s runs; only a gap of 3 h 45 min or more (4 runs in a row missing) is sure to be reported missed: a shorter one may miss only runs between, which are not judged), or run silent-audit init on its logs to write it',
      'not a cron expression: every 45 min is a period, which a schedule here does not take (nor EventBridge\'s rate()): no cron expression says every 45 min (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: list them, in several windows, one cron each: every 3 h, "0 */3 * * *", "45 */3 * * *", "30 1-23/3 * * *" and "15 2-23/3 * * *" (minutes and hours those the window opens at), or in one cron listing their minutes and hours'],
    ['every 5 hours',
      'not a cron expression: every 5 hours is a period, which a schedule here does not take (nor EventBridge\'s rate()): no cron expression says every 5 hours: leave schedule out (its runs and failures are still reported, none is expected)',
      'not a cron expression: every 5 hours is a period, which a schedule here does not take (nor EventBridge\'s rate()): no cron expression says every 5 hours (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: list them, in several windows, one cron each, or in one cron listing their minutes and hours'],
    ['rate(5 hours)',
      'not a cron expression: rate(5 hours) is AWS EventBridge\'s rate expression, which is not supported, and cron has no exact equivalent of it: no cron expression says every 5 hours: leave schedule out (its runs and failures are still reported, none is expected)',
      'not a cron expression: rate(5 hours) is AWS EventBridge\'s rate expression, which is not supported, and cron has no exact equivalent of it: no cron expression says every 5 hours (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: list them, in several windows, one cron each, or in one cron listing their minutes and hours'],
  ])('refuses the period %j as jobs.*.schedule with the cron to write (and the gap it is sure to report), and as maintenance_windows.*.cron with the times to list', (cron, jobMessage, windowMessage) => {
    // Act
    const problems = problemsOf(`jobs:\n  backup: { schedule: "${cron}" }\nmaintenance_windows:\n  - { subjects: [backup], owner: o, reason: r, cron: "${cron}", duration_minutes: 30, until: 2026-12-31 }\n`);
    // Assess
    expect(problems).toEqual([`jobs.backup.schedule: ${jobMessage} (line 2)`, `maintenance_windows.0.cron: ${windowMessage} (line 4)`]);
    expect(windowMessage).not.toMatch(/reported missed|silent-audit init|leave schedule out/);
  });

  it.each([
    ['0/15 * * * 1-5', 'not a cron expression: 0/15 is AWS EventBridge\'s (and Quartz\'s) step from a single start, every 15 minutes from 0, which cron does not take (it steps over a range or *): write "*/15 * * * 1-5"'],
    ['0/15 * ? * 2-6', 'not a cron expression: 0/15 is AWS EventBridge\'s (and Quartz\'s) step from a single start, every 15 minutes from 0, which cron does not take (it steps over a range or *): write "*/15 * ? * 1-5" (day of week 2-6 there, numbered 1-7 from Sunday, is 1-5 in cron, numbered 0-6)'],
    ['0/15 * ? * MON-FRI', 'not a cron expression: 0/15 is AWS EventBridge\'s (and Quartz\'s) step from a single start, every 15 minutes from 0, which cron does not take (it steps over a range or *): write "*/15 * ? * MON-FRI"'],
    ['5/20 8/4 * * *', 'not a cron expression: 5/20 is AWS EventBridge\'s (and Quartz\'s) step from a single start, every 20 minutes from 5, which cron does not take (it steps over a range or *): write "5-59/20 8-23/4 * * *"'],
  ])('refuses the EventBridge schedule %j as jobs.*.schedule and maintenance_windows.*.cron, saying what to write', (cron, message) => {
    // Act
    const problems = problemsOf(`jobs:\n  backup: { schedule: "${cron}" }\nmaintenance_windows:\n  - { subjects: [backup], owner: o, reason: r, cron: "${cron}", duration_minutes: 30, until: 2026-12-31 }\n`);
    // Assess
    expect(problems).toEqual([`jobs.backup.schedule: ${message} (line 2)`, `maintenance_windows.0.cron: ${message} (line 4)`]);
  });

  it.each([
    ['0/15 * ? * 2-6', [1, 2, 3, 4, 5]],
    ['0/15 * ? * 1,7', [0, 6]],
    ['0/15 * ? * 7', [6]],
    ['0/15 * ? * 6#3', [5]],
    ['0/15 * ? * 6L', [5]],
    ['0/15 * ? * MON-FRI', [1, 2, 3, 4, 5]],
  ])('suggests for the EventBridge schedule %j a cron that fires on the weekdays EventBridge fires on (it numbers them 1-7 from Sunday)', (eventBridge, weekdays) => {
    // Act
    const suggested = /write "([^"]+)"/.exec(problemsOf(`jobs:\n  j: { schedule: "${eventBridge}" }\n`)[0])?.[1];

    // Assess
    expect(suggested).toBeDefined();
    const cron = cronOf(suggested!, { timezone: 'UTC', paused: true });
    const days = new Set<number>();
    for (let t = cron.nextRun(new Date(Date.UTC(2026, 0, 1))); t && t.getTime() < Date.UTC(2026, 1, 1); t = cron.nextRun(t)) days.add(t.getUTCDay());
    expect([...days].sort()).toEqual(weekdays);
  });

  it.each([
    ['0/15 9-17 * * 1-5', [1, 2, 3, 4, 5]],
    ['0/15 * * * 0-3', [0, 1, 2, 3]],
    ['0/15 * 1 * 1', [1, 4]],
  ])('keeps the day-of-week numbers of %j, a step from a single start with no ?, which EventBridge and Quartz require: it is no cron of theirs', (written, weekdays) => {
    // Act
    const problem = problemsOf(`jobs:\n  j: { schedule: "${written}" }\n`)[0];

    // Assess
    const suggested = /write "([^"]+)"/.exec(problem)?.[1];
    expect(suggested).toBe(written.replace('0/15', '*/15'));
    expect(problem).not.toMatch(/numbered/);
    const cron = cronOf(suggested!, { timezone: 'UTC', paused: true });
    const days = new Set<number>();
    for (let t = cron.nextRun(new Date(Date.UTC(2026, 0, 1))); t && t.getTime() < Date.UTC(2026, 1, 1); t = cron.nextRun(t)) days.add(t.getUTCDay());
    expect([...days].sort()).toEqual(weekdays);
  });

  it('gives no cron for an EventBridge day of week it cannot number as cron does, saying the day is none of EventBridge\'s', () => {
    // Act
    const problems = problemsOf('jobs:\n  j: { schedule: "0/15 * ? * 0-3" }\n');

    // Assess
    expect(problems).toEqual(['jobs.j.schedule: not a cron expression: 0/15 is AWS EventBridge\'s (and Quartz\'s) step from a single start, every 15 minutes from 0, which cron does not take (it steps over a range or *), and day of week 0 is not an EventBridge day (it numbers them 1-7 from Sunday) (line 2)']);
  });

  it('refuses EventBridge Scheduler\'s one-time at(…): a job is told to leave schedule out, a maintenance window to give start and end', () => {
    // Act
    const problems = problemsOf('jobs:\n  backup: { schedule: "at(2026-10-05T09:00:00)" }\nmaintenance_windows:\n  - { subjects: [backup], owner: o, reason: r, cron: "at(2026-10-05T09:00:00)", duration_minutes: 30, until: 2026-12-31 }\n');

    // Assess
    expect(problems).toEqual([
      'jobs.backup.schedule: not a cron expression: at(2026-10-05T09:00:00) is AWS EventBridge Scheduler\'s one-time schedule, which is not supported: a schedule here names the times a job runs again and again; for a job run once leave schedule out (its runs and failures are still reported, none is expected) (line 2)',
      'maintenance_windows.0.cron: not a cron expression: at(2026-10-05T09:00:00) is AWS EventBridge Scheduler\'s one-time schedule, which is not supported: cron names a window that comes again and again; for a window once write start and end (start: 2026-10-05T09:00:00, UTC unless it gives an offset) in place of cron, duration_minutes, until and timezone (line 4)',
    ]);
  });

  it.each([
    ['0 0 30 2 *', 'February has no 30th'],
    ['0 0 31 4 *', 'April has no 31st'],
    ['0 0 31 2,4,6,9,11 *', 'February, April, June, September and November have no 31st'],
    ['0 0 30,31 feb ?', 'February has no 30th or 31st'],
    ['0 0 30 2 */7', 'February has no 30th'],
  ])('refuses %j, which never fires, as jobs.*.schedule and maintenance_windows.*.cron, in their time zone, saying why', (cron, why) => {
    // Prepare
    const message = `never fires: ${why}, so it names no time in the next 8 years (in Europe/Berlin); fix its day of month or month (for a month's last day write L, e.g. "0 0 L * *")`;
    // Act
    const problems = problemsOf(`jobs:\n  backup: { schedule: "${cron}", timezone: Europe/Berlin }\nmaintenance_windows:\n  - { subjects: [backup], owner: o, reason: r, cron: "${cron}", timezone: Europe/Berlin, duration_minutes: 30, until: 2026-12-31 }\n`);
    // Assess
    expect(problems).toEqual([`jobs.backup.schedule: ${message} (line 2)`, `maintenance_windows.0.cron: ${message} (line 4)`]);
  });

  it.each([
    ['0 12 29 2 *', 'UTC', '2025-03-01T00:00:00Z'],
    ['0 12 29 2 *', 'Pacific/Auckland', '2096-03-01T00:00:00Z'],
    ['0 0 31 * *', 'Europe/Berlin', '2026-10-01T00:00:00Z'],
    ['0 0 L 2 *', 'UTC', '2026-10-01T00:00:00Z'],
    ['0 0 30 2 1', 'UTC', '2026-10-01T00:00:00Z'],
    ['0 0 29 2 */7', 'UTC', '2026-10-01T00:00:00Z'],
  ])('takes %j in %s, which is due rarely but within 8 years of %s', (cron, timezone, now) => {
    // Act
    const config = validateConfig({ jobs: { rare: { schedule: cron, timezone } } }, 'c.yaml', undefined, { now: Date.parse(now) });
    // Assess
    expect(config.jobs.rare.schedule).toBe(cron);
  });

  it('refuses a schedule that never fires in UTC (no timezone key)', () => {
    // Act
    const problems = problemsOf('jobs:\n  a: { schedule: "0 0 31 2 *" }\n');
    // Assess
    expect(problems).toEqual(['jobs.a.schedule: never fires: February has no 31st, so it names no time in the next 8 years; fix its day of month or month (for a month\'s last day write L, e.g. "0 0 L * *") (line 2)']);
  });

  it('names a job written as its crontab command as its log lines do: the password redacted, a long command shortened', () => {
    // Prepare: two crontab commands as they stand in the crontab, one with a password, one over 256 characters
    const dump = 'mysqldump -uroot -pS3cretPW appdb > /backup/db.sql';
    const sync = `rsync -a /srv/data/ backup@vault:/srv/data/ --exclude-from=/etc/backup/excludes ${'--exclude=/srv/data/cache/* '.repeat(9)}--log-file=/var/log/rsync.log`;
    const text = [
      'jobs:',
      `  ${JSON.stringify(dump)}: { schedule: "30 2 * * *" }`,
      `  ${JSON.stringify(sync)}: { schedule: "0 3 * * *" }`,
      'snoozes:',
      `  - { subject: ${JSON.stringify(dump)}, owner: o, reason: r, until: "2099-01-01T00:00:00Z" }`,
      'maintenance_windows:',
      `  - { subjects: [${JSON.stringify(dump)}, ${JSON.stringify(sync)}], owner: o, reason: r, cron: "0 1 * * 0", duration_minutes: 60, until: "2099-01-01T00:00:00Z" }`,
    ].join('\n');
    const jobOf = (command: string) => {
      const outcome = parseLine(`Oct  1 02:30:01 db1 CRON[1001]: (root) CMD (${command})`, { source: { origin: 'syslog', line: 1 }, year: 2026 });
      return outcome.kind === 'events' ? (outcome.events[0].body.job as string) : undefined;
    };
    // Act
    const config = validateConfig(parseDocument(text).toJS(), 'c.yaml', undefined, { now: Date.parse('2098-12-20T00:00:00Z') });
    // Assess: the keys and subjects are the names the jobs' lines give them
    const [dumpJob, syncJob] = [jobOf(dump), jobOf(sync)];
    expect(dumpJob).toBe('mysqldump -uroot -p[REDACTED:cli-password] appdb > /backup/db.sql');
    expect(syncJob).toMatch(/…[0-9a-f]{8}$/);
    expect(Object.keys(config.jobs)).toEqual([dumpJob, syncJob]);
    expect(config.jobs[dumpJob!]?.schedule).toBe('30 2 * * *');
    expect(config.snoozes[0].subject).toBe(dumpJob);
    expect(config.maintenance_windows[0].subjects).toEqual([dumpJob, syncJob]);
    expect(JSON.stringify(config)).not.toContain('S3cretPW');
  });

  it('gives the Lambdas the names as logged: the config compiled into them, read there, has the same job keys and subjects, a name cut inside a redaction marker too', () => {
    // Prepare: a long crontab command whose password's marker the 200-character cut of a long name falls inside (the name keeps the whole marker)
    const long = `/usr/bin/backup ${'x'.repeat(163)} --password=Hunter2secret ${'y'.repeat(100)}`;
    const dump = 'mysqldump -uroot -pS3cretPW appdb';
    const until = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const raw = {
      jobs: { [long]: { schedule: '0 2 * * *' }, [dump]: { schedule: '30 2 * * *' } },
      snoozes: [{ subject: long, owner: 'o', reason: 'r', until }],
      maintenance_windows: [{ subjects: [long, dump], owner: 'o', reason: 'r', cron: '0 1 * * 0', duration_minutes: 60, until }],
    };
    const config = validateConfig(raw, 'c.yaml');
    const compiled = JSON.stringify(configAsWritten(config));
    const outcome = parseLine(`Oct  1 02:00:01 db1 CRON[1001]: (root) CMD (${long})`, { source: { origin: 'syslog', line: 1 }, year: 2026 });
    const logged = outcome.kind === 'events' ? (outcome.events[0].body.job as string) : undefined;
    // Act
    const embedded = readLambdaEnv({ TABLE_NAME: 't', SILENT_AUDIT_CONFIG: compiled }).config;
    // Assess: the Lambda applies each job's config under the name its lines give it, as the CLI does
    expect(logged).toMatch(/ --password=\[REDACTED:[\w.-]+\]…[0-9a-f]{8}$/);
    expect(Object.keys(config.jobs)).toContain(logged);
    expect(Object.keys(embedded.jobs)).toEqual(Object.keys(config.jobs));
    expect(embedded.jobs[logged!]?.schedule).toBe('0 2 * * *');
    expect(embedded.snoozes.map((z) => z.subject)).toEqual([logged]);
    expect(embedded.maintenance_windows[0].subjects).toEqual(config.maintenance_windows[0].subjects);
    expect(compiled).not.toContain('Hunter2secret');
    expect(compiled).not.toContain('S3cretPW');
  });

  it('refuses two jobs that are one job once their commands are redacted, naming both without their passwords', () => {
    // Act
    const problems = problemsOf('jobs:\n  "mysqldump -pOldPass appdb": { schedule: "30 2 * * *" }\n  "mysqldump -pNewPass appdb": { schedule: "0 3 * * *" }\n');
    // Assess: the line finds the key; neither password is printed
    expect(problems).toEqual([
      'jobs.mysqldump -p[REDACTED:cli-password] appdb: the same job as jobs.mysqldump -p[REDACTED:cli-password] appdb: both are "mysqldump -p[REDACTED:cli-password] appdb" in the logs, where secrets are redacted; keep one (line 3)',
    ]);
  });

  it("prints a key path's secrets redacted, whether the config is well formed or not", () => {
    // Prepare: a job keyed by a command holding a bearer token, with a mistyped setting, then a bad value
    const command = "curl -H 'Authorization: Bearer abcdef0123456789xyz' https://ops.example.com/ping";
    // Act
    const unknown = problemsOf(`jobs:\n  "${command}": { schedul: "0 2 * * *" }\n`);
    const invalid = problemsOf(`jobs:\n  "${command}": { schedule: 7 }\n`);
    // Assess
    for (const problems of [unknown, invalid]) {
      expect(problems).toHaveLength(1);
      expect(problems[0]).not.toContain('abcdef0123456789xyz');
      expect(problems[0]).toMatch(/^jobs\.curl -H 'Authorization: Bearer \[REDACTED:bearer-token\]' https:\/\/ops\.example\.com\/ping\.schedul?e?: .*\(line 2\)$/);
    }
  });

  it("keeps jobs named like a secret's label and a word (Rake tasks token:refresh, token:purge) two, each named as its lines give it", () => {
    // Prepare: an instrumented line's job and a crontab command, each in two tasks
    const text = 'jobs:\n  "token:refresh": { schedule: "0 * * * *" }\n  "token:purge": { schedule: "30 2 * * *" }\n  "cd /app && bundle exec rake password:reset_expired": { schedule: "0 4 * * *" }\n  "cd /app && bundle exec rake password:notify": { schedule: "0 5 * * *" }\n';
    const jobOf = (line: string) => {
      const outcome = parseLine(line, { source: { origin: 'x', line: 1 }, year: 2026 });
      return outcome.kind === 'events' ? (outcome.events[0].body.job as string) : undefined;
    };
    // Act
    const config = validateConfig(parseDocument(text).toJS(), 'c.yaml');
    const logged = [
      jobOf('{"type":"run.start","ts":"2026-10-01T02:00:00Z","job":"token:refresh","run_id":"r1"}'),
      jobOf('{"type":"run.start","ts":"2026-10-01T02:00:00Z","job":"token:purge","run_id":"r2"}'),
      jobOf('Oct  1 04:00:01 app1 CRON[1001]: (deploy) CMD (cd /app && bundle exec rake password:reset_expired)'),
      jobOf('Oct  1 05:00:01 app1 CRON[1002]: (deploy) CMD (cd /app && bundle exec rake password:notify)'),
    ];
    // Assess: four jobs (none refused as the same), keyed as their lines name them, none of the task words kept
    expect(Object.keys(config.jobs)).toEqual(logged);
    expect(Object.values(config.jobs).map((j) => j.schedule)).toEqual(['0 * * * *', '30 2 * * *', '0 4 * * *', '0 5 * * *']);
    expect(JSON.stringify(config.jobs)).not.toMatch(/refresh|purge|reset_expired|notify/);
  });

  it('refuses a min_history the baseline window can never reach, naming the key path', () => {
    // Prepare: a job's and the defaults' min_history above the window, and one equal to it
    const text = 'defaults:\n  min_history: 12\n  baseline_window: 10\njobs:\n  report:\n    min_history: 25\n  backup:\n    min_history: 10\n';
    // Act
    const problems = problemsOf(text);
    const good = parseConfigText('defaults:\n  baseline_window: 20\njobs:\n  report:\n    min_history: 20\n', 'c.yaml');
    // Assess
    expect(problems).toEqual([
      'defaults.min_history: at most defaults.baseline_window (10): the baseline keeps 10 runs, so a baseline detector would never fire (line 2)',
      'jobs.report.min_history: at most defaults.baseline_window (10): the baseline keeps 10 runs, so a baseline detector would never fire (line 6)',
    ]);
    expect(good.jobs.report?.min_history).toBe(20);
  });

  it('names the baseline window, the key written, when it is set below the default min_history', () => {
    // Act
    const problems = problemsOf('defaults:\n  baseline_window: 3\n');
    // Assess
    expect(problems).toEqual([
      'defaults.baseline_window: at least defaults.min_history (5, the default): a window of 3 runs never reaches it, so a baseline detector would never fire; set defaults.min_history too (line 2)',
    ]);
  });

  it('refuses a baseline window longer than a job state can hold, naming the key path; takes the longest it can', () => {
    // Prepare: 100,000 runs (an every-minute job's state would pass 400 KB in about 60 days), and the bound itself
    const text = 'defaults:\n  baseline_window: 100000\n';
    // Act
    const problems = problemsOf(text);
    const good = parseConfigText('defaults:\n  baseline_window: 5000\n', 'c.yaml');
    // Assess
    expect(problems).toEqual([
      "defaults.baseline_window: expected at most 5000: a job's state keeps its window of output sizes and durations, and a larger one would outgrow what the state store holds (line 2)",
    ]);
    expect(good.defaults.baseline_window).toBe(5000);
  });

  it('refuses a shrink ratio or duration factor the detectors would bound without a word, naming the key path, the bound and why', () => {
    // Act
    const problems = problemsOf(`defaults:
  output_shrink_ratio: 0.8
  duration_slow_factor: 1.2
  duration_fast_factor: 0.6
`);

    // Assess
    expect(problems).toEqual([
      'defaults.output_shrink_ratio: expected at most 0.5 (an output of half the median or more is never flagged) (line 2)',
      'defaults.duration_slow_factor: expected at least 1.5 (a run that takes at most 1.5× the median is never flagged as slow) (line 3)',
      'defaults.duration_fast_factor: expected at most 0.5 (a run that takes half the median or more is never flagged as fast) (line 4)',
    ]);
  });

  it('takes a shrink ratio or duration factor at the bound the detectors keep', () => {
    // Act
    const config = parseConfigText('defaults:\n  output_shrink_ratio: 0.5\n  duration_slow_factor: 1.5\n  duration_fast_factor: 0.5\n', 'c.yaml');

    // Assess
    expect(config.defaults).toMatchObject({ output_shrink_ratio: 0.5, duration_slow_factor: 1.5, duration_fast_factor: 0.5 });
  });

  it('refuses an expect_pattern or error keyword that a redaction rule changes (output is redacted before it is checked), naming the key path, the rule and the line', () => {
    // Act
    const problems = problemsOf(`defaults:
  error_keywords: ["FATAL", "token: expired"]
jobs:
  rotate-creds:
    expect_pattern: "password: rotated for \\\\d+ users"
    error_keywords: ["api_key=rejected", "ERROR:"]
`);

    // Assess
    expect(problems).toEqual([
      'defaults.error_keywords.1: output holding it is redacted by rule secret-assignment before it is checked (it becomes "token: [REDACTED:secret-assignment]"), so it is never found; match text the rule leaves (not a secret\'s label with its value), or leave the rule out (redact.disable_builtins: [secret-assignment]) (line 2)',
      'jobs.rotate-creds.expect_pattern: output matching it is redacted by rule secret-assignment before it is checked (it becomes "password: [REDACTED:secret-assignment]"), so it never matches; match text the rule leaves (not a secret\'s label with its value), or leave the rule out (redact.disable_builtins: [secret-assignment]) (line 5)',
      'jobs.rotate-creds.error_keywords.0: output holding it is redacted by rule secret-assignment before it is checked (it becomes "api_key=[REDACTED:secret-assignment]"), so it is never found; match text the rule leaves (not a secret\'s label with its value), or leave the rule out (redact.disable_builtins: [secret-assignment]) (line 6)',
    ]);
  });

  it("names the config's own redact pattern that changes an expect_pattern", () => {
    // Act
    const problems = problemsOf(`jobs:
  triage:
    expect_pattern: "closed TCK-1234"
redact:
  patterns: [{ name: ticket, regex: "TCK-\\\\d+" }]
`);

    // Assess
    expect(problems).toEqual([
      'jobs.triage.expect_pattern: output matching it is redacted by rule ticket before it is checked (it becomes "closed [REDACTED:ticket]"), so it never matches; match text the rule leaves (not a secret\'s label with its value), or narrow redact.patterns ticket (line 3)',
    ]);
  });

  it.each([
    ['an ordinary pattern', 'jobs:\n  backup: { expect_pattern: "uploaded \\\\d+ objects", error_keywords: ["FATAL", "password rejected"] }\n'],
    ['a pattern written for the redacted output', 'jobs:\n  backup: { expect_pattern: "password: \\\\[REDACTED:secret-assignment\\\\]" }\n'],
    ['a pattern whose rule is left out', 'jobs:\n  backup: { expect_pattern: "password: rotated" }\nredact: { disable_builtins: [secret-assignment] }\n'],
    ['a pattern of the words a rule keeps before the secret', 'jobs:\n  backup: { expect_pattern: "Authorization: Bearer" }\n'],
    ['a pattern whose value is a wildcard, which the redacted value matches', 'jobs:\n  backup: { expect_pattern: "session token: .+" }\n'],
    ['a pattern whose escapes read as those words', 'jobs:\n  backup: { expect_pattern: "Authorization:\\\\sBearer" }\n'],
    ['a pattern with an alternative redaction leaves alone', 'jobs:\n  backup: { expect_pattern: "password: ok|^done$" }\n'],
  ])('takes %s', (_, text) => {
    // Act
    const config = parseConfigText(text, 'c.yaml');

    // Assess
    expect(config.jobs.backup).toBeDefined();
  });

  it('takes the built-in error keywords: no rule changes them', () => {
    // Act
    const config = parseConfigText(`defaults:\n  error_keywords: ${JSON.stringify(DEFAULT_CONFIG.defaults.error_keywords)}\n`, 'c.yaml');

    // Assess
    expect(config.defaults.error_keywords).toEqual(DEFAULT_CONFIG.defaults.error_keywords);
  });

  it('refuses an exception without owner or with a bad date', () => {
    const problems = problemsOf(`exceptions:
  - { id: EX-1, guard: g, reason: r, owner: "", expires: someday }
`);
    expect(problems).toEqual([expect.stringMatching(/^exceptions\.0\.owner: an exception needs an owner/), expect.stringMatching(/^exceptions\.0\.expires: expected a date/)]);
  });

  it("reads an exception's expiry given as a time as the UTC day of that moment, its offset included", () => {
    // Prepare: 01:00 at +05:00 is the 15th in UTC, 23:00 at -05:00 the 16th; no offset is UTC
    const text = `exceptions:
  - { id: EX-EAST, guard: g, reason: r, owner: o@example.com, expires: "2026-10-16T01:00:00+05:00" }
  - { id: EX-WEST, guard: g, reason: r, owner: o@example.com, expires: "2026-10-15T23:00:00-05:00" }
  - { id: EX-UTC, guard: g, reason: r, owner: o@example.com, expires: "2026-10-15T23:00" }
  - { id: EX-DAY, guard: g, reason: r, owner: o@example.com, expires: 2026-10-15 }
`;
    // Act
    const config = parseConfigText(text, 'c.yaml');
    // Assess
    expect(config.exceptions.map((e) => [e.id, e.expires])).toEqual([
      ['EX-EAST', '2026-10-15'],
      ['EX-WEST', '2026-10-16'],
      ['EX-UTC', '2026-10-15'],
      ['EX-DAY', '2026-10-15'],
    ]);
  });

  it("reads an exception's id without the spaces around it, as a bypass line's exception_id is read", () => {
    // Act
    const config = parseConfigText('exceptions:\n  - { id: "EX-12 ", guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }\n', 'c.yaml');
    // Assess
    expect(config.exceptions.map((e) => e.id)).toEqual(['EX-12']);
  });

  it("reads an exception's guard, owner and reason without the spaces around them, as exceptions add does, and refuses them blank", () => {
    // Prepare: a guard with a space after it would name no guard a bypass line names; blanks as add refuses them
    const text = `exceptions:
  - { id: EX-12, guard: "pii-redaction ", reason: " support needs raw logs ", owner: " alice@example.com", expires: 2026-12-31 }
`;
    const blank = `exceptions:
  - { id: EX-13, guard: "  ", reason: " ", owner: "  ", expires: 2026-12-31 }
`;
    // Act
    const config = parseConfigText(text, 'c.yaml');
    const problems = problemsOf(blank);
    // Assess
    expect(config.exceptions.map((e) => [e.guard, e.reason, e.owner])).toEqual([['pii-redaction', 'support needs raw logs', 'alice@example.com']]);
    expect(problems).toEqual([
      expect.stringMatching(/^exceptions\.0\.guard: an exception needs the guard it lets bypass/),
      expect.stringMatching(/^exceptions\.0\.reason: an exception needs a reason/),
      expect.stringMatching(/^exceptions\.0\.owner: an exception needs an owner/),
    ]);
  });

  it('refuses an exception whose guard holds a wildcard (* or ?), as exceptions add does, naming the key path and line', () => {
    // Prepare: "*" would be taken as a guard of that name, covering no bypass of any guard
    const text = `exceptions:
  - { id: EX-1, guard: "*", reason: r, owner: o@example.com, expires: 2026-12-31 }
  - { id: EX-2, guard: "pii-*", reason: r, owner: o@example.com, expires: 2026-12-31 }
  - { id: EX-3, guard: "approval?", reason: r, owner: o@example.com, expires: 2026-12-31 }
  - { id: EX-4, guard: pii-redaction, reason: r, owner: o@example.com, expires: 2026-12-31 }
`;
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toEqual([
      'exceptions.0.guard: wildcards (* and ?) are not supported: an exception covers the one guard it names, so name the guard as its bypass lines do, e.g. pii-redaction (line 2)',
      'exceptions.1.guard: wildcards (* and ?) are not supported: an exception covers the one guard it names, so name the guard as its bypass lines do, e.g. pii-redaction (line 3)',
      'exceptions.2.guard: wildcards (* and ?) are not supported: an exception covers the one guard it names, so name the guard as its bypass lines do, e.g. pii-redaction (line 4)',
    ]);
  });

  it('refuses an exception id the CLI would refuse, naming the key path and line', () => {
    // Prepare: a space inside an id, an id of spaces only, and one a command line would read as an option
    const text = `exceptions:
  - { id: "EX 12", guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }
  - { id: "  ", guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }
  - { id: -x, guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }
`;
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toEqual([
      'exceptions.0.id: not usable as an exception id: an id holds letters and digits (of any script) and . _ : / -, does not begin with - (a command line would read it as an option) and has no spaces, e.g. EX-13 (line 2)',
      'exceptions.1.id: expected non-empty text (line 3)',
      'exceptions.2.id: not usable as an exception id: an id holds letters and digits (of any script) and . _ : / -, does not begin with - (a command line would read it as an option) and has no spaces, e.g. EX-13 (line 4)',
    ]);
  });

  it('takes an exception id that begins with . _ : or /, as a bypass line may name it', () => {
    // Act
    const config = parseConfigText('exceptions:\n  - { id: _legacy-7, guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }\n  - { id: ":ns:7", guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }\n', 'c.yaml');
    // Assess
    expect(config.exceptions.map((e) => e.id)).toEqual(['_legacy-7', ':ns:7']);
  });

  it('refuses an exception id longer than a bypass line may name (256 characters), naming the key path and line', () => {
    // Prepare: 256 characters are the most a line's exception_id holds; DynamoDB refuses a key past 1024 bytes
    const text = `exceptions:
  - { id: "${'E'.repeat(256)}", guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }
  - { id: "${'E'.repeat(257)}", guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }
  - { id: "${'E'.repeat(1100)}", guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }
`;
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toEqual([
      "exceptions.1.id: at most 256 characters and 400 bytes of UTF-8, as a log line's identifiers; this one has 257 characters (257 bytes) (line 3)",
      "exceptions.2.id: at most 256 characters and 400 bytes of UTF-8, as a log line's identifiers; this one has 1100 characters (1100 bytes) (line 4)",
    ]);
  });

  it('refuses two exceptions with one id, a space after one of them too, naming the key path and line', () => {
    // Prepare
    const text = `exceptions:
  - { id: EX-12, guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }
  - { id: EX-13, guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }
  - { id: "EX-12 ", guard: h, reason: r, owner: o@example.com, expires: 2026-11-30 }
`;
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toEqual(['exceptions.2.id: the same id as exceptions.0 (EX-12): each exception needs an id of its own (line 4)']);
  });

  it("names an exception's repeated id and too distant expiry in the same round as a schema error elsewhere, each with its key path and line", () => {
    // Prepare: a schedule that is no cron, beside exceptions that parse but share an id, one expiring in 2099
    const text = `jobs:
  nightly: { schedule: "99 * * * *" }
exceptions:
  - { id: EX-12, guard: g, reason: r, owner: o@example.com, expires: 2026-12-31 }
  - { id: EX-12, guard: h, reason: r, owner: o@example.com, expires: 2099-01-01 }
`;
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems[0]).toMatch(/^jobs\.nightly\.schedule: .*\(line 2\)$/);
    expect(problems.slice(1)).toEqual([
      expect.stringMatching(/^exceptions\.1\.expires: 2099-01-01 is \d+ days ahead; an exception may run at most 90 days .*\(line 5\)$/),
      'exceptions.1.id: the same id as exceptions.0 (EX-12): each exception needs an id of its own (line 5)',
    ]);
  });

  it('refuses a severity set for a detector id that does not exist, naming the key path', () => {
    // Prepare: a misspelt id beside a real one
    const text = 'defaults:\n  severity:\n    run-failed: critical\n    duration-fst: low\n';
    // Act
    const problems = problemsOf(text);
    const good = parseConfigText('defaults:\n  severity: { run-failed: critical, duration-fast: low }\n', 'c.yaml');
    // Assess
    expect(problems).toEqual(['defaults.severity.duration-fst: not a detector id (see the detector table); did you mean duration-fast? (line 4)']);
    expect(good.defaults.severity).toEqual({ 'run-failed': 'critical', 'duration-fast': 'low' });
  });

  it('refuses a day the calendar lacks wherever the config takes a date or a time, naming the key path', () => {
    // Prepare: Feb 30, Feb 29 of a common year, April 31, month 13 and day 00, one in each date key
    const text = `exceptions:
  - { id: EX-1, guard: g, reason: r, owner: o@example.com, expires: 2026-02-30 }
snoozes:
  - { subject: nightly-backup, owner: o, reason: r, until: "2027-02-29T06:00:00Z" }
maintenance_windows:
  - { subjects: [a], owner: o, reason: r, start: 2026-04-31, end: "2026-05-01T02:00" }
  - { subjects: [b], owner: o, reason: r, cron: "0 2 * * 0", duration_minutes: 60, until: 2026-13-01 }
tools:
  t: { args: { due: { date: { min: 2026-02-30, max: 2026-12-00 } } } }
`;
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toEqual([
      'exceptions.0.expires: there is no 2026-02-30: February 2026 has 28 days; expected a date (YYYY-MM-DD) (line 2)',
      'snoozes.0.until: there is no 2027-02-29: February 2027 has 28 days; expected a time (ISO-8601) or a date (YYYY-MM-DD) (line 4)',
      'maintenance_windows.0.start: there is no 2026-04-31: April 2026 has 30 days; expected a time (ISO-8601) or a date (YYYY-MM-DD) (line 6)',
      'maintenance_windows.1.until: there is no month 13 (in 2026-13-01); expected a time (ISO-8601) or a date (YYYY-MM-DD) (line 7)',
      'tools.t.args.due.date.min: there is no 2026-02-30: February 2026 has 28 days; expected a date or a relative ±Nd (line 9)',
      'tools.t.args.due.date.max: there is no day 00 (in 2026-12-00); expected a date or a relative ±Nd (line 9)',
    ]);
  });

  it('reads a date bound of a tool argument given as a time without an offset as UTC, and refuses one that is no ISO date', () => {
    // Act
    const config = parseConfigText('tools:\n  t: { args: { due: { date: { min: "2026-03-01T10:00", max: "+30d" } } } }\n', 'c.yaml');
    const problems = problemsOf('tools:\n  t: { args: { due: { date: { min: "Oct 3" } } } }\n');
    // Assess
    expect(config.tools.t.args.due).toEqual({ date: { min: '2026-03-01T10:00:00.000Z', max: '+30d' } });
    expect(problems).toEqual(['tools.t.args.due.date.min: expected a date or a relative ±Nd (line 2)']);
  });

  it('reads argument paths into lists, and refuses two spellings of one path', () => {
    // Act
    const config = parseConfigText('tools:\n  t: { args: { "lines[].sku": id, "recipients[*]": email } }\n', 'c.yaml');
    const problems = problemsOf('tools:\n  t:\n    args:\n      "lines[].sku": id\n      "lines[*].sku": { pattern: "^SKU-" }\n');
    // Assess
    expect(config.tools.t.args).toEqual({ 'lines[].sku': 'id', 'recipients[*]': 'email' });
    expect(problems).toEqual(['tools.t.args.lines[*].sku: the same path as lines[].sku ([] and [*] both mean every item): keep one of them (line 5)']);
  });

  it('reads redact patterns, and names the bad ones with key path and line', () => {
    // Prepare
    const good = parseConfigText('redact:\n  patterns:\n    - { name: employee-pin, regex: "EMP-PIN-\\\\d+" }\n  disable_builtins: [cookie]\n', 'c.yaml');
    // Act
    const problems = problemsOf(`redact:
  patterns:
    - { name: ok, regex: "TCK-\\\\d+" }
    - { name: broken, regex: "(unclosed" }
    - { name: "has space", regex: "a*" }
  disable_builtins: [no-such-rule]
`);
    // Assess
    expect(good.redact).toEqual({ patterns: [{ name: 'employee-pin', regex: 'EMP-PIN-\\d+' }], disable_builtins: ['cookie'] });
    expect(problems).toEqual([
      'redact.patterns.1.regex: invalid regular expression: /(unclosed/: Unterminated group (line 4)',
      expect.stringMatching(/^redact\.patterns\.2\.name: letters, digits, .* \(line 5\)$/),
      expect.stringMatching(/^redact\.patterns\.2\.regex: matches the empty string.* \(line 5\)$/),
      expect.stringMatching(/^redact\.disable_builtins\.0: not a built-in rule \(one of private-key, .*\) \(line 6\)$/),
    ]);
  });

  it('refuses a pattern prone to catastrophic backtracking (nested repetition) with key path and line, and takes ordinary ones', () => {
    // Prepare: `(a+)+$` tested against `aaaa…ab` takes exponential time and would block exec, ingest and scan
    const ordinary = `redact:
  patterns:
    - { name: emp, regex: "emp-[0-9]{6}" }
    - { name: stripe, regex: "\\\\bsk_live_[A-Za-z0-9]{24}\\\\b" }
    - { name: pin, regex: "EMP-PIN-(?<secret>\\\\w+)" }
    - { name: after-key, regex: "(?<=key=)\\\\w+" }
jobs:
  backup: { schedule: "0 2 * * *", expect_pattern: "uploaded \\\\d+ objects" }
`;
    // Act
    const config = parseConfigText(ordinary, 'c.yaml');
    const problems = problemsOf(`redact:
  patterns:
    - { name: ok, regex: "TCK-\\\\d+" }
    - { name: x, regex: "(a+)+$" }
jobs:
  backup: { schedule: "0 2 * * *", expect_pattern: "(\\\\w+\\\\s?)*done" }
`);
    // Assess
    expect(config.redact.patterns.map((p) => p.name)).toEqual(['emp', 'stripe', 'pin', 'after-key']);
    expect(problems).toEqual([
      expect.stringMatching(/^redact\.patterns\.1\.regex: prone to catastrophic backtracking: a\+ inside \(a\+\)\+ .* \(line 4\)$/),
      expect.stringMatching(/^jobs\.backup\.expect_pattern: prone to catastrophic backtracking: \\w\+ inside \(\\w\+\\s\?\)\* .* \(line 6\)$/),
    ]);
  });

  it('takes patterns whose repetitions cannot nest ambiguously (bounded or optional groups, a separator after the inner one) and refuses nested ones, naming the parts', () => {
    // Prepare: everyday patterns that backtrack linearly, and nested repetitions a near miss makes exponential
    const safe = [
      '(?:\\d{1,3}\\.){3}\\d{1,3}',
      '[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}',
      '(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}',
      '\\b(?:\\d{4}[ -]?){3}\\d{4}\\b',
      '-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----',
      'done at \\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?',
      '[\\w.+-]+@(?:[\\w-]+\\.)+[A-Za-z]{2,}',
      'xox[baprs]-(?:[0-9A-Za-z]+-)+[0-9A-Za-z]+',
      '(?:\\.\\w+)+',
      '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==)?$',
      '(?<=token=)\\w+',
      Array.from({ length: 26 }, (_, i) => `f${i}=\\d+`).join(' '),
      'https?://(?:[\\w-]+\\.)+\\w+(?:/[\\w.-]*)*',
      '^(?:\\S+ )*ERROR',
      '(?:\\w+=\\S+ )*status=ok',
      '(?:[^,]*,){5}done',
    ];
    const nested = ['(a+)+$', '(\\w+\\s?)+$', '(a*)*b', '(?:x+y?)+$', '(?:a|a?b)+(?:c+)+$', '(?<=(a+)+)b', '(a{1,20}){1,20}$', '(?:\\w+=\\S+,)*$'];
    // bounded ones as few as 10 times each (`(a{1,10}){1,10}$` on 30 a's and a ! takes more than 20 s)
    const bounded = ['(a{1,10}){1,10}$', '(\\w{1,10}\\.?){1,10}$', '(.{0,10}a){10}x', '(\\d{1,10}[,.]?){1,10}$', '((a{1,5}){1,5}){1,5}$'];
    // Act
    const problems = nested.map((p) => backtrackingProblem(p));
    // Assess
    expect(safe.filter((p) => backtrackingProblem(p) !== undefined)).toEqual([]);
    expect(problems.map((p) => p?.match(/^prone to catastrophic backtracking: (\S+) inside (\S+) /)?.slice(1))).toEqual([
      ['a+', '(a+)+'],
      ['\\w+', '(\\w+\\s?)+'],
      ['a*', '(a*)*'],
      ['x+', '(?:x+y?)+'],
      ['c+', '(?:c+)+'],
      ['a+', '(a+)+'],
      ['a{1,20}', '(a{1,20}){1,20}'],
      ['\\S+', '(?:\\w+=\\S+,)*'],
    ]);
    expect(bounded.filter((p) => backtrackingProblem(p) === undefined)).toEqual([]);
  });

  it('takes a bounded repetition inside a bounded one with few ways to split a line, and refuses one with many', () => {
    // Prepare: (\\d{1,3}){3} has 3^3 ways, an IPv4 pattern one; (a{1,4}){1,5} 4^5, (a{1,10}){1,3} 10^3 (2 ms on a 200-character near miss)
    const few = [
      '(\\d{1,3}){3}',
      '(\\d{1,3}){4}$',
      '(\\d{1,3}\\.){3}\\d{1,3}',
      '^(\\d{1,3}\\.?){4}$',
      '(\\d{1,3}){3}(?:\\.\\d+)+',
      '^(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)$',
      '(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}',
      '(?:[0-9a-fA-F]{1,4}:){1,7}:',
      '[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}',
    ];
    // the varying parts of one turn multiply: (a{1,3}a{1,3}a{1,3}){5}$ has 27^5 ways (36 s on 46 characters)
    const many = ['(a{1,4}){1,5}$', '(a{1,10}){1,3}$', '(\\d{1,3}){3}(a+)+$', '((\\d{1,3}){2}){4}$', '(a{1,3}a{1,3}a{1,3}){5}$', '(\\w{1,4}\\d{1,4}){4}!', '(\\w{1,4}\\s?\\w{1,4}){4}$', '(a{1,4}(?:a{1,2}){2}(?:a{1,2}){2}(?:a{1,2}){2}){4}$', '(a{1,6}(?:a{1,2}){2}){3}$'];

    // Act
    const problems = [...few, ...many].map((p) => backtrackingProblem(p));

    // Assess
    expect(problems.slice(0, few.length)).toEqual(few.map(() => undefined));
    expect(problems.slice(few.length).map((p) => p?.match(/^prone to catastrophic backtracking: (\S+) inside (\S+) /)?.slice(1))).toEqual([
      ['a{1,4}', '(a{1,4}){1,5}'],
      ['a{1,10}', '(a{1,10}){1,3}'],
      ['a+', '(a+)+'],
      ['\\d{1,3}', '(\\d{1,3}){2}'],
      ['a{1,3}', '(a{1,3}a{1,3}a{1,3}){5}'],
      ['\\d{1,4}', '(\\w{1,4}\\d{1,4}){4}'],
      ['\\w{1,4}', '(\\w{1,4}\\s?\\w{1,4}){4}'],
      // a repetition inside a turn multiplies it by its own ways, once for each of its turns: 4·2^2·2^2·2^2 a turn, 256^4 in all
      ['(?:a{1,2}){2}', '(a{1,4}(?:a{1,2}){2}(?:a{1,2}){2}(?:a{1,2}){2}){4}'],
      ['(?:a{1,2}){2}', '(a{1,6}(?:a{1,2}){2}){3}'],
    ]);
  });

  it('refuses alternatives that may match the same text under an unbounded repetition, and takes ones that part at a character', () => {
    // Prepare: (a|aa)+$ and (\\w|\\d)+$ fail a near miss in 2^n ways; the rest leave one way
    const overlapping = ['(a|aa)+$', '(\\w|\\d)+$', '(?:x|y)*(?:a|aa)+$', '(a|a{2})+$', '(\\d|\\d{2})+$', '(?:a|(a))+$', '((a|b)|(a|c))+$', '(?:(?:a)|(?:(?:a)a))+$'];
    const parting = ['(foo|bar)+', '(error|warn)', '(\\s|,)+', '(a|ab)*$', '(?:error|exception)+', '(?:[^"\\\\]|\\\\.)*"', '(?:.|\\n)*', '((a|aa)b)+$', '(\\w|\\d){3}', '(?:\\w|-)+', '(?:a{2}|b{2})+$', '(?:\\d{4}|[a-f]{2})+$'];
    // no pattern is compiled ignoring case, so alternatives parting only by case part at a character
    const byCase = ['(?:ERROR|Error)+ done', '([a-z]|[A-Z])+$', '(?:[A-Z]|[a-z]|\\d)+$'];
    // a lookahead is atomic: its alternatives are tried once per turn (the "line without X" idiom)
    const inLookaround = ['^((?!(fail|failed)).)*$', '^((?!(warn|warning)).)*$', '^(?:(?!\\s+$).)*$'];

    // Act
    const problems = overlapping.map((p) => backtrackingProblem(p));

    // Assess
    expect(problems.map((p) => p?.match(/^prone to catastrophic backtracking: (\S+) inside (\S+) has alternatives that may match the same text/)?.slice(1))).toEqual([
      ['(a|aa)', '(a|aa)+'],
      ['(\\w|\\d)', '(\\w|\\d)+'],
      ['(?:a|aa)', '(?:a|aa)+'],
      ['(a|a{2})', '(a|a{2})+'],
      ['(\\d|\\d{2})', '(\\d|\\d{2})+'],
      // alternatives in a group of their own (or nested options) are read as runs too
      ['(?:a|(a))', '(?:a|(a))+'],
      ['((a|b)|(a|c))', '((a|b)|(a|c))+'],
      ['(?:(?:a)|(?:(?:a)a))', '(?:(?:a)|(?:(?:a)a))+'],
    ]);
    expect(parting.filter((p) => backtrackingProblem(p) !== undefined)).toEqual([]);
    expect(byCase.filter((p) => backtrackingProblem(p) !== undefined)).toEqual([]);
    expect(inLookaround.filter((p) => backtrackingProblem(p) !== undefined)).toEqual([]);
  });

  it('names the parts of a pattern prone to backtracking with their control characters escaped, on one line', () => {
    // Act
    const problem = backtrackingProblem('(\\r\\n|\\r|\\n)+$');

    // Assess: the CLI lists one problem a line; a raw CR or LF would split this one
    expect(problem).toMatch(/^prone to catastrophic backtracking: \(\\x0d\\x0a\|\\x0d\|\\x0a\) inside \(\\x0d\\x0a\|\\x0d\|\\x0a\)\+ has alternatives/);
    expect(problem).not.toMatch(/[\r\n]/);
  });

  it('checks an ordinary pattern for backtracking in few comparisons of its parts, however wide its character classes', () => {
    // Prepare: wide classes in nested repetitions, 50 of them in a row
    const patterns = ['(?:[\\w-]+\\.)+'.repeat(50), '^\\[(?:[^\\]]*)\\]\\s+(?:\\w+\\s+)*failed', '(?:[^\\s]+\\s+){3}ERROR'];
    const before = backtrackingCheckWork.comparisons;
    // Act
    const problems = patterns.map((p) => backtrackingProblem(p));
    const compared = backtrackingCheckWork.comparisons - before;
    // Assess: each takes one way; classes are compared by their ranges, not code unit by code unit
    // (65,536 each when case was folded: 1.9 s for the first)
    expect(problems).toEqual([undefined, undefined, undefined]);
    expect(compared).toBeLessThan(1_000);
  });

  it('checks a repeated group of many alternatives comparing each with few others, not every pair', () => {
    // Prepare: 1,000 job names under a repetition (every pair compared took 3.5-5 s a config load), and one a duplicate
    const names = Array.from({ length: 1_000 }, (_, i) => `job-${String(i).padStart(5, '0')}`);
    const patterns = [`(?:${names.join('|')})+`, `(?:${[...names, 'x\\d', 'job-00500'].join('|')})+$`];
    const before = backtrackingCheckWork.comparisons;
    // Act
    const problems = patterns.map((p) => backtrackingProblem(p));
    const compared = backtrackingCheckWork.comparisons - before;
    // Assess: the names part at a character; a duplicate matches the same text
    expect(problems[0]).toBeUndefined();
    expect(problems[1]).toMatch(/^prone to catastrophic backtracking: .* has alternatives that may match the same text/);
    expect(compared).toBeLessThan(20_000);
  });

  it('checks alternatives sharing a class at a position comparing that class once, not every pair', () => {
    // Prepare: 1,000 ids sharing \\d{4} (5 M comparisons, 170 ms) and 1,000 sharing \\w{256} (128 M, 3 s) when every pair was compared
    const ids = Array.from({ length: 1_000 }, (_, i) => `job-\\d{4}-${i};`);
    const wide = Array.from({ length: 1_000 }, (_, i) => `\\w{256}${String.fromCharCode(0x4e00 + i)}`);
    const patterns = [`(?:${ids.join('|')})+`, `(?:${wide.join('|')})+`, `(?:${[...ids, 'job-\\d{4}-7;'].join('|')})+`];
    const before = backtrackingCheckWork.comparisons;
    // Act
    const problems = patterns.map((p) => backtrackingProblem(p));
    const compared = backtrackingCheckWork.comparisons - before;
    // Assess: the alternatives part at their last characters; a duplicate still matches the same text
    expect(problems.slice(0, 2)).toEqual([undefined, undefined]);
    expect(problems[2]).toMatch(/^prone to catastrophic backtracking: .* has alternatives that may match the same text/);
    expect(compared).toBeLessThan(50_000);
  });

  it('refuses a pattern too costly to check for backtracking, stopping after a bounded number of comparisons', () => {
    // Prepare: 3,000 characters all meeting one class, each compared with every other (4.5 M comparisons)
    const chars = Array.from({ length: 3_000 }, (_, i) => String.fromCharCode(0x4e00 + i));
    const pattern = `(?:${[...chars, '[\u4e00-\u9fff]x'].join('|')})+y`;
    const before = backtrackingCheckWork.comparisons;
    // Act
    const problem = backtrackingProblem(pattern);
    const compared = backtrackingCheckWork.comparisons - before;
    // Assess: refused as too costly (a slow pattern taken unchecked would stall ingest unseen), after at most the budget
    expect(problem).toMatch(/^too costly to check for catastrophic backtracking \(over 100,000 comparisons/);
    expect(compared).toBeLessThanOrEqual(100_001);
    expect(backtrackingProblem('(a|aa)+$')).toMatch(/^prone to catastrophic backtracking/);
  });

  it('refuses a log group name longer than CloudWatch takes (512 characters), naming the key path and line', () => {
    // Act
    const longest = parseConfigText(`deploy:\n  log_groups: [/${'a'.repeat(511)}]\n`, 'c.yaml');
    const problems = problemsOf(`deploy:\n  log_groups:\n    - /ok\n    - /${'a'.repeat(512)}\n`);

    // Assess
    expect(longest.deploy.log_groups[0]).toHaveLength(512);
    expect(problems).toEqual(['deploy.log_groups.1: not a log group name: at most 512 characters (line 4)']);
  });

  it('keeps run records 400 days unless deploy.run_retention_days says otherwise, from the 63 the monthly report needs', () => {
    // Act
    const set = parseConfigText('deploy:\n  run_retention_days: 63\n', 'c.yaml');
    const problems = problemsOf('deploy:\n  log_groups: [/aws/lambda/etl]\n  run_retention_days: 62\n');

    // Assess
    expect([DEFAULT_CONFIG.deploy.run_retention_days, set.deploy.run_retention_days]).toEqual([400, 63]);
    expect(problems).toEqual([
      'deploy.run_retention_days: at least 63 days: the monthly report on the 1st reads the runs of the two months before (up to 62 days and 6 hours back) (line 3)',
    ]);
  });

  it('refuses a run retention that is no whole number of days, or over ten years, naming the key path and line', () => {
    // Act
    const fraction = problemsOf('deploy:\n  run_retention_days: 90.5\n');
    const text = problemsOf('deploy:\n  run_retention_days: a year\n');
    const tooLong = problemsOf('deploy:\n  run_retention_days: 36500\n');

    // Assess
    expect([...fraction, ...text, ...tooLong]).toEqual([
      'deploy.run_retention_days: expected a whole number of days (line 2)',
      'deploy.run_retention_days: expected a whole number of days (line 2)',
      'deploy.run_retention_days: at most 3650 days (ten years) (line 2)',
    ]);
  });

  it('refuses a bad redact pattern in the config embedded in a Lambda, naming the key path', () => {
    const env = { TABLE_NAME: 't', SILENT_AUDIT_CONFIG: JSON.stringify({ redact: { patterns: [{ name: 'pin', regex: 'PIN-(' }] } }) };
    expect(() => readLambdaEnv(env)).toThrow(/redact\.patterns\.0\.regex: invalid regular expression: \/PIN-\(\/: Unterminated group/);
  });

  it('keeps which defaults the config set through the copy compiled into a Lambda, a built-in value set there included', () => {
    // Prepare: min_history set to 5, the built-in value; grace_minutes set to 30
    const config = parseConfigText('defaults:\n  min_history: 5\n  grace_minutes: 30\n', 'c.yaml');
    const env = { TABLE_NAME: 't', SILENT_AUDIT_CONFIG: JSON.stringify(configAsWritten(config)) };

    // Act
    const embedded = readLambdaEnv(env).config;

    // Assess
    expect(embedded).toEqual(config);
    expect([...(defaultsSetIn(embedded) ?? [])]).toEqual(['min_history', 'grace_minutes']);
    expect([...(defaultsSetIn(DEFAULT_CONFIG) ?? [])]).toEqual([]);
  });

  it('reads a mapping key left empty (null in YAML) as an empty mapping, every key being optional', () => {
    // Prepare: sections and entries whose keys are all commented out or not yet written
    const text = `defaults:
#  min_history: 5
jobs:
  nb:
  etl:
    schedule: "30 2 * * *"
agents:
  support-bot:
    budget:
tools:
  escalate_to_human:
    args:
routes:
  search-api:
deploy:
redact:
exceptions:
snoozes:
maintenance_windows:
`;

    // Act
    const config = parseConfigText(text, 'silent-audit.config.yaml');

    // Assess
    expect(config.defaults).toEqual(DEFAULT_CONFIG.defaults);
    expect(config.jobs).toEqual({ nb: {}, etl: { schedule: '30 2 * * *' } });
    expect(config.agents).toEqual({ 'support-bot': {} });
    expect(config.tools).toEqual({ escalate_to_human: { args: {} } });
    expect(config.routes).toEqual({ 'search-api': {} });
    expect({ deploy: config.deploy, redact: config.redact, exceptions: config.exceptions, snoozes: config.snoozes, maintenance_windows: config.maintenance_windows }).toEqual({
      deploy: DEFAULT_CONFIG.deploy,
      redact: DEFAULT_CONFIG.redact,
      exceptions: [],
      snoozes: [],
      maintenance_windows: [],
    });
    expect([...(defaultsSetIn(config) ?? ['not read'])]).toEqual([]);
  });

  it('still refuses a mapping key of the wrong type, and a value left empty, naming the key path and line', () => {
    // Act
    const problems = problemsOf('defaults: 5\njobs:\n  nb: [a]\nagents:\n  bot:\n    budget: 3\nroutes:\n  api:\n    p99_ms:\n');

    // Assess
    expect(problems).toEqual([
      'defaults: expected a mapping (key: value) (got 5) (line 1)',
      'jobs.nb: expected a mapping (key: value) (got a list) (line 3)',
      'agents.bot.budget: expected a mapping (key: value) (got 3) (line 6)',
      'routes.api.p99_ms: expected a number (got null) (line 9)',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('jobs:\n  a: [1, 2\n');
    expect(problems[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('names the line and key where an unclosed quote opens, not the end of the file the parser reached', () => {
    // Prepare: a hand-edited entry whose reason's quote is never closed (line 4)
    const text = 'exceptions:\n  - id: EX-12\n    guard: pii-redaction\n    reason: "unterminated\n    owner: alice@example.com\n    expires: 2026-12-15\n';
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toEqual(['exceptions.0.reason: the " quote opened on line 4, column 13 is never closed (line 4)']);
  });

  it('reads YAML merge keys (<<: *anchor), a mapping\'s own keys over the merged ones', () => {
    // Prepare: a fleet of jobs sharing a base
    const text = [
      'jobs:',
      '  nightly-backup: &base',
      '    schedule: "30 2 * * *"',
      '    timezone: Europe/Berlin',
      '    grace_minutes: 20',
      '  nightly-export:',
      '    <<: *base',
      '    schedule: "0 3 * * *"',
      '  nightly-sync:',
      '    <<: [*base]',
      '',
    ].join('\n');

    // Act
    const config = parseConfigText(text, 'silent-audit.config.yaml');

    // Assess
    expect(config.jobs['nightly-export']).toMatchObject({ schedule: '0 3 * * *', timezone: 'Europe/Berlin', grace_minutes: 20 });
    expect(config.jobs['nightly-sync']).toMatchObject({ schedule: '30 2 * * *', timezone: 'Europe/Berlin', grace_minutes: 20 });
  });

  it.each([
    ['a merge of a misspelt anchor', 'jobs:\n  na: &base\n    schedule: "0 * * * *"\n  nb:\n    <<: *bse\n', 'line 5: \\*bse: no anchor &bse is set before this alias'],
    ['an alias with no anchor', 'jobs:\n  na: &base\n    schedule: "0 * * * *"\n  nb:\n    <<: *base\n    schedule: *shed\n', 'line 6: \\*shed: no anchor &shed is set before this alias'],
    ['a merge of a number', 'jobs:\n  nb:\n    <<: 5\n', 'line 3: <<: a merge key takes a mapping or an alias of one'],
  ])('refuses %s as a config error at its line', (_, text, problem) => {
    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${problem}`))]);
  });

  it('names the key path a merged value is refused at, and the line it is written on', () => {
    // Act
    const problems = problemsOf('jobs:\n  na: &base\n    grace_minutes: -5\n  nb:\n    <<: *base\n    schedule: "0 1 * * *"\n');

    // Assess: the merged key as the job has it, at the line of the anchored value
    expect(problems).toEqual([expect.stringMatching(/^jobs\.na\.grace_minutes: .* \(line 3\)$/), expect.stringMatching(/^jobs\.nb\.grace_minutes: .* \(line 3\)$/)]);
  });

  it.each([
    ['*/15 * * * *', 'jobs:\n  nb:\n    schedule: */15 * * * *\n'],
    ['@daily', 'jobs:\n  nb:\n    schedule: @daily   # nightly\n'],
  ])('says to quote an unquoted schedule %s, once, at its line', (value, text) => {
    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^line 3: schedule: a value starting with ${value[0] === '*' ? '\\*' : '@'} must be quoted in YAML .*: write schedule: "${value.replace(/[*]/g, '\\*')}"$`))]);
  });

  it("names a key written twice by its key path, in a list's mapping too, with the file's other problems in the same round", () => {
    // Prepare: a job written twice, an exception with its id written twice, and an unknown key.
    const text = 'jobs:\n  nightly-backup:\n    schedule: "30 2 * * *"\n  nightly-backup:\n    schedule: "0 3 * * *"\nexceptions:\n  - { id: EX-1, id: EX-2, guard: pii, reason: r, owner: o@example.com, expires: 2026-12-20 }\nagents:\n  bot:\n    budgett: { max_actions: 3 }\n';

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([
      'jobs.nightly-backup: written again on line 4 in the same mapping, where it would replace this one: keep one (line 3)',
      'exceptions.0.id: written again on line 7 in the same mapping, where it would replace this one: keep one (line 7)',
      'agents.bot.budgett: unknown key; did you mean budget? (line 10)',
    ]);
  });

  it('says to quote unquoted values in a one-line map, once each, at its line', () => {
    // Act
    const problems = problemsOf('jobs:\n  nb: { schedule: */15 * * * *, owner: @team }\n');

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(/^line 2: schedule: a value starting with \* must be quoted in YAML .*: write schedule: "\*\/15 \* \* \* \*"$/),
      expect.stringMatching(/^line 2: owner: a value starting with @ must be quoted in YAML .*: write owner: "@team"$/),
    ]);
  });

  it('says JSON has no comments, at the line of a // comment', () => {
    // Act
    const problems = problemsOf('{"jobs": {"nb": {"schedule": "0 1 * * *"}},\n // the nightly job\n}\n');

    // Assess
    expect(problems).toEqual(['// the nightly job: unknown key: JSON has no comments (a YAML config writes them after #) (line 2)']);
  });

  it.each([
    ['jobs.ep.expect_pattern', { jobs: { ep: { expect_pattern: '/uploaded \\d+ objects/m' } } }],
    ['jobs.gi.expect_pattern', { jobs: { gi: { expect_pattern: '/x/gi' } } }],
    ['tools.t.args.id.pattern', { tools: { t: { args: { id: { pattern: '/^[a-z]+$/i' } } } } }],
    ['redact.patterns.0.regex', { redact: { patterns: [{ name: 'tok', regex: '/tok_[a-z0-9]+/g' }] } }],
  ])('refuses a pattern written between slashes with flags (%s), saying to drop them', (path, raw) => {
    // Act
    let problems: string[] = [];
    try {
      validateConfig(raw, 'c.yaml');
    } catch (error) {
      problems = [...(error as ConfigError).problems];
    }

    // Assess
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}: written between slashes .*drop the slashes`))]);
  });

  it.each([
    ['/var/log/app/', 'rotated /var/log/app/'],
    ['/var/backups/done', 'wrote /var/backups/done'],
    ['/usr/local/bin/backup', 'ran /usr/local/bin/backup'],
    ['/health/', 'GET /health/ 200'],
  ])('takes an expect_pattern that starts with a slash as a path (%s), matching it', (pattern, line) => {
    // Prepare
    const text = `jobs:\n  backup:\n    expect_pattern: "${pattern}"\n`;

    // Act
    const config = parseConfigText(text, 'c.yaml');

    // Assess
    expect(new RegExp(config.jobs.backup.expect_pattern!).test(line)).toBe(true);
  });

  it('keeps redact patterns that start with a slash, beside the other custom patterns', () => {
    // Prepare
    const text = [
      'redact:',
      '  patterns:',
      '    - { name: dbpass, regex: "dbpass=\\\\S+" }',
      '    - { name: uid, regex: "/users/\\\\d+/" }',
      '    - { name: tok, regex: "/api/v1/token" }',
      'jobs:',
      '  backup:',
      '    expect_pattern: "/var/backups/done"',
      '',
    ].join('\n');

    // Act
    const config = parseConfigText(text, 'c.yaml');

    // Assess
    expect(config.redact.patterns).toEqual([
      { name: 'dbpass', regex: 'dbpass=\\S+' },
      { name: 'uid', regex: '/users/\\d+/' },
      { name: 'tok', regex: '/api/v1/token' },
    ]);
    expect(new RegExp(config.redact.patterns[1].regex).test('GET /users/42/ 200')).toBe(true);
  });

  it('takes a pattern that matches a slash when the slash is escaped', () => {
    // Act
    const config = validateConfig({ jobs: { ep: { expect_pattern: '\\/srv\\/backup\\/' } } });

    // Assess
    expect(new RegExp(config.jobs.ep.expect_pattern!).test('wrote /srv/backup/')).toBe(true);
  });

  it.each([
    ['a trailing comma', '{"jobs": {"sync": {"schedule": "0 3 * * *",}}}', 'line 1, column 43: a comma after the last item: JSON takes none, remove it'],
    ['a trailing comma in a list', '{\n  "deploy": {"log_groups": ["/jobs/cron",\n  ]}\n}', 'line 2, column 41: a comma after the last item: JSON takes none, remove it'],
    ['an unquoted key', "{jobs: {'sync': {schedule: '0 3 * * *'}}}", 'line 1, column 2: the key jobs is not quoted: JSON writes "jobs" (a .yaml config takes YAML)'],
    ['single quotes', "{\"jobs\": {'sync': {}}}", 'line 1, column 11: \'sync\' is in single quotes: JSON writes "sync" (a .yaml config takes YAML)'],
    ['a comment', '{"jobs": {"nb": {"schedule": "0 1 * * *"}},\n // the nightly job\n}\n', 'line 2, column 2: a // comment: JSON has no comments (a YAML config writes them after #)'],
    ['a bare word', '{"jobs": {"nb": {"grace_minutes": five}}}', 'line 1, column 35: five is no JSON value: write a string in double quotes ("five"), true, false and null in lower case'],
    ['a capitalised literal', '{"defaults": {"x": True}}', 'line 1, column 20: True is no JSON value: write a string in double quotes ("True"), true, false and null in lower case'],
    ['a character no JSON takes', '{"jobs": {"nb": {"grace_minutes": 5}}};', 'line 1, column 39: Unexpected non-whitespace character after JSON'],
    ['an empty file', '', 'line 1, column 1: Unexpected end of JSON input'],
  ])('refuses a .json config that is not JSON (%s), at the line and column of what is wrong', (_, text, problem) => {
    // Act
    let problems: string[] = [];
    try {
      parseConfigText(text, 'silent-audit.config.json');
    } catch (error) {
      problems = [...(error as ConfigError).problems];
    }

    // Assess
    expect(problems).toEqual([problem]);
  });

  it('names a valid JSON config\'s problems by key path and line, a key written twice too', () => {
    // Prepare
    const text = '{\n  "jobs": {\n    "a": {"grace_minutes": -1},\n    "b": {},\n    "b": {}\n  }\n}\n';

    // Act
    let problems: string[] = [];
    try {
      parseConfigText(text, 'c.json');
    } catch (error) {
      problems = [...(error as ConfigError).problems];
    }

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^jobs\.a\.grace_minutes: .* \(line 3\)$/), expect.stringMatching(/^jobs\.b: written again on line 5 .* \(line 4\)$/)]);
  });

  it.each([
    ['a # comment', '# my config\njobs:\n  backup:\n    schedule: "0 3 * * *"\n', 'line 1, column 1: this file is YAML (a # comment); name it .yaml or .yml, or write JSON'],
    ['a key: line', 'jobs:\n  backup:\n    schedule: "0 3 * * *"\n', 'line 1, column 1: this file is YAML (jobs: is a key as YAML writes it); name it .yaml or .yml, or write JSON'],
    ['a --- document start', '---\njobs: {}\n', 'line 1, column 1: this file is YAML (--- starts a YAML document); name it .yaml or .yml, or write JSON'],
    ['a --- document start before JSON', '---\n{"jobs": {}}\n', 'line 1, column 1: this file is YAML (--- starts a YAML document); name it .yaml or .yml, or write JSON'],
    ['a key: line after comments', '\n# written by silent-audit init\n\njobs:\n  backup: {}\n', 'line 2, column 1: this file is YAML (a # comment); name it .yaml or .yml, or write JSON'],
  ])('refuses a YAML config named .json (%s), saying it is YAML and to rename it', (_, text, problem) => {
    // Act
    let problems: string[] = [];
    try {
      parseConfigText(text, 'silent-audit.config.json');
    } catch (error) {
      problems = [...(error as ConfigError).problems];
    }

    // Assess
    expect(problems).toEqual([problem]);
  });

  it.each([
    ['a # comment after it', '{"jobs": {}} # trailing\n', 'line 1, column 14: a # comment: JSON has no comments (a YAML config writes them after #)'],
    ['a # comment in it', '{\n  "jobs": {} # nightly\n}\n', 'line 2, column 14: a # comment: JSON has no comments (a YAML config writes them after #)'],
    ['its opening { missing', '"jobs": {\n  "backup": {"schedule": "0 3 * * *"}\n}\n}\n', 'line 1, column 7: Unexpected non-whitespace character after JSON'],
    ['a character no JSON takes at its start', '@{"jobs": {"a": {}}}', "line 1, column 1: Unexpected token '@'"],
    ['a character no JSON takes in a long file', `{"jobs": {"a": {"b": @}}, "defaults": {"grace_minutes": 5}}`, "line 1, column 22: Unexpected token '@'"],
  ])('refuses a .json config with %s, without quoting the file', (_, text, problem) => {
    // Act
    let problems: string[] = [];
    try {
      parseConfigText(text, 'silent-audit.config.json');
    } catch (error) {
      problems = [...(error as ConfigError).problems];
    }

    // Assess
    expect(problems).toEqual([problem]);
  });

  it('reads JSON too', () => {
    const config = parseConfigText('{"jobs": {"a": {"grace_minutes": 5}}}', 'c.json');
    expect(config.jobs.a.grace_minutes).toBe(5);
  });

  it('refuses at deploy a log group the deploy lists feed twice, at the key path and line of the entry to change, once however often it is listed', () => {
    // Prepare
    const both = 'deploy:\n  log_groups: [/jobs/cron]\n  kinesis_log_groups:\n    - /jobs/cron\n';
    const covered = 'deploy:\n  account_policy: true\n  account_policy_excluded_log_groups: [/jobs/fleet]\n  log_groups:\n    - /jobs/fleet\n    - /jobs/cron\n    - /jobs/cron\n  kinesis_log_groups: [/jobs/agents, /jobs/agents]\n';

    // Act
    const bothProblems = problemsOf(both, { deploying: true });
    const coveredProblems = problemsOf(covered, { deploying: true });

    // Assess
    expect(bothProblems).toEqual([
      'deploy.kinesis_log_groups.0: /jobs/cron is also subscribed to the ingest function (deploy.log_groups); a log group goes through Kinesis or straight to the function, not both: remove it from one list (line 4)',
    ]);
    expect(coveredProblems).toHaveLength(2);
    expect(coveredProblems[0]).toMatch(/^deploy\.log_groups\.1: \/jobs\/cron is covered by the account-level subscription filter policy \(deploy\.account_policy\).* Remove it from deploy\.log_groups, or list it in deploy\.account_policy_excluded_log_groups to keep its own filter\. \(line 6\)$/);
    expect(coveredProblems[1]).toMatch(/^deploy\.kinesis_log_groups\.0: \/jobs\/agents is also covered by the account-level subscription filter policy \(deploy\.account_policy\); list it in deploy\.account_policy_excluded_log_groups \(line 8\)$/);
  });

  it('reads a config whose deploy lists feed a log group twice where nothing is deployed (scan, report, mcp), with one warning line naming the file and line', () => {
    // Prepare
    const text = 'jobs:\n  backup: { schedule: "30 2 * * *" }\ndeploy:\n  account_policy: true\n  log_groups: [/x, /x]\n';
    const warnings: string[] = [];

    // Act
    const config = parseConfigText(text, 'silent-audit.config.yaml', { warn: (line) => warnings.push(line) });

    // Assess
    expect(Object.keys(config.jobs)).toEqual(['backup']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('\n');
    expect(warnings[0]).toMatch(/^warning: silent-audit\.config\.yaml: deploy\.log_groups\.0: \/x is covered by the account-level subscription filter policy \(deploy\.account_policy\).* \(line 5\) \(refused at deploy; nothing is deployed here\)$/);
    expect(warnings[0].match(/is covered/g)).toHaveLength(1);
  });
});

describe('an owner a redaction rule changes', () => {
  it('is read with one warning naming its key path and what alerts and reports carry instead, as an e-mail pattern would turn every owner into one marker', () => {
    // Prepare: an own redact pattern for e-mail addresses, and jobs owned by e-mail addresses
    const text = [
      'redact:',
      '  patterns:',
      '    - { name: email, regex: "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}" }',
      'jobs:',
      '  a: { owner: team01@example.com }',
      '  b: { owner: payments }',
      '',
    ].join('\n');
    const warnings: string[] = [];

    // Act
    const config = parseConfigText(text, 'silent-audit.config.yaml', { warn: (line) => warnings.push(line) });

    // Assess
    expect(config.jobs.a.owner).toBe('team01@example.com');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('jobs.a.owner: ');
    expect(warnings[0]).toContain('[REDACTED:email]');
    expect(warnings[0]).toContain('(line 5)');
    expect(warnings[0]).not.toContain('team01@example.com');
    expect(warnings[0]).not.toContain('jobs.b');
  });
});

describe('a near miss in the config', () => {
  it('warns of a snooze subject and a maintenance window subject that name no configured subject but look like a slip for one, with their key path and line', () => {
    // Prepare: jobs paused-job and maint-job, a snooze on paused_job and a window on maint_job; a guard, a route, and subjects far from every name (all ended, read whatever the day)
    const text = [
      'jobs:',
      '  paused-job: { schedule: "0 3 * * *" }',
      '  maint-job: { schedule: "0 4 * * *" }',
      'routes:',
      '  "GET /users/:id": { owner: web }',
      'exceptions:',
      '  - { id: EX-1, guard: pii-redaction, reason: r, owner: o@example.com, expires: 2025-01-20 }',
      'snoozes:',
      '  - { subject: paused_job, owner: ops, reason: paused, until: 2025-01-10 }',
      '  - { subject: paused-job, owner: ops, reason: paused, until: 2025-01-10 }',
      '  - { subject: pii-redaction, owner: ops, reason: r, until: 2025-01-10 }',
      '  - { subject: "GET /users/123", owner: ops, reason: r, until: 2025-01-10 }',
      '  - { subject: legacy-etl, owner: ops, reason: only the logs name it, until: 2025-01-10 }',
      'maintenance_windows:',
      '  - { subjects: [maint-job, maint_job], owner: ops, reason: failover, start: "2025-01-09T03:30:00Z", end: "2025-01-09T05:30:00Z" }',
      '',
    ].join('\n');
    const warnings: string[] = [];

    // Act
    const config = validateConfig(parseDocument(text).toJS(), 'c.yaml', undefined, { now: Date.parse('2025-01-05T00:00:00Z'), warn: (line) => warnings.push(line) });
    parseConfigText(text, 'silent-audit.config.yaml', { warn: (line) => warnings.push(line) });

    // Assess: kept as written; one warning line each read, naming only the two slips, the second with its lines
    expect(config.snoozes[0].subject).toBe('paused_job');
    expect(config.maintenance_windows[0].subjects).toEqual(['maint-job', 'maint_job']);
    expect(warnings).toEqual([
      'warning: c.yaml: snoozes.0.subject: no subject named "paused_job" is in the config; did you mean paused-job? (kept: it holds back only what the logs name "paused_job"); maintenance_windows.0.subjects.1: no subject named "maint_job" is in the config; did you mean maint-job? (kept: it holds back only what the logs name "maint_job")',
      expect.stringMatching(/^warning: silent-audit\.config\.yaml: snoozes\.0\.subject: .*paused-job\? .*\(line 9\); maintenance_windows\.0\.subjects\.1: .*maint-job\? .*\(line 15\)$/),
    ]);
  });

  it('does not warn of the subjects again in the copy compiled into the Lambdas (names as logged): they were warned of at synth', () => {
    // Prepare
    const raw = { jobs: { monthly: { schedule: '0 4 1 * *' } }, snoozes: [{ subject: 'montly', owner: 'a', reason: 'r', until: '2025-01-10' }] };
    const warnings: string[] = [];

    // Act
    validateConfig(raw, 'c.yaml', undefined, { now: Date.parse('2025-01-05T00:00:00Z'), namesAsLogged: true, warn: (line) => warnings.push(line) });
    validateConfig(raw, 'c.yaml', undefined, { now: Date.parse('2025-01-05T00:00:00Z'), warn: (line) => warnings.push(line) });

    // Assess
    expect(warnings).toEqual([expect.stringContaining('snoozes.0.subject: no subject named "montly" is in the config; did you mean monthly?')]);
  });

  it('warns of a snooze subject that differs from a configured job only in case: matching is exact, so it would hold nothing back', () => {
    // Prepare
    const raw = { jobs: { 'Nightly-Backup': { schedule: '0 3 * * *' } }, snoozes: [{ subject: 'nightly-backup', owner: 'a', reason: 'r', until: '2025-01-10' }] };
    const warnings: string[] = [];

    // Act
    validateConfig(raw, 'c.yaml', undefined, { now: Date.parse('2025-01-05T00:00:00Z'), warn: (line) => warnings.push(line) });

    // Assess
    expect(warnings).toEqual([
      'warning: c.yaml: snoozes.0.subject: no subject named "nightly-backup" is in the config; did you mean Nightly-Backup? (kept: it holds back only what the logs name "nightly-backup")',
    ]);
  });

  it('names the detector id one differs from only in case', () => {
    // Act
    const problems = problemsOf('defaults:\n  severity:\n    Missed-Run: low\n');

    // Assess
    expect(problems).toEqual(['defaults.severity.Missed-Run: not a detector id (see the detector table); did you mean missed-run? (line 3)']);
  });

  it('names the detector id a misspelt one looks meant for', () => {
    // Act
    const problems = problemsOf('snoozes:\n  - { subject: x, detector: missed_run, owner: a, reason: r, until: 2026-12-01 }\nmaintenance_windows:\n  - { subjects: [x], detectors: [run-failed, Run-Failled], owner: a, reason: r, start: 2026-12-01, end: 2026-12-02 }\n');

    // Assess
    expect(problems).toEqual([
      'snoozes.0.detector: not a detector id (see the detector table); did you mean missed-run? (line 2)',
      'maintenance_windows.0.detectors.1: not a detector id (see the detector table); did you mean run-failed? (line 4)',
    ]);
  });

  it('names the known key of its section an unknown key looks meant for: a slip, another case, the key without its unit or with another', () => {
    // Act
    const problems = problemsOf('jobs:\n  x:\n    grace: 5\n    max_runtime_mins: 30\n    Owner: ops\n    shedule: "0 * * * *"\n    colour: blue\ndeploy:\n  heartbeat: 6\n');

    // Assess: each key by its path and line; one near no known key is only unknown
    expect(problems).toEqual([
      'jobs.x.grace: unknown key; did you mean grace_minutes? (line 3)',
      'jobs.x.max_runtime_mins: unknown key; did you mean max_runtime_minutes? (line 4)',
      'jobs.x.Owner: unknown key; did you mean owner? (line 5)',
      'jobs.x.shedule: unknown key; did you mean schedule? (line 6)',
      'jobs.x.colour: unknown key (line 7)',
      'deploy.heartbeat: unknown key; did you mean heartbeat_hours? (line 9)',
    ]);
  });
});

describe('an exception in the config', () => {
  const NOW = Date.parse('2026-10-03T12:00:00Z');
  const withException = (expires: string, defaults: Record<string, unknown> = {}) => ({ defaults, exceptions: [{ id: 'EX-1', guard: 'pii', reason: 'migration', owner: 'a@example.com', expires }] });
  const refusal = (raw: unknown): string[] => {
    try {
      validateConfig(raw, 'c.yaml', undefined, { now: NOW });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).problems];
    }
    return [];
  };

  it('is refused when it expires more than max_exception_days after today, as `exceptions add` refuses it', () => {
    // Act
    const far = refusal(withException('2099-12-31'));
    const justOver = refusal(withException('2027-01-02'));
    // Assess
    expect(far).toEqual(['exceptions.0.expires: 2099-12-31 is 26752 days ahead; an exception may run at most 90 days (defaults.max_exception_days): renew it when it runs out, with a reason']);
    expect(justOver).toEqual([expect.stringMatching(/^exceptions\.0\.expires: 2027-01-02 is 91 days ahead; an exception may run at most 90 days/)]);
  });

  it('is taken up to max_exception_days ahead, as configured, and when it has expired already', () => {
    // Act, Assess: 90 days ahead, 100 days under max_exception_days 120, and in the past
    expect(refusal(withException('2027-01-01'))).toEqual([]);
    expect(refusal(withException('2027-01-11', { max_exception_days: 120 }))).toEqual([]);
    expect(refusal(withException('2026-09-30'))).toEqual([]);
  });
});
