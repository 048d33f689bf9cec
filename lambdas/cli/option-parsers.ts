import { InvalidArgumentError } from 'commander';

/** `--now <iso>` and the like: an ISO-8601 time as epoch ms. */
export function isoTimeOption(value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('expected an ISO-8601 time, e.g. 2026-10-31T23:59:00Z');
  return t;
}

/** `--year <yyyy>`: the year for syslog dates, which carry none. */
export function yearOption(value: string): number {
  if (!/^\d{4}$/.test(value)) throw new InvalidArgumentError('expected a four-digit year');
  return Number(value);
}
