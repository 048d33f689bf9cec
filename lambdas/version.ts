import { createRequire } from 'node:module';

/** The version of silent-audit, read from package.json: what `--version` prints and the MCP server announces. */
export const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
