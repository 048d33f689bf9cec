import { describe, expect, it } from 'vitest';
import { addCounts, describeCounts, emptyCounts, LineTally, linesCount, readableTime } from '../../lambdas/core/line-tally.ts';
import { parseLine } from '../../lambdas/core/parse/index.ts';

const THUNDERBIRD = [
  // cron's PAM session lines: recognised as cron's, and nothing to judge
  '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root',
  '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session opened for user root by (uid=0)',
  '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2916]: (root) CMD (run-parts /etc/cron.hourly)',
];

function tallyOf(lines: readonly string[]): LineTally {
  const tally = new LineTally();
  lines.forEach((line, i) => tally.add(parseLine(line, { source: { origin: 'test.log', line: i + 1 }, year: 2005 }), () => `test.log:${i + 1}`));
  return tally;
}

describe('LineTally: every line counted once', () => {
  it('counts a recognised line that gives no event apart from the lines with events, so the parts add up to the lines', () => {
    // Prepare
    const lines = [...THUNDERBIRD, 'INFO hello', '{"type":"run.start","job":"x"}'];
    // Act
    const { counts } = tallyOf(lines);
    // Assess
    expect(counts).toEqual({ lines: 5, events: 1, eventLines: 1, nothingToJudge: 2, rejected: 1, unrecognised: 1 });
    expect(counts.eventLines + counts.nothingToJudge + counts.rejected + counts.unrecognised).toBe(counts.lines);
  });

  it('counts a line that gives several events once, and each of its events', () => {
    // Prepare
    const tally = new LineTally();
    const event = { at: 1, body: { type: 'run.start', job: 'j', run_id: 'r' }, source: { origin: 'a', line: 1 }, format: 'json' } as const;
    // Act
    tally.add({ kind: 'events', events: [event, { ...event, at: 2 }, { ...event, at: 3 }] }, () => 'a:1');
    // Assess
    expect(tally.counts).toEqual({ ...emptyCounts(), lines: 1, events: 3, eventLines: 1 });
  });

  it('counts a line rejected in part (an OTLP batch with a broken span) as rejected, with its reason, and keeps its other events', () => {
    // Prepare
    const tally = new LineTally();
    const event = { at: 1, body: { type: 'agent.start', agent: 'a', run_id: 'r' }, source: { origin: 'traces.jsonl', line: 7 }, format: 'otel' } as const;
    const reason = 'OTLP GenAI spans rejected: span c2 (chat): startTimeUnixNano: missing';
    // Act
    tally.add({ kind: 'events', events: [event, { ...event, at: 2 }], rejected: reason }, () => 'traces.jsonl:7');
    // Assess
    expect(tally.counts).toEqual({ ...emptyCounts(), lines: 1, events: 2, rejected: 1 });
    expect(tally.rejections).toEqual([{ where: 'traces.jsonl:7', reason }]);
    expect(tally.events.map((e) => e.at)).toEqual([1, 2]);
  });
});

describe('describeCounts', () => {
  it.each([
    [{ lines: 2000, events: 19, eventLines: 19, nothingToJudge: 43, rejected: 0, unrecognised: 1938 }, '19 with events (19 events), 43 recognised with nothing to judge, 0 rejected, 1,938 unrecognised'],
    [{ lines: 3, events: 1, eventLines: 1, nothingToJudge: 0, rejected: 1, unrecognised: 1 }, '1 with events (1 event), 1 rejected, 1 unrecognised'],
    [{ lines: 4, events: 5, eventLines: 2, nothingToJudge: 0, rejected: 0, unrecognised: 2 }, '2 with events (5 events), 0 rejected, 2 unrecognised'],
  ])('words %o in parts that add up to its lines', (counts, text) => {
    // Act / Assess
    expect(describeCounts(counts)).toBe(text);
  });

  it('says line or lines by the count', () => {
    expect([linesCount(1), linesCount(0), linesCount(2000)]).toEqual(['1 line', '0 lines', '2,000 lines']);
  });

  it('adds counts field by field', () => {
    // Prepare
    const a = { lines: 3, events: 2, eventLines: 1, nothingToJudge: 1, rejected: 1, unrecognised: 0 };
    const b = { lines: 5, events: 1, eventLines: 1, nothingToJudge: 0, rejected: 0, unrecognised: 4 };
    // Act / Assess
    expect(addCounts([a, b])).toEqual({ lines: 8, events: 3, eventLines: 2, nothingToJudge: 1, rejected: 1, unrecognised: 4 });
  });
});

describe('readableTime: the month a rejected line is counted in', () => {
  const line = (fields: Record<string, unknown>) => JSON.stringify({ type: 'run.start', ...fields, job: 'backup', run_id: 'r0', exit_code: 'x' });

  it("dates a line by its own ts, not by its record's later delivery", () => {
    // Prepare: ts 23:59:58 on 31 October, delivered by CloudWatch 5 s later, in November
    const text = line({ ts: '2026-10-31T23:59:58Z' });

    // Act
    const at = readableTime(text, Date.parse('2026-11-01T00:00:03Z'));

    // Assess
    expect(at).toBe(Date.parse('2026-10-31T23:59:58Z'));
  });

  it('dates a line by its own ts, not by a zoned time in a field before it', () => {
    // Prepare: a note naming 2 November before the ts of 31 October
    const text = line({ note: 'retry after 2026-11-02T00:00:00Z', ts: '2026-10-31T22:00:00Z' });

    // Act
    const at = readableTime(text);

    // Assess
    expect(at).toBe(Date.parse('2026-10-31T22:00:00Z'));
  });

  it("takes the record's time when the ts lies over 15 min after it, or there is none, and only then a zoned time in the text", () => {
    // Prepare: a writer's clock a day ahead, a line with no ts, and one with no ts nor record
    const ahead = line({ ts: '2026-11-01T23:00:00Z' });
    const noTs = line({ note: 'retry after 2026-11-02T00:00:00Z' });

    // Act
    const times = [readableTime(ahead, Date.parse('2026-10-31T23:00:00Z')), readableTime(noTs, Date.parse('2026-10-31T23:00:00Z')), readableTime(noTs)];

    // Assess
    expect(times).toEqual([Date.parse('2026-10-31T23:00:00Z'), Date.parse('2026-10-31T23:00:00Z'), Date.parse('2026-11-02T00:00:00Z')]);
  });

  it('names no month for a line rejected for a ts past the year 9999 or an epoch no date has, and counts it all the same', () => {
    // Prepare: lines rejected for their time, which is all the time they give
    const far = `{"type":"run.start","job":"j","run_id":"r","ts":${Date.UTC(10000, 0, 1)}}`;
    const huge = `{"type":"run.start","job":"j","run_id":"r","ts":${'9'.repeat(20)}}`;
    const tally = new LineTally();

    // Act
    const times = [readableTime(far), readableTime(huge)];
    tally.add({ kind: 'rejected', reason: 'ts past the year 9999' }, () => 'x.log:1', () => readableTime(huge));

    // Assess
    expect(times).toEqual([undefined, undefined]);
    expect(tally.counts.rejected).toBe(1);
  });
});
