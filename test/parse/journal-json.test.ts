import { describe, expect, it } from 'vitest';
import { journalJsonParser } from '../../lambdas/core/parse/journal-json.ts';
import { OPEN_RUN, parseLine } from '../../lambdas/core/parse/index.ts';
import { contextFor, fixtureLines, parseFile, summary } from './helpers.ts';

describe('journalctl -o json (contract §1b)', () => {
  it('reads the records of a oneshot service failing, then succeeding, and a cron job', () => {
    // Prepare
    const lines = fixtureLines('journal/backup-oneshot.jsonl');
    // Act
    const outcomes = parseFile('journal.jsonl', lines);
    // Assess
    expect(outcomes.map(summary)).toEqual([
      'run.start backup.service backup.service@backup01@2026-11-25T00:47:01.182Z @2026-11-25T00:47:01.182Z',
      'run.start /usr/local/bin/rotate-exports --keep 14 backup01:23117:2026-11-25T00:47:02.515Z @2026-11-25T00:47:02.515Z',
      'run.end backup.service *open exit=1 @2026-11-25T00:47:02.968Z',
      `run.failed backup.service *open "systemd result 'exit-code'" @2026-11-25T00:47:03.020Z`,
      'nothing',
      'nothing',
      'run.start backup.service backup.service@backup01@2026-11-25T00:47:04.287Z @2026-11-25T00:47:04.287Z',
      'run.end backup.service *open exit=0 @2026-11-25T00:47:06.071Z',
      'run.end backup.service *open exit=0 @2026-11-25T00:47:06.150Z',
      'nothing',
      'run.start report-mailer.service report-mailer.service@backup01@2026-11-25T00:47:06.795Z @2026-11-25T00:47:06.795Z',
      'unrecognised',
    ]);
    expect(outcomes.every((o) => o.kind !== 'events' || o.events.every((e) => e.format === 'journal'))).toBe(true);
  });

  /** One captured record, changed in a field or two. */
  function record(messagePrefix: string, change: Record<string, unknown>): string {
    const line = fixtureLines('journal/backup-oneshot.jsonl').find((l) => (JSON.parse(l) as { MESSAGE: string }).MESSAGE.startsWith(messagePrefix));
    if (!line) throw new Error(`no fixture record starts with ${messagePrefix}`);
    const fields = { ...(JSON.parse(line) as Record<string, unknown>), ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete fields[k];
    return JSON.stringify(fields);
  }

  it.each([
    ['EXIT_STATUS over the status in MESSAGE', record('backup.service: Main process exited', { EXIT_STATUS: '75' }), { type: 'run.end', exit_code: 75 }],
    ['UNIT over the unit named in MESSAGE', record('backup.service: Failed with result', { UNIT: 'backup@home.service' }), { type: 'run.failed', job: 'backup@home.service' }],
    ['UNIT for a start whose MESSAGE names only the description', record('Started report-mailer', { MESSAGE: 'Started Weekly report mailer.' }), { type: 'run.start', job: 'report-mailer.service' }],
    ['UNIT for a Starting whose MESSAGE names only the description', record('Starting backup', { MESSAGE: 'Starting Nightly backup...' }), { type: 'run.start', job: 'backup.service' }],
    [
      "UNIT for systemd 219's EXEC failure, whose MESSAGE names no unit",
      record('backup.service: Main process exited', { MESSAGE: 'Failed at step EXEC spawning /opt/bin/export.sh: No such file or directory', _COMM: '(export.sh)' }),
      { type: 'run.error', job: 'backup.service', reason: 'exec failed: /opt/bin/export.sh: No such file or directory' },
    ],
    [
      "_SYSTEMD_UNIT for systemd 219's step failure from its forked process (_PID not 1) when the record has no UNIT",
      record('backup.service: Main process exited', { MESSAGE: 'Failed at step EXEC spawning /opt/bin/export.sh: No such file or directory', _COMM: '(export.sh)', _PID: '4242', UNIT: undefined, _SYSTEMD_UNIT: 'export.service' }),
      { type: 'run.error', job: 'export.service', reason: 'exec failed: /opt/bin/export.sh: No such file or directory' },
    ],
    [
      "no unit from _SYSTEMD_UNIT for a record of systemd itself (_PID 1: its own unit, init.scope)",
      record('backup.service: Main process exited', { MESSAGE: 'Failed at step EXEC spawning /opt/bin/export.sh: No such file or directory', _PID: '1', UNIT: undefined, _SYSTEMD_UNIT: 'init.scope' }),
      { type: 'run.error', job: '', reason: 'exec failed: /opt/bin/export.sh: No such file or directory' },
    ],
    ['UNIT_RESULT for the reason', record('backup.service: Failed with result', { UNIT_RESULT: 'oom-kill', MESSAGE: "backup.service: Failed with result 'oom-kill'." }), { reason: "systemd result 'oom-kill'" }],
    [
      "EXIT_STATUS of an ignored control process's failure (`(ignored)`): nothing, no rejection",
      record('backup.service: Main process exited', { MESSAGE: 'backup.service: Control process exited, code=exited, status=1/FAILURE (ignored)', EXIT_CODE: 'exited', EXIT_STATUS: '1' }),
      undefined,
    ],
    [
      'UNIT for a failed reload whose MESSAGE names only the description',
      record('Started report-mailer', { MESSAGE: 'Reload failed for Weekly report mailer.', JOB_TYPE: 'reload', JOB_RESULT: 'failed' }),
      { type: 'run.error', job: 'report-mailer.service', reason: 'reload failed' },
    ],
  ])('takes %s', (_, line, body) => {
    const outcome = parseLine(line, contextFor('journal.jsonl', 1));
    if (body === undefined) expect(outcome).toEqual({ kind: 'events', events: [] });
    else expect(outcome.kind === 'events' && outcome.events[0].body).toMatchObject({ run_id: expect.any(String), ...body });
  });

  it('reads an instrumented event that a job wrote to the journal, at the record time', () => {
    const line = record('(root) CMD', {
      SYSLOG_IDENTIFIER: 'silent-audit',
      MESSAGE: '{"type":"run.end","job":"rotate-exports","run_id":"r-77","exit_code":0,"output_bytes":5120}',
    });
    const outcome = parseLine(line, contextFor('journal.jsonl', 1));
    expect(outcome.kind === 'events' && outcome.events[0]).toMatchObject({
      at: Date.parse('2026-11-25T00:47:02.515Z'),
      body: { type: 'run.end', job: 'rotate-exports', run_id: 'r-77', exit_code: 0, output_bytes: 5120 },
    });
  });

  it('counts damaged records as rejected, each with what is missing', () => {
    // Prepare
    const lines = fixtureLines('journal/damaged.jsonl');
    // Act
    const outcomes = parseFile('damaged.jsonl', lines);
    // Assess
    expect(outcomes.map(summary)).toEqual([
      'rejected: journal record without MESSAGE',
      'rejected: journal record without __REALTIME_TIMESTAMP',
      'rejected: journal record whose MESSAGE was left out (over 4096 bytes; export with journalctl --all)',
      'run.start /opt/backup/sicherung-ä.sh backup01:23117:2026-11-25T00:47:02.515Z @2026-11-25T00:47:02.515Z',
      expect.stringMatching(/^rejected: journal record is not valid JSON \(.*; cut short\?\)$/),
    ]);
  });

  it('rejects a time that is not microseconds', () => {
    const outcome = parseLine(record('backup.service: Deactivated', { __REALTIME_TIMESTAMP: '2026-11-25T00:47:06Z' }), contextFor('j', 1));
    expect(outcome).toEqual({ kind: 'rejected', reason: 'journal record with an invalid __REALTIME_TIMESTAMP "2026-11-25T00:47:06Z"' });
  });

  it.each([
    ['a JSON application log', '{"level":"info","msg":"uploaded 1214 objects","time":"2026-11-25T00:47:06Z"}'],
    ['a Lambda platform record', '{"time":"2026-10-05T16:00:00.174Z","type":"platform.start","record":{"requestId":"5a2c7e91-3b4d-4f6a-8c0e-1d2f3a4b5c6d","version":"$LATEST"}}'],
    ['an instrumented event', '{"type":"run.start","job":"a","run_id":"1","ts":"2026-11-25T00:47:06Z"}'],
    ['a JSON array', '[{"__REALTIME_TIMESTAMP":"1795567626826154"}]'],
  ])('leaves JSON that is not a journal record to the other parsers: %s', (_, line) => {
    expect(journalJsonParser.parse(line, contextFor('j', 1))).toBeUndefined();
  });

  it('marks ends with the open run', () => {
    const outcome = parseLine(record('backup.service: Deactivated', {}), contextFor('j', 1));
    expect(outcome.kind === 'events' && outcome.events[0].body.type === 'run.end' && outcome.events[0].body.run_id).toBe(OPEN_RUN);
  });
});
