import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCloudWatchPayload, PayloadError } from '../../lambdas/core/envelope.ts';

const PAYLOAD = {
  messageType: 'DATA_MESSAGE',
  owner: '123456789012',
  logGroup: '/jobs/nightly-backup',
  logStream: 'host-1',
  subscriptionFilters: ['silent-audit-ingest'],
  logEvents: [{ id: '1', timestamp: 1_790_000_000_000, message: 'hello' }],
};

function deliveryOf(data: string): unknown {
  return { awslogs: { data } };
}

function encode(value: unknown): string {
  return gzipSync(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
}

function refusal(event: unknown): string {
  try {
    decodeCloudWatchPayload(event);
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return (error as Error).message;
  }
  throw new Error('decoded, expected a refusal');
}

describe('decodeCloudWatchPayload: strict decode of a subscription delivery', () => {
  it('decodes a delivery as CloudWatch sends it', () => {
    // Act
    const payload = decodeCloudWatchPayload(deliveryOf(encode(PAYLOAD)));
    // Assess
    expect(payload).toMatchObject(PAYLOAD);
  });

  const valid = encode(PAYLOAD);
  it.each([
    ['base64url characters', valid.slice(0, 8).replace(/.$/, '-') + valid.slice(8)],
    ['a space inside', `${valid.slice(0, 8)} ${valid.slice(9)}`],
    ['padding in the middle', `${valid.slice(0, 6)}==${valid.slice(8)}`],
    ['a length that is not a multiple of 4', valid.slice(0, -1)],
    ['a non-ASCII character', `${valid.slice(0, 8)}é${valid.slice(9)}`],
  ])('refuses data with %s as not base64', (_name, data) => {
    // Act, Assess
    expect(refusal(deliveryOf(data))).toBe('awslogs.data is not base64');
  });

  it.each([
    ['not gzip', Buffer.from('plain text!!').toString('base64'), /^awslogs.data is not gzip data: /],
    ['gzip of text that is not JSON', encode('not json'), /^awslogs.data does not hold JSON: /],
    ['a payload without log events', encode({ ...PAYLOAD, logEvents: [] }), /^awslogs.data is not a CloudWatch Logs payload: logEvents: /],
    ['a log event with a string timestamp', encode({ ...PAYLOAD, logEvents: [{ id: '1', timestamp: 'now', message: 'x' }] }), /^awslogs.data is not a CloudWatch Logs payload: logEvents\.0\.timestamp: /],
    ['a payload without a log group', encode({ ...PAYLOAD, logGroup: undefined }), /^awslogs.data is not a CloudWatch Logs payload: logGroup: /],
  ])('refuses %s, saying which step failed', (_name, data, message) => {
    // Act, Assess
    expect(refusal(deliveryOf(data))).toMatch(message);
  });

  it('refuses what is not a subscription event at all', () => {
    // Act, Assess
    expect(refusal({ Records: [] })).toBe('not a CloudWatch Logs subscription event: expected { awslogs: { data: string } }');
    expect(refusal(deliveryOf(''))).toMatch(/^not a CloudWatch Logs subscription event/);
  });
});
