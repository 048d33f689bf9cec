/**
 * The CloudWatch Logs subscription filter that decides which log lines reach the ingest Lambda.
 *
 * It is a coarse, cheap pre-filter: it passes every line that one of the contract §1 parsers
 * could recognise (and some that none will, which the parsers then count as unrecognised), and
 * drops the rest before they cost an invocation. Terms are matched case-sensitively, as
 * CloudWatch Logs does, and the pattern uses its OR form: `?"term1" ?"term2" ...`.
 *
 * A line a container runtime, a log shipper or Lambda's JSON log format wrapped passes as the line
 * inside would: a CRI record holds it as it is, and a Docker `json-file` record (a shipper's `log`,
 * Lambda's `message`) escapes it as a JSON string (`\"type\":\"run.start\"`), which changes no
 * term (none holds a quote, a backslash, a control character or Go's `< > &`).
 */

/** CloudWatch Logs refuses subscription filter patterns longer than this. */
export const FILTER_PATTERN_MAX_LENGTH = 1024;

/** Each term is a literal phrase; a line may matter when it contains any one of them. */
export const SUBSCRIPTION_FILTER_TERMS: readonly string[] = [
  // §1a instrumented JSON events, by their `type` value.
  'run.start',
  'run.end',
  'agent.start',
  'agent.action',
  'agent.end',
  'tool.call',
  'attempt',
  'guard.bypass',
  'audit.write',
  // §1b syslog cron: `CRON[pid]: (user) CMD (...)`, crond/CROND, and a cron script's failure line.
  'CRON',
  'crond',
  'CROND',
  // Every cron's CMD line, whatever its program's name (FreeBSD's `/usr/sbin/cron[pid]: (root) CMD (…)`).
  ') CMD (',
  'exited abnormally',
  // §1b systemd, as text or inside `journalctl -o json` MESSAGE fields.
  'Started',
  // `Starting U - D...`: the only start line a Type=oneshot unit (a timer's job) logs.
  'Starting',
  'Finished',
  // `Main`/`main`/`Control` process exited (CentOS 7's systemd writes it in lower case).
  'process exited',
  'Failed with result',
  'Deactivated successfully',
  // Older systemd's end of a unit, and a unit that never started for a failed dependency.
  'Succeeded',
  'Dependency failed',
  // A failed reload (`Reload failed for U - D.`): the reason of its unit's failure that follows.
  'Reload failed',
  'Consumed',
  // systemd 219's (CentOS 7, RHEL 7) result lines: `U start operation timed out. Terminating.` (`start-pre` for its
  // ExecStartPre), `Unit U entered failed state.` (not the bare 'operation timed out' that apps' errors end with).
  'start operation timed out',
  'start-pre operation timed out',
  'entered failed state',
  // A unit's process that failed a step of spawning (`[U: ]Failed at step EXEC spawning /opt/x: …`, CHDIR, USER, …): the reason of its failure.
  'Failed at step',
  // §1b `journalctl -o json` records whose MESSAGE journalctl wrote as an array of byte values
  // (not printable UTF-8: an ANSI colour escape, Latin-1 text). The parser decodes it, but in the
  // raw line the message is numbers, so no term above can match a systemd run line or a §1a event
  // in it. A journal record's other fields are strings or null (arrays only for bytes and for a
  // field the record holds more than once), so an array marks such a record: `"MESSAGE":[27,91,…]`
  // from systemd 246 on, `"MESSAGE" : [ 27, 91, … ]` before. A term cannot hold the double quote
  // that would tie it to MESSAGE, so any journal record with an array field passes, whoever wrote
  // it, and so does any other line holding `:[` (a JSON log line with an array, say).
  ':[',
  ' : [ ',
  // §1b AWS Lambda platform lines, text and JSON log formats.
  'START RequestId',
  'END RequestId',
  'REPORT RequestId',
  'Task timed out',
  // Older runtimes' line of an invocation whose process crashed (its REPORT has no Status), which fails its request's run.
  'Process exited before completing request',
  // The runtime's line of an invocation whose runtime exited or was killed (out of memory), `RequestId: … Error:
  // Runtime exited with error: signal: killed` or `… without providing a reason`, which fails its request's run.
  'Runtime exited',
  // The Node runtime's line of a function error (`ERROR\tInvoke Error \t{…}`), which fails its request's run.
  'Invoke Error',
  'Uncaught Exception',
  'Unhandled Promise Rejection',
  'platform.start',
  'platform.report',
  // A failed invocation's platform.runtimeDone, which fails its request's run, and the Node and Python
  // runtimes' error records in the JSON log format (`"level":"ERROR",…,"message":{"errorType":…}`, Python's
  // `"errorType"` at the top), which name its reason.
  'platform.runtimeDone',
  'errorType',
  // §1c OpenTelemetry GenAI spans (OTLP/JSON): every span the parser reads names its operation.
  'gen_ai.operation.name',
];

/** Quotes a term for a filter pattern; terms with `"` or `\` cannot be expressed safely. */
function quoteTerm(term: string): string {
  if (term === '' || /["\\]/.test(term)) {
    throw new Error(`filter term ${JSON.stringify(term)} must be non-empty and hold no double quote or backslash`);
  }
  return `"${term}"`;
}

/** The subscription filter pattern: any one of the terms, in CloudWatch Logs' OR syntax. */
export function subscriptionFilterPattern(terms: readonly string[] = SUBSCRIPTION_FILTER_TERMS): string {
  const pattern = terms.map((term) => `?${quoteTerm(term)}`).join(' ');
  if (pattern.length > FILTER_PATTERN_MAX_LENGTH) {
    throw new Error(`filter pattern is ${pattern.length} characters, over CloudWatch Logs' limit of ${FILTER_PATTERN_MAX_LENGTH}`);
  }
  return pattern;
}

/**
 * Whether a line passes the subscription filter, judged locally with the same terms (a plain
 * substring test of each, case-sensitive): `npm run bench` measures with it the share of lines the
 * filter would cut, and the tests check with it that every line a parser reads passes. `scan
 * --log-group` and `backfill` do not call it: CloudWatch Logs applies the pattern itself
 * (FilterLogEvents). A quoted term is a case-sensitive phrase to CloudWatch, so it delivers no line
 * that holds none of the terms: a line this drops, CloudWatch drops too.
 */
export function lineMayMatter(line: string): boolean {
  return SUBSCRIPTION_FILTER_TERMS.some((term) => line.includes(term));
}
