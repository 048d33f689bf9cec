import { describe, expect, it } from 'vitest';
import { compactEvidence } from '../../lambdas/mcp/tool.ts';

describe('compactEvidence', () => {
  it.each([
    ['a short text, kept whole', 'exit 3', 'exit 3'],
    ['a long text, cut at 240 characters', 'x'.repeat(300), `${'x'.repeat(240)}… (300 characters)`],
    ['an emoji the cut would split, left out whole', `${'x'.repeat(239)}${'😀'.repeat(10)}`, `${'x'.repeat(239)}… (259 characters)`],
    ['an emoji that ends at the cut, kept', `${'x'.repeat(238)}${'😀'.repeat(10)}`, `${'x'.repeat(238)}😀… (258 characters)`],
  ])('%s', (_name, text, expected) => {
    // Prepare
    const evidence = { output_tail: text, exit_code: 3 };
    // Act
    const compact = compactEvidence(evidence);
    // Assess
    expect(compact).toEqual({ output_tail: expected, exit_code: 3 });
    expect(String(compact.output_tail)).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('compactEvidence at any depth', () => {
  it('cuts long texts inside lists and objects, and long lists to their first items and a count of the rest', () => {
    // Prepare
    const long = 'p'.repeat(1000);
    const evidence = {
      errors: Array.from({ length: 50 }, (_, i) => ({ path: `args.${i}`, message: long, received: [long] })),
      tool: 'write_file',
    };
    // Act
    const compact = compactEvidence(evidence);
    // Assess
    const errors = compact.errors as unknown[];
    expect(errors).toHaveLength(21);
    expect(errors[0]).toEqual({ path: 'args.0', message: `${'p'.repeat(240)}… (1000 characters)`, received: [`${'p'.repeat(240)}… (1000 characters)`] });
    expect(errors[20]).toBe('… (30 more of 50 left out)');
    expect(compact.tool).toBe('write_file');
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(evidence).length / 5);
  });

  it('keeps a list of 20 items whole', () => {
    // Prepare
    const evidence = { runs: Array.from({ length: 20 }, (_, i) => i) };
    // Act
    const compact = compactEvidence(evidence);
    // Assess
    expect(compact).toEqual(evidence);
  });
});
