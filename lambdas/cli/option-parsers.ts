import { InvalidArgumentError } from 'commander';
import { functionNameOf } from '../core/envelope.ts';
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

/**
 * `--timezone <zone>`: the IANA time zone the logs' hosts keep their clocks on, in which the times
 * that name no zone of a file (syslog dates, a `ts` without offset) are read. The name as given
 * (it is written into the config `init` writes): Node resolves a link to an older name
 * (America/Nuuk to America/Godthab, Asia/Kolkata to Asia/Calcutta) the user would not recognise;
 * a name that differs from Node's only in case is given in Node's (america/new_york as
 * America/New_York), and every name of UTC (Etc/UTC, GMT) as UTC. A name not in the tz database's
 * case (`inTzCase`: us/eastern, asia/kolkata) is given as Node resolves it (America/New_York,
 * Asia/Calcutta): its right case is not known.
 */
export function timeZoneOption(value: string): string {
  const given = value.trim();
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: given }).resolvedOptions().timeZone;
  } catch {
    throw new InvalidArgumentError('not an IANA time zone: give the zone the hosts\' clocks are on, e.g. Europe/Berlin, America/New_York or UTC');
  }
  return resolved === 'UTC' || resolved.toLowerCase() === given.toLowerCase() || !inTzCase(given) ? resolved : given;
}

/**
 * Whether a zone name is written in the tz database's case: each of its parts begins with a capital
 * (America/Nuuk, US/Eastern, Etc/GMT+5), and none is all capitals unless short or with a digit, sign
 * or hyphen (UTC, EST5EDT, NZ-CHAT): not us/eastern, not AMERICA/NUUK.
 */
function inTzCase(name: string): boolean {
  return name.split('/').every((part) => /^[A-Z]/.test(part) && (part !== part.toUpperCase() || part.length <= 3 || /[\d+-]/.test(part)));
}

/** The help text of `--year`, the same for each command that reads files. */
export const YEAR_HELP = 'the year the syslog dates of each file begin in (they carry none); its lines past New Year are the next year (default: the year that puts them up to now). Each file begins in it: for rotated files that cross New Year (syslog.1 in December, syslog in January) give none when they lie within the past year, else join them in time order first (cat syslog.1 syslog > all.log)';

/** The help text of `--timezone`, the same for each command that reads files. */
export const TIMEZONE_HELP = "the IANA time zone (e.g. Europe/Berlin) the hosts' clocks are on: a file's times that name no zone (syslog dates, a ts without offset) are read in it, DST included (default: UTC)";

/** A Lambda function's name: letters, digits, `-` and `_`, up to 64. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** The function a log group `/aws/lambda/<name>` names: a function's name, a Lambda@Edge one's with its region (`us-east-1.NAME`). */
const GROUP_FUNCTION_NAME = /^(?:[a-z]{2}(?:-[a-z]+)+-\d\.)?[A-Za-z0-9_-]{1,64}$/;

/**
 * `scan --function <name>`: the Lambda function whose platform lines stdin holds, or a custom log
 * group's streams that name no function (`functionOfStream`), by its name or its
 * log group (`/aws/lambda/NAME`, as `aws logs tail` is given it): the name, the job of those lines.
 * A log group's is taken as `--log-group` takes it (a Lambda@Edge one's `us-east-1.NAME` too), when
 * what follows `/aws/lambda/` is a function's name.
 */
export function functionOption(value: string): string {
  const given = value.trim();
  const ofGroup = functionNameOf(given);
  const name = ofGroup ?? given;
  if (!(ofGroup === undefined ? FUNCTION_NAME : GROUP_FUNCTION_NAME).test(name)) throw new InvalidArgumentError('expected a Lambda function name (letters, digits, - and _, up to 64), or its log group /aws/lambda/NAME');
  return name;
}

