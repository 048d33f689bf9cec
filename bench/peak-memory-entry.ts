import { readFileSync } from 'node:fs';
import { MemoryAuditStore } from '../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../lambdas/config.ts';
import { buildAwsDeps } from '../lambdas/handlers/aws-deps.ts';
import { createIngestHandler } from '../lambdas/handlers/ingest.ts';

/**
 * Bundled like a Lambda and run in a child process by the bench: one CloudWatch payload (a JSON
 * file) through the ingest handler of a warm container, then the process's peak resident memory.
 * Prints one JSON line.
 *
 * What a warm ingest container holds is loaded first: the handler module (AWS SDK clients for
 * DynamoDB and SNS built as at a cold start, Powertools logger and metrics) and a state cache full to
 * its cap (`stateCacheSize: 2000` in lambdas/handlers/aws-deps.ts), each entry its own parse of the
 * given state (the bench passes a steady-state hourly job's: ~16 KB of JSON, the largest common
 * state). The payload itself runs against an in-memory store (no DynamoDB), so the requests' own
 * buffers are not in the figure.
 */
const STATE_CACHE_SIZE = 2000;
const [payloadPath, configPath, warmStatePath] = process.argv.slice(2);
const aws = buildAwsDeps();
const warmStateJson = readFileSync(warmStatePath, 'utf8');
const stateCache = new Map<string, { state: unknown; version: number }>();
for (let i = 0; i < STATE_CACHE_SIZE; i++) stateCache.set(`job#warm-${i}`, { state: JSON.parse(warmStateJson) as unknown, version: 1 });
const rssBeforeMb = process.memoryUsage().rss / 1_048_576;
const event = JSON.parse(readFileSync(payloadPath, 'utf8')) as unknown;
const config = validateConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
const deps = { store: new MemoryAuditStore(), sink: { publish: async () => undefined }, config, clock: { now: () => Date.UTC(2026, 9, 10) } };
const handler = createIngestHandler(() => deps, () => undefined);
const t0 = performance.now();
const report = await handler(event as Parameters<typeof handler>[0]);
const ms = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({
    status: report.status,
    lines: report.counts.lines,
    findings: report.findings.length + report.findingsLeftOut,
    ms: Math.round(ms),
    rssBeforeMb: Math.round(rssBeforeMb),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    // Still held, as in a warm container.
    cachedStates: stateCache.size,
    cachedStateBytes: warmStateJson.length,
    awsClients: aws.store !== undefined,
  })}\n`,
);
