import type { CronOutputLine, CronRunEnded, CronRunFailed, OutputDiscarded, RunEnd, RunStart } from '../events.ts';
import { keyBlockAfter } from '../redact.ts';
import { defined, quoted } from './bodies.ts';
import { cronRunId, scriptRunId } from './run-ids.ts';
import { badDateReason, parseSyslog, type SyslogParse, type SyslogRecord } from './syslog.ts';
import { eventsOf, type LineContext, type LineParser, type ParseOutcome } from './types.ts';

/**
 * Contract §1b, syslog cron: Vixie cron and its descendants (Debian's `CRON`, cronie's `CROND`,
 * old Red Hat's `crond`, FreeBSD's `/usr/sbin/cron`):
 *
 *   `CRON[20765]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)`  → run.start
 *   `CRON[20826]: (CRON) info (No MTA installed, discarding output)`            → output.discarded
 *   `CRON[20953]: (CRON) error (grandchild #20954 failed with exit status 255)`   → cron.failed (of CMD pid 20954)
 *   `CRON[22811]: (root) MAIL (mailed 1 byte of output; but got status 0x004b, #012)` → output.discarded
 *   `CROND[1234]: (root) CMDOUT (Traceback (most recent call last):)`              → cron.output (cronie -s: a line of the job's output)
 *   `CROND[1234]: (root) CMDEND (/usr/local/bin/backup.sh)`                        → cron.end (cronie: the job of CMD pid 1234 ended; no exit status)
 *
 * and the end line that a cron script writes with `logger -t NAME` when it fails, as the daily
 * logrotate script does: `logrotate: ALERT exited abnormally with [1]` → run.end of job NAME.
 * Every other line of a cron program (pam_unix sessions, RELOAD, STARTUP, a MAIL that went out)
 * is recognised and yields nothing.
 */

const CRON_PROGRAM = /^(?:.*\/)?(?:cron|crond|CRON|CROND)(?:\([^()]*\))?$/;
const CMD = /^\(([^()\s]*)\) CMD \((.*)\)\s*$/s;
const CMD_CUT = /^\(([^()\s]*)\) CMD \(/;
/** cronie's output line (`-s`) and end line, from the pid of the job's CMD line: `(root) CMDOUT (text)`, `(root) CMDEND (command)`. */
const CMDOUT = /^\([^()\s]*\) CMDOUT \((.*)\)\s*$/s;
const CMDEND = /^\([^()\s]*\) CMDEND \(/;
const NO_MTA = /No MTA installed, discarding output/i;
/** Debian's cron when a job exited non-zero: `(CRON) error (grandchild #20954 failed with exit status 255)`. */
const GRANDCHILD_FAILED = /^\(CRON\) error \(grandchild #(\d{1,10}) failed with exit status (\d{1,3})\)/;
/**
 * Debian's cron when the mailer it handed a job's output to failed (no MTA configured, a bad
 * address): `(root) MAIL (mailed 1 byte of output; but got status 0x004b, #012)`. The output is lost.
 */
const MAIL_FAILED = /^\([^()\s]*\) MAIL \(mailed \d+ bytes? of output;? but got status (0x[0-9a-f]+)/i;
const ALERT = /^ALERT exited abnormally with \[(-?\d+)\]\s*$/;
const ALERT_PHRASE = 'ALERT exited abnormally with [';
/** Cheap test before any parsing: the line may be ours only if it holds one of these. */
const MAYBE_OURS = /cron|ALERT exited/i;

const FORMAT = 'cron';

function rejected(reason: string): ParseOutcome {
  return { kind: 'rejected', reason };
}

function basename(program: string): string {
  return program.slice(program.lastIndexOf('/') + 1);
}

/**
 * The events of one syslog record if it is cron's or a cron script's; undefined when it is
 * neither. Shared with the journal reader, which builds the same record from journal fields.
 */
export function cronOutcome(rec: SyslogParse, ctx: LineContext, format = FORMAT): ParseOutcome | undefined {
  const isCron = CRON_PROGRAM.test(rec.program);
  const isScriptAlert = rec.program !== '' && (rec.message.startsWith(ALERT_PHRASE) || (rec.message.length >= 12 && ALERT_PHRASE.startsWith(rec.message)));
  if (!isCron && !isScriptAlert) return undefined;
  if (rec.kind === 'bad-date') return rejected(badDateReason(isCron ? 'cron' : `${basename(rec.program)} cron script`, rec));
  const host = rec.host;

  if (isScriptAlert) {
    const alert = ALERT.exec(rec.message);
    if (!alert) return rejected(`cron script line ${quoted(rec.message)} has no exit code in [N] (cut short?)`);
    const job = basename(rec.program);
    const exitCode = Number(alert[1]);
    // Bounded as a run.end's exit_code is: a safe integer.
    if (!Number.isSafeInteger(exitCode)) return rejected(`${job} cron script line with an exit code out of range: [${alert[1]}]`);
    const body = defined<RunEnd>({ type: 'run.end', job, run_id: scriptRunId(host, job, rec.at), exit_code: exitCode, host });
    return eventsOf(format, ctx, rec.at, body);
  }

  const cmd = CMD.exec(rec.message);
  if (cmd) {
    const job = cmd[2].trim();
    if (job === '') return rejected('cron CMD line with an empty command');
    const body = defined<RunStart>({ type: 'run.start', job, run_id: cronRunId(host, rec.pid, rec.at), host, user: cmd[1], pid: rec.pid });
    return eventsOf(format, ctx, rec.at, body);
  }
  if (CMD_CUT.test(rec.message)) return rejected('cron CMD line without the closing parenthesis of its command (cut short?)');
  const out = CMDOUT.exec(rec.message);
  if (out) return eventsOf(format, ctx, rec.at, defined<CronOutputLine>({ type: 'cron.output', host, pid: rec.pid, text: out[1], block: keyBlockAfter(out[1]) }));
  // Its command is not read: the CMD line of its pid named the job (and a long one is cut short here alike).
  if (CMDEND.test(rec.message)) return eventsOf(format, ctx, rec.at, defined<CronRunEnded>({ type: 'cron.end', host, pid: rec.pid }));

  const failed = GRANDCHILD_FAILED.exec(rec.message);
  if (failed) {
    const body = defined<CronRunFailed>({ type: 'cron.failed', host, pid: rec.pid, cmd_pid: Number(failed[1]), exit_code: Number(failed[2]) });
    return eventsOf(format, ctx, rec.at, body);
  }
  if (NO_MTA.test(rec.message)) return discarded(rec, ctx, format, 'No MTA installed, discarding output');
  const mailFailed = MAIL_FAILED.exec(rec.message);
  if (mailFailed) return discarded(rec, ctx, format, `mailing the output failed (status ${mailFailed[1]})`);
  return { kind: 'events', events: [] };
}

/** A job's output cron threw away; the line names no job, only the pid of the cron process that ran it. */
function discarded(rec: SyslogRecord, ctx: LineContext, format: string, reason: string): ParseOutcome {
  const body = defined<OutputDiscarded & { pid?: number }>({ type: 'output.discarded', host: rec.host, reason, pid: rec.pid });
  return eventsOf(format, ctx, rec.at, body);
}

export const cronParser: LineParser = {
  format: FORMAT,
  parse(line, ctx) {
    if (!MAYBE_OURS.test(line)) return undefined;
    const rec = parseSyslog(line, ctx);
    return rec && cronOutcome(rec, ctx);
  },
};
