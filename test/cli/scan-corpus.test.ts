import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig } from '../../lambdas/config.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';

const corpus = (name: string) => fileURLToPath(new URL(`../../../shared/corpus/${name}`, import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

async function scan(paths: string[], extra: Partial<Parameters<typeof runScan>[0]> = {}) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d.toString()));
  const result = await runScan({ paths, config: DEFAULT_CONFIG, json: false, stdout: out, stderr: new PassThrough(), ...extra });
  return { result, text };
}

describe('scanning real logs (shared corpus)', () => {
  it("reports logrotate's failure on each of the 43 days it failed, reading every line", async () => {
    // Act
    const { result, text } = await scan([corpus('loghub-linux-2k.log')], { year: 2005 });
    // Assess
    expect(result.counts).toEqual({ lines: 2000, events: 43, eventLines: 43, nothingToJudge: 0, rejected: 0, unrecognised: 1957 });
    const failures = result.findings.filter((f) => f.detector === 'run-failed' && f.subject === 'logrotate');
    expect(failures).toHaveLength(43);
    expect(new Set(failures.map((f) => f.ts.slice(0, 10))).size).toBe(43);
    expect(failures[0]).toMatchObject({ ts: '2005-06-15T04:06:20Z', evidence: { exit_code: 1 } });
    expect(failures[42].ts).toBe('2005-07-27T04:16:09Z');
    expect(result.exitCode).toBe(1);
    // Its schedule is learned from those runs, for the user to copy: at or before the earliest of their ends.
    expect(text).toMatch(/logrotate\s+43\s+43\s+2005-07-27T04:16:09Z\s+combo ×43\s+daily "2 4 \* \* \*" \(inferred\)/);
  });

  it.each([
    ['the schedule the scan learned', undefined],
    ["RHEL's cron.daily time", '2 4 * * *'],
    ['the minute most of its ends fall in', '3 4 * * *'],
  ])("finds no missed logrotate run with %s in the config, though its ALERT line is written when the run ends (Jul 24's at 04:20:42)", async (_, given) => {
    // Prepare: the schedule copied into the config (default grace, 15 min)
    const schedule = given ?? /logrotate: "([^"]+)"/.exec((await scan([corpus('loghub-linux-2k.log')], { year: 2005 })).text)?.[1];
    expect(schedule).toMatch(/^\d+ 4 \* \* \*$/);
    const config = validateConfig({ jobs: { logrotate: { schedule } } });
    // Act
    const { result } = await scan([corpus('loghub-linux-2k.log')], { year: 2005, config });
    // Assess
    expect(result.findings.filter((f) => f.detector === 'missed-run')).toEqual([]);
    expect(result.findings.filter((f) => f.detector === 'run-failed')).toHaveLength(43);
  });

  it('finds the hourly run-parts /etc/cron.hourly runs on each Thunderbird host, without crashing', async () => {
    const { result, text } = await scan([corpus('loghub-thunderbird-2k.log')]);
    expect(result.counts).toEqual({ lines: 2000, events: 19, eventLines: 19, nothingToJudge: 43, rejected: 0, unrecognised: 1938 });
    expect(result.findings).toEqual([]);
    // Every line is counted once: the 43 cron PAM session lines are recognised but give no event.
    expect(text).toContain('0 findings in 2,000 lines from 1 file: 19 with events (19 events), 43 recognised with nothing to judge, 0 rejected, 1,938 unrecognised');
    expect(text).toMatch(/run-parts \/etc\/cron\.hourly\s+14\s+0\s+2005-11-09T20:01:02Z\s+14 hosts/);
  });
});

describe('absence, judged at --now', () => {
  const config = validateConfig({ jobs: { 'nightly-backup': { schedule: '30 3 * * *', grace_minutes: 20 } } });

  it('reports the scheduled runs that never started, with expected_at, those after its file ends in one finding (c06ba21)', async () => {
    // nightly-backup.jsonl holds runs at 02:30 UTC on Oct 1–8, and none after.
    const onTime = validateConfig({ jobs: { 'nightly-backup': { schedule: '30 2 * * *', grace_minutes: 20 } } });
    const { result } = await scan([fixture('instrumented/nightly-backup.jsonl')], { config: onTime, now: Date.parse('2026-10-11T06:00:00Z') });
    const missed = result.findings.filter((f) => f.detector === 'missed-run');
    expect(missed.map((f) => f.expected_at)).toEqual(['2026-10-09T02:30:00Z']);
    expect(missed[0].evidence).toMatchObject({ missed_runs: 3, last_expected_at: '2026-10-11T02:30:00Z', logs_end_at: '2026-10-08T03:10:00Z' });
  });

  it('calls every run missed when the schedule is an hour off from what really runs', async () => {
    const { result } = await scan([fixture('instrumented/nightly-backup.jsonl')], { config, now: Date.parse('2026-10-08T23:00:00Z') });
    const missed = result.findings.filter((f) => f.detector === 'missed-run');
    expect(missed.map((f) => f.expected_at)).toEqual(['2026-10-01T03:30:00Z', '2026-10-02T03:30:00Z', '2026-10-03T03:30:00Z', '2026-10-04T03:30:00Z', '2026-10-05T03:30:00Z', '2026-10-06T03:30:00Z', '2026-10-07T03:30:00Z', '2026-10-08T03:30:00Z']);
  });

  it('judges at the latest event time by default: no run is due yet', async () => {
    const onTime = validateConfig({ jobs: { 'nightly-backup': { schedule: '30 2 * * *' } } });
    const { result } = await scan([fixture('instrumented/nightly-backup.jsonl')], { config: onTime });
    expect(result.findings.filter((f) => f.detector === 'missed-run')).toEqual([]);
  });
});
