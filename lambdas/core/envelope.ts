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
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw new PayloadError('awslogs.data is not base64');
  let json: string;
  try {
    json = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_DECODED_BYTES }).toString('utf8');
  } catch (error) {
    throw new PayloadError(`awslogs.data is not gzip data: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new PayloadError(`awslogs.data does not hold JSON: ${(error as Error).message}`, { cause: error });
  }
  const payload = CloudWatchLogsDecodeSchema.safeParse(parsed);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    throw new PayloadError(`awslogs.data is not a CloudWatch Logs payload: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return payload.data;
}

/** `/aws/lambda/etl-loader` → `etl-loader`: the job of Lambda platform lines. */
export function functionNameOf(logGroup: string): string | undefined {
  const m = /^\/aws\/lambda\/(.+)$/.exec(logGroup);
  return m?.[1];
}
