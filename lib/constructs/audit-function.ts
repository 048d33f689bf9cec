import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type Config, configAsWritten } from '../../lambdas/config.ts';
import { nodeOptions } from '../node-options.ts';
import type { AlertTopic } from './alert-topic.ts';
import type { AuditTable } from './audit-table.ts';
import { metricsServiceOf } from './self-watch.ts';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// ESM bundles have no `require`; CommonJS dependencies inside them (the AWS SDK's) still call it.
const ESM_REQUIRE_SHIM = "import { createRequire as __silentAuditCreateRequire } from 'node:module'; const require = __silentAuditCreateRequire(import.meta.url);";

export interface AuditFunctionProps {
  /** Path of the handler module, which exports `handler`. */
  readonly entry: string;
  /** The validated config; it is compiled into the bundle, where `readLambdaEnv` finds it. */
  readonly config: Config;
  /**
   * @default - no description
   */
  readonly description?: string;
  /**
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's own logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Where an asynchronous invocation goes once its retries are spent.
   * @default - nowhere: the event is dropped
   */
  readonly onFailure?: lambda.IDestination;
  /**
   * Retries of a failed asynchronous invocation.
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * V8 flags added to `NODE_OPTIONS` after `--enable-source-maps` (lib/node-options.ts).
   * @default - none: the runtime's heap sizing
   */
  readonly v8Flags?: readonly string[];
  /**
   * Concurrent executions reserved for the function (and its ceiling).
   * @default - none: it draws on the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * A silent-audit Lambda: Node 24 on arm64, bundled by the local esbuild as ESM with the config
 * compiled in, an explicit log group with retention, and a role that holds only what is bound
 * to it (no managed policies).
 */
export class AuditFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: AuditFunctionProps) {
    // Created beside the function, since a subclass cannot add children before `super`.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `silent-audit ${id} function`,
    });
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(60),
      role,
      logGroup,
      onFailure: props.onFailure,
      retryAttempts: props.retryAttempts ?? 2,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: metricsServiceOf(scope),
        NODE_OPTIONS: nodeOptions(props.v8Flags),
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_SHIM,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The SDK goes into the bundle, so the function runs the versions the tests ran.
        externalModules: [],
        // As written, so that the function tells the defaults the config set from the built-in ones.
        define: { __SILENT_AUDIT_CONFIG__: JSON.stringify(JSON.stringify(configAsWritten(props.config))) },
      },
    });
  }

  /** Sets `TABLE_NAME` and grants item reads, writes and queries on the table, with its key. */
  bindTable(table: AuditTable): this {
    this.addEnvironment('TABLE_NAME', table.tableName);
    table.grantItemReadWrite(this);
    return this;
  }

  /** Sets `TOPIC_ARN` and grants publishing to the topic, with its key. */
  bindTopic(alerts: AlertTopic): this {
    this.addEnvironment('TOPIC_ARN', alerts.topicArn);
    alerts.grantPublish(this);
    return this;
  }
}
