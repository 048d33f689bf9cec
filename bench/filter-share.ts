import { lineMayMatter } from '../lambdas/core/filter-pattern.ts';
import { DEMO_MONTH, generateMonth } from '../lambdas/demo/generate-month.ts';
import { scanLines } from './scan-lines.ts';

export interface FilterShare {
  readonly lines: number;
  readonly bytes: number;
  readonly passedLines: number;
  readonly passedBytes: number;
  /** Shares the subscription filter keeps out, 0..1. */
  readonly cutLineShare: number;
  readonly cutByteShare: number;
  readonly byLogGroup: Record<string, { lines: number; cutLineShare: number }>;
}

/** The demo month's lines (as CloudWatch holds them) through the subscription filter's terms. */
export function measureFilterShare(): FilterShare {
  const month = generateMonth({ month: DEMO_MONTH });
  let lines = 0;
  let bytes = 0;
  let passedLines = 0;
  let passedBytes = 0;
  const groups = new Map<string, { lines: number; passed: number }>();
  for (const stream of month.logGroups) {
    const group = groups.get(stream.logGroup) ?? { lines: 0, passed: 0 };
    for (const e of stream.events) {
      const size = Buffer.byteLength(e.message);
      lines++;
      bytes += size;
      group.lines++;
      if (lineMayMatter(e.message)) {
        passedLines++;
        passedBytes += size;
        group.passed++;
      }
    }
    groups.set(stream.logGroup, group);
  }
  const share = (cut: number, total: number) => Math.round((cut / total) * 1000) / 1000;
  return {
    lines,
    bytes,
    passedLines,
    passedBytes,
    cutLineShare: share(lines - passedLines, lines),
    cutByteShare: share(bytes - passedBytes, bytes),
    byLogGroup: Object.fromEntries([...groups].map(([name, g]) => [name, { lines: g.lines, cutLineShare: share(g.lines - g.passed, g.lines) }])),
  };
}

/** The same on the scan's fleet file (`scan-lines.ts`): jobs, agents and the application chatter around them. */
export function measureFleetFilterShare(count: number): { lines: number; cutLineShare: number; cutByteShare: number } {
  let bytes = 0;
  let passedLines = 0;
  let passedBytes = 0;
  for (const line of scanLines(count)) {
    const size = Buffer.byteLength(line);
    bytes += size;
    if (lineMayMatter(line)) {
      passedLines++;
      passedBytes += size;
    }
  }
  const share = (cut: number, total: number) => Math.round((cut / total) * 1000) / 1000;
  return { lines: count, cutLineShare: share(count - passedLines, count), cutByteShare: share(bytes - passedBytes, bytes) };
}
