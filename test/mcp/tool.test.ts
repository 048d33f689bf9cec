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
