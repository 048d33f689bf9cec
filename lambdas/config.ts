import { readFileSync, existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import {
  ArgTypeSchema,
  backtrackingProblem,
  calendarDay,
  configIssueMessage,
  configText,
  DATE,
  dateProblem,
  problemTexts,
  readJson,
  regex,
  slashedPatternProblem,
  ToolsSchema,
} from './config-tools.ts';
import { type Document, isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import { didYouMean, namesMeant } from './core/edit-distance.ts';
import { identifierFits, MAX_ID_BYTES, MAX_ID_CHARS } from './core/events.ts';
import { daysBetween, parseTime, utcDay } from './core/parse-time.ts';
import { ordinal } from './core/ordinal.ts';
import { isPlainObject, setOwn } from './core/own-property.ts';
import { shortenName } from './core/parse/derived-name.ts';
import { routeTemplate } from './core/route-template.ts';
import { BUILTIN_REDACTOR, BUILTIN_RULE_NAMES, patternProblem, redactorFor } from './core/redact.ts';
import { coarserGapNote, cronOf, neverFiresReason } from './core/schedule.ts';
import { MAX_DURATION_FAST_FACTOR } from './detectors/duration-fast.ts';
import { MIN_DURATION_SLOW_FACTOR } from './detectors/duration-slow.ts';
import { DETECTOR_IDS } from './detectors/ids.ts';
import { findErrorMarker } from './detectors/output-content.ts';
import { MAX_OUTPUT_SHRINK_RATIO } from './detectors/output-shrink.ts';

/**
 * The config file (contract §2), validated with zod; and the only reader of `process.env`.
 * Every key is optional; an invalid file is refused with the path of each bad key.
 */

const positiveInt = z.number({ error: 'expected a whole number' }).int('expected a whole number').positive('expected a number above 0');
/** A share of a route's requests that may need a retry: 1 (all of them) for a route that polls by design, on which retry-rate never fires. */
const retryRate = z.number({ error: 'expected a number' }).gt(0, 'expected a number above 0').max(1, 'expected a number at most 1 (1: never fires)');
const positiveNumber = z.number({ error: 'expected a number' }).gt(0, 'expected a number above 0');

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The @-macros a schedule may be (croner's, but `@reboot`, which names no time), in any case. */
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const FIVE_FIELDS = 'write the 5 fields minute hour day-of-month month day-of-week, e.g. "30 2 * * *"';
const NOT_CRON = 'not a cron expression';

/**
 * Why a schedule is no cron expression, or undefined when it is one: 5 fields, or an @-macro.
 * croner takes more (a seconds field first, a year last, an ISO time for a one-off run), and would
 * read AWS EventBridge's `30 2 * * ? *` (minutes first, a year last) as seconds first: a daily
 * job expected every hour.
 */
function cronProblem(expr: string, of: CronUse): string | undefined {
  const text = expr.trim();
  if (text.startsWith('@')) {
    if (CRON_MACROS.includes(text.toLowerCase())) return undefined;
    return `${NOT_CRON}: ${text} is not a time (use ${CRON_MACROS.slice(0, -1).join(', ')} or ${CRON_MACROS.at(-1)})`;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) return `${NOT_CRON}: a date or time is not a schedule; ${FIVE_FIELDS}`;
  if (/^rate\(/i.test(text)) return rateProblem(text, of);
  if (/^at\(/i.test(text)) return oneTimeProblem(text, of);
  const zoned = zonePrefixProblem(text);
  if (zoned) return zoned;
  const period = EVERY.exec(text);
  if (period) return `${NOT_CRON}: ${text} is a period, which a schedule here does not take (nor EventBridge's rate()): ${periodAdvice(Number(period[1]) * unitMinutes(period[2]), text, of)}`;
  const fields = text.split(/\s+/);
  if (fields.length === 6 || fields.length === 7) {
    return `${NOT_CRON}: ${fields.length} fields; AWS EventBridge's cron(minutes hours day-of-month month day-of-week year) and a seconds field are not supported: ${FIVE_FIELDS}`;
  }
  if (fields.length !== 5) return NOT_CRON;
  try {
    cronOf(text, { paused: true });
    return undefined;
  } catch {
    return stepFromStartProblem(fields) ?? stepPastFieldProblem(fields, of) ?? stepSizeProblem(fields) ?? lastDayOffsetProblem(fields) ?? outOfRangeProblem(fields) ?? NOT_CRON;
  }
}

/** The five cron fields, in order, with the values each takes (day of week: 0 and 7 are Sunday). */
const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 7 },
] as const;

/**
 * A day of the month counted back from the last (`L-3`, Quartz's and EventBridge's): not taken,
 * with what is: `L` alone, the month's last day, or days by number.
 */
function lastDayOffsetProblem(fields: readonly string[]): string | undefined {
  const offset = fields[2].split(',').find((item) => /^L-\d+$/i.test(item));
  if (offset === undefined) return undefined;
  const last = [fields[0], fields[1], 'L', fields[3], fields[4]].join(' ');
  return `${NOT_CRON}: ${offset} (${offset.slice(2)} days before the month's last) is not supported: day-of-month takes L alone, the month's last day ("${last}"), or days by number (28, say)`;
}

/** A number out of its field's range (`0` as day-of-month, `60` as minute): which field, and the values it takes. */
function outOfRangeProblem(fields: readonly string[]): string | undefined {
  for (const [i, field] of fields.entries()) {
    const { name, min, max } = CRON_FIELDS[i];
    // Each item's values, not its step (`*/90` is stepPastFieldProblem's).
    const values = field.split(',').flatMap((item) => item.split('/')[0].split('-'));
    const out = values.find((v) => /^\d+$/.test(v) && (Number(v) < min || Number(v) > max));
    if (out !== undefined) return `${NOT_CRON}: ${name} ${out}${out === field ? '' : ` (in ${field})`} is out of range: ${name} is ${min}-${max}`;
  }
  return undefined;
}

/** `every 90 min`, `every 2 hours`, `every 1 day`: a period written in words. */
const EVERY = /^every\s+(\d+)\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?)$/i;

/** The minutes in one of EVERY's units. */
function unitMinutes(unit: string): number {
  const u = unit.toLowerCase();
  return u.startsWith('m') ? 1 : u.startsWith('h') ? 60 : 1440;
}

/**
 * A step over the whole minute or hour field longer than the field (`*\/90` minutes: minutes are
 * 0-59, so cron would run it at :00 alone, hourly): the period meant, with what to write for it.
 */
function stepPastFieldProblem(fields: readonly string[], of: CronUse): string | undefined {
  const [minute, hour] = fields;
  const step = (field: string) => /^\*\/(\d+)$/.exec(field)?.[1];
  const minutes = step(minute);
  if (minutes !== undefined && Number(minutes) > 59 && hour === '*') {
    return `${NOT_CRON}: ${minute} steps past the minute field (minutes are 0-59; a step does not carry into the hours): ${periodAdvice(Number(minutes), `every ${minutes} min`, of)}`;
  }
  const hours = step(hour);
  if (hours !== undefined && Number(hours) > 23 && /^\d+$/.test(minute)) {
    return `${NOT_CRON}: ${hour} steps past the hour field (hours are 0-23; a step does not carry into the days): ${periodAdvice(Number(hours) * 60, `every ${hours} h`, of)}`;
  }
  return undefined;
}

/**
 * A step no cron takes in a field stepPastFieldProblem leaves (`*\/90 9-17 * * *`, `*\/0`): a step of
 * 0, or one past its field's values, with the values the field takes.
 */
function stepSizeProblem(fields: readonly string[]): string | undefined {
  for (const [i, field] of fields.entries()) {
    const { name, min, max } = CRON_FIELDS[i];
    const step = field.split(',').map((item) => /\/(\d+)$/.exec(item)?.[1]).find((s) => s !== undefined && (Number(s) === 0 || Number(s) > max - min + 1));
    if (step === undefined) continue;
    const what = `${NOT_CRON}: ${field}, the ${name} field, steps by ${step}`;
    if (Number(step) === 0) return `${what}: a step must be 1 or more`;
    return `${what}, past its values (${name} is ${min}-${max}, and a step does not carry into the next field): list the ${name} values of the times it names`;
  }
  return undefined;
}

/**
 * What to write for a job run (`of`: 'schedule') or a window opening (`of`: 'window') every
 * `minutes`: the cron that says the period when one does (cronOfPeriod). Else, for a job, the cron of
 * the least multiple of it that divides a day (coarserPeriod), which expects every nth run only (every
 * 90 min: "0 *\/3 * * *", every 2nd run), with the gap it is sure to report (coarserGapNote), or to
 * leave the schedule out; for a window, which must open at each of its real times, those times listed.
 */
function periodAdvice(minutes: number, period: string, of: CronUse): string {
  const exact = cronOfPeriod(minutes);
  const whose = of === 'schedule' ? "the job's runs" : 'the times the window opens at';
  if (exact) return `write it as cron's 5 fields, "${exact.fields}"${exact.phase ? ` (its ${exact.phase} those of ${whose})` : ''}`;
  const coarser = coarserPeriod(minutes);
  if (of === 'window') {
    const crons = coarser ? `: every ${coarser.every}, ${windowCrons(minutes, coarser.nth)} (minutes and hours those the window opens at)` : '';
    return (
      `no cron expression says ${period} (minutes are 0-59, hours 0-23, and a step does not carry into the next field), and a window must open at its real times: ` +
      `list them, in several windows, one cron each${crons}, or in one cron listing their minutes and hours`
    );
  }
  if (coarser) {
    return (
      `one cron expression cannot name every run of ${period}; write one that names every ${ordinal(coarser.nth)} run, every ${coarser.every}, "${coarser.multiple.fields}" ` +
      `(its ${coarser.multiple.phase ?? 'fields'} those of one of the job's runs; ${coarserGapNote(minutes, coarser.nth)}), or run silent-audit init on its logs to write it`
    );
  }
  return `no cron expression says ${period}: leave schedule out (its runs and failures are still reported, none is expected)`;
}

/** The least multiple of a period of `minutes` dividing a day that cron says (every 90 min: every 3 h, its 2nd run): undefined when the period does not divide a day. */
function coarserPeriod(minutes: number): { nth: number; every: string; multiple: NonNullable<ReturnType<typeof cronOfPeriod>> } | undefined {
  for (let nth = 2; minutes > 0 && nth * minutes <= 1440 && 1440 % minutes === 0; nth++) {
    const multiple = cronOfPeriod(nth * minutes);
    if (multiple) return { nth, multiple, every: (nth * minutes) % 60 === 0 ? `${(nth * minutes) / 60} h` : `${nth * minutes} min` };
  }
  return undefined;
}

/** The crons of the `nth` windows that together open every `minutes` from midnight, each every nth time (whole hours dividing a day): `"0 *\/3 * * *" and "30 1-23/3 * * *"`, the first three and the last when more. */
function windowCrons(minutes: number, nth: number): string {
  const hours = (nth * minutes) / 60;
  const cronAt = (k: number) => {
    const offset = k * minutes;
    const hour = Math.floor(offset / 60);
    const hourField = hours === 24 ? `${hour}` : hour === 0 ? `*/${hours}` : `${hour}-23/${hours}`;
    return `${offset % 60} ${hourField} * * *`;
  };
  const crons = Array.from({ length: nth }, (_, k) => `"${cronAt(k)}"`);
  if (crons.length > 4) return `${crons.slice(0, 3).join(', ')} … and ${crons[crons.length - 1]}`;
  return `${crons.slice(0, -1).join(', ')} and ${crons[crons.length - 1]}`;
}

/** What a cron expression is checked as: a job's `schedule`, or a maintenance window's `cron`. */
type CronUse = 'schedule' | 'window';

/**
 * EventBridge Scheduler's one-time `at(…)`: a job run once has no schedule (it is left out); a
 * window once is written with `start` and `end` in place of the recurring window's keys.
 */
function oneTimeProblem(text: string, of: CronUse): string {
  const refused = `${NOT_CRON}: ${text} is AWS EventBridge Scheduler's one-time schedule, which is not supported`;
  if (of === 'schedule') return `${refused}: a schedule here names the times a job runs again and again; for a job run once leave schedule out (its runs and failures are still reported, none is expected)`;
  const at = /^at\(\s*([^)\s]*)\s*\)$/i.exec(text)?.[1];
  return `${refused}: cron names a window that comes again and again; for a window once write start and end (start: ${at || 'an ISO time'}, UTC unless it gives an offset) in place of cron, duration_minutes, until and timezone`;
}

/** The minute, hour, day-of-month and month fields (EventBridge numbers them as cron does): first and last value, and what they count. */
const STEPPED_FIELDS = [
  { first: 0, last: 59, unit: 'minutes' },
  { first: 0, last: 23, unit: 'hours' },
  { first: 1, last: 31, unit: 'days' },
  { first: 1, last: 12, unit: 'months' },
];

/**
 * AWS EventBridge's and Quartz's step from a single start, `a/b` (every b from a: `0/15` every 15
 * minutes), which neither croner nor cron(8) takes (cronie steps over a range or `*` only, and refuses
 * `0/15` as a bad minute), with the cron to write: `*\/b` from the field's first value, else
 * `a-last/b`. A numbered day of week, 1-7 from Sunday there, is renumbered 0-6 as cron numbers it
 * (`eventBridgeWeekdays`) when a `?` names the expression EventBridge's (it and Quartz require one in
 * day-of-month or day-of-week); without one it is a cron user's, its days kept. No cron when an
 * EventBridge day number is not 1-7. Undefined when no field has such a step, or the cron rewritten is still no cron.
 */
function stepFromStartProblem(fields: readonly string[]): string | undefined {
  let first: { item: string; from: string; every: string; unit: string } | undefined;
  const rewritten = fields.map((field, i) => {
    const stepped = STEPPED_FIELDS[i];
    if (!stepped || !field.includes('/')) return field;
    return field
      .split(',')
      .map((item) => {
        const m = /^(\d+)\/(\d+)$/.exec(item);
        if (!m) return item;
        first ??= { item, from: m[1], every: m[2], unit: stepped.unit };
        return Number(m[1]) === stepped.first ? `*/${m[2]}` : `${m[1]}-${stepped.last}/${m[2]}`;
      })
      .join(',');
  });
  if (!first) return undefined;
  const step = `${NOT_CRON}: ${first.item} is AWS EventBridge's (and Quartz's) step from a single start, every ${first.every} ${first.unit} from ${first.from}, which cron does not take (it steps over a range or *)`;
  // EventBridge and Quartz require ? in day-of-month or day-of-week: without one the days are cron's (0-6 from Sunday), kept.
  const eventBridge = fields[2] === '?' || fields[4] === '?';
  const weekdays = eventBridge ? eventBridgeWeekdays(fields[4]) : { cron: fields[4] };
  if ('outside' in weekdays) return `${step}, and day of week ${weekdays.outside} is not an EventBridge day (it numbers them 1-7 from Sunday)`;
  rewritten[4] = weekdays.cron;
  const cron = rewritten.join(' ');
  try {
    cronOf(cron, { paused: true });
  } catch {
    return undefined;
  }
  const renumbered = weekdays.cron === fields[4] ? '' : ` (day of week ${fields[4]} there, numbered 1-7 from Sunday, is ${weekdays.cron} in cron, numbered 0-6)`;
  return `${step}: write "${cron}"${renumbered}`;
}

/**
 * An EventBridge day-of-week field as cron writes it: each day number (an item's, a range's ends;
 * not the n of `6#3`), 1-7 from Sunday there, one less (`2-6` Mon–Fri: `1-5`, `6#3`: `5#3`, `6L`:
 * `5L`). Names, `*` and `?` are the same in both. The first day number that is not 1-7 instead, if any.
 */
function eventBridgeWeekdays(field: string): { cron: string } | { outside: string } {
  let outside: string | undefined;
  const cron = field.replace(/(^|[,-])(\d+)/g, (_, before: string, day: string) => {
    if (Number(day) < 1 || Number(day) > 7) outside ??= day;
    return `${before}${Number(day) - 1}`;
  });
  return outside === undefined ? { cron } : { outside };
}

const RATE = /^rate\(\s*(\d+)\s+(minute|hour|day)(s?)\s*\)$/i;

/**
 * Why AWS EventBridge's `rate(1 hour)` is no schedule here, with the cron that fires as often when
 * there is one (a rate that divides an hour or a day, or a week's): `0 * * * *` for `rate(1 hour)`, every fifth
 * minute for `rate(5 minutes)`. A rule fires at its own minute (the one it was created at), which
 * cron's fields must then name. A rate EventBridge refuses too (`rate(0 minutes)`, `rate(1 hours)`,
 * `rate(5 minute)`) is said to be refused there.
 */
function rateProblem(text: string, of: CronUse): string {
  const rate = `${NOT_CRON}: ${text} is AWS EventBridge's rate expression, which is not supported`;
  const m = RATE.exec(text);
  const value = m ? Number(m[1]) : undefined;
  if (m && value === 0) return `${rate}, and EventBridge refuses a rate of 0 too: write the 5 fields minute hour day-of-month month day-of-week of the times the job runs, e.g. "30 2 * * *"`;
  const refused = m && (value === 1) !== (m[3] === '') ? `, and EventBridge refuses it too (a value of 1 takes "${m[2].toLowerCase()}", any other "${m[2].toLowerCase()}s")` : '';
  const cron = m ? rateAsCron(m) : undefined;
  if (cron === undefined) {
    // What a period in words gets: a multiple cron says (90 minutes), else no schedule (5 hours).
    if (m && value) return `${rate}${refused}, and cron has no exact equivalent of it: ${periodAdvice(value * RATE_UNIT_MINUTES[m[2].toLowerCase() as 'minute' | 'hour' | 'day'], `every ${value} ${m[2].toLowerCase()}s`, of)}`;
    return `${rate}${refused}, and cron has no exact equivalent of it: write the 5 fields minute hour day-of-month month day-of-week of the times it runs`;
  }
  const phase = cron.phase ? ` (its ${cron.phase} the one${cron.phase.includes(' and ') || cron.phase.endsWith('s') ? 's' : ''} the rule fires at${cron.example ? `: ${cron.example}` : ''})` : '';
  return `${rate}${refused}: write it as cron's 5 fields, "${cron.fields}"${phase}`;
}

/** The cron of a rate (`RATE`'s match) that divides an hour or a day, or is a week, which of its fields are the rule's own phase, and an example of them at another phase. */
function rateAsCron(m: RegExpExecArray): { fields: string; phase?: string; example?: string } | undefined {
  return cronOfPeriod(Number(m[1]) * RATE_UNIT_MINUTES[m[2].toLowerCase() as 'minute' | 'hour' | 'day']);
}

const RATE_UNIT_MINUTES = { minute: 1, hour: 60, day: 1440 };

/** The cron of a period of `minutes` that divides an hour or a day, or is a week, which of its fields are the runs' own phase, and an example of them at another phase. */
function cronOfPeriod(minutes: number): { fields: string; phase?: string; example?: string } | undefined {
  if (minutes === 0) return undefined;
  if (minutes === 1) return { fields: '* * * * *' };
  if (minutes < 60 && 60 % minutes === 0) return { fields: `*/${minutes} * * * *`, phase: 'minutes', example: minuteRateExample(minutes) };
  if (minutes === 60) return { fields: '0 * * * *', phase: 'minute' };
  if (minutes < 1440 && minutes % 60 === 0 && 24 % (minutes / 60) === 0) return { fields: `0 */${minutes / 60} * * *`, phase: 'minute and hours' };
  if (minutes === 1440) return { fields: '0 0 * * *', phase: 'minute and hour' };
  if (minutes === 7 * 1440) return { fields: '0 0 * * 0', phase: 'minute, hour and day of week' };
  return undefined;
}

/** The cron of a rule firing every `step` minutes (a divisor of 60) from minute 17 of an hour on: `"17,47 * * * *" for a rule firing at :17 and :47`. */
function minuteRateExample(step: number): string {
  const first = 17 % step;
  const at = Array.from({ length: 60 / step }, (_, i) => first + i * step);
  const mm = (n: number) => `:${String(n).padStart(2, '0')}`;
  if (at.length <= 4) return `"${at.join(',')} * * * *" for a rule firing at ${at.slice(0, -1).map(mm).join(', ')} and ${mm(at[at.length - 1])}`;
  return `"${first}-59/${step} * * * *" for a rule firing at ${at.slice(0, 3).map(mm).join(', ')} … ${mm(at[at.length - 1])}`;
}

/**
 * A schedule led by the time zone a Kubernetes CronJob or cronie reads (`CRON_TZ=America/New_York 30 1 * * *`,
 * `TZ=…`): not read here, and left out it would have the job judged in UTC, so the fix names the
 * `timezone` key beside the schedule (a job's, a maintenance window's), with the zone written.
 */
function zonePrefixProblem(text: string): string | undefined {
  const m = /^((?:CRON_)?TZ)=(\S*)\s*(.*)$/i.exec(text);
  if (!m) return undefined;
  const [, prefix, zone, rest] = m;
  const fields = rest ? `"${rest}"` : 'minute hour day-of-month month day-of-week';
  return `${NOT_CRON}: a ${prefix}= prefix is not read: write the 5 fields alone (${fields}) and the zone in the timezone key beside the schedule (timezone: ${zone || 'an IANA zone, e.g. Europe/Berlin'})`;
}

const cronExpression = (of: CronUse) =>
  z.string().superRefine((expr, ctx) => {
    const problem = cronProblem(expr, of);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A message for a key left out; a value of the wrong type gets the one that names the type. */
const whenMissing = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? message : undefined);

/**
 * A day (`YYYY-MM-DD`). An ISO time after it is allowed and read as the UTC day of that moment, its
 * offset included (`2026-10-16T01:00:00+05:00` is 2026-10-15; a time without an offset is UTC), as
 * a YAML timestamp is: expiries are UTC days.
 */
const dateOnly = z.union([z.date(), z.string()], { error: 'expected a date (YYYY-MM-DD)' }).transform((v, ctx) => {
  if (v instanceof Date && Number.isNaN(v.getTime())) return (ctx.addIssue({ code: 'custom', message: 'expected a date (YYYY-MM-DD): this one does not exist' }), z.NEVER);
  const s = v instanceof Date ? v.toISOString().slice(0, 10) : v;
  const at = s.length > 10 && s[10] === 'T' ? parseTime(s) : Number.NaN;
  if (calendarDay(s.slice(0, 10)) === undefined || (s.length > 10 && Number.isNaN(at))) {
    ctx.addIssue({ code: 'custom', message: dateProblem(s, 'expected a date (YYYY-MM-DD)') });
    return z.NEVER;
  }
  return s.length > 10 ? utcDay(at) : s;
});

export const SeveritySchema = z.enum(['low', 'medium', 'high', 'critical']);

const isDetectorId = (id: string) => (DETECTOR_IDS as readonly string[]).includes(id);
/** Why `id` is refused as a detector id, with the ids it looks like a slip for (`missed_run` for `missed-run`). */
const notADetectorId = (id: string) => {
  const meant = didYouMean(namesMeant(id, DETECTOR_IDS));
  return `not a detector id (see the detector table)${meant ? `; ${meant}` : ''}`;
};
const detectorId = z.string().superRefine((id, ctx) => {
  if (!isDetectorId(id)) ctx.addIssue({ code: 'custom', message: notADetectorId(id) });
});

/** The longest `defaults.max_snooze_days` may be. */
export const MAX_SNOOZE_DAYS_LIMIT = 90;
/** How far ahead a recurring maintenance window's `until` may lie: windows are reviewed at least yearly. */
export const MAX_MAINTENANCE_UNTIL_DAYS = 366;

/**
 * A moment as ISO-8601 (`2026-11-01T06:00:00Z`, UTC when no offset is named) or a date alone,
 * normalised to an ISO instant. A date alone means the end of that day (UTC), as an end or an
 * `until` is meant; with `dateMeans: 'start'` (a window's start), the start of that day.
 */
const instant = (missing: string, dateMeans: 'start' | 'end' = 'end') =>
  z.union([z.date(), z.string()], { error: (issue) => (issue.input === undefined ? missing : 'expected a time (ISO-8601) or a date (YYYY-MM-DD)') }).transform((v, ctx) => {
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? (ctx.addIssue({ code: 'custom', message: 'not a valid date' }), z.NEVER) : v.toISOString();
    const day = calendarDay(v);
    if (day !== undefined) return new Date(dateMeans === 'start' ? day : day + 86_400_000).toISOString();
    // `parseTime` reads a time without an offset as UTC, and refuses a day the calendar lacks.
    const at = DATE.test(v) ? Number.NaN : parseTime(v);
    if (Number.isNaN(at)) {
      ctx.addIssue({ code: 'custom', message: dateProblem(v, 'expected a time (ISO-8601) or a date (YYYY-MM-DD)') });
      return z.NEVER;
    }
    return new Date(at).toISOString();
  });

/**
 * Why an id (an exception's or a snooze's) is too long, or undefined when it fits: it becomes a
 * storage key, so it is bounded as a log line's identifiers are (a bypass line's `exception_id`
 * among them): at most `MAX_ID_CHARS` characters and `MAX_ID_BYTES` bytes of UTF-8.
 */
export function idTooLong(id: string): string | undefined {
  if (identifierFits(id)) return undefined;
  return `at most ${MAX_ID_CHARS} characters and ${MAX_ID_BYTES} bytes of UTF-8, as a log line's identifiers; this one has ${id.length} characters (${Buffer.byteLength(id, 'utf8')} bytes)`;
}

function boundedIdCheck(id: string, ctx: z.RefinementCtx): void {
  const problem = idTooLong(id);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

/** What a snooze id may hold (in the config and from `snooze add --id` alike). */
export const SNOOZE_ID_PATTERN = /^[\w.-]+$/;

/** A pause of one subject's alerts (or one detector's on it): stored and visible, never sent, until it ends. */
export const SnoozeSchema = z.strictObject({
  id: z.string().regex(SNOOZE_ID_PATTERN, 'letters, digits, `.`, `_` and `-` only').superRefine(boundedIdCheck).optional(),
  subject: z.string().min(1, 'a snooze needs a subject'),
  detector: detectorId.optional(),
  owner: z.string({ error: whenMissing('a snooze needs an owner') }).trim().min(1, 'a snooze needs an owner'),
  reason: z.string({ error: whenMissing('a snooze needs a reason') }).trim().min(1, 'a snooze needs a reason'),
  until: instant('a snooze needs an end (until): one that never expires is a bypass, not a pause'),
});

/**
 * Planned work during which findings about the named subjects are stored but not sent: once
 * (`start`, `end`) or recurring (`cron` + `duration_minutes`, in `timezone`, up to `until`).
 */
export const MaintenanceWindowSchema = z
  .strictObject({
    name: z.string().min(1).optional(),
    subjects: z.array(z.string().min(1), { error: 'expected a list of subjects (jobs, agents, …)' }).min(1, 'name the subjects the window covers'),
    detectors: z.array(detectorId).optional(),
    owner: z.string({ error: whenMissing('a maintenance window needs an owner') }).trim().min(1, 'a maintenance window needs an owner'),
    reason: z.string({ error: whenMissing('a maintenance window needs a reason') }).trim().min(1, 'a maintenance window needs a reason'),
    start: instant('expected a start', 'start').optional(),
    end: instant('expected an end').optional(),
    cron: cronExpression('window').optional(),
    duration_minutes: z.number().positive('expected a number above 0').max(1440, 'at most 1440 (a day) per occurrence').optional(),
    timezone: z.string().refine(isValidTimeZone, 'not an IANA time zone (e.g. Europe/Berlin)').optional(),
    until: instant('a recurring window needs an end (until)').optional(),
  })
  .superRefine((w, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (w.cron === undefined) {
      if (w.start === undefined) issue('start', 'a one-off window needs a start (or give cron + duration_minutes + until)');
      if (w.end === undefined) issue('end', 'a one-off window needs an end: one that never ends is a bypass, not maintenance');
      if (w.start !== undefined && w.end !== undefined && w.end <= w.start) issue('end', 'expected an end after the start');
      for (const key of ['duration_minutes', 'until', 'timezone'] as const) if (w[key] !== undefined) issue(key, 'only for a recurring window (with cron)');
    } else {
      if (w.duration_minutes === undefined) issue('duration_minutes', 'a recurring window needs duration_minutes');
      if (w.until === undefined) issue('until', 'a recurring window needs an end (until): one that never ends is a bypass, not maintenance');
      for (const key of ['start', 'end'] as const) if (w[key] !== undefined) issue(key, 'not with cron: a recurring window starts at each cron time');
    }
  });

/**
 * The longest baseline window: a job's state keeps the window's output sizes and durations (and
 * their end times), about 5 bytes a run as stored (deflated), and a state must stay within
 * DynamoDB's 400 KB item. An every-minute job with 256-character run ids and hosts measured 43 KB
 * at 5,000 runs; 100,000 reached 414 KB on day 60 and every later commit of the job was refused.
 */
export const MAX_BASELINE_WINDOW = 5000;

/** In `defaults` or a job's own (a job whose smaller output is the new normal lowers its own). */
const outputShrinkRatio = positiveNumber.max(MAX_OUTPUT_SHRINK_RATIO, `expected at most ${MAX_OUTPUT_SHRINK_RATIO} (an output of half the median or more is never flagged)`);

export const DefaultsSchema = z.strictObject({
  min_history: positiveInt.default(5),
  baseline_window: positiveInt.max(MAX_BASELINE_WINDOW, `expected at most ${MAX_BASELINE_WINDOW}: a job's state keeps its window of output sizes and durations, and a larger one would outgrow what the state store holds`).default(20),
  // Bounded as the detectors bound them (never within ±50% of the median): a value past the bound
  // would be replaced by it without a word, and the report would show the one configured.
  output_shrink_ratio: outputShrinkRatio.default(0.3),
  duration_slow_factor: z
    .number({ error: 'expected a number' })
    .min(MIN_DURATION_SLOW_FACTOR, `expected at least ${MIN_DURATION_SLOW_FACTOR} (a run that takes at most 1.5× the median is never flagged as slow)`)
    .default(3),
  duration_fast_factor: positiveNumber
    .max(MAX_DURATION_FAST_FACTOR, `expected at most ${MAX_DURATION_FAST_FACTOR} (a run that takes half the median or more is never flagged as fast)`)
    .default(0.25),
  error_keywords: z
    .array(z.string().min(1))
    .default(['Traceback (most recent call last)', 'FATAL', 'panic:', 'No space left on device', 'ERROR:', 'Segmentation fault', 'Out of memory']),
  retry_rate_max: retryRate.default(0.1),
  retry_min_requests: positiveInt.default(20),
  cost_outlier_factor: z.number().gt(1, 'expected a factor above 1').default(5),
  alert_cooldown_minutes: z.number().nonnegative().default(360),
  grace_minutes: z.number().nonnegative().default(15),
  max_exception_days: positiveInt.default(90),
  // Keyed by detector id: a misspelt id would set nothing, silently.
  severity: z
    .partialRecord(z.string(), SeveritySchema)
    .superRefine((bySeverity, ctx) => {
      for (const id of Object.keys(bySeverity)) if (!isDetectorId(id)) ctx.addIssue({ code: 'custom', path: [id], message: notADetectorId(id) });
    })
    .default({}),
  /** Alert policy (lambdas/core/alert-policy.ts): escalation, flapping, recovery, storm cap, snooze limit. */
  escalate_after_failures: positiveInt.max(100, 'expected at most 100').default(3),
  escalate_detectors: z.array(detectorId).default(['run-failed', 'missed-run']),
  flapping_transitions_per_day: z.number({ error: 'expected a whole number' }).int('expected a whole number').min(2, 'expected at least 2 (a failure and a recovery)').max(288, 'expected at most 288').default(6),
  recovery_runs: positiveInt.max(100, 'expected at most 100').default(3),
  alert_storm_cap: positiveInt.max(1000, 'expected at most 1000').default(20),
  max_snooze_days: positiveInt.max(MAX_SNOOZE_DAYS_LIMIT, `expected at most ${MAX_SNOOZE_DAYS_LIMIT}: a longer pause is a bypass`).default(30),
});

export const JobSchema = z.strictObject({
  schedule: cronExpression('schedule').optional(),
  timezone: z.string().refine(isValidTimeZone, 'not an IANA time zone (e.g. Europe/Berlin)').optional(),
  grace_minutes: z.number().nonnegative().optional(),
  max_runtime_minutes: z.number().positive().optional(),
  expect_pattern: regex.optional(),
  error_keywords: z.array(z.string().min(1)).optional(),
  audit_records_per_run: z.number().positive().optional(),
  min_history: positiveInt.optional(),
  output_shrink_ratio: outputShrinkRatio.optional(),
  owner: z.string().optional(),
});

export const AgentSchema = z.strictObject({
  budget: z
    .strictObject({
      max_actions: positiveInt.optional(),
      max_cost_usd: z.number().nonnegative().optional(),
      scope: z.enum(['task', 'tick']).default('task'),
    })
    .optional(),
  cost_outlier_factor: z.number().gt(1).optional(),
  max_runtime_minutes: z.number().positive().optional(),
  owner: z.string().optional(),
});

export { ArgTypeSchema, ToolSchema } from './config-tools.ts';

export const RouteSchema = z.strictObject({
  retry_rate_max: retryRate.optional(),
  p99_ms: z.number().positive().optional(),
  /** retry-latency's relative rule: the end-to-end p99 above this many times the single-attempt p99 (default `RETRY_LATENCY_FACTOR`); 0 turns it off. */
  retry_latency_factor: z
    .number({ error: 'expected a number' })
    .refine((f) => f === 0 || f > 1, 'expected 0 (off) or a factor above 1')
    .optional(),
  owner: z.string().optional(),
});

/**
 * What an exception id may hold (`exceptions add --id` and the config alike): no spaces, so a
 * bypass line can name it, and no `-` first, which `exceptions renew|revoke <id>` would read as an
 * option. Any other first character is harmless: a bypass line's `exception_id` may begin with it,
 * and the id is stored as a key as it is.
 */
export const EXCEPTION_ID_PATTERN = /^[\p{L}\p{N}._:/][\p{L}\p{M}\p{N}._:/-]*$/u;

/** The rule `EXCEPTION_ID_PATTERN` holds ids to, as its refusals say it. */
export const EXCEPTION_ID_RULE = 'an id holds letters and digits (of any script) and . _ : / -, does not begin with - (a command line would read it as an option) and has no spaces, e.g. EX-13';

/** Why an exception's guard, reason or owner is refused when blank: in the config and by `exceptions add` alike. */
export const EXCEPTION_TEXT_REFUSALS = {
  guard: 'an exception needs the guard it lets bypass, e.g. pii-redaction',
  reason: 'an exception needs a reason: why may the guard be bypassed?',
  owner: 'an exception needs an owner who answers for it, e.g. alice@example.com',
} as const;

/**
 * Why an exception's guard holding `*` or `?` is refused, in the config and by `exceptions add`
 * alike: an exception covers the bypasses of the one guard it names, so `*` would be a guard of
 * that name, covering nothing.
 */
export const GUARD_WILDCARD_REFUSAL = 'wildcards (* and ?) are not supported: an exception covers the one guard it names, so name the guard as its bypass lines do, e.g. pii-redaction';

/** Whether a guard an exception names holds a wildcard character (`GUARD_WILDCARD_REFUSAL`). */
export function hasGuardWildcard(guard: string): boolean {
  return guard.includes('*') || guard.includes('?');
}

/**
 * An exception's guard, reason or owner, read without the spaces around it as `exceptions add`
 * reads it (a guard "pii-redaction " would cover no bypass of pii-redaction), and never blank.
 */
function exceptionText(field: keyof typeof EXCEPTION_TEXT_REFUSALS): z.ZodString {
  return z.string().trim().min(1, EXCEPTION_TEXT_REFUSALS[field]);
}

export const ExceptionSchema = z.strictObject({
  // Trimmed as a bypass line's `exception_id` is: "EX-12 " is EX-12.
  id: z
    .string()
    .trim()
    .min(1, { abort: true })
    .regex(EXCEPTION_ID_PATTERN, `not usable as an exception id: ${EXCEPTION_ID_RULE}`)
    .superRefine(boundedIdCheck),
  guard: exceptionText('guard').refine((guard) => !hasGuardWildcard(guard), GUARD_WILDCARD_REFUSAL),
  reason: exceptionText('reason'),
  owner: exceptionText('owner'),
  expires: dateOnly,
});

/**
 * Why a log group ARN is refused in a deploy list: a subscription names a log group of the stack's
 * own account and region; another account's or region's is fed another way (README, Deploy).
 */
export const LOG_GROUP_ARN_REFUSAL =
  "a log group ARN, not a name: only this account's and region's log groups can be subscribed, by name; for another account's or region's see the README, Deploy, Other accounts and regions";

/** A CloudWatch Logs log group name as the service takes it: 1–512 of `A–Z a–z 0–9 _ - / . #`. */
const logGroupName = z
  .string()
  .refine((name) => !/^arn:/i.test(name), { message: LOG_GROUP_ARN_REFUSAL, abort: true })
  .refine((name) => !/[*?]/.test(name), {
    message: 'not a log group name: wildcards (* and ?) are not supported; name each log group, or feed every log group of the account with deploy.account_policy',
    abort: true,
  })
  .regex(/^[\w./#-]+$/, 'not a log group name')
  .max(512, 'not a log group name: at most 512 characters');

/** The stack bin/app.ts deploys when neither `deploy.stack_name` nor `-c stackName` names one. */
export const DEFAULT_STACK_NAME = 'SilentAudit';
/** The service name (`POWERTOOLS_SERVICE_NAME`, the metrics' `service` dimension) of the default stack (DEFAULT_STACK_NAME), as before stacks were named. */
export const DEFAULT_METRICS_SERVICE = 'silent-audit';
/** A CloudFormation stack name: a letter, then letters, digits and `-`, at most 128 in all. */
export const StackNameSchema = z
  .string({ error: 'expected a stack name' })
  .regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'not a CloudFormation stack name: a letter, then letters, digits and -')
  .max(128, 'not a CloudFormation stack name: at most 128 characters');

/**
 * How many days a run record (`RUN#<kind>#<subject>`) is kept after its run by default
 * (`deploy.run_retention_days`): a month's report made up to a year after the month ended still
 * has all its runs (365 + 31 < 400), as a route's state keeps 14 months of request counts.
 */
export const DEFAULT_RUN_RETENTION_DAYS = 400;
/**
 * The fewest days a run record may be kept: the report scheduled for 06:00 UTC on the 1st reads
 * the runs of the month before last too (a missed or unfinished run a late run answered is
 * retracted, for the trend and statuses): two 31-day months and 6 hours back (62.25 days), so 63.
 * It reads further back for a run-unfinished whose run began before that month (from its start,
 * `lateRunReadsFrom`), however long its max runtime: the record that answers it is written after
 * the sweep judged it, in that month, and a record's TTL counts from its write when that is later
 * than its run, so it too is kept past the report.
 */
export const MIN_RUN_RETENTION_DAYS = 63;
/** The most: ten years, past any audit's need (a larger figure is more likely a slip of the keyboard). */
export const MAX_RUN_RETENTION_DAYS = 3650;

export const DeploySchema = z.strictObject({
  /** The CloudFormation stack to deploy (default SilentAudit): another name for a second deployment in the same account and region. */
  stack_name: StackNameSchema.optional(),
  log_groups: z.array(logGroupName).default([]),
  alert_emails: z.array(z.email('not an email address')).default([]),
  /** Hours without a parsed line before the heartbeat alarm fires (only when something is subscribed). */
  heartbeat_hours: positiveInt.max(168, 'at most 168: a CloudWatch alarm evaluates at most 7 days').default(6),
  /** An account-level subscription filter policy feeding every log group (but the stack's own) to the ingest function. */
  account_policy: z.boolean({ error: 'expected true or false' }).default(false),
  /** Log groups the account policy leaves out (e.g. to keep their per-log-group filter, or a noisy one). */
  account_policy_excluded_log_groups: z.array(logGroupName).default([]),
  /** High-volume log groups fed through a Kinesis data stream (batched) instead of straight to the ingest function. */
  kinesis_log_groups: z.array(logGroupName).default([]),
  /** Days a run record is kept after its run (its item's TTL); the report says when a month's runs are older. */
  run_retention_days: z
    .number({ error: 'expected a whole number of days' })
    .int('expected a whole number of days')
    .min(MIN_RUN_RETENTION_DAYS, `at least ${MIN_RUN_RETENTION_DAYS} days: the monthly report on the 1st reads the runs of the two months before (up to 62 days and 6 hours back)`)
    .max(MAX_RUN_RETENTION_DAYS, `at most ${MAX_RUN_RETENTION_DAYS} days (ten years)`)
    .default(DEFAULT_RUN_RETENTION_DAYS),
});

/**
 * Secret redaction (lambdas/core/redact.ts): patterns of the user's own besides the built-in
 * rules, and built-in rules to leave out. A pattern's whole match, or its `(?<secret>…)` group,
 * becomes `[REDACTED:<name>]`.
 */
const RedactPatternSchema = z.strictObject({
  name: z.string({ error: whenMissing('a pattern needs a name') }).regex(/^[\w.-]+$/, 'letters, digits, `.`, `_` and `-` only (it names the marker [REDACTED:<name>])'),
  regex: z.string({ error: whenMissing('a pattern needs a regex') }).superRefine((source, ctx) => {
    const problem = slashedPatternProblem(source) ?? patternProblem(source) ?? backtrackingProblem(source);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
});

export const RedactSchema = z.strictObject({
  patterns: z.array(RedactPatternSchema, { error: 'expected a list of { name, regex }' }).default([]),
  disable_builtins: z
    .array(z.string().refine((name) => BUILTIN_RULE_NAMES.includes(name), `not a built-in rule (one of ${BUILTIN_RULE_NAMES.join(', ')})`))
    .default([]),
});

/**
 * The routes keyed as their lines name them (`routeTemplate`): a key written with a concrete id or a
 * trailing `/` (`"GET /api/users/123/"`) names its template; two keys naming one template with
 * different settings are an error (with the same settings they are one route, written twice).
 */
function routesByTemplate<T>(routes: Record<string, T>, ctx: z.RefinementCtx): Record<string, T> {
  const byTemplate: Record<string, T> = {};
  const keyOf = new Map<string, string>();
  for (const [key, route] of Object.entries(routes)) {
    const template = routeTemplate(key);
    const other = keyOf.get(template);
    if (other !== undefined && !isDeepStrictEqual(byTemplate[template], route)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `names the same route as ${JSON.stringify(other)} (${template}) with other settings: keep one` });
    }
    keyOf.set(template, key);
    setOwn(byTemplate, template, route);
  }
  return byTemplate;
}

export const ConfigSchema = z.strictObject({
  defaults: DefaultsSchema.default(DefaultsSchema.parse({})),
  jobs: z.record(z.string(), JobSchema).default({}),
  agents: z.record(z.string(), AgentSchema).default({}),
  tools: ToolsSchema.default({}),
  routes: z.record(z.string(), RouteSchema).transform(routesByTemplate).default({}),
  exceptions: z.array(ExceptionSchema).default([]),
  snoozes: z.array(SnoozeSchema).default([]),
  maintenance_windows: z.array(MaintenanceWindowSchema).default([]),
  deploy: DeploySchema.default(DeploySchema.parse({})),
  redact: RedactSchema.default(RedactSchema.parse({})),
});

export type Config = z.infer<typeof ConfigSchema>;
export type Defaults = Config['defaults'];
export type JobConfig = z.infer<typeof JobSchema>;
export type AgentConfig = z.infer<typeof AgentSchema>;
export type ArgType = z.infer<typeof ArgTypeSchema>;
export type ExceptionConfig = z.infer<typeof ExceptionSchema>;

export const DEFAULT_CONFIG: Config = ConfigSchema.parse({});

/**
 * The `defaults` keys each config sets itself, by its parsed `defaults` (a spread of the config
 * keeps them): the parsed values alone cannot tell a key set to its built-in value from one left out.
 */
const defaultsWritten = new WeakMap<object, ReadonlySet<string>>([[DEFAULT_CONFIG.defaults, new Set()]]);

function rememberDefaultsWritten(config: Config, raw: unknown): void {
  const written = raw !== null && typeof raw === 'object' ? (raw as { defaults?: unknown }).defaults : undefined;
  const keys = written !== null && typeof written === 'object' ? Object.entries(written).filter(([, v]) => v !== undefined).map(([k]) => k) : [];
  defaultsWritten.set(config.defaults, new Set(keys));
}

/**
 * The keys of `defaults` the config sets itself, whatever their values (the rest are built-in);
 * undefined for a config `validateConfig` did not read (or whose `defaults` were rebuilt since).
 */
export function defaultsSetIn(config: Config): ReadonlySet<string> | undefined {
  return defaultsWritten.get(config.defaults);
}

/**
 * The config as written, for a reader to validate again (the config compiled into the Lambdas):
 * `defaults` holds only the keys it set, so the reader tells them from the built-in ones too.
 * Its names are as logged (redacted: no secret of a job's command goes into the bundle); the
 * reader takes them so (`validateConfig`'s `namesAsLogged`). The same config once validated.
 */
export function configAsWritten(config: Config): unknown {
  const written = defaultsSetIn(config);
  if (written === undefined) return config;
  return { ...config, defaults: Object.fromEntries(Object.entries(config.defaults).filter(([key]) => written.has(key))) };
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: invalid config\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
    this.name = 'ConfigError';
  }
}

const DAY_MS = 86_400_000;

/**
 * What the schema cannot judge alone, since it depends on today or on other keys: no snooze may
 * end more than `defaults.max_snooze_days` from now, no one-off maintenance window may last longer,
 * a recurring window's `until` may lie at most MAX_MAINTENANCE_UNTIL_DAYS ahead, and no exception
 * may expire more than `defaults.max_exception_days` after today (UTC).
 */
export function suppressionIssues(config: Config, now: number): Array<{ path: PropertyKey[]; message: string }> {
  const maxDays = config.defaults.max_snooze_days;
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const days = (ms: number) => Math.ceil(ms / DAY_MS);
  config.snoozes.forEach((s, i) => {
    const ahead = Date.parse(s.until) - now;
    if (ahead > maxDays * DAY_MS) issues.push({ path: ['snoozes', i, 'until'], message: `ends ${days(ahead)} days from now; a snooze may last at most ${maxDays} days (defaults.max_snooze_days): renew it when it ends, with a reason` });
  });
  config.maintenance_windows.forEach((w, i) => {
    if (w.start !== undefined && w.end !== undefined) {
      const length = Date.parse(w.end) - Date.parse(w.start);
      if (length > maxDays * DAY_MS) issues.push({ path: ['maintenance_windows', i, 'end'], message: `the window lasts ${days(length)} days; at most ${maxDays} (defaults.max_snooze_days)` });
    }
    if (w.until !== undefined && Date.parse(w.until) - now > MAX_MAINTENANCE_UNTIL_DAYS * DAY_MS) {
      issues.push({ path: ['maintenance_windows', i, 'until'], message: `more than ${MAX_MAINTENANCE_UNTIL_DAYS} days ahead; a recurring window must be reviewed at least once a year` });
    }
  });
  return [...issues, ...exceptionExpiryIssues(config.exceptions, config.defaults.max_exception_days, now)];
}

/** Exceptions expiring more than `maxExceptionDays` after today (UTC), as `exceptions add` and `renew` judge an expiry: in whole UTC days from today. A past one stays (it is reported as expired). */
function exceptionExpiryIssues(exceptions: readonly ExceptionConfig[], maxExceptionDays: number, now: number): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const today = utcDay(now);
  exceptions.forEach((e, i) => {
    const ahead = daysBetween(today, e.expires.slice(0, 10));
    if (ahead > maxExceptionDays) {
      issues.push({
        path: ['exceptions', i, 'expires'],
        message: `${e.expires.slice(0, 10)} is ${ahead} days ahead; an exception may run at most ${maxExceptionDays} days (defaults.max_exception_days): renew it when it runs out, with a reason`,
      });
    }
  });
  return issues;
}

/**
 * Schedules that never fire (`0 0 30 2 *`), read in their time zone: a job's `schedule` and a
 * recurring maintenance window's `cron`. croner takes them, but a job whose schedule names no time
 * expects no run, so `missed-run` is silently off for it; a window that never opens covers nothing.
 */
export function scheduleIssues(config: Config, now: number): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  for (const [name, job] of Object.entries(config.jobs)) {
    const reason = job.schedule === undefined ? undefined : neverFiresReason(job.schedule, job.timezone, now);
    if (reason) issues.push({ path: ['jobs', name, 'schedule'], message: reason });
  }
  config.maintenance_windows.forEach((w, i) => {
    const reason = w.cron === undefined ? undefined : neverFiresReason(w.cron, w.timezone, now);
    if (reason) issues.push({ path: ['maintenance_windows', i, 'cron'], message: reason });
  });
  return issues;
}

/** A marker `redactText` writes, naming its rule. */
const MARKER = /\[REDACTED:([^\]]+)\]/g;

/** A secret-like value put after a pattern's text to see what redaction leaves of a line holding it. */
const SAMPLE_SECRET = 'x7Qz91kLm2Ab';

/**
 * Lines that would hold a keyword or match a pattern, as a guess from its text: the text, and for a
 * regular expression each of its top-level alternatives, as written and with its common escapes
 * read as what they match (`\s` a space, `\d` a digit, `\w` a letter, `\.` a dot; anchors left
 * out), each alone and followed by a secret-like value.
 */
function samplesOf(text: string, regex: boolean): string[] {
  const forms = regex ? [text, ...topLevelAlternatives(text)].flatMap((t) => [t, literalText(t)]) : [text];
  return [...new Set(forms)].flatMap((t) => [t, `${t} ${SAMPLE_SECRET}`]);
}

/** A regular expression's alternatives at its top level (`a|b(c|d)` gives `a` and `b(c|d)`); one when it has none. */
function topLevelAlternatives(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inClass = false;
  let from = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(source.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(source.slice(from));
  return parts.length > 1 ? parts : [];
}

const ESCAPE_READ: Record<string, string> = { s: ' ', d: '0', w: 'a', b: '', B: '', S: 'x', D: 'x', W: '-' };

/** A regular expression's text with its escapes read as a character they match and its line anchors left out. */
function literalText(source: string): string {
  return source.replace(/^\^|\$$/g, '').replace(/\\(.)/g, (_, c: string) => ESCAPE_READ[c] ?? c);
}

/**
 * An `expect_pattern` or `error_keywords` entry that a redaction rule changes: detectors see the
 * output already redacted (`password: rotated for 12 users` reaches them as
 * `password: [REDACTED:secret-assignment]`), so a text that holds a secret's label and its value
 * can never be found there. Judged on the text as written, a pattern's source included (a
 * heuristic: the text a pattern matches is not its source; `uploaded \d+ objects` is left as it
 * is). One that names a marker itself (`password: \[REDACTED:secret-assignment\]`) is written for
 * redacted output and is taken.
 */
export function redactedMatchIssues(config: Config): Array<{ path: PropertyKey[]; message: string }> {
  const redactor = redactorFor(config);
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const check = (path: PropertyKey[], text: string, what: string, never: string, foundIn: (output: string) => boolean, regex = false) => {
    if (text.includes('REDACTED:')) return;
    const redacted = redactor.redactText(text);
    if (redacted === text) return;
    // What the detectors see of a line holding it, alone or with a value after it: a rule that
    // keeps the words before the secret (`Authorization: Bearer [REDACTED:bearer-token]`), or a
    // pattern whose value is a wildcard (`session token: .+`), still finds it there.
    if (samplesOf(text, regex).some((sample) => foundIn(redactor.redactText(sample)))) return;
    const rules = [...new Set([...redacted.matchAll(MARKER)].map((m) => m[1]))];
    const builtin = rules.filter((r) => BUILTIN_RULE_NAMES.includes(r));
    const own = rules.filter((r) => !BUILTIN_RULE_NAMES.includes(r));
    const ways = [
      ...(builtin.length > 0 ? [`leave the rule out (redact.disable_builtins: [${builtin.join(', ')}])`] : []),
      ...(own.length > 0 ? [`narrow redact.patterns ${own.join(', ')}`] : []),
    ];
    issues.push({
      path,
      message:
        `${what} is redacted by rule ${rules.join(', ')} before it is checked (it becomes "${redacted}"), so it ${never}; ` +
        `match text the rule leaves (not a secret's label with its value), or ${ways.join(', or ')}`,
    });
  };
  const holdsKeyword = (keyword: string) => (output: string) => findErrorMarker(output, [keyword]) !== undefined;
  config.defaults.error_keywords.forEach((k, i) => check(['defaults', 'error_keywords', i], k, 'output holding it', 'is never found', holdsKeyword(k)));
  for (const [name, job] of Object.entries(config.jobs)) {
    const pattern = job.expect_pattern;
    if (pattern !== undefined) check(['jobs', name, 'expect_pattern'], pattern, 'output matching it', 'never matches', (output) => new RegExp(pattern, 'm').test(output), true);
    job.error_keywords?.forEach((k, i) => check(['jobs', name, 'error_keywords', i], k, 'output holding it', 'is never found', holdsKeyword(k)));
  }
  return issues;
}

/**
 * An owner (`jobs|agents|routes|tools.<name>.owner`, an exception's) that a redaction rule changes:
 * reports, MCP answers and alerts carry it redacted (`ownerOf`), so an SNS filter policy written with
 * it as the config gives it never matches, and an own pattern for e-mail addresses turns every team
 * into the same marker. A warning, not a refusal: an owner holding a webhook or token is kept
 * redacted on purpose. Only the redacted text is named, never the secret.
 */
export function redactedOwnerIssues(config: Config): Array<{ path: PropertyKey[]; message: string }> {
  const redactor = redactorFor(config);
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const check = (path: PropertyKey[], owner: string | undefined) => {
    if (owner === undefined || owner.trim() === '') return;
    const redacted = redactor.redactText(owner);
    if (redacted === owner) return;
    const own = [...new Set([...redacted.matchAll(MARKER)].map((m) => m[1]))].filter((r) => !BUILTIN_RULE_NAMES.includes(r));
    issues.push({
      path,
      message:
        `the owner is redacted (it becomes "${redacted}"): reports, MCP answers and alerts' owner/owners attributes carry that, and a per-team SNS filter policy must name it` +
        (own.length > 0 ? `; narrow redact.patterns ${own.join(', ')} to leave owners as they are` : ''),
    });
  };
  for (const section of ['jobs', 'agents', 'routes', 'tools'] as const) {
    for (const [name, subject] of Object.entries(config[section] as Record<string, { owner?: string }>)) check([section, name, 'owner'], subject.owner);
  }
  config.exceptions.forEach((e, i) => check(['exceptions', i, 'owner'], e.owner));
  return issues;
}

/**
 * A snooze's or a maintenance window's subject that names no subject of the config (a job, agent,
 * route or tool, or an exception's guard) but looks like a slip for one (`paused_job` for
 * `paused-job`, `namesMeant`): it would hold nothing back, silently. A warning, not a refusal, as
 * `snooze add`'s: a subject only the logs name is snoozed as well; one like no configured name
 * cannot be told from such a subject here (the config is read without the store), and is let be.
 * Of a config with its names as logged (`withNamesAsLogged`), as the subjects are compared.
 */
export function unconfiguredSubjectIssues(config: Config): Array<{ path: PropertyKey[]; message: string }> {
  const names = [...Object.keys(config.jobs), ...Object.keys(config.agents), ...Object.keys(config.routes), ...Object.keys(config.tools), ...config.exceptions.map((e) => e.guard)];
  const known = new Set(names);
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const check = (path: PropertyKey[], subject: string) => {
    if (known.has(subject) || Object.hasOwn(config.routes, routeTemplate(subject))) return;
    const meant = didYouMean(namesMeant(subject, names));
    if (meant) issues.push({ path, message: `no subject named ${JSON.stringify(subject)} is in the config; ${meant} (kept: it holds back only what the logs name ${JSON.stringify(subject)})` });
  };
  config.snoozes.forEach((s, i) => check(['snoozes', i, 'subject'], s.subject));
  config.maintenance_windows.forEach((w, i) => w.subjects.forEach((subject, j) => check(['maintenance_windows', i, 'subjects', j], subject)));
  return issues;
}

/**
 * A job's name as its log lines give it: redacted as a name (`redactName`, with the config's own
 * `redact` patterns), then shortened when longer than an identifier may be (`shortenName`), as a
 * line is where it enters the pipeline. A `jobs` key, a snooze's subject (in the config or from
 * `snooze add`) and a maintenance window's subjects go through it, so they name that job; an
 * exception's guard (in the config or from `exceptions add`) too, so it names the guard its
 * bypass lines name.
 */
export function nameAsLogged(name: string, config: { readonly redact?: Config['redact'] } = {}): string {
  const redactor = redactorFor(config);
  return shortenName(redactor.redactName(name), 0, redactor);
}

/**
 * A run's id as its log lines give it: redacted as an identity field (`redactId`, with the
 * config's own `redact` patterns), then shortened when longer than an identifier may be, as a
 * line is where it enters the pipeline. A run stored open before a redact pattern matching its id
 * was added is found through it by its end.
 */
export function runIdAsLogged(id: string, config: { readonly redact?: Config['redact'] } = {}): string {
  const redactor = redactorFor(config);
  return shortenName(redactor.redactId(id), 0, redactor);
}

/**
 * The config with its job names as log lines give them: a line is redacted where it enters the
 * pipeline, so a job named by its cron command is `mysqldump -p[REDACTED:cli-password] appdb`, and
 * a name longer than an identifier may be is shortened (`shortenName`). A `jobs` key, a snooze's
 * subject and a maintenance window's subjects written as the crontab holds the command go through
 * the same steps (`redactName`, which also keeps a task name like `token:refresh` apart from
 * `token:purge`), so that they name that job. An exception's guard goes through them too: a
 * `guard.bypass` line's `guard` is a name, so `password:policy` is redacted there as well. Two
 * keys that become one name are an issue.
 */
function withNamesAsLogged(config: Config): { config: Config; issues: Array<{ path: PropertyKey[]; message: string }> } {
  const asLogged = (name: string) => nameAsLogged(name, config);
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const jobs: Record<string, JobConfig> = {};
  const keyOf = new Map<string, string>();
  let changed = false;
  for (const [key, settings] of Object.entries(config.jobs)) {
    const name = asLogged(key);
    if (name !== key) changed = true;
    const first = keyOf.get(name);
    if (first !== undefined) {
      // The first key is printed redacted too (its line is the way to it): a config error is shown in a terminal and in `cdk synth`'s output.
      issues.push({ path: ['jobs', key], message: `the same job as jobs.${redactorFor(config).redactText(first)}: both are ${JSON.stringify(name)} in the logs, where secrets are redacted; keep one` });
      continue;
    }
    keyOf.set(name, key);
    setOwn(jobs, name, settings);
  }
  const snoozes = config.snoozes.map((s) => {
    const subject = asLogged(s.subject);
    return subject === s.subject ? s : ((changed = true), { ...s, subject });
  });
  const windows = config.maintenance_windows.map((w) => {
    const subjects = w.subjects.map(asLogged);
    return subjects.every((s, i) => s === w.subjects[i]) ? w : ((changed = true), { ...w, subjects });
  });
  const exceptions = config.exceptions.map((e) => {
    const guard = asLogged(e.guard);
    return guard === e.guard ? e : ((changed = true), { ...e, guard });
  });
  return { config: changed ? { ...config, jobs, snoozes, maintenance_windows: windows, exceptions } : config, issues };
}

/**
 * A `min_history` above `defaults.baseline_window` could never be reached: the window keeps at most
 * that many runs, so the baseline detectors would stay silent for good.
 */
export function historyIssues(config: Config, raw?: unknown): Array<{ path: PropertyKey[]; message: string }> {
  const window = config.defaults.baseline_window;
  const message = `at most defaults.baseline_window (${window}): the baseline keeps ${window} runs, so a baseline detector would never fire`;
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const minHistoryWritten = (raw as { defaults?: { min_history?: unknown } } | undefined)?.defaults?.min_history !== undefined;
  if (config.defaults.min_history > window) {
    // Name the key the user wrote: a small window against the default min_history is the window's problem.
    if (minHistoryWritten || raw === undefined) issues.push({ path: ['defaults', 'min_history'], message });
    else issues.push({ path: ['defaults', 'baseline_window'], message: `at least defaults.min_history (${config.defaults.min_history}, the default): a window of ${window} runs never reaches it, so a baseline detector would never fire; set defaults.min_history too` });
  }
  for (const [job, settings] of Object.entries(config.jobs)) {
    if (settings.min_history !== undefined && settings.min_history > window) issues.push({ path: ['jobs', job, 'min_history'], message });
  }
  return issues;
}

/** Two config exceptions with one id: the registry holds one record per id, so one of them would be lost. */
export function exceptionIdIssues(exceptions: readonly ExceptionConfig[]): Array<{ path: PropertyKey[]; message: string }> {
  const first = new Map<string, number>();
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  exceptions.forEach((e, i) => {
    const same = first.get(e.id);
    if (same === undefined) first.set(e.id, i);
    else issues.push({ path: ['exceptions', i, 'id'], message: `the same id as exceptions.${same} (${e.id}): each exception needs an id of its own` });
  });
  return issues;
}

/**
 * The exception-level problems (an expiry too far ahead, an id twice) of a config the schema refused
 * elsewhere, named in the same round when its `exceptions` list parses (the expiry's reach only when
 * `defaults.max_exception_days` parses too); none when the list itself was refused.
 */
function exceptionIssuesBeside(raw: unknown, now: number): Array<{ path: PropertyKey[]; message: string }> {
  const data = isPlainObject(raw) ? raw : {};
  const exceptions = ConfigSchema.shape.exceptions.safeParse(data.exceptions);
  if (!exceptions.success) return [];
  const maxDays = DefaultsSchema.shape.max_exception_days.safeParse(isPlainObject(data.defaults) ? data.defaults.max_exception_days : undefined);
  return [...(maxDays.success ? exceptionExpiryIssues(exceptions.data, maxDays.data, now) : []), ...exceptionIdIssues(exceptions.data)];
}

/**
 * A log group of a deploy list: where it is written (a config key path, or the `-c` option that
 * gave it, as one segment) and the list to name when it must go (`deploy.log_groups`, `-c logGroups`).
 */
export interface RoutedLogGroup {
  readonly name: string;
  readonly path: PropertyKey[];
  readonly list: string;
}

/** A deploy list's log groups as the config writes them. */
export function routedFromConfig(config: Config, key: 'log_groups' | 'kinesis_log_groups'): RoutedLogGroup[] {
  return config.deploy[key].map((name, i) => ({ name, path: ['deploy', key, i], list: `deploy.${key}` }));
}

/**
 * A log group is fed to silent-audit once, through one of its two subscription filter slots:
 * straight to the ingest function (`subscribed`), through Kinesis (`kinesis`), or by the
 * account-level subscription filter policy (on when `accountPolicy` names where it was turned on)
 * unless it is excluded from it. Fed twice, every line would be processed twice and both slots
 * taken. Each problem is at the path of the entry to change.
 */
export function routingIssues(options: {
  readonly subscribed: readonly RoutedLogGroup[];
  readonly kinesis: readonly RoutedLogGroup[];
  readonly accountPolicy: string | undefined;
  readonly excluded: readonly string[];
}): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const covered = (name: string) => options.accountPolicy !== undefined && !options.excluded.includes(name);
  for (const group of firstOfEachName(options.subscribed)) {
    if (!covered(group.name)) continue;
    issues.push({
      path: group.path,
      message:
        `${group.name} is covered by the account-level subscription filter policy (${options.accountPolicy}), which takes one of its two subscription filter slots; ` +
        `a per-log-group filter as well would deliver every line twice and take the last slot. Remove it from ${group.list}, ` +
        'or list it in deploy.account_policy_excluded_log_groups to keep its own filter.',
    });
  }
  for (const group of firstOfEachName(options.kinesis)) {
    const direct = options.subscribed.find((s) => s.name === group.name);
    if (direct) {
      issues.push({
        path: group.path,
        message: `${group.name} is also subscribed to the ingest function (${direct.list}); a log group goes through Kinesis or straight to the function, not both: remove it from one list`,
      });
    }
    if (covered(group.name)) {
      issues.push({
        path: group.path,
        message: `${group.name} is also covered by the account-level subscription filter policy (${options.accountPolicy}); list it in deploy.account_policy_excluded_log_groups`,
      });
    }
  }
  return issues;
}

/** A deploy list's entries, a log group written twice in it kept once (its first entry): one problem for it, not two alike. */
function firstOfEachName(groups: readonly RoutedLogGroup[]): RoutedLogGroup[] {
  return groups.filter((group, i) => groups.findIndex((g) => g.name === group.name) === i);
}

/** The config's own deploy lists routing a log group twice (`routingIssues`). */
function deployRoutingIssues(config: Config): Array<{ path: PropertyKey[]; message: string }> {
  return routingIssues({
    subscribed: routedFromConfig(config, 'log_groups'),
    kinesis: routedFromConfig(config, 'kinesis_log_groups'),
    accountPolicy: config.deploy.account_policy ? 'deploy.account_policy' : undefined,
    excluded: config.deploy.account_policy_excluded_log_groups,
  });
}

/** Top-level keys that hold a mapping, and those that hold a list. */
const MAPPING_SECTIONS = ['defaults', 'jobs', 'agents', 'tools', 'routes', 'deploy', 'redact'] as const;
const LIST_SECTIONS = ['exceptions', 'snoozes', 'maintenance_windows'] as const;
/** Sections of named entries, each entry a mapping; and, in each, the keys that hold a mapping (the value an empty one reads as). */
const NAMED_SECTIONS: Readonly<Record<string, Readonly<Record<string, object | undefined>>>> = { jobs: {}, agents: { budget: undefined }, tools: { args: {} }, routes: {} };

/**
 * A key left empty in YAML (`defaults:` with its keys commented out, `jobs:` then `  nb:` alone)
 * holds null. Every key is optional (contract §2), so a mapping left empty reads as an empty
 * mapping: a section, a named job, agent, tool or route, `defaults.severity`, a tool's `args`; an
 * agent's `budget` left empty as no budget; a top-level list (`exceptions:`) as an empty list.
 * Returns `raw` with those nulls replaced (copies on the way to them); a key of the wrong type
 * (a number, a list for a mapping) is left for the schema to refuse by name.
 */
function emptyKeysFilled(raw: unknown): unknown {
  if (!isPlainObject(raw)) return raw;
  const out: Record<string, unknown> = { ...raw };
  for (const key of MAPPING_SECTIONS) if (out[key] === null) out[key] = {};
  for (const key of LIST_SECTIONS) if (out[key] === null) out[key] = [];
  if (isPlainObject(out.defaults) && out.defaults.severity === null) out.defaults = { ...out.defaults, severity: {} };
  for (const [section, mappingKeys] of Object.entries(NAMED_SECTIONS)) {
    const entries = out[section];
    if (!isPlainObject(entries)) continue;
    const filled: Record<string, unknown> = {};
    for (const [name, entry] of Object.entries(entries)) setOwn(filled, name, entry === null ? {} : withMappingKeysFilled(entry, mappingKeys));
    out[section] = filled;
  }
  return out;
}

function withMappingKeysFilled(entry: unknown, mappingKeys: Readonly<Record<string, object | undefined>>): unknown {
  if (!isPlainObject(entry)) return entry;
  let out: Record<string, unknown> | undefined;
  for (const [key, empty] of Object.entries(mappingKeys)) {
    if (!Object.hasOwn(entry, key) || entry[key] !== null) continue;
    out ??= { ...entry };
    if (empty === undefined) delete out[key];
    else out[key] = { ...empty };
  }
  return out ?? entry;
}

/** How a config is read: as of when, for a deploy or not, and where a local command's warning goes (default: stderr). */
export interface ConfigReading {
  readonly now?: number;
  readonly namesAsLogged?: boolean;
  readonly deploying?: boolean;
  readonly warn?: (line: string) => void;
  /** Problems the text showed before it was data (a key written twice), named with the schema's, in one round. */
  readonly textIssues?: ReadonlyArray<{ path: PropertyKey[]; message: string }>;
}

/**
 * Validates an already-parsed config object; `lineOf` maps a key path to a line number when known.
 * `now` is the moment snooze lengths are judged at, and schedules looked ahead from (default: the current time). `namesAsLogged`:
 * the job names and subjects are already as the logs give them (`configAsWritten` of a validated
 * config: the copy compiled into the Lambdas) and are taken as they are. Mapped again, a name cut
 * inside a redaction marker would be redacted anew into another name, no longer the job's.
 * The deploy lists feeding a log group twice (`routingIssues`) refuse the config only when
 * `deploying` (synth); elsewhere nothing is deployed, and they are one warning line (`warn`).
 */
export function validateConfig(raw: unknown, file = 'config', lineOf?: (path: PropertyKey[]) => number | undefined, options: ConfigReading = {}): Config {
  raw = emptyKeysFilled(raw);
  const result = ConfigSchema.safeParse(raw ?? {}, { error: configIssueMessage });
  const named = result.success ? (options.namesAsLogged ? { config: result.data, issues: [] } : withNamesAsLogged(result.data)) : undefined;
  const routing = result.success ? deployRoutingIssues(result.data) : [];
  const schemaIssues = result.success
    ? [...historyIssues(result.data, raw ?? {}), ...suppressionIssues(result.data, options.now ?? Date.now()), ...scheduleIssues(result.data, options.now ?? Date.now()), ...redactedMatchIssues(result.data), ...exceptionIdIssues(result.data.exceptions), ...(options.deploying ? routing : []), ...named!.issues].map(customIssue)
    : [...result.error.issues, ...exceptionIssuesBeside(raw, options.now ?? Date.now()).map(customIssue)];
  const issues = options.textIssues?.length ? [...options.textIssues.map(customIssue), ...schemaIssues] : schemaIssues;
  // A key path names what the user wrote, and a `jobs` key is often a cron command holding a
  // password (`mysqldump -pS3cret`): each segment is printed redacted; the line number finds it.
  const redactor = () => (result.success ? redactorFor(result.data) : BUILTIN_REDACTOR);
  if (named && issues.length === 0) {
    const warn = options.warn ?? ((line: string) => process.stderr.write(`silent-audit: ${line}\n`));
    if (routing.length > 0) warn(`warning: ${file}: ${problemTexts(routing.map(customIssue), redactor(), lineOf).join('; ')} (refused at deploy; nothing is deployed here)`);
    // The copy compiled into the Lambdas was warned about where it was read (synth).
    const owners = options.namesAsLogged || !result.success ? [] : redactedOwnerIssues(result.data);
    if (owners.length > 0) warn(`warning: ${file}: ${problemTexts(owners.map(customIssue), redactor(), lineOf).join('; ')}`);
    const subjects = options.namesAsLogged ? [] : unconfiguredSubjectIssues(named.config);
    if (subjects.length > 0) warn(`warning: ${file}: ${problemTexts(subjects.map(customIssue), redactor(), lineOf).join('; ')}`);
    rememberDefaultsWritten(named.config, raw);
    readFrom.set(named.config, { file, lineOf });
    return named.config;
  }
  throw new ConfigError(file, problemTexts(issues, redactor(), lineOf));
}

/** Where each config `validateConfig` returned was read: its file, and the line of a key path when known. */
const readFrom = new WeakMap<Config, { readonly file: string; readonly lineOf?: (path: PropertyKey[]) => number | undefined }>();

/**
 * A problem with a valid config found only later (at synth, once the stack is known), given as
 * every config problem is: the file the config was read from, the key path and its line.
 */
export function configErrorAt(config: Config, issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): ConfigError {
  const source = readFrom.get(config);
  return new ConfigError(source?.file ?? 'config', problemTexts(issues.map(customIssue), redactorFor(config), source?.lineOf));
}

function customIssue(issue: { path: PropertyKey[]; message: string }): z.core.$ZodIssue {
  return { code: 'custom', path: issue.path, message: issue.message, input: undefined };
}

/**
 * The node of a YAML document at a key path of its data, through aliases (`*base`) and merge keys
 * (`<<: *base`, `<<: [*a, *b]`, the first source that has the key), so that a problem in a merged
 * value is given the line it is written on.
 */
function nodeAt(doc: Document, path: readonly PropertyKey[]): unknown {
  const childOf = (node: unknown, key: PropertyKey, depth: number): unknown => {
    const target = isAlias(node) ? node.resolve(doc) : node;
    if (isSeq(target)) return typeof key === 'number' ? target.items[key] : undefined;
    if (!isMap(target) || depth > 16) return undefined;
    const own = target.items.find((p) => isScalar(p.key) && typeof p.key.value !== 'symbol' && String(p.key.value) === String(key));
    // A key with no value (`// c` read as a key) has no value node: its key gives the line.
    if (own) return own.value ?? own.key;
    for (const pair of target.items) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'symbol') continue;
      for (const source of isSeq(pair.value) ? pair.value.items : [pair.value]) {
        const found = childOf(source, key, depth + 1);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  let node: unknown = doc.contents;
  for (const key of path) {
    node = childOf(node, key, 0);
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * The fix for a YAML line `key: value` whose value starts with `*` or `@` (a schedule every 15
 * minutes written unquoted, or `@daily`): YAML reads `*` as an alias and reserves `@`, so the value must be quoted.
 * In a one-line map (`j: { schedule: @daily }`) it is the pair at the error's column.
 */
function unquotedValueHint(line: string, col = 0): string | undefined {
  const hint = (key: string, value: string) => {
    const why = value.startsWith('*') ? 'a * starts an alias' : '@ is reserved';
    return `${key}: a value starting with ${value[0]} must be quoted in YAML (${why}): write ${key}: "${value.replace(/["\\]/g, '\\$&')}"`;
  };
  const m = /^\s*(?:-\s+)?([^\s#'"{[][^:#]*?)\s*:\s+([*@].*?)\s*(?:\s#.*)?$/.exec(line);
  if (m && !m[2].includes('{')) return hint(m[1], m[2]);
  // A one-line map: the pair whose value holds the column (1-based), else the first such pair.
  const pairs = [...line.matchAll(/[{,]\s*([^\s#'"{}[\],:][^:#{},]*?)\s*:\s+([*@][^,}]*?)\s*(?=[,}]|$)/g)].map((p) => {
    const start = p.index + p[0].lastIndexOf(p[2]);
    return { key: p[1], value: p[2], holds: col - 1 >= start && col - 1 <= start + p[2].length };
  });
  const pair = pairs.find((p) => p.holds) ?? pairs[0];
  return pair ? hint(pair.key, pair.value) : undefined;
}

/**
 * What the yaml library refuses only when it builds the data: an alias whose anchor is set nowhere
 * before it (`<<: *bse` for `&base`, `schedule: *shed`), and a merge key whose value is no mapping
 * (`<<: 5`), each with its line.
 */
function aliasProblems(doc: Document, lineCounter: LineCounter): string[] {
  const problems: string[] = [];
  const at = (node: unknown) => (isNode(node) && node.range ? `line ${lineCounter.linePos(node.range[0]).line}: ` : '');
  const anchors = new Map<string, Node>();
  const resolved = new Map<unknown, Node | undefined>();
  const merges: { key: unknown; value: unknown }[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && (pair.key.value === '<<' || (typeof pair.key.value === 'symbol' && pair.key.value.description === '<<'))) merges.push(pair);
    },
    Node(_, node) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        resolved.set(node, target);
        if (!target) problems.push(`${at(node)}*${node.source}: no anchor &${node.source} is set before this alias (write &${node.source} on the value to repeat, above it)`);
      } else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  const target = (node: unknown) => (isAlias(node) ? resolved.get(node) : node);
  for (const pair of merges) {
    if (isAlias(pair.value) && !resolved.get(pair.value)) continue;
    const value = target(pair.value);
    const sources = isSeq(value) ? value.items : [value];
    for (const source of sources) {
      if (isAlias(source) && !resolved.get(source)) continue;
      if (!isMap(target(source))) {
        problems.push(`${at(isNode(source) ? source : pair.key)}<<: a merge key takes a mapping or an alias of one (<<: *base, or <<: [*a, *b])`);
        break;
      }
    }
  }
  return problems;
}

/**
 * Parses YAML text, or JSON text strictly when the file is `.json`, and validates it, naming file,
 * key path and line. The YAML parser gives the lines of a JSON file's keys (JSON is YAML).
 */
export function parseConfigText(text: string, file: string, reading: Pick<ConfigReading, 'deploying' | 'warn'> = {}): Config {
  const json = /\.json$/i.test(file) ? readJson(text) : undefined;
  if (json && 'problem' in json) throw new ConfigError(file, [json.problem]);
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *base`) as fleet configs use them with anchors: a mapping's own keys win.
  // A key written twice is named with its key path, with the file's other problems (`duplicateKeyIssues`).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: !json, uniqueKeys: false });
  // Should the YAML parser refuse JSON that JSON.parse took, its data is validated without lines.
  if (json && doc.errors.length > 0) return validateConfig(json.data, file, undefined, reading);
  if (doc.errors.length > 0) {
    const lines = text.split(/\r?\n/);
    const hinted = new Set<string>();
    const problems = doc.errors.flatMap((e) => {
      const unclosed = e.code === 'MISSING_CHAR' ? unclosedQuoteProblem(doc, lineCounter, e.pos[0]) : undefined;
      if (unclosed) return [unclosed];
      const pos = lineCounter.linePos(e.pos[0]);
      const hint = pos ? unquotedValueHint(lines[pos.line - 1] ?? '', pos.col) : undefined;
      if (hint && pos) {
        // One hint for the value, not one parse error for each `*` of a cron expression.
        const problem = `line ${pos.line}: ${hint}`;
        if (hinted.has(problem)) return [];
        hinted.add(problem);
        return [problem];
      }
      return [`${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0]}`];
    });
    throw new ConfigError(file, problems);
  }
  const lineOf = (path: PropertyKey[]): number | undefined => {
    for (let depth = path.length; depth > 0; depth--) {
      const node = nodeAt(doc, path.slice(0, depth));
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  if (json) return validateConfig(json.data, file, lineOf, { ...reading, textIssues: duplicateKeyIssues(doc, lineCounter) });
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    const problems = aliasProblems(doc, lineCounter);
    throw new ConfigError(file, problems.length > 0 ? problems : [(error as Error).message.split('\n')[0]], { cause: error });
  }
  return validateConfig(data, file, lineOf, { ...reading, textIssues: duplicateKeyIssues(doc, lineCounter) });
}

/** The key path down to a chain's last node: each mapping's key and each list's index. */
function keyPath(chain: readonly unknown[]): PropertyKey[] {
  return chain.flatMap((node, i): PropertyKey[] => (isPair(node) ? [String(isScalar(node.key) ? node.key.value : node.key)] : isSeq(node) ? [node.items.indexOf(chain[i + 1] as never)] : []));
}

/**
 * A quote never closed: the parser says so where it gave up (the end of the file), the quoted
 * value it read up to there says where the quote opened, and under which key.
 */
function unclosedQuoteProblem(doc: Document, lineCounter: LineCounter, at: number): string | undefined {
  let problem: string | undefined;
  visit(doc, {
    Scalar(_, node, ancestors) {
      if ((node.type !== 'QUOTE_DOUBLE' && node.type !== 'QUOTE_SINGLE') || !node.range || node.range[0] > at || at > node.range[2]) return undefined;
      const { line, col } = lineCounter.linePos(node.range[0]);
      const quote = node.type === 'QUOTE_DOUBLE' ? '"' : "'";
      const path = keyPath(ancestors);
      problem = path.length > 0 ? `${path.join('.')}: the ${quote} quote opened on line ${line}, column ${col} is never closed (line ${line})` : `line ${line}, column ${col}: the ${quote} quote opened here is never closed`;
      return visit.BREAK;
    },
  });
  return problem;
}

/**
 * Keys written twice in one mapping (`nightly-backup:` twice under `jobs`), which YAML forbids and
 * JSON leaves to the reader (the later one would win): each by its key path, with the later one's line.
 */
function duplicateKeyIssues(doc: Document, lineCounter: LineCounter): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  const lineOf = (node: unknown) => (isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined);
  visit(doc, {
    Map(_, map, ancestors) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (key === '<<' || !seen.has(key)) {
          seen.add(key);
          continue;
        }
        const path = keyPath([...ancestors, map]);
        issues.push({ path: [...path, String(key)], message: `written again on line ${lineOf(pair.key)} in the same mapping, where it would replace this one: keep one` });
      }
    },
  });
  return issues;
}

export const CONFIG_FILE_NAMES = ['silent-audit.config.yaml', 'silent-audit.config.yml', 'silent-audit.config.json'];

/** `--config FILE`, else the first config file in the working folder, if any. */
function configPath(file: string | undefined, cwd: string): string | undefined {
  return file ?? CONFIG_FILE_NAMES.map((n) => `${cwd}/${n}`).find((p) => existsSync(p));
}

/** Reads `--config FILE`, else the first config file in the working folder, else the defaults; `reading.deploying` at synth. */
export function loadConfig(file?: string, cwd = process.cwd(), reading: Pick<ConfigReading, 'deploying' | 'warn'> = {}): Config {
  const path = configPath(file, cwd);
  if (!path) return DEFAULT_CONFIG;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`], { cause: error });
  }
  const { text, problem } = configText(bytes, path);
  if (problem) throw new ConfigError(path, [problem]);
  return parseConfigText(text, path, reading);
}

/**
 * The `redact` patterns of a config `loadConfig` refused that pass on their own (each checked as
 * the schema checks it), for exec, which runs the job anyway: one refused pattern, or a problem
 * elsewhere in the file, must not leave the run lines without the user's other patterns. Its
 * `disable_builtins` is not taken: a refused config redacts with every built-in rule. Empty when
 * the file cannot be read or parsed.
 */
export function passingRedactPatterns(file?: string, cwd = process.cwd()): Config['redact']['patterns'] {
  const path = configPath(file, cwd);
  let raw: unknown;
  try {
    const doc = path === undefined ? undefined : parseDocument(configText(readFileSync(path), path).text, { merge: true, uniqueKeys: false });
    raw = doc && doc.errors.length === 0 ? doc.toJS() : undefined;
  } catch {
    return [];
  }
  const patterns = isPlainObject(raw) && isPlainObject(raw.redact) ? raw.redact.patterns : undefined;
  if (!Array.isArray(patterns)) return [];
  return patterns.flatMap((entry) => {
    const pattern = RedactPatternSchema.safeParse(entry);
    return pattern.success ? [pattern.data] : [];
  });
}

/** The settings the Lambdas take from their environment. Fails fast, naming the missing variable. */
export interface LambdaEnv {
  readonly tableName: string;
  readonly topicArn?: string;
  readonly reportBucket?: string;
  readonly dynamoEndpoint?: string;
  readonly config: Config;
}

declare const __SILENT_AUDIT_CONFIG__: string | undefined;

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

export function readLambdaEnv(env: NodeJS.ProcessEnv = process.env): LambdaEnv {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new EnvError('TABLE_NAME is not set: the function needs the state table name');
  // The config is compiled into the bundle at synth (esbuild define), or given as JSON in tests:
  // validated by the CDK app, its names already as logged (configAsWritten), not mapped again.
  const embedded = typeof __SILENT_AUDIT_CONFIG__ === 'string' ? __SILENT_AUDIT_CONFIG__ : env.SILENT_AUDIT_CONFIG;
  const config = embedded ? validateConfig(JSON.parse(embedded), 'embedded config', undefined, { namesAsLogged: true }) : DEFAULT_CONFIG;
  return {
    tableName,
    topicArn: env.TOPIC_ARN || undefined,
    reportBucket: env.REPORT_BUCKET || undefined,
    dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    config,
  };
}

/** The service name the functions' metrics and logs carry (`POWERTOOLS_SERVICE_NAME`, set per stack by the CDK app): the self-watch alarms' `service` dimension. */
export function metricsServiceName(env: NodeJS.ProcessEnv = process.env): string {
  return env.POWERTOOLS_SERVICE_NAME || DEFAULT_METRICS_SERVICE;
}

/**
 * Who is acting, for the records a CLI command writes (`exceptions add|renew|revoke`) when no
 * `--by` is given: `SILENT_AUDIT_ACTOR`, else the login name (`USER`, `USERNAME`, `LOGNAME`, the OS user).
 */
export function currentActor(env: NodeJS.ProcessEnv = process.env): string {
  const named = [env.SILENT_AUDIT_ACTOR, env.USER, env.USERNAME, env.LOGNAME].map((v) => v?.trim()).find((v) => v);
  if (named) return named;
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
