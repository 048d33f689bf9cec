import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { type Config, validateConfig } from '../../lambdas/config.ts';
import { readDeployContext, stackNameOf } from '../../lib/deploy-context.ts';
import { SilentAuditStack } from '../../lib/silent-audit-stack.ts';

const CDK_JSON = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> };

export interface TestAppOptions {
  /** Raw config as a file would hold it; validated like one. */
  readonly config?: unknown;
  /** Extra CDK context, as `-c key=value` would give it. */
  readonly context?: Record<string, unknown>;
  /** Run esbuild; off by default, since most tests look only at the template. */
  readonly bundle?: boolean;
}

/** An app with cdk.json's feature flags, so tests see what `cdk synth` builds. */
export function testApp(options: Pick<TestAppOptions, 'context' | 'bundle'> = {}): App {
  return new App({
    context: {
      ...CDK_JSON.context,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
}

/** The stack as bin/app.ts builds it: config plus the deploy targets given as context. */
export function buildStack(options: TestAppOptions = {}): { app: App; stack: SilentAuditStack; config: Config } {
  const app = testApp(options);
  const config = validateConfig(options.config ?? {}, 'test config');
  const { logGroups, alertEmails } = readDeployContext(app);
  const stack = new SilentAuditStack(app, stackNameOf(app, config), { config, logGroups, alertEmails });
  return { app, stack, config };
}
