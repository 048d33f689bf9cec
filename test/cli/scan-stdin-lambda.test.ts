import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { functionOption } from '../../lambdas/cli/option-parsers.ts';
import { runScan } from '../../lambdas/cli/scan-command.ts';
import { DEFAULT_CONFIG } from '../../lambdas/config.ts';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d.toString()));
  return { stream, text: () => text };
}

const STREAM = '2026/10/05/[$LATEST]a1b2c3d4e5f60718';
const R1 = '0c5c7fd0-a6a3-4450-a513-270e269e0d37';
const R2 = '36f675cc-81e7-4ef5-a8e2-5d940ed90475';

/** `aws logs tail /aws/lambda/hourly-sync` output: one invocation that succeeded, one that timed out. */
const TAIL = [
  `2026-10-05T00:00:10.993908+00:00 ${STREAM} START RequestId: ${R1} Version: $LATEST`,
  `2026-10-05T00:01:03.935580+00:00 ${STREAM} END RequestId: ${R1}`,
  `2026-10-05T00:01:03.936580+00:00 ${STREAM} REPORT RequestId: ${R1}\tDuration: 52941.67 ms\tBilled Duration: 52942 ms\tMemory Size: 512 MB\tMax Memory Used: 180 MB`,
  `2026-10-05T01:00:11.611097+00:00 ${STREAM} START RequestId: ${R2} Version: $LATEST`,
  `2026-10-05T01:15:11.620000+00:00 ${STREAM} END RequestId: ${R2}`,
  `2026-10-05T01:15:11.621000+00:00 ${STREAM} REPORT RequestId: ${R2}\tDuration: 900000.00 ms\tBilled Duration: 900000 ms\tMemory Size: 512 MB\tMax Memory Used: 180 MB\tStatus: timeout`,
].join('\n');

async function scanStdin(extra: Partial<Parameters<typeof runScan>[0]> = {}) {
  const out = capture();
  const err = capture();
  const result = await runScan({ paths: ['-'], stdin: Readable.from([`${TAIL}\n`]), config: DEFAULT_CONFIG, json: false, stdout: out.stream, stderr: err.stream, ...extra });
  return { result, stdout: out.text(), stderr: err.text() };
}

describe('`aws logs tail /aws/lambda/<name> | silent-audit scan -`: Lambda platform lines on stdin', () => {
  it('reads them as the function --function names (a name or its log group), and finds the timeout', async () => {
    // Act
    const byName = await scanStdin({ functionName: 'hourly-sync' });
    const byGroup = await scanStdin({ functionName: functionOption('/aws/lambda/hourly-sync') });
    // Assess
    for (const { result } of [byName, byGroup]) {
      expect(result.exitCode).toBe(1);
      expect(result.findings.map((f) => [f.detector, f.subject, f.run_id])).toEqual([['run-failed', 'hourly-sync', R2]]);
    }
  });

  it('refuses a --function that is no Lambda function name', () => {
    expect(() => functionOption('hourly sync')).toThrow(/expected a Lambda function name/);
  });

  it('takes a Lambda@Edge log group (/aws/lambda/REGION.NAME) as --log-group reads it', () => {
    expect(functionOption('/aws/lambda/us-east-1.edge-fn')).toBe('us-east-1.edge-fn');
  });

  it('refuses a --function log group whose name after /aws/lambda/ is no Lambda function name', () => {
    for (const group of ['/aws/lambda/hourly-sync/', '/aws/lambda/hourly sync;x', '/aws/lambda/hourly-sync:live', `/aws/lambda/${'a'.repeat(300)}`, '/aws/lambda/']) {
      expect(() => functionOption(group), group).toThrow(/expected a Lambda function name/);
    }
  });

  it('without --function, says once how to name the function, and does not exit 0 as if healthy', async () => {
    // Act
    const { result, stdout, stderr } = await scanStdin();
    // Assess
    expect(result.findings).toEqual([]);
    expect(result.exitCode).toBe(2);
    expect(stderr).toBe(
      'silent-audit scan: note: 4 Lambda platform lines (START, REPORT, "Task timed out") name no function, so their invocations were not judged: ' +
        'name it with --function (aws logs tail /aws/lambda/NAME | silent-audit scan --function NAME -), or save the output to a file named after it (NAME.log)\n',
    );
    expect(stdout).toContain('4 rejected');
  });
});
