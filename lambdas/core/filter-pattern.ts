/**
 * The CloudWatch Logs subscription filter that decides which log lines reach the ingest Lambda.
 *
 * It is a coarse, cheap pre-filter: it passes every line that one of the contract §1 parsers
 * could recognise (and some that none will, which the parsers then count as unrecognised), and
 * drops the rest before they cost an invocation. Terms are matched case-sensitively, as
 * CloudWatch Logs does, and the pattern uses its OR form: `?"term1" ?"term2" ...`.
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
  'Consumed',
  // §1b AWS Lambda platform lines, text and JSON log formats.
  'START RequestId',
  'END RequestId',
  'REPORT RequestId',
  'Task timed out',
  'platform.start',
  'platform.report',
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
 * Whether a line passes the subscription filter, judged locally with the same terms, so a scan
 * can report the share of lines the filter would cut. CloudWatch matches a quoted term as a
 * case-sensitive phrase; a substring test is the same or looser, so this never drops a line
 * that CloudWatch would deliver.
 */
export function lineMayMatter(line: string): boolean {
  return SUBSCRIPTION_FILTER_TERMS.some((term) => line.includes(term));
}
