import { InvalidArgumentError } from 'commander';
import { parseTime } from '../core/parse-time.ts';

/** `--now <iso>` and the like: an ISO-8601 time as epoch ms; UTC when it names no offset, as a `ts` is. */
export function isoTimeOption(value: string): number {
  const t = parseTime(value.trim());
  if (Number.isNaN(t)) throw new InvalidArgumentError('expected an ISO-8601 time, e.g. 2026-10-31T23:59:00Z (UTC when it names no offset)');
  return t;
}

/** `--year <yyyy>`: the year for syslog dates, which carry none. */
export function yearOption(value: string): number {
  if (!/^\d{4}$/.test(value)) throw new InvalidArgumentError('expected a four-digit year');
  return Number(value);
}
