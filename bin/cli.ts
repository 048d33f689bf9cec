// The CLI entry: everything else lives in lambdas/cli/; this file only runs it.
// First, before any library loads and changes the environment: what `exec` gives the command.
import '../lambdas/cli/launch-env.ts';
// Then: no AWS SDK Node version warning on the user's terminal, unless they asked for it.
import '../lambdas/cli/quiet-sdk-warning.ts';
import { main } from '../lambdas/cli/program.ts';

await main(process.argv);
