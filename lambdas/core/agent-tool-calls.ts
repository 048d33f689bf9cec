import { TOOL_CALL_DETECTORS } from '../detectors/index.ts';
import { eventIdentity, rememberedByLegacyIdentity } from './agent-run.ts';
import type { AuditEvent, ToolCall } from './events.ts';
import { type Finding, sharesKeySecond } from './findings.ts';
import { ownValue } from './own-property.ts';
import type { Reduction, SubjectReducer } from './pipeline.ts';
import { fingerprint, TokenRing } from './token-ring.ts';

/**
 * Tool calls (`tool.call` lines), per tool: each call's arguments are checked once against the
 * tool's configured types (or their names' types) by the tool-call detectors, and counted.
 */
export interface ToolState {
  readonly tool: string;
  readonly calls: number;
  readonly invalid: number;
  readonly placeholders: number;
  /** Fingerprints of the calls judged (8 characters each, newest last): a redelivered call is not judged again. */
  readonly seen: string;
  readonly last_invalid_at?: number;
  /**
   * The seconds (epoch s, ascending) of the bad calls judged from `invalid_seconds_from` on (the
   * latest MAX_INVALID_SECONDS): a bad call read late takes an `instance` only when one judged
   * before shares its second, so its key does not depend on the order its lines were read in.
   * Absent in states stored before it was kept: every second up to `last_invalid_at`'s is unknown.
   */
  readonly invalid_seconds?: readonly number[];
  /** The first second `invalid_seconds` is complete from (the seconds before it were let go). */
  readonly invalid_seconds_from?: number;
}

export const MAX_SEEN_CALLS = 3000;
/** Seconds of bad calls kept per tool (20 minutes of one every second; a line is rarely later than 15). */
export const MAX_INVALID_SECONDS = 1200;

export function initialToolState(tool: string): ToolState {
  return { tool, calls: 0, invalid: 0, placeholders: 0, seen: '' };
}

function isToolCall(event: AuditEvent): event is AuditEvent<ToolCall> {
  return event.body.type === 'tool.call';
}

/**
 * A call's identity: its span id when it has one (an OpenTelemetry tool span: its `run_id` depends
 * on how the trace's spans were grouped into lines, its span id does not), else its `call_id`
 * within its run when it has both, else where the line came from. A `call_id` without a run
 * (`run_id` is optional) is no identity: `call_1` recurs across agents and days, and taking each
 * for a redelivery of the first would leave the later calls unjudged.
 */
function callIdentity(event: AuditEvent<ToolCall>): string {
  const b = event.body;
  const spanId = (b as { span_id?: unknown }).span_id;
  if (typeof spanId === 'string' && spanId !== '') return `span:${spanId}`;
  return b.call_id && b.run_id ? `call:${b.run_id}:${b.call_id}` : eventIdentity(event);
}

export const toolCallReducer: SubjectReducer<ToolState> = {
  kind: 'tool',
  bodyTypes: ['tool.call'],
  subjectOf(event) {
    return isToolCall(event) ? event.body.tool : undefined;
  },
  initial: initialToolState,
  apply(state, subject, events, ctx): Reduction<ToolState> {
    const seen = new TokenRing(state.seen, MAX_SEEN_CALLS);
    const findings: Finding[] = [];
    let { calls, invalid, placeholders } = state;
    let lastInvalid = state.last_invalid_at;
    const invalidSeconds = new Set(state.invalid_seconds ?? []);
    // Up to where the seconds judged are unknown: those let go, or those of a state stored before they were kept.
    let knownFrom = state.invalid_seconds_from ?? (state.invalid_seconds === undefined && lastInvalid !== undefined ? Math.floor(lastInvalid / 1000) + 1 : undefined);
    // Whether a bad call judged before may have a finding of this second already: it did (same
    // second), or its second is before those known (as far as the state knows, it may have).
    const sharesSecond = (at: number) => {
      const second = Math.floor(at / 1000);
      return invalidSeconds.has(second) || (knownFrom !== undefined && second < knownFrom && sharesKeySecond(at, lastInvalid));
    };
    for (const event of events) {
      if (!isToolCall(event) || event.body.tool !== subject) continue;
      const token = fingerprint(callIdentity(event));
      if (seen.has(token)) continue;
      seen.add(token);
      if (rememberedByLegacyIdentity(seen, event)) continue;
      calls++;
      const b = event.body;
      const call = { tool: b.tool, args: b.args, at: event.at, agent: b.agent, run_id: b.run_id, call_id: b.call_id };
      const configured = ownValue(ctx.config.tools, b.tool)?.args;
      for (const detector of TOOL_CALL_DETECTORS) {
        for (const draft of detector.check({ call, configured })) {
          const finding: Finding = {
            ...draft,
            // Two bad calls of one tool in one second (of one run, or of runs without ids) are two
            // findings: when a bad call judged before was at this second, this one's fingerprint
            // tells their keys apart (a call judged once is never judged again).
            ...(sharesSecond(event.at) ? { instance: token } : {}),
            detector: detector.meta.id,
            subject_kind: detector.meta.subjectKind,
            severity: ctx.config.defaults.severity[detector.meta.id] ?? draft.severity ?? detector.meta.defaultSeverity,
          };
          invalid++;
          placeholders += Number(finding.evidence.placeholders ?? 0) > 0 ? 1 : 0;
          lastInvalid = Math.max(lastInvalid ?? 0, event.at);
          invalidSeconds.add(Math.floor(event.at / 1000));
          findings.push(finding);
        }
      }
    }
    if (!seen.changed) return { state, findings: [], records: [] };
    let seconds = [...invalidSeconds].sort((a, b) => a - b);
    if (seconds.length > MAX_INVALID_SECONDS) {
      knownFrom = Math.max(knownFrom ?? Number.NEGATIVE_INFINITY, seconds[seconds.length - MAX_INVALID_SECONDS - 1] + 1);
      seconds = seconds.slice(-MAX_INVALID_SECONDS);
    }
    const judgedSeconds = lastInvalid === undefined ? {} : { invalid_seconds: seconds, ...(knownFrom !== undefined ? { invalid_seconds_from: knownFrom } : {}) };
    return {
      state: { tool: subject, calls, invalid, placeholders, seen: seen.toString(), ...(lastInvalid !== undefined ? { last_invalid_at: lastInvalid } : {}), ...judgedSeconds },
      findings,
      records: [],
    };
  },
};
