/**
 * The AWS SDK prints a 9-line `NodeVersionSupportWarning` on stderr at its first client on Node
 * before 22 (its releases after early January 2027 need Node 22): news for whoever maintains the
 * install, not for a user reading a scan or a report. The CLI turns it off unless the user set
 * AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED themselves (`false` shows it). The CLI entry
 * (bin/cli.ts) imports this module after launch-env, before any SDK client is built: `exec`
 * still gives its command the environment as it was given to us.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
