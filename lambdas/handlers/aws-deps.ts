import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { ConsoleAlertSink } from '../adapters/console-alert-sink.ts';
import { DynamoExceptionStore } from '../adapters/dynamodb-exception-store.ts';
import { DynamoSnoozeStore } from '../adapters/dynamodb-snooze-store.ts';
import { DynamoAuditStore } from '../adapters/dynamodb-store.ts';
import { SnsAlertSink } from '../adapters/sns-alert-sink.ts';
import { readLambdaEnv } from '../config.ts';
import type { IngestDeps } from '../core/ingest.ts';
import { redactorFor } from '../core/redact.ts';
import type { SweepDeps } from '../core/sweep.ts';
import { systemClock } from '../ports.ts';

/** The Lambdas' adapters, built once per cold start from the environment. */
export function buildAwsDeps(env = readLambdaEnv()): IngestDeps & SweepDeps {
  const dynamo = new DynamoDBClient({ endpoint: env.dynamoEndpoint, maxAttempts: 8 });
  // A warm container keeps the state it wrote: most batches of a log group land on the same one.
  // Its run records are kept as the config compiled into the bundle says.
  const store = new DynamoAuditStore(dynamo, env.tableName, { stateCacheSize: 2000, runRetentionDays: env.config.deploy.run_retention_days });
  const sink = env.topicArn ? new SnsAlertSink(new SNSClient({}), env.topicArn, redactorFor(env.config), env.config) : new ConsoleAlertSink(undefined, env.config);
  const exceptions = new DynamoExceptionStore(dynamo, env.tableName, { states: store, redact: env.config.redact });
  const snoozes = new DynamoSnoozeStore(dynamo, env.tableName);
  return { store, sink, config: env.config, clock: systemClock, exceptions, snoozes };
}
