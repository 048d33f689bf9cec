import { describe, expect, it } from 'vitest';
import { ReportEventError, reportMonthOf } from '../../lambdas/core/report/report-event.ts';

const now = { now: () => Date.parse('2026-12-15T10:00:00Z') };
/** The event the stack's monthly EventBridge rule sends (no fixed input). */
const scheduled = (time: string) => ({
  version: '0',
  id: 'e-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time,
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/report'],
  detail: {},
});

describe('the month of a report invocation, for a mistyped request', () => {
  it.each([
    [{ Month: '2026-08' }, 'unknown key "Month"'],
    [{ mnth: '2026-08' }, 'unknown key "mnth"'],
    [{ MONTH: '2026-08', year: 2026 }, 'unknown keys "MONTH", "year"'],
    [{ month: '2026-10', Month: '2026-09' }, 'unknown key "Month"'],
    [{ month: '2026-10', format: 'html' }, 'unknown key "format"'],
    [{ month: '2026-10', mnth: 'x' }, 'unknown key "mnth"'],
    [{ month: '2026-10', time: '2026-11-01T06:00:00Z' }, 'unknown key "time"'],
    ['2026-08', 'a string "2026-08"'],
    [202608, 'a number 202608'],
    [['2026-08'], 'an array'],
  ])('refuses %j, naming what was expected, rather than reporting last month', (event, what) => {
    // Act
    const read = () => reportMonthOf(event, now);

    // Assess
    expect(read).toThrow(ReportEventError);
    expect(read).toThrow(`${what}: expected {"month": "YYYY-MM"}, e.g. {"month": "2026-10"}, or {} for last month`);
  });

  it('still takes the month before the schedule\'s event, and last month for {} or no payload', () => {
    // Act and Assess
    expect(reportMonthOf(scheduled('2026-11-01T06:00:00Z'), now)).toBe('2026-10');
    expect(reportMonthOf({}, now)).toBe('2026-11');
    expect(reportMonthOf(undefined, now)).toBe('2026-11');
    expect(reportMonthOf({ month: '2026-07' }, now)).toBe('2026-07');
  });

  it("takes the schedule's event replayed from an EventBridge archive (its replay-name beside the event's keys) as the event it replays", () => {
    // Act and Assess
    expect(reportMonthOf({ ...scheduled('2026-11-01T06:00:00Z'), 'replay-name': 'report-replay-1' }, now)).toBe('2026-10');
  });
});

describe('the month of a scheduled event', () => {
  it.each([
    [scheduled('1970-01-01T00:00:00Z'), 'time "1970-01-01T00:00:00Z": the month before it, 1969-12, is no month to report on: its year is before 1970, the first a log can be from'],
    [{ time: '1970-01-01T00:00:00Z' }, 'time "1970-01-01T00:00:00Z": the month before it, 1969-12, is no month to report on: its year is before 1970, the first a log can be from'],
    [{ time: '2099-01-01T00:00:00Z' }, 'time "2099-01-01T00:00:00Z": the month before it, December 2098 has not begun (the report is made as of 2026-12-15T10:00:00Z): a report of it would be an empty month'],
    [{ time: 'yesterday' }, 'time "yesterday": not a time; expected an ISO-8601 time, as EventBridge sends, e.g. "2026-11-01T06:00:00Z"'],
  ])('refuses %j as a month is refused, rather than failing or reporting a month not begun', (event, error) => {
    // Act
    const read = () => reportMonthOf(event, now);

    // Assess
    expect(read).toThrow(ReportEventError);
    expect(read).toThrow(error);
  });
});
