import { gunzipSync } from 'node:zlib';
import { CloudWatchLogsDecodeSchema } from '@aws-lambda-powertools/parser/schemas/cloudwatch';
import { z } from 'zod';

/** The decoded body of a CloudWatch Logs subscription delivery. */
export type CloudWatchLogsPayload = z.infer<typeof CloudWatchLogsDecodeSchema>;

const DeliverySchema = z.object({ awslogs: z.object({ data: z.string().min(1) }) });

export class PayloadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayloadError';
  }
}

/** Hard limit on the decompressed size: far above CloudWatch's ~1 MB batches, far below a gzip bomb. */
const MAX_DECODED_BYTES = 64 * 1024 * 1024;

/**
 * Decodes a subscription delivery (`{ awslogs: { data: base64(gzip(json)) } }`), strictly: a
 * payload that is not one is refused whole with a PayloadError saying which step failed.
 * `CONTROL_MESSAGE` deliveries decode fine; the caller ignores them.
 */
export function decodeCloudWatchPayload(event: unknown): CloudWatchLogsPayload {
  const outer = DeliverySchema.safeParse(event);
  if (!outer.success) throw new PayloadError('not a CloudWatch Logs subscription event: expected { awslogs: { data: string } }');
  const data = outer.data.awslogs.data;
  const compressed = strictBase64(data);
  if (!compressed) throw new PayloadError('awslogs.data is not base64');
  let json: string;
  try {
    json = gunzipSync(compressed, { maxOutputLength: MAX_DECODED_BYTES }).toString('utf8');
  } catch (error) {
    throw new PayloadError(`awslogs.data is not gzip data: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new PayloadError(`awslogs.data does not hold JSON: ${(error as Error).message}`, { cause: error });
  }
  if (isPayload(parsed)) return parsed;
  const payload = CloudWatchLogsDecodeSchema.safeParse(parsed);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    throw new PayloadError(`awslogs.data is not a CloudWatch Logs payload: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return payload.data;
}

/**
 * Standard base64 (`A–Z a–z 0–9 + /`, padded), decoded; undefined when it is not. Node's decoder
 * skips what is not base64, so a clean string is one whose decoded length is exactly what its
 * length promises; it also takes base64url's `-` and `_`, which are looked for apart. (A regular
 * expression over the whole string did the same at several times the cost, on ~1 MB per delivery.)
 */
function strictBase64(data: string): Buffer | undefined {
  if (data.length === 0 || data.length % 4 !== 0 || data.indexOf('-') >= 0 || data.indexOf('_') >= 0) return undefined;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(data, 'base64');
  return bytes.length === (data.length / 4) * 3 - padding ? bytes : undefined;
}

/**
 * The common case of `CloudWatchLogsDecodeSchema`, checked by hand on the hot path (thousands of
 * log events per delivery); anything else goes to the schema, whose issue becomes the message.
 */
function isPayload(value: unknown): value is CloudWatchLogsPayload {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  if (typeof p.messageType !== 'string' || typeof p.owner !== 'string' || typeof p.logGroup !== 'string' || typeof p.logStream !== 'string') return false;
  if (!Array.isArray(p.subscriptionFilters) || !p.subscriptionFilters.every((f) => typeof f === 'string')) return false;
  const events = p.logEvents;
  if (!Array.isArray(events) || events.length === 0) return false;
  for (const e of events as unknown[]) {
    if (typeof e !== 'object' || e === null) return false;
    const { id, timestamp, message } = e as Record<string, unknown>;
    if (typeof id !== 'string' || typeof timestamp !== 'number' || typeof message !== 'string') return false;
  }
  return true;
}

/** `/aws/lambda/etl-loader` → `etl-loader`: the job of Lambda platform lines. */
export function functionNameOf(logGroup: string): string | undefined {
  const m = /^\/aws\/lambda\/(.+)$/.exec(logGroup);
  return m?.[1];
}

/** A log stream name that names its function: `2026/10/05/hourly-sync[$LATEST]a1b2…`. */
const FUNCTION_STREAM = /^\d{4}\/\d{2}\/\d{2}\/([A-Za-z0-9_-]{1,64})\[/;

/**
 * The function a log stream of a custom log group (LoggingConfig.LogGroup, which several functions
 * may share) names: AWS names each `YYYY/MM/DD/<function>[<version>]<id>`; undefined for a stream
 * that names none (an `/aws/lambda/<name>` group's `YYYY/MM/DD/[<version>]<id>`).
 */
export function functionOfStream(logStream: string): string | undefined {
  return FUNCTION_STREAM.exec(logStream)?.[1];
}
