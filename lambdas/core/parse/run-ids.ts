/**
 * Run ids for logs that carry none (contract §1b). Each id is derived from what the line itself
 * says, so that reading the same log twice gives the same ids.
 */

/**
 * The run of this job that is open now. An end line that cannot name its run (systemd's
 * `Finished`, `Failed with result …`, `Main process exited …`, `Deactivated successfully.`)
 * carries this sentinel; the job-state reducer resolves it to the open run, or, when none is open,
 * joins it to an end of the same job a few seconds earlier (one failure logs two or three lines).
 */
export const OPEN_RUN = '*open';

/** The host part of an id when the line names no host (RFC 5424's nil value). */
export const UNKNOWN_HOST = '-';

export function isoTime(at: number): string {
  return new Date(at).toISOString();
}

/** A cron `CMD` line: `web1:20765:2026-10-05T02:17:01.000Z`. */
export function cronRunId(host: string | undefined, pid: number | undefined, at: number): string {
  return `${host ?? UNKNOWN_HOST}:${pid ?? UNKNOWN_HOST}:${isoTime(at)}`;
}

/**
 * A cron script's own end line, which has no start line to pair with
 * (`logrotate: ALERT exited abnormally with [1]`): `combo:logrotate:2005-06-15T04:06:20.000Z`.
 */
export function scriptRunId(host: string | undefined, name: string, at: number): string {
  return `${host ?? UNKNOWN_HOST}:${name}:${isoTime(at)}`;
}

/** A systemd `Started U` line: `backup.service@web1@2026-10-05T02:30:00.000Z` (`backup.service@2026-10-05T02:30:00.000Z` when no host is known). */
export function systemdRunId(unit: string, at: number, host?: string): string {
  // The host, when known: the same unit started at the same second on two machines is two runs.
  return host === undefined ? `${unit}@${isoTime(at)}` : `${unit}@${host}@${isoTime(at)}`;
}
