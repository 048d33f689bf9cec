import { cronOutcome } from './cron.ts';
import { jsonEventParser } from './json-event.ts';
import { lineText } from './line-bytes.ts';
import type { SyslogRecord } from './syslog.ts';
import { systemdOutcome } from './systemd.ts';
import type { LineParser, ParseOutcome } from './types.ts';

/**
 * Contract §1b, `journalctl -o json`: one journal record per line, every field a string
 * (a byte array for a non-UTF-8 value, null for one over 4096 bytes without `--all`). A record is
 * ours when its MESSAGE is the service manager's (systemd forms, job from `UNIT`), cron's or a cron
 * script's (the cron forms), or an instrumented §1a event a job wrote to the journal. The time is
 * `__REALTIME_TIMESTAMP` (microseconds). A journal record without MESSAGE or without a time is
 * rejected; JSON that is not a journal record is left to the other parsers.
 */

const FORMAT = 'journal';
/** Fields every record `journalctl -o json` prints carries at least one of. */
const JOURNAL_MARKER = /"(?:__CURSOR|__REALTIME_TIMESTAMP|__MONOTONIC_TIMESTAMP|_BOOT_ID|_TRANSPORT|SYSLOG_IDENTIFIER|_SYSTEMD_UNIT)"\s*:/;

type JournalRecord = Record<string, unknown>;

function rejected(reason: string): ParseOutcome {
  return { kind: 'rejected', reason };
}

/** A field's text: strings as they are, byte arrays decoded as UTF-8, their bytes that are not valid UTF-8 as Windows-1252 (Latin-1) (`lineText`); undefined otherwise. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    return lineText(Uint8Array.from(value as number[]));
  }
  return undefined;
}

function integer(value: unknown): number | undefined {
  const t = text(value);
  return t !== undefined && /^-?\d+$/.test(t) ? Number(t) : undefined;
}

/** Epoch ms from a microsecond field; undefined when absent, a string of the wrong shape otherwise. */
function realtime(record: JournalRecord): number | string | undefined {
  const field = record.__REALTIME_TIMESTAMP !== undefined ? '__REALTIME_TIMESTAMP' : record._SOURCE_REALTIME_TIMESTAMP !== undefined ? '_SOURCE_REALTIME_TIMESTAMP' : undefined;
  if (field === undefined) return undefined;
  const raw = text(record[field]);
  if (raw === undefined || !/^\d{1,17}$/.test(raw)) return `journal record with an invalid ${field} ${JSON.stringify(record[field])}`;
  return Math.floor(Number(raw) / 1000);
}

export const journalJsonParser: LineParser = {
  format: FORMAT,
  parse(line, ctx) {
    const trimmed = line.trimStart();
    if (!trimmed.startsWith('{') || !JOURNAL_MARKER.test(trimmed)) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch (error) {
      return rejected(`journal record is not valid JSON (${(error as Error).message}; cut short?)`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
    const record = raw as JournalRecord;

    if (!('MESSAGE' in record)) return rejected('journal record without MESSAGE');
    const message = text(record.MESSAGE);
    if (message === undefined) {
      return rejected(record.MESSAGE === null ? 'journal record whose MESSAGE was left out (over 4096 bytes; export with journalctl --all)' : 'journal record whose MESSAGE is neither text nor bytes');
    }
    const at = realtime(record);
    if (at === undefined) return rejected('journal record without __REALTIME_TIMESTAMP');
    if (typeof at === 'string') return rejected(at);

    const program = text(record.SYSLOG_IDENTIFIER) ?? text(record._COMM) ?? '';
    const rec: SyslogRecord = {
      kind: 'record',
      at,
      host: text(record._HOSTNAME),
      program,
      pid: integer(record._PID) ?? integer(record.SYSLOG_PID),
      message,
    };

    if (program === 'systemd') {
      const outcome = systemdOutcome(
        rec,
        ctx,
        {
          unit: text(record.UNIT) ?? text(record.USER_UNIT),
          // systemd itself (_PID 1) runs in its own unit (init.scope): only a forked process's is the unit it runs for.
          processUnit: rec.pid === 1 ? undefined : (text(record._SYSTEMD_USER_UNIT) ?? text(record._SYSTEMD_UNIT)),
          exitCode: text(record.EXIT_CODE),
          exitStatus: integer(record.EXIT_STATUS),
          unitResult: text(record.UNIT_RESULT),
          jobResult: text(record.JOB_RESULT),
        },
        FORMAT,
      );
      if (outcome) return outcome;
    }
    const cron = cronOutcome(rec, ctx, FORMAT);
    if (cron) return cron;
    return jsonEventParser.parse(message, { ...ctx, recordTime: at });
  },
};
