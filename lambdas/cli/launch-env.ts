/**
 * The environment as `silent-audit` was started with it, before any library changed it:
 * Powertools commons sets AWS_SDK_UA_APP_ID when it loads (`myapp` becomes
 * `myapp/PT/NO-OP/…`), which the AWS SDKs in a wrapped job would put in their User-Agent.
 * `exec` gives the command this environment, as the shell gave it to us. The CLI entry
 * (bin/cli.ts) imports this module before anything else, so the copy is taken first.
 */
export const LAUNCH_ENV: Readonly<NodeJS.ProcessEnv> = Object.freeze({ ...process.env });
