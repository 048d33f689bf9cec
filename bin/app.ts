import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, loadConfig } from '../lambdas/config.ts';
import { CONFIG_CONTEXT_KEY, readDeployContext, stackNameOf } from '../lib/deploy-context.ts';
import { SilentAuditStack } from '../lib/silent-audit-stack.ts';

// Synthesised explicitly, so that a refused config leaves no half-built assembly behind.
const app = new App({ autoSynth: false });

try {
  // First: it refuses a mistyped context key, `-c confg=…` among them.
  const { logGroups, alertEmails } = readDeployContext(app);
  const configFile: unknown = app.node.tryGetContext(CONFIG_CONTEXT_KEY);
  const config = loadConfig(typeof configFile === 'string' && configFile !== '' ? configFile : undefined, process.cwd(), { deploying: true });

  // Another name (-c stackName, deploy.stack_name) is another deployment beside it, in the same account and region.
  new SilentAuditStack(app, stackNameOf(app, config), {
    description: 'silent-audit: catches silent failures in scheduled jobs and AI agents from their logs',
    config,
    logGroups,
    alertEmails,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
