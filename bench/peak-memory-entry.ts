import { readFileSync } from 'node:fs';
import { MemoryAuditStore } from '../lambdas/adapters/memory-store.ts';
import { validateConfig } from '../lambdas/config.ts';
import { ingestDelivery } from '../lambdas/core/ingest.ts';

/**
 * Bundled like a Lambda and run in a child process by the bench: one CloudWatch payload (a JSON
 * file) through the whole ingest path, then the process's peak resident memory. Prints one JSON line.
 */
const [payloadPath, configPath] = process.argv.slice(2);
const rssBeforeMb = process.memoryUsage().rss / 1_048_576;
const event = JSON.parse(readFileSync(payloadPath, 'utf8')) as unknown;
const config = validateConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
const t0 = performance.now();
const report = await ingestDelivery(event, { store: new MemoryAuditStore(), sink: { publish: async () => undefined }, config, clock: { now: () => Date.UTC(2026, 9, 10) } });
const ms = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({ status: report.status, lines: report.counts.lines, findings: report.findings.length, ms: Math.round(ms), rssBeforeMb: Math.round(rssBeforeMb), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
