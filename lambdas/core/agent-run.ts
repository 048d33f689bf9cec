import { type AgentAction, type AgentEnd, type AgentStart, type AuditEvent, bodyText, contentIdentity, type LineSource, partOf } from './events.ts';
import { type FindingSource, findingSourceOf, sameSource } from './findings.ts';
import type { ReduceContext } from './pipeline.ts';
import { setOwn } from './own-property.ts';
import { shortenName } from './parse/derived-name.ts';
import { redactorFor } from './redact.ts';
import { appendRing, fingerprint, TOKEN_CHARS, TokenRing } from './token-ring.ts';

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
  /**
   * An OpenTelemetry span that is no agent run (a framework's step or chain span) but holds actions
   * of the agent run above it (`parent_run_id`): it never starts or ends, and its tree folds its
   * counts into its nearest started ancestor (`agent-tree.ts`).
   */
  readonly pass_through?: boolean;
  readonly started_at?: number;
  readonly ended_at?: number;
  /** Its `agent.end`'s status; one longer than an identifier may be is kept shortened (`shortenName`). */
  readonly status?: string;
  /** The budget its own `agent.start` carried (it wins over the config for this run). */
  readonly budget?: AgentBudget;
  readonly actions_reported?: number;
  readonly cost_reported_usd?: number;
  /** The size of its result, as its `agent.end` reported it; absent when not logged (nothing is judged of it then). */
  readonly output_bytes?: number;
  /** Its own actions (not its children's). */
  readonly actions: number;
  readonly cost_usd: number;
  /** How many of its actions carried `cost_usd`. */
  readonly costed: number;
  readonly tokens: number;
  /** How many of its actions carried `tokens_in`/`tokens_out`. */
  readonly tokened: number;
  /**
   * `action` or `action:name` → [count, cost]; the rarest fold into `…other` past the limit. A key
   * longer than an identifier may be (a name of free text: a whole prompt, a URL) is kept shortened
   * (`shortenName`: its first ~200 characters, '…' and a digest of the whole), so the 40 keys stay
   * within ~16 KB and one name always keeps one key.
   */
  readonly by_action: Readonly<Record<string, CountCost>>;
  /** Tick number → [count, cost]; actions without a tick are in `unticked`. */
  readonly by_tick: Readonly<Record<string, CountCost>>;
  /** Actions without a tick; a per-tick budget counts them (and their cost) as tick 0, as the agent kit does. */
  readonly unticked: number;
  /** The cost of the actions in `unticked`; absent while 0 (and in aggregates written before it was kept). */
  readonly unticked_cost_usd?: number;
  readonly children: readonly string[];
  /** Children beyond `MAX_CHILDREN`, counted but not linked. */
  readonly children_dropped: number;
  readonly first_at?: number;
  readonly last_at?: number;
  /**
   * Where the run's latest line was read (its log group and stream, or file; the group alone once its
   * lines came in more than one stream): what the findings of its tree name as their source
   * (`treeSource`), as a job's `lastSource`. Written with a batch that changes the aggregate anyway;
   * absent in aggregates written before it was kept.
   */
  readonly source?: FindingSource;
  /** Facts absorbed so far: grows with every new line, so a larger count is a newer view. */
  readonly facts: number;
  /** Fingerprints of the actions counted (8 characters each, newest last): redelivery counts nothing twice. */
  readonly seen: string;
  /** When DynamoDB may delete the aggregate (epoch ms). */
  readonly expires_at?: number;
  /**
   * Marks of findings (`firedId`: 8 characters, a fingerprint of `detector#run_id`) its tree gave
   * when the sweep judged it as the root of its own tree while its parent had not started
   * (`markJudgedAlone`): the parent's tree, if it starts after all, does not report them again.
   * One string of marks, newest last (`StoredMarks`; read with `firedMarks`).
   */
  readonly judged_alone?: StoredMarks;
  /**
   * The sweep judged its tree ended as the root of its own tree while its named parent had not
   * started (`markCountedAlone`): counted in its own agent's root runs and cost history. A parent's
   * tree that holds it after all takes it out of both (`agentTreeReducer`, phase `adopted`).
   */
  readonly counted_alone?: true;
  /**
   * Marks of findings (`firedId`, as `judged_alone`) its tree gave, as a root, before it ended:
   * reported by the sweep while it ran (budget-exceeded of a run stuck in a loop) or once it went
   * stale, and noted here once that judgement is committed (`markFiredUnended`). Every later
   * judgement of its tree passes over them, whatever the agent's state still remembers: it keeps
   * its latest open roots and judged roots only, and lets the marks of open roots go past its
   * bound, trusting this note to hold them; a root that loops for long falls off both. Holds every
   * finding of the largest tree (`MAX_FIRED_MARKS`).
   */
  readonly fired_unended?: StoredMarks;
  /**
   * The key of this run (its current instance) when its run id was started before (`instanceKey`):
   * absent for an id's first run, so aggregates written before read the same.
   */
  readonly instance?: string;
  /**
   * Earlier runs of this run id, oldest first: an `agent.start` later than the run's end (a daily
   * agent logging one fixed `run_id`, a sub-agent id used again under another root) begins a new
   * run (`startsAgain`), and the ended one is kept here, with its own counts, children and notes,
   * for its tree to be judged (the latest `MAX_PREVIOUS_RUNS`, within `MAX_PREVIOUS_BYTES`).
   */
  readonly previous?: readonly AgentRunInstance[];
  /**
   * How many of the last `previous` runs ended and were started again in the batch that last
   * changed this aggregate: never judged as its current run, their trees are judged with that batch
   * (and with it delivered again: a batch holding the start of the current run), not with a later
   * one (a later batch of the id clears it, one that changes nothing too). Absent for none.
   */
  readonly rolled?: number;
  /** An earlier run as a run of its own (`earlierRun`, never stored): when its id was started again. */
  readonly restarted_at?: number;
}

/** An earlier run of a run id (`AgentRunState.previous`): its fields as they stood when it was started again. */
export type AgentRunInstance = Omit<AgentRunState, 'run_id' | 'seen' | 'expires_at' | 'previous' | 'rolled' | 'restarted_at'>;

export const AGENT_RUN_STATE_KIND = 'agentrun';
/** Per-run aggregates live 30 days past their last line (or past the time they were written). */
export const AGENT_RUN_TTL_MS = 30 * 86_400_000;
/** Fingerprints kept per run: 40 KB; a run with more actions dedups against its latest 5000. */
export const MAX_SEEN_ACTIONS = 5000;
export const MAX_CHILDREN = 500;
/**
 * Finding marks kept in `judged_alone` and in `fired_unended`: every finding one tree can give (a
 * budget-exceeded and a budget-undercount of each of its `MAX_TREE_RUNS` runs, a cost-outlier of
 * its root: 4,001), so that the agent's state may let a root's marks go (`MAX_FIRED_KEPT`) and
 * none is reported again. 32 KB each as one string of marks: with 500 children of 400-byte ids
 * and a full `seen` ring the aggregate stays under DynamoDB's item limit (agent-run.test.ts).
 */
export const MAX_FIRED_MARKS = 4001;

/**
 * Marks of findings as an aggregate stores them: one string of 8-character marks, newest last (a
 * ring, as `seen`: 8 bytes a mark, where a JSON array of strings takes 11). Aggregates written
 * before hold an array, of marks or (older still) of `detector#run_id` as such.
 */
export type StoredMarks = string | readonly string[];

/** A stored mark as a mark: one written before marks were fingerprints is `detector#run_id` as such. */
export function asMark(stored: string): string {
  return stored.length === TOKEN_CHARS && !stored.includes('#') ? stored : fingerprint(stored);
}

/** The marks a note holds (`judged_alone`, `fired_unended`), oldest first, whichever form it was stored in. */
export function firedMarks(stored: StoredMarks | undefined): readonly string[] {
  if (stored === undefined) return [];
  if (typeof stored !== 'string') return stored.map(asMark);
  const marks: string[] = [];
  for (let i = 0; i + TOKEN_CHARS <= stored.length; i += TOKEN_CHARS) marks.push(stored.slice(i, i + TOKEN_CHARS));
  return marks;
}
/** Earlier runs of one run id kept on its aggregate (`AgentRunState.previous`): enough for a scan's batch of a daily agent's week. */
export const MAX_PREVIOUS_RUNS = 8;
/** Bytes (as JSON) the earlier runs may take together: past it the oldest are let go, and the children of one larger alone. */
export const MAX_PREVIOUS_BYTES = 24 * 1024;
/**
 * Earlier runs one batch may start again and keep past `MAX_PREVIOUS_RUNS` until their trees are
 * judged with it (`rolled`), and the bytes they may take: past them the oldest go unjudged.
 */
export const MAX_ROLLED_RUNS = 64;
export const MAX_ROLLED_BYTES = 64 * 1024;
const MAX_ACTION_KEYS = 40;
const MAX_TICKS = 500;
export const OTHER_ACTIONS = '…other';

export function agentRunKey(runId: string): string {
  return `${AGENT_RUN_STATE_KIND}#${runId}`;
}

/**
 * The key of a run of `runId` started at `startedAt` when the id was started before: the id and
 * its start (`digest@2026-11-03T06:00:00.000Z`). The key the judged roots, the open roots, the
 * cost history and the findings of its tree name it by; an id's first run keeps the id itself.
 */
export function instanceKey(runId: string, startedAt: number): string {
  return `${runId}@${new Date(startedAt).toISOString()}`;
}

/** The run id an instance key names (`instanceKey`); undefined for a key that is none. */
export function runIdOfInstance(key: string): string | undefined {
  const at = key.lastIndexOf('@');
  if (at <= 0) return undefined;
  const runId = key.slice(0, at);
  const startedAt = Date.parse(key.slice(at + 1));
  return Number.isFinite(startedAt) && instanceKey(runId, startedAt) === key ? runId : undefined;
}

/** The key a run's current instance is judged under (`instanceKey`): the run id for its first. */
export function runKeyOf(run: Pick<AgentRunState, 'run_id' | 'instance'>): string {
  return run.instance ?? run.run_id;
}

/**
 * Whether an `agent.start` of a run that started already begins a new run of its id: it comes
 * once the run ended (in the second of its end at the earliest: logs that give whole seconds), at
 * another time than its start. A start delivered again has the time of the first (nothing begins),
 * and one before the end is no new run either.
 */
export function startsAgain(run: Pick<AgentRunState, 'started_at' | 'ended_at'>, at: number): boolean {
  return run.started_at !== undefined && run.ended_at !== undefined && at >= run.ended_at && at !== run.started_at;
}

/** Whether a line is older than the run of its id now counted, which began again after it (`previous`): it belongs to an earlier run. */
function beforeRestart(run: AgentRunState, at: number): boolean {
  return run.previous !== undefined && run.started_at !== undefined && at < run.started_at;
}

/**
 * Whether an `agent.end` is the end of the run before, delivered again: before the run now counted
 * started, or at the time the run before ended, which it started at, saying what that end said (a
 * fast run may start and end in the second the run before ended: its end says its own).
 */
function endBeforeRestart(run: AgentRunState, at: number, end: AgentEnd, status: string | undefined): boolean {
  if (beforeRestart(run, at)) return true;
  const before = at === run.started_at ? run.previous?.[run.previous.length - 1] : undefined;
  return (
    before !== undefined &&
    before.ended_at === at &&
    before.status === status &&
    before.actions_reported === end.actions_reported &&
    before.cost_reported_usd === end.cost_reported_usd &&
    before.output_bytes === end.output_bytes
  );
}

/**
 * The earlier run `index` of an aggregate's id (`previous[index]`) as an aggregate of its own (for
 * its tree): the id, the earlier run's fields, and when the id was started again (`restarted_at`).
 */
export function earlierRun(run: AgentRunState, index: number): AgentRunState {
  const previous = run.previous as readonly AgentRunInstance[];
  return { ...previous[index], run_id: run.run_id, seen: '', restarted_at: (previous[index + 1] ?? run).started_at };
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
 * (`action_id` from the agent kit, `span_id` from OpenTelemetry), else the CloudWatch event id
 * together with its content (one line may hold several events), else (a file's line) its time and
 * content (`contentIdentity`): the same line read again under another file name or at another line
 * number is the same action.
 */
export function eventIdentity(event: AuditEvent): string {
  const body = event.body as unknown as Record<string, unknown>;
  if (typeof body.action_id === 'string' && body.action_id !== '') return `id:${body.action_id}`;
  if (typeof body.span_id === 'string' && body.span_id !== '') return `span:${body.span_id}`;
  const s = event.source;
  return s.eventId ? `cw:${s.eventId}${partOf(s)}|${bodyText(event)}` : contentIdentity(event);
}

/**
 * The identity versions before 2026-12-07 gave a file's line without an id of its own (`action_id`,
 * `span_id`): its file, line number and content. A line a store remembers by it was counted already
 * (an `agent.log` scanned by such a version, then again by this one); undefined for a line known by
 * an id, whose identity is unchanged.
 */
export function legacyEventIdentity(event: AuditEvent): string | undefined {
  const body = event.body as unknown as Record<string, unknown>;
  const s = event.source;
  if (s.eventId || (typeof body.action_id === 'string' && body.action_id !== '') || (typeof body.span_id === 'string' && body.span_id !== '')) return undefined;
  return `${s.origin}|${s.logStream ?? ''}|${s.line ?? ''}${partOf(s)}|${bodyText(event)}`;
}

/**
 * Whether `ring` remembers a line by the identity a version before 2026-12-07 gave it
 * (`legacyEventIdentity`): it was counted then. The caller remembers it by its token from now on,
 * so that a rotated copy read next is known too.
 */
export function rememberedByLegacyIdentity(ring: TokenRing, event: AuditEvent): boolean {
  const legacy = legacyEventIdentity(event);
  return legacy !== undefined && ring.has(fingerprint(legacy));
}

/**
 * A count-and-cost map (`by_action`, `by_tick`) being added to during one batch: copied from the
 * state once, on the first action, then counted into in place; past `limit` keys, new keys go to
 * `overflow` (or are dropped).
 */
class CountCostTally {
  private map: Record<string, CountCost> | undefined;
  private keys = 0;

  constructor(
    private readonly initial: Readonly<Record<string, CountCost>>,
    private readonly limit: number,
    private readonly overflow: string | undefined,
  ) {}

  add(key: string, cost: number): void {
    if (!this.map) {
      this.map = { ...this.initial };
      this.keys = Object.keys(this.map).length;
    }
    let target = key;
    if (!Object.hasOwn(this.map, key)) {
      if (this.keys >= this.limit) {
        if (this.overflow === undefined) return;
        target = this.overflow;
      }
      if (!Object.hasOwn(this.map, target)) this.keys++;
    }
    const [count, sum] = Object.hasOwn(this.map, target) ? this.map[target] : [0, 0];
    const value: CountCost = [count + 1, sum + cost];
    // An own property even for the key `__proto__` (an action name is whatever a line says).
    setOwn(this.map, target, value);
  }

  /** The map as the state keeps it: the initial one when nothing was added. */
  result(): Readonly<Record<string, CountCost>> {
    return this.map ?? this.initial;
  }
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

/** An `agent.start` that only links a pass-through span to the run above it (see `AgentRunState.pass_through`). */
export function isPassThroughLink(body: { type: string }): boolean {
  return body.type === 'agent.start' && (body as { pass_through?: unknown }).pass_through === true;
}

/**
 * Folds one batch's lines of one run (and its children's starts) into its aggregate. Returns the
 * very state it was given when the lines held nothing new (a redelivered batch). `unjudged` counts
 * the earlier runs the batch ended and started again past those kept to judge (`rolled`): let go unjudged.
 */
export function applyAgentRunEvents(initial: AgentRunState, subject: string, events: readonly AuditEvent[], ctx: ReduceContext, unjudged?: { runs: number }): AgentRunState {
  // One draft per batch, made on the first change; fields are replaced on it, never the arrays
  // and maps it shares with `initial` (those are copied once, where they change).
  let s: AgentRunState = initial;
  let draft: RunDraft | undefined;
  const edit = (): RunDraft => {
    if (!draft) {
      s = draft = draftOf(initial);
      // The earlier runs a batch before started again were judged with it.
      draft.rolled = undefined;
    }
    return draft;
  };
  // Long statuses and action names are shortened as the config's `redact` rules read them back.
  const redactor = redactorFor(ctx.config);
  const seen = new TokenRing(initial.seen, MAX_SEEN_ACTIONS);
  let byAction = new CountCostTally(initial.by_action, MAX_ACTION_KEYS, OTHER_ACTIONS);
  let byTick = new CountCostTally(initial.by_tick, MAX_TICKS, undefined);
  /** Whether the current run's end is of this batch (it was never judged as ended before). */
  let endedHere = false;
  /** Whether the batch holds the start of the current run again: the batch that started it delivered again, which judges `rolled` again. */
  let restartAgain = false;
  /** The source of the current run's latest line of the batch, until `noteSource` writes it (one allocation a batch, not a line). */
  let latest: LineSource | undefined;
  /** The current run's first line of the batch, and whether a later one came in another stream (or file) than it. */
  let first: LineSource | undefined;
  let moved = false;
  const touch = (event: AuditEvent) => {
    const d = edit();
    const at = event.at;
    const line = event.source;
    d.first_at = d.first_at === undefined ? at : Math.min(d.first_at, at);
    if (d.last_at === undefined || at >= d.last_at) latest = line;
    d.last_at = d.last_at === undefined ? at : Math.max(d.last_at, at);
    if (first === undefined) first = line;
    else if (line.logStream !== first.logStream || line.origin !== first.origin) moved = true;
  };
  /**
   * Writes where the run's lines were read, as `findingSourceOfLines` names a job's: its latest line's,
   * with its stream only while every line of the run came in that one stream (of the batch, and as
   * kept before); a run whose lines changed stream names its latest line's group alone.
   */
  const noteSource = (d: RunDraft) => {
    if (first === undefined) return;
    const read = findingSourceOf(latest ?? first, redactor);
    const changed = moved || (d.source !== undefined && !sameSource(read, d.source));
    const named = latest !== undefined ? read : d.source;
    latest = first = undefined;
    moved = false;
    if (named === undefined) return;
    const source = changed && named.log_stream !== undefined ? { log_group: named.log_group } : named;
    if (!sameSource(source, d.source)) d.source = source;
  };

  for (const event of events) {
    if (!isAgentEvent(event)) continue;
    const body = event.body;
    if (body.type === 'agent.start' && body.run_id !== subject) {
      // A child announcing itself to this run, its parent.
      if (parentOf(body) !== subject || s.children.includes(body.run_id) || beforeRestart(s, event.at)) continue;
      const d = edit();
      if (d.children.length < MAX_CHILDREN) d.children = [...d.children, body.run_id];
      else d.children_dropped++;
      d.facts++;
      continue;
    }
    if (body.run_id !== subject) continue;

    if (body.type === 'agent.start' && isPassThroughLink(body)) {
      const parent = parentOf(body);
      if (s.pass_through === true || s.started_at !== undefined || parent === undefined) continue;
      const d = edit();
      d.pass_through = true;
      d.facts++;
      if (d.parent_run_id === undefined) {
        d.parent_run_id = parent;
        if (isTentative(body)) d.parent_tentative = true;
      }
      touch(event);
      continue;
    }

    if (body.type === 'agent.start') {
      if (s.started_at !== undefined && !startsAgain(s, event.at)) {
        if (event.at === s.started_at) restartAgain = true;
        continue;
      }
      const d = edit();
      if (d.started_at !== undefined) {
        // The id is started again after its run ended: that run is kept as it stands, and a new one begins.
        d.by_action = byAction.result();
        d.by_tick = byTick.result();
        noteSource(d);
        const dropped = rollOver(d, subject, event.at, endedHere);
        if (unjudged !== undefined) unjudged.runs += dropped;
        endedHere = false;
        byAction = new CountCostTally(d.by_action, MAX_ACTION_KEYS, OTHER_ACTIONS);
        byTick = new CountCostTally(d.by_tick, MAX_TICKS, undefined);
      }
      const parent = parentOf(body);
      const budget = budgetOf(body);
      d.agent = body.agent;
      d.started_at = event.at;
      d.facts++;
      if (parent !== undefined && d.parent_run_id === undefined) {
        d.parent_run_id = parent;
        if (isTentative(body)) d.parent_tentative = true;
      }
      if (budget) d.budget = budget;
      touch(event);
      continue;
    }

    if (body.type === 'agent.end') {
      if (s.ended_at !== undefined) continue;
      const status = shortenName(body.status, 0, redactor);
      if (endBeforeRestart(s, event.at, body, status)) continue;
      const parent = parentOf(body);
      const d = edit();
      d.agent = d.agent ?? body.agent;
      d.ended_at = event.at;
      endedHere = true;
      d.status = status;
      d.facts++;
      if (body.actions_reported !== undefined) d.actions_reported = body.actions_reported;
      if (body.cost_reported_usd !== undefined) d.cost_reported_usd = body.cost_reported_usd;
      if (body.output_bytes !== undefined) d.output_bytes = body.output_bytes;
      if (parent !== undefined && d.parent_run_id === undefined) {
        d.parent_run_id = parent;
        if (isTentative(body)) d.parent_tentative = true;
      }
      touch(event);
      continue;
    }

    // agent.action: counted once, however often it is delivered.
    const token = fingerprint(eventIdentity(event));
    if (seen.has(token)) continue;
    seen.add(token);
    if (rememberedByLegacyIdentity(seen, event) || beforeRestart(s, event.at)) {
      edit();
      continue;
    }
    const cost = body.cost_usd ?? 0;
    const d = edit();
    d.agent = d.agent ?? body.agent;
    d.actions++;
    d.cost_usd += cost;
    if (body.cost_usd !== undefined) d.costed++;
    d.tokens += (body.tokens_in ?? 0) + (body.tokens_out ?? 0);
    if (body.tokens_in !== undefined || body.tokens_out !== undefined) d.tokened++;
    byAction.add(shortenName(body.name ? `${body.action}:${body.name}` : body.action, 0, redactor), cost);
    if (body.tick !== undefined) byTick.add(String(body.tick), cost);
    else {
      d.unticked++;
      if (cost > 0) d.unticked_cost_usd = (d.unticked_cost_usd ?? 0) + cost;
    }
    d.facts++;
    touch(event);
  }

  if (!draft) return initial.rolled === undefined || restartAgain || !events.some(isAgentEvent) ? initial : withoutRolled(initial);
  draft.by_action = byAction.result();
  draft.by_tick = byTick.result();
  draft.seen = seen.toString();
  noteSource(draft);
  draft.expires_at = Math.max(draft.last_at ?? 0, ctx.clock.now()) + AGENT_RUN_TTL_MS;
  return settled(draft);
}

/**
 * The aggregate with its earlier runs judged (`rolled` gone): a later batch of its id that changed
 * nothing (a line of it delivered again, not the start that began its current run) judges none again.
 */
function withoutRolled(state: AgentRunState): AgentRunState {
  const { rolled: _rolled, ...rest } = state;
  return rest;
}

/**
 * Notes on a run's aggregate the findings its tree gave when judged without its parent (see
 * `judged_alone`). The very state it was given when they are noted already, or when the run is not
 * stored (nothing to hang them on: a tree without its aggregate is not judged again).
 */
export function markJudgedAlone(state: AgentRunState, fired: readonly string[]): AgentRunState {
  return withMarks(state, 'judged_alone', fired);
}

/** Notes on a run's aggregate that its tree, judged alone, was counted as a root of its agent (see `counted_alone`); as `markJudgedAlone`. */
export function markCountedAlone(state: AgentRunState): AgentRunState {
  return state.started_at === undefined || state.counted_alone === true ? state : { ...state, counted_alone: true };
}

/** Notes on a root's aggregate the findings the sweep reported of its tree before it ended (see `fired_unended`); as `markJudgedAlone`. */
export function markFiredUnended(state: AgentRunState, fired: readonly string[]): AgentRunState {
  return withMarks(state, 'fired_unended', fired);
}

/** The note with `fired` added, as one string of marks (a note stored as an array is written so), the newest `MAX_FIRED_MARKS` kept. */
function withMarks(state: AgentRunState, field: 'judged_alone' | 'fired_unended', fired: readonly string[]): AgentRunState {
  if (state.started_at === undefined) return state;
  const noted = firedMarks(state[field]);
  const known = new Set(noted);
  const fresh = [...new Set(fired.map(asMark))].filter((id) => !known.has(id));
  if (fresh.length === 0) return state;
  return { ...state, [field]: appendRing(noted.join(''), fresh, MAX_FIRED_MARKS) };
}

type RunDraft = { -readonly [K in keyof AgentRunState]: AgentRunState[K] };

/**
 * Keeps the draft's run as an earlier run of its id (`previous`) and empties it for the run that
 * starts at `at` (`instance`); what tells lines apart across runs stays: the fingerprints of the
 * actions counted (`seen`) and the facts absorbed (`facts`, so a larger count is still a newer view).
 * Returns how many runs not yet judged it let go (past `MAX_ROLLED_RUNS` or `MAX_ROLLED_BYTES`).
 */
function rollOver(d: RunDraft, runId: string, at: number, endedHere: boolean): number {
  const { run_id: _id, seen: _seen, expires_at: _expires, previous, rolled, ...earlier } = settled(d);
  const unjudged = (rolled ?? 0) + (endedHere ? 1 : 0);
  d.previous = boundedPrevious([...(previous ?? []), earlier], unjudged);
  const kept = Math.min(unjudged, d.previous.length);
  d.rolled = kept > 0 ? kept : undefined;
  const fresh = initialAgentRun(runId);
  for (const key of Object.keys(d) as (keyof RunDraft)[]) {
    if (key === 'run_id' || key === 'seen' || key === 'facts' || key === 'expires_at' || key === 'previous' || key === 'rolled') continue;
    (d as Record<string, unknown>)[key] = (fresh as unknown as Record<string, unknown>)[key];
  }
  d.instance = instanceKey(runId, at);
  return unjudged - kept;
}

/**
 * The latest `MAX_PREVIOUS_RUNS` earlier runs within `MAX_PREVIOUS_BYTES` (measured at a roll-over
 * only), and past them the last `unjudged` (this batch's, `rolled`) within `MAX_ROLLED_RUNS` and
 * `MAX_ROLLED_BYTES`: the oldest let go first; of the one left, its children (counted as dropped:
 * its tree is judged truncated), then its notes of findings (its judged root still holds them).
 */
function boundedPrevious(runs: AgentRunInstance[], unjudged: number): AgentRunInstance[] {
  const kept = runs.slice(-Math.max(MAX_PREVIOUS_RUNS, Math.min(unjudged, MAX_ROLLED_RUNS)));
  // The array as JSON: '[', each run and the ',' or ']' after it.
  let bytes = kept.reduce((n, run) => n + instanceBytes(run) + 1, 1);
  const dropOldest = () => (bytes -= instanceBytes(kept.shift() as AgentRunInstance) + 1);
  const replaceOldest = (run: AgentRunInstance) => {
    bytes += instanceBytes(run) - instanceBytes(kept[0]);
    kept[0] = run;
  };
  while (kept.length > 1 && kept.length > unjudged && bytes > MAX_PREVIOUS_BYTES) dropOldest();
  const limit = kept.length > unjudged || unjudged === 0 ? MAX_PREVIOUS_BYTES : MAX_ROLLED_BYTES;
  while (kept.length > 1 && bytes > limit) dropOldest();
  if (bytes > limit) replaceOldest({ ...kept[0], children: [], children_dropped: kept[0].children_dropped + kept[0].children.length });
  if (bytes > limit) {
    const { judged_alone: _alone, fired_unended: _unended, ...slim } = kept[0];
    replaceOldest(slim);
  }
  return kept;
}

/** Each earlier run's size as JSON, measured once: a batch starting an id again many times measures each run once, not the kept ones at every roll-over. */
const measured = new WeakMap<AgentRunInstance, number>();

function instanceBytes(run: AgentRunInstance): number {
  let bytes = measured.get(run);
  if (bytes === undefined) {
    bytes = Buffer.byteLength(JSON.stringify(run));
    measured.set(run, bytes);
  }
  return bytes;
}

/**
 * A run's aggregate while a batch is folded into it, with every field present and in one order.
 * Stored states differ in which optional fields they hold, and a fold that reads and writes
 * objects of many shapes, line after line, keeps V8's property caches megamorphic: replayed on
 * the bench's batches, the fold on a copy of the stored state cost ~1.3× as much. Fields a newer
 * or older version added are carried over after the known ones.
 */
function draftOf(s: AgentRunState): RunDraft {
  const draft: RunDraft = {
    run_id: s.run_id,
    agent: s.agent,
    parent_run_id: s.parent_run_id,
    parent_tentative: s.parent_tentative,
    pass_through: s.pass_through,
    started_at: s.started_at,
    ended_at: s.ended_at,
    status: s.status,
    budget: s.budget,
    actions_reported: s.actions_reported,
    cost_reported_usd: s.cost_reported_usd,
    output_bytes: s.output_bytes,
    actions: s.actions,
    cost_usd: s.cost_usd,
    costed: s.costed,
    tokens: s.tokens,
    tokened: s.tokened,
    by_action: s.by_action,
    by_tick: s.by_tick,
    unticked: s.unticked,
    unticked_cost_usd: s.unticked_cost_usd,
    children: s.children,
    children_dropped: s.children_dropped,
    first_at: s.first_at,
    last_at: s.last_at,
    source: s.source,
    facts: s.facts,
    seen: s.seen,
    expires_at: s.expires_at,
    judged_alone: s.judged_alone,
    counted_alone: s.counted_alone,
    fired_unended: s.fired_unended,
    instance: s.instance,
    previous: s.previous,
    rolled: s.rolled,
  };
  for (const key of Object.keys(s)) if (!Object.hasOwn(draft, key)) setOwn(draft as unknown as Record<string, unknown>, key, (s as unknown as Record<string, unknown>)[key]);
  return draft;
}

/** The draft as a state: the optional fields it does not hold are left out, as a stored state leaves them. */
function settled(draft: RunDraft): AgentRunState {
  const state: Record<string, unknown> = {};
  for (const key of Object.keys(draft)) {
    const value = (draft as unknown as Record<string, unknown>)[key];
    if (value !== undefined) setOwn(state, key, value);
  }
  return state as unknown as AgentRunState;
}
