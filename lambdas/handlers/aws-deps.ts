import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { ConsoleAlertSink } from '../adapters/console-alert-sink.ts';
import { DynamoAuditStore } from '../adapters/dynamodb-store.ts';
import { SnsAlertSink } from '../adapters/sns-alert-sink.ts';
import { readLambdaEnv } from '../config.ts';
import type { IngestDeps } from '../core/ingest.ts';
import type { SweepDeps } from '../core/sweep.ts';
import { systemClock } from '../ports.ts';

/** The Lambdas' adapters, built once per cold start from the environment. */
export function buildAwsDeps(): IngestDeps & SweepDeps {
  const env = readLambdaEnv();
  const dynamo = new DynamoDBClient({ endpoint: env.dynamoEndpoint, maxAttempts: 8 });
  const store = new DynamoAuditStore(dynamo, env.tableName);
  const sink = env.topicArn ? new SnsAlertSink(new SNSClient({}), env.topicArn) : new ConsoleAlertSink();
  return { store, sink, config: env.config, clock: systemClock };
}
