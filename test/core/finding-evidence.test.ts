import { describe, expect, it } from 'vitest';
import { boundEvidence, type Finding, MAX_EVIDENCE_BYTES, MAX_MESSAGE_CHARS } from '../../lambdas/core/findings.ts';

const finding = (evidence: Record<string, unknown>): Finding => ({
  detector: 'tool-arg-invalid',
  subject: 'lookup_customer',
  subject_kind: 'tool',
  run_id: 'a1',
  ts: '2026-10-17T11:58:00Z',
  severity: 'high',
  message: 'lookup_customer: ref0_id must be an identifier',
  evidence,
});

describe('boundEvidence: no finding carries evidence too large to store', () => {
  it('returns the very same finding when its evidence is within the limit', () => {
    // Prepare
    const f = finding({ errors: [{ arg: 'ref0_id', got: '"TBD"' }], placeholders: 1, note: 'é'.repeat(20_000) });

    // Act
    const bounded = boundEvidence(f);

    // Assess
    expect(bounded).toBe(f);
  });

  it('replaces evidence over the limit by a note, its short fields and the start of its JSON', () => {
    // Prepare
    const errors = Array.from({ length: 3000 }, (_, i) => ({ arg: `ref${i}_id`, expected: 'an identifier', got: '"TBD"', message: `ref${i}_id must be an identifier; got the placeholder text "TBD"` }));
    const f = finding({ errors, placeholders: 3000, agent: 'support-bot' });
    const bytes = Buffer.byteLength(JSON.stringify(f.evidence));

    // Act
    const bounded = boundEvidence(f);

    // Assess
    expect(bytes).toBeGreaterThan(MAX_EVIDENCE_BYTES);
    expect(Buffer.byteLength(JSON.stringify(bounded.evidence))).toBeLessThanOrEqual(MAX_EVIDENCE_BYTES);
    expect(bounded).toMatchObject({ detector: f.detector, subject: f.subject, run_id: f.run_id, ts: f.ts, message: f.message });
    expect(bounded.evidence).toMatchObject({ placeholders: 3000, agent: 'support-bot', evidence_bytes: bytes });
    expect(bounded.evidence).not.toHaveProperty('errors');
    expect(bounded.evidence.evidence_truncated).toContain(`${bytes} bytes of JSON, over the ${MAX_EVIDENCE_BYTES}-byte limit`);
    expect(JSON.stringify(f.evidence).startsWith(bounded.evidence.evidence_excerpt as string)).toBe(true);
  });

  it('counts bytes, not characters: evidence of many multi-byte characters is cut too', () => {
    // Prepare
    const f = finding({ excerpt: '€'.repeat(30_000) });

    // Act
    const bounded = boundEvidence(f);

    // Assess
    expect(JSON.stringify(f.evidence).length).toBeLessThan(MAX_EVIDENCE_BYTES);
    expect(bounded.evidence.evidence_bytes).toBe(Buffer.byteLength(JSON.stringify(f.evidence)));
    expect(Buffer.byteLength(JSON.stringify(bounded.evidence))).toBeLessThanOrEqual(MAX_EVIDENCE_BYTES);
  });

  it('cuts a message over the limit to its start and end, saying how much was cut', () => {
    // Prepare: a message naming an argument of 144 KB, and one of emoji where the cuts fall
    const argName = `${'customer'.repeat(18_000)}_id`;
    const f = { ...finding({ placeholders: 1 }), message: `crm.update: ${argName} must be an identifier; got the placeholder text "TBD"` };
    const emoji = { ...finding({}), message: '😀'.repeat(5000) };

    // Act
    const bounded = boundEvidence(f);
    const boundedEmoji = boundEvidence(emoji);

    // Assess
    expect(bounded.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    const [, head, cut, tail] = /^(.*)… \[(\d+) characters cut\] …(.*)$/s.exec(bounded.message) ?? [];
    expect(head).toMatch(/^crm\.update: customercustomer/);
    expect(tail).toMatch(/customer_id must be an identifier; got the placeholder text "TBD"$/);
    expect(f.message.startsWith(head) && f.message.endsWith(tail)).toBe(true);
    expect(head.length + Number(cut) + tail.length).toBe(f.message.length);
    expect(bounded.evidence).toBe(f.evidence);
    expect(boundedEmoji.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(boundedEmoji.message).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });
});
