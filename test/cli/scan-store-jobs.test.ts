import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { validateConfig } from '../../lambdas/config.ts';

const tmp = mkdtempSync(join(tmpdir(), 'scan-store-jobs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A job's daily run at `hour`:00:03 on the given October days, two minutes long. */
function dailyRuns(job: string, hour: number, days: readonly number[]): string[] {
  return days.flatMap((d) => {
    const at = Date.UTC(2026, 9, d, hour, 0, 3);
    return [
      JSON.stringify({ type: 'run.start', ts: new Date(at).toISOString(), job, run_id: `${job}-${d}` }),
      JSON.stringify({ type: 'run.end', ts: new Date(at + 120_000).toISOString(), job, run_id: `${job}-${d}`, exit_code: 0, duration_ms: 120_000, output_bytes: 8, output_head: 'done ok\n' }),
    ];
  });
}

describe('scan --store: the jobs table', () => {
  it('lists the jobs of the lines read, not a stored job they do not name, and offers no learned schedule of it to copy into the config', async () => {
    // Prepare: two daily jobs stored from October's log; the next scan's log names only one of them.
    const store = inject('dynamoEndpoint');
    const id = randomUUID().slice(0, 8);
    const [retired, kept] = [`retired-${id}`, `kept-${id}`];
    const days = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    writeFileSync(join(tmp, 'oct.log'), [...dailyRuns(retired, 3, days), ...dailyRuns(kept, 4, days)].sort((a, b) => JSON.parse(a).ts.localeCompare(JSON.parse(b).ts)).join('\n'));
    writeFileSync(join(tmp, 'nov.log'), dailyRuns(kept, 4, [11]).join('\n'));
    const scan = async (file: string) => {
      let text = '';
      const stdout = new PassThrough().on('data', (d) => (text += d));
      await runScan({ paths: [join(tmp, file)], config: validateConfig({}), json: false, store, stdout, stderr: new PassThrough() });
      return text;
    };
    // Act
    const october = await scan('oct.log');
    const november = await scan('nov.log');
    // Assess: October lists and learns both; November only the job it read.
    expect(october).toContain(`  ${retired}: "0 3 * * *"`);
    expect(october).toContain(`  ${kept}: "0 4 * * *"`);
    expect(november).toContain(`  ${kept}: "0 4 * * *"`);
    expect(november).not.toContain(retired);
    expect(november).toMatch(/\(\d+ stored jobs? not seen in these logs not listed\)/);
  });
});
