// The CLI entry: everything else lives in lambdas/cli/; this file only runs it.
import { main } from '../lambdas/cli/program.ts';

await main(process.argv);
