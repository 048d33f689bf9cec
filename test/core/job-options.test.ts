import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambdas/config.ts';
import { expectPatternsOf } from '../../lambdas/core/job-options.ts';
import { initialJobState, jobReducer } from '../../lambdas/core/job-reducer.ts';
import { run } from '../helpers/events.ts';

describe("a job's expect_pattern", () => {
  it.each([
    ['`$` at the end of a line that a newline ends', 'backup complete$', 'copying…\nbackup complete\n', []],
    ['`^` at the start of a later line', '^uploaded \\d+ objects', 'starting\nuploaded 12 objects\n', []],
    ['a pattern the output does not hold', '^uploaded \\d+ objects', 'starting\nnothing to upload\n', ['expected-pattern-missing']],
  ])('matches %s', (_, pattern, output, detectors) => {
    // Prepare
    const config = validateConfig({ jobs: { backup: { expect_pattern: pattern } } });
    const ctx = { config, clock: { now: () => Date.parse('2026-10-06T00:00:00Z') } };
    const events = run('backup', 'b-1', '2026-10-05T02:30:00Z', 2, { output_bytes: Buffer.byteLength(output), output_head: output, output_tail: output });
    // Act
    const { findings } = jobReducer.apply(initialJobState('backup'), 'backup', events, ctx);
    // Assess
    expect(findings.map((f) => f.detector)).toEqual(detectors);
  });
});

describe('expectPatternsOf', () => {
  it("gives each job's expect_pattern compiled once, multi-line, and none for a job without one", () => {
    // Prepare
    const config = validateConfig({ jobs: { backup: { expect_pattern: '^done$' } } });
    const patternOf = expectPatternsOf(config);
    // Act
    const first = patternOf('backup');
    const again = patternOf('backup');
    // Assess
    expect(first).toBe(again);
    expect(first?.test('copying\ndone\n')).toBe(true);
    expect(patternOf('cleanup')).toBeUndefined();
  });
});
