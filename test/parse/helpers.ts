import { readFileSync } from 'node:fs';
import type { AuditEvent } from '../../lambdas/core/events.ts';
import { type LineContext, type ParseOutcome, parseLine } from '../../lambdas/core/parse/index.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url);
/** The shared corpus lives beside the repository: `<repo>/../shared/corpus`. */
const CORPUS = new URL('../../../shared/corpus/', import.meta.url);

function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The lines of a fixture file under test/fixtures (the last newline ends the last line). */
export function fixtureLines(path: string, encoding: BufferEncoding = 'utf8'): string[] {
  return linesOf(readFileSync(new URL(path, FIXTURES), encoding));
}

export function fixtureJson<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')) as T;
}

export function corpusLines(name: string): string[] {
  return linesOf(readFileSync(new URL(name, CORPUS), 'utf8'));
}

export function contextFor(origin: string, line: number, extra: Partial<LineContext> = {}): LineContext {
  return { source: { origin, line }, ...extra };
}

/** Every line of a file through parseLine, with its 1-based line number as the source. */
export function parseFile(origin: string, lines: readonly string[], extra: Partial<LineContext> = {}): ParseOutcome[] {
  return lines.map((line, i) => parseLine(line, contextFor(origin, i + 1, extra)));
}

export function eventsOf(outcomes: readonly ParseOutcome[]): AuditEvent[] {
  return outcomes.flatMap((o) => (o.kind === 'events' ? o.events : []));
}

/**
 * One outcome as a short text for table-driven expectations:
 * `run.start <job> <run_id> @<iso>`, `run.end <job> <run_id> exit=<n>`, `run.failed <job> <run_id> "<reason>"`,
 * `output.discarded <host>`, `unit.starting <description>`; `nothing` for a recognised line without events; `unrecognised`; `rejected: <reason>`.
 */
export function summary(outcome: ParseOutcome): string {
  if (outcome.kind === 'unrecognised') return 'unrecognised';
  if (outcome.kind === 'rejected') return `rejected: ${outcome.reason}`;
  if (outcome.events.length === 0) return 'nothing';
  return outcome.events
    .map((e) => {
      const b = e.body as Record<string, unknown>;
      const at = `@${new Date(e.at).toISOString()}`;
      switch (b.type) {
        case 'run.start':
          return `run.start ${b.job} ${b.run_id} ${at}`;
        case 'run.end':
          return `run.end ${b.job} ${b.run_id} exit=${b.exit_code} ${at}`;
        case 'run.failed':
          return `run.failed ${b.job} ${b.run_id ?? '-'} "${b.reason}" ${at}`;
        case 'run.error':
          return `run.error ${b.job} ${b.run_id} "${b.reason}"${b.exit_code === undefined ? '' : ` exit=${b.exit_code}`} ${at}`;
        case 'output.discarded':
          return `output.discarded ${b.host ?? '-'} ${at}`;
        case 'unit.starting':
          return `unit.starting ${b.description} ${at}`;
        default:
          return `${String(b.type)} ${at}`;
      }
    })
    .join(' + ');
}
