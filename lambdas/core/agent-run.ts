import { createHash } from 'node:crypto';
import type { AgentAction, AgentEnd, AgentStart, AuditEvent } from './events.ts';
import type { ReduceContext } from './pipeline.ts';

/**
 * Stage one of the agent tree: one compact aggregate per agent run (`agentrun#<run_id>`), holding
 * what its own lines said — parent, budget, start and end, its actions counted by kind and by
 * tick, cost and tokens — and the run ids of its children. A sub-agent's `agent.start` belongs to
 * two subjects: its own run and its parent's (which learns the child). Nothing here knows the
 * tree; `agent-tree-loader.ts` walks these aggregates once they are committed, and
 * `agent-reducer.ts` holds the reducer.
 */

/** A budget as `agent.start` or the config gives it (contract §1a, §2). */
export interface AgentBudget {
  readonly max_actions?: number;
  readonly max_cost_usd?: number;
  readonly scope: 'task' | 'tick';
}

/** `[count, cost_usd]` */
export type CountCost = readonly [number, number];

export interface AgentRunState {
  readonly run_id: string;
  readonly agent?: string;
  readonly parent_run_id?: string;
  /**
   * The parent was guessed (an OpenTelemetry span whose parent span was exported in another
   * line): the run is a root unless that parent turns out to be an agent run.
   */
  readonly parent_tentative?: boolean;
  readonly started_at?: number;
  readonly ended_at?: number;
  readonly status?: string;
  /** The budget its own `agent.start` carried (it wins over the config for this run). */
  readonly budget?: AgentBudget;
  readonly actions_reported?: number;
  readonly cost_reported_usd?: number;
  /** Its own actions (not its children's). */
  readonly actions: number;
  readonly cost_usd: number;
  /** How many of its actions carried `cost_usd`. */
  readonly costed: number;
  readonly tokens: number;
  /** How many of its actions carried `tokens_in`/`tokens_out`. */
  readonly tokened: number;
  /** `action` or `action:name` → [count, cost]; the rarest fold into `…other` past the limit. */
  readonly by_action: Readonly<Record<string, CountCost>>;
  /** Tick number → [count, cost]; actions without a tick are in `unticked`. */
  readonly by_tick: Readonly<Record<string, CountCost>>;
  readonly unticked: number;
  readonly children: readonly string[];
  /** Children beyond `MAX_CHILDREN`, counted but not linked. */
  readonly children_dropped: number;
  readonly first_at?: number;
  readonly last_at?: number;
  /** Facts absorbed so far: grows with every new line, so a larger count is a newer view. */
  readonly facts: number;
  /** Fingerprints of the actions counted (8 characters each, newest last): redelivery counts nothing twice. */
  readonly seen: string;
  /** When DynamoDB may delete the aggregate (epoch ms). */
  readonly expires_at?: number;
}

export const AGENT_RUN_STATE_KIND = 'agentrun';
/** Per-run aggregates live 30 days past their last line (or past the time they were written). */
export const AGENT_RUN_TTL_MS = 30 * 86_400_000;
/** Fingerprints kept per run: 40 KB; a run with more actions dedups against its latest 5000. */
export const MAX_SEEN_ACTIONS = 5000;
const TOKEN_CHARS = 8;
export const MAX_CHILDREN = 500;
const MAX_ACTION_KEYS = 40;
const MAX_TICKS = 500;
export const OTHER_ACTIONS = '…other';

export function agentRunKey(runId: string): string {
  return `${AGENT_RUN_STATE_KIND}#${runId}`;
}

export function initialAgentRun(runId: string): AgentRunState {
  return { run_id: runId, actions: 0, cost_usd: 0, costed: 0, tokens: 0, tokened: 0, by_action: {}, by_tick: {}, unticked: 0, children: [], children_dropped: 0, facts: 0, seen: '' };
}

type AgentBody = AgentStart | AgentAction | AgentEnd;

export function isAgentEvent(event: AuditEvent): event is AuditEvent<AgentBody> {
  const t = event.body.type;
  return t === 'agent.start' || t === 'agent.action' || t === 'agent.end';
}

/**
 * A line's identity, for recognising it when it is delivered again: an id the line carries
 * (`action_id` from the agent kit, `span_id` from OpenTelemetry), else where it came from (the
 * CloudWatch event id, or file:line) together with its content (one line may hold several events).
 */
export function eventIdentity(event: AuditEvent): string {
  const body = event.body as unknown as Record<string, unknown>;
  if (typeof body.action_id === 'string' && body.action_id !== '') return `id:${body.action_id}`;
  if (typeof body.span_id === 'string' && body.span_id !== '') return `span:${body.span_id}`;
  const s = event.source;
  const where = s.eventId ? `cw:${s.eventId}` : `${s.origin}|${s.logStream ?? ''}|${s.line ?? ''}`;
  return `${where}|${JSON.stringify(body)}`;
}

/** 48 bits of SHA-256 in 8 base64url characters: collisions among 5000 tokens are ~1 in 10⁷. */
export function fingerprint(identity: string): string {
  return createHash('sha256').update(identity).digest('base64url').slice(0, TOKEN_CHARS);
}

/** The fingerprints of a ring string (fixed-width, concatenated), as a set. */
export function ringSet(ring: string): Set<string> {
  const set = new Set<string>();
  for (let i = 0; i + TOKEN_CHARS <= ring.length; i += TOKEN_CHARS) set.add(ring.slice(i, i + TOKEN_CHARS));
  return set;
}

/** The ring with tokens appended, keeping the newest `limit`. */
export function appendRing(ring: string, tokens: readonly string[], limit: number): string {
  const next = ring + tokens.join('');
  const max = limit * TOKEN_CHARS;
  return next.length > max ? next.slice(next.length - max) : next;
}

/** The map with one more action under `key`; past `limit` keys, new keys go to `overflow` (or are dropped). */
function addCountCost(map: Readonly<Record<string, CountCost>>, key: string, cost: number, limit: number, overflow: string | undefined): Readonly<Record<string, CountCost>> {
  let target = key;
  if (!(key in map) && Object.keys(map).length >= limit) {
    if (overflow === undefined) return map;
    target = overflow;
  }
  const [count, sum] = map[target] ?? [0, 0];
  return { ...map, [target]: [count + 1, sum + cost] };
}

function budgetOf(start: AgentStart): AgentBudget | undefined {
  const b = start.budget;
  if (!b || (b.max_actions === undefined && b.max_cost_usd === undefined)) return undefined;
  return { max_actions: b.max_actions, max_cost_usd: b.max_cost_usd, scope: b.scope ?? 'task' };
}

function parentOf(body: AgentBody): string | undefined {
  const parent = (body as { parent_run_id?: unknown }).parent_run_id;
  return typeof parent === 'string' && parent !== '' && parent !== body.run_id ? parent : undefined;
}

function isTentative(body: AgentBody): boolean {
  return (body as { parent_tentative?: unknown }).parent_tentative === true;
}

/**
 * Folds one batch's lines of one run (and its children's starts) into its aggregate. Returns the
 * very state it was given when the lines held nothing new (a redelivered batch).
 */
export function applyAgentRunEvents(initial: AgentRunState, subject: string, events: readonly AuditEvent[], ctx: ReduceContext): AgentRunState {
  let s = initial;
  let seen: Set<string> | undefined;
  const fresh: string[] = [];
  const touch = (at: number) => {
    s = { ...s, first_at: s.first_at === undefined ? at : Math.min(s.first_at, at), last_at: s.last_at === undefined ? at : Math.max(s.last_at, at) };
  };

  for (const event of events) {
    if (!isAgentEvent(event)) continue;
    const body = event.body;
    if (body.type === 'agent.start' && body.run_id !== subject) {
      // A child announcing itself to this run, its parent.
      if (parentOf(body) !== subject || s.children.includes(body.run_id)) continue;
      s =
        s.children.length < MAX_CHILDREN
          ? { ...s, children: [...s.children, body.run_id], facts: s.facts + 1 }
          : { ...s, children_dropped: s.children_dropped + 1, facts: s.facts + 1 };
      continue;
    }
    if (body.run_id !== subject) continue;

    if (body.type === 'agent.start') {
      if (s.started_at !== undefined) continue;
      const parent = parentOf(body);
      const budget = budgetOf(body);
      s = {
        ...s,
        agent: body.agent,
        started_at: event.at,
        facts: s.facts + 1,
        ...(parent !== undefined && s.parent_run_id === undefined ? { parent_run_id: parent, ...(isTentative(body) ? { parent_tentative: true } : {}) } : {}),
        ...(budget ? { budget } : {}),
      };
      touch(event.at);
      continue;
    }

    if (body.type === 'agent.end') {
      if (s.ended_at !== undefined) continue;
      const parent = parentOf(body);
      s = {
        ...s,
        agent: s.agent ?? body.agent,
        ended_at: event.at,
        status: body.status,
        facts: s.facts + 1,
        ...(body.actions_reported !== undefined ? { actions_reported: body.actions_reported } : {}),
        ...(body.cost_reported_usd !== undefined ? { cost_reported_usd: body.cost_reported_usd } : {}),
        ...(parent !== undefined && s.parent_run_id === undefined ? { parent_run_id: parent, ...(isTentative(body) ? { parent_tentative: true } : {}) } : {}),
      };
      touch(event.at);
      continue;
    }

    // agent.action: counted once, however often it is delivered.
    seen ??= ringSet(s.seen);
    const token = fingerprint(eventIdentity(event));
    if (seen.has(token)) continue;
    seen.add(token);
    fresh.push(token);
    const cost = body.cost_usd ?? 0;
    const hasTokens = body.tokens_in !== undefined || body.tokens_out !== undefined;
    const actionKey = body.name ? `${body.action}:${body.name}` : body.action;
    s = {
      ...s,
      agent: s.agent ?? body.agent,
      actions: s.actions + 1,
      cost_usd: s.cost_usd + cost,
      costed: s.costed + (body.cost_usd !== undefined ? 1 : 0),
      tokens: s.tokens + (body.tokens_in ?? 0) + (body.tokens_out ?? 0),
      tokened: s.tokened + (hasTokens ? 1 : 0),
      by_action: addCountCost(s.by_action, actionKey, cost, MAX_ACTION_KEYS, OTHER_ACTIONS),
      ...(body.tick !== undefined ? { by_tick: addCountCost(s.by_tick, String(body.tick), cost, MAX_TICKS, undefined) } : { unticked: s.unticked + 1 }),
      facts: s.facts + 1,
    };
    touch(event.at);
  }

  if (s === initial) return initial;
  return {
    ...s,
    seen: fresh.length > 0 ? appendRing(s.seen, fresh, MAX_SEEN_ACTIONS) : s.seen,
    expires_at: Math.max(s.last_at ?? 0, ctx.clock.now()) + AGENT_RUN_TTL_MS,
  };
}
