import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { validateConfig } from '../../lambdas/config.ts';

const tmp = mkdtempSync(join(tmpdir(), 'scan-store-config-change-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A job's daily run at `hour`:00 on the given November 2026 days, a minute long. */
function dailyRuns(job: string, hour: number, days: readonly number[]): string[] {
  return days.flatMap((d) => {
    const at = Date.UTC(2026, 10, d, hour, 0, 0);
    const runId = `${job}-${d}`;
    return [
      JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job, run_id: runId }),
      JSON.stringify({ type: 'run.end', ts: new Date(at + 60_000).toISOString(), job, run_id: runId, exit_code: 0, duration_ms: 60_000, output_bytes: 8, output_tail: 'done ok' }),
    ];
  });
}

const byTime = (a: string, b: string) => JSON.parse(a).ts.localeCompare(JSON.parse(b).ts);
const days = (from: number, to: number, except: readonly number[] = []) => Array.from({ length: to - from + 1 }, (_, i) => from + i).filter((d) => !except.includes(d));

/** Scans `lines` (written to `file`) into the test's DynamoDB Local under `jobs`, as of `now`: the missed runs of `job`, by expected time. */
async function missedRuns(file: string, lines: readonly string[], jobs: Record<string, { schedule: string; grace_minutes: number }>, job: string, now?: string): Promise<string[]> {
  writeFileSync(join(tmp, file), [...lines].sort(byTime).join('\n'));
  const result = await runScan({
    paths: [join(tmp, file)],
    config: validateConfig({ jobs }),
    json: true,
    store: inject('dynamoEndpoint'),
    ...(now !== undefined ? { now: Date.parse(now) } : {}),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
  });
  return result.findings.filter((f) => f.detector === 'missed-run' && f.subject === job).map((f) => f.expected_at!);
}

describe('scan --store: a config changed between two scans', () => {
  it('judges a changed schedule from the scan that first sees it, not from the job’s last run under the old one', async () => {
    // Prepare: a daily job at 05:00, which missed the 10th, scanned to the end of the 15th; then the config moves it to 07:00
    // and the second half of the month is scanned, the 25th missed. Another job's lines open the second log, at midnight.
    const id = randomUUID().slice(0, 8);
    const [job, clock] = [`moved-${id}`, `clock-${id}`];
    const grace = 15;
    const first = [...dailyRuns(job, 5, days(1, 15, [10])), ...dailyRuns(clock, 0, days(1, 15))];
    const second = [...dailyRuns(job, 7, days(16, 30, [25])), ...dailyRuns(clock, 0, days(16, 30))];
    // Act
    const before = await missedRuns(`old-${id}.log`, first, { [job]: { schedule: '0 5 * * *', grace_minutes: grace } }, job, '2026-11-15T23:59:00Z');
    const after = await missedRuns(`new-${id}.log`, second, { [job]: { schedule: '0 7 * * *', grace_minutes: grace } }, job, '2026-11-30T23:59:00Z');
    // Assess: the old schedule's miss is reported by the first scan; the 15th's 07:00, before the change was seen, is no miss; the 25th is
    expect(before).toEqual(['2026-11-10T05:00:00Z']);
    expect(after).toEqual(['2026-11-25T07:00:00Z']);
  });

  it('does not report missed the days a job was out of the config (paused) across scans; a miss after it is given back is reported', async () => {
    // Prepare: a daily job at 03:00 scanned to the 12th; a scan of the 13th to the 19th with it out of the config (it ran
    // nowhere); then it is given back, its runs from the 20th on read, the 27th missed. Another job's lines fill each log.
    const id = randomUUID().slice(0, 8);
    const [job, clock] = [`paused-${id}`, `clock-${id}`];
    const scheduled = { [job]: { schedule: '0 3 * * *', grace_minutes: 15 }, [clock]: { schedule: '0 2 * * *', grace_minutes: 60 } };
    const { [job]: _out, ...paused } = scheduled;
    // Act
    const on = await missedRuns(`p1-${id}.log`, [...dailyRuns(job, 3, days(1, 12)), ...dailyRuns(clock, 2, days(1, 12))], scheduled, job, '2026-11-12T23:59:00Z');
    const off = await missedRuns(`p2-${id}.log`, dailyRuns(clock, 2, days(13, 19)), paused, job);
    const back = await missedRuns(`p3-${id}.log`, [...dailyRuns(job, 3, days(20, 30, [27])), ...dailyRuns(clock, 2, days(20, 30))], scheduled, job);
    // Assess
    expect(on).toEqual([]);
    expect(off).toEqual([]);
    expect(back).toEqual(['2026-11-27T03:00:00Z']);
  });
});
