import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';

/** One log event of a log group, as FilterLogEvents returns it. */
export interface LogGroupEvent {
  /** Epoch ms: the event's time as the writer gave it. */
  readonly timestamp: number;
  readonly message: string;
  readonly logStream: string;
  readonly eventId: string;
}

export interface LogGroupQuery {
  readonly logGroup: string;
  /** Epoch ms, inclusive. */
  readonly since: number;
  /** Epoch ms, inclusive; default: up to now. */
  readonly until?: number;
  /** A CloudWatch Logs filter pattern: only matching events are returned (and paid for). */
  readonly filterPattern?: string;
}

/** Retrying on throttling, on top of the SDK's own retries. */
export interface ReadRetryOptions {
  /** Attempts per page, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** @default 500 */
  readonly baseDelayMs?: number;
  /** @default 20_000 */
  readonly maxDelayMs?: number;
  /** For tests: wait this long. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** For tests: a number in [0, 1). */
  readonly random?: () => number;
}

/** Errors CloudWatch Logs answers when a caller goes too fast (FilterLogEvents allows a few requests a second per account). */
const THROTTLING_ERRORS = new Set(['ThrottlingException', 'LimitExceededException', 'TooManyRequestsException', 'ServiceUnavailableException']);

export class CloudWatchReadError extends Error {
  constructor(
    readonly logGroup: string,
    /** What went wrong, without the log group's name. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`log group ${logGroup}: ${reason}`, options);
    this.name = 'CloudWatchReadError';
  }
}

/** The client the CLI uses: region and credentials from the default chain (AWS_REGION, AWS_PROFILE, SSO, instance role, …). */
export function defaultCloudWatchLogsClient(): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ maxAttempts: 5 });
}

/** What went wrong, in the user's terms: which permission, which setting. */
function explain(logGroup: string, error: unknown): CloudWatchReadError {
  const name = (error as Error)?.name ?? 'Error';
  const detail = (error as Error)?.message ?? String(error);
  const why = (() => {
    if (name === 'ResourceNotFoundException') return 'not found (check the name, and the region: AWS_REGION or your profile)';
    if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException' || name === 'ExpiredTokenException')
      return `access denied (${detail}); reading a log group needs logs:FilterLogEvents on it, with current credentials`;
    if (name === 'CredentialsProviderError') return 'no AWS credentials found: set AWS_PROFILE, run `aws sso login`, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';
    if (/region is missing/i.test(detail)) return 'no AWS region: set AWS_REGION, or a region in your AWS profile';
    if (name === 'InvalidParameterException') return `refused: ${detail}`;
    return `cannot read: ${name}: ${detail}`;
  })();
  return new CloudWatchReadError(logGroup, why, { cause: error });
}

function isThrottling(error: unknown): boolean {
  return THROTTLING_ERRORS.has((error as Error)?.name ?? '');
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The events of a log group between `since` and `until`, oldest page first, through
 * FilterLogEvents (paginated with `nextToken`). One page (≤1 MB, ≤10,000 events) is held at a
 * time, so memory stays bounded however long the history; each page is yielded in time order.
 * Throttling is retried with exponential backoff and full jitter, beyond the SDK's own retries,
 * since a month of history can be hundreds of pages; any other error is a CloudWatchReadError
 * that says what to fix.
 */
export async function* readLogGroup(client: CloudWatchLogsClient, query: LogGroupQuery, retry: ReadRetryOptions = {}): AsyncIterable<LogGroupEvent> {
  const maxAttempts = retry.maxAttempts ?? 8;
  const baseDelay = retry.baseDelayMs ?? 500;
  const maxDelay = retry.maxDelayMs ?? 20_000;
  const sleep = retry.sleep ?? realSleep;
  const random = retry.random ?? Math.random;

  let nextToken: string | undefined;
  do {
    const input = {
      logGroupName: query.logGroup,
      startTime: query.since,
      endTime: query.until,
      filterPattern: query.filterPattern,
      nextToken,
    };
    let page;
    for (let attempt = 1; ; attempt++) {
      try {
        page = await client.send(new FilterLogEventsCommand(input));
        break;
      } catch (error) {
        if (!isThrottling(error)) throw explain(query.logGroup, error);
        if (attempt >= maxAttempts) {
          throw new CloudWatchReadError(query.logGroup, `still throttled after ${attempt} attempts (${(error as Error).name}); try again later, or a shorter --since`, { cause: error });
        }
        await sleep(Math.floor(random() * Math.min(maxDelay, baseDelay * 2 ** (attempt - 1))));
      }
    }
    const events = (page.events ?? []).filter((e): e is FilteredLogEvent & { timestamp: number; message: string } => typeof e.timestamp === 'number' && typeof e.message === 'string');
    events.sort((a, b) => a.timestamp - b.timestamp);
    for (const e of events) {
      yield { timestamp: e.timestamp, message: e.message, logStream: e.logStreamName ?? '', eventId: e.eventId ?? `${e.logStreamName ?? ''}@${e.timestamp}` };
    }
    // A token that comes back unchanged would loop forever: the search is done.
    nextToken = page.nextToken && page.nextToken !== nextToken ? page.nextToken : undefined;
  } while (nextToken);
}
