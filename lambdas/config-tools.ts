import ret, { reconstruct, types } from 'ret';
import type { Group, Repetition, Root, SetToken, Token } from 'ret';
import { z } from 'zod';
import { didYouMean, namesMeant } from './core/edit-distance.ts';
import { noSuchDay, parseTime, utcDay } from './core/parse-time.ts';
import { BUILTIN_REDACTOR, type Redactor } from './core/redact.ts';
import { escapeControls } from './core/terminal-text.ts';
import { canonicalArgPath } from './core/tool-args.ts';
import { sniff } from './adapters/file-lines.ts';

/**
 * The config's `tools` section (contract §2 `tools.<name>.args`) and how a config's problems are
 * worded: apart from lambdas/config.ts, which reads the rest (YAML, schedules, deploy routing), so
 * that the agent kit's `validateToolArgs` checks a config as the pipeline does without bundling it.
 */

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/**
 * A pattern written as a JavaScript literal, between slashes with flags after (`/uploaded \d+ objects/m`):
 * its slashes and flags would be matched as text and it would never match, so it is refused with the fix.
 * Only a literal is: real flags (`dgimsuvy`, each once) after the closing slash, and no unescaped slash
 * inside, so paths (`/var/backups/done`, `/users/\d+/`, `/health/`) are ordinary patterns that match them.
 */
export function slashedPatternProblem(source: string): string | undefined {
  const m = /^\/(.+)\/([dgimsuvy]+)$/s.exec(source);
  if (!m || new Set(m[2]).size !== m[2].length || /(?:^|[^\\])(?:\\\\)*\//.test(m[1])) return undefined;
  return `written between slashes with flags as in JavaScript, so the slashes and the flags (${m[2]}) would have to be in the text and it never matches: drop the slashes and the flags (write ${m[1]})`;
}

/** ret's CommonJS export is its tokenizer itself, which its types declare as `tokenizer`. */
const parse = ret as unknown as typeof ret.tokenizer;

/** Where a repetition's match may go on: `seq`, then one of `then` (none: the end, nothing known follows). */
interface Continuation {
  readonly seq: readonly Token[];
  readonly then: readonly Continuation[];
}

const END: Continuation = { seq: [], then: [] };

function isLookaround(group: Group): boolean {
  return Boolean(group.followedBy || group.notFollowedBy || group.lookBehind);
}

function optionsOf(group: Group | Root): Token[][] {
  return group.options ?? [group.stack ?? []];
}

/** Adds the characters `token` may start with to `first`; whether it always takes one (it cannot match empty). */
function addFirst(token: Token, first: Array<Token | 'any'>): boolean {
  switch (token.type) {
    case types.CHAR:
    case types.SET:
      first.push(token);
      return true;
    case types.REPETITION:
      return addFirst(token.value, first) && token.min > 0;
    case types.GROUP:
      return !isLookaround(token) && optionsOf(token).map((option) => option.some((t) => addFirst(t, first))).every(Boolean);
    case types.REFERENCE:
      first.push('any');
      return false;
    default:
      return false;
  }
}

/** Adds the characters `next` may start with; whether every way on takes a character before the end. */
function addFirstOf(next: Continuation, first: Array<Token | 'any'>): boolean {
  if (next.seq.some((t) => addFirst(t, first))) return true;
  return next.then.length > 0 && next.then.map((c) => addFirstOf(c, first)).every(Boolean);
}

/** Every character `token` may take anywhere in it. */
function charsOf(token: Token | Root, chars: Array<Token | 'any'> = []): Array<Token | 'any'> {
  if (token.type === types.CHAR || token.type === types.SET) chars.push(token);
  else if (token.type === types.REFERENCE) chars.push('any');
  else if (token.type === types.REPETITION) charsOf(token.value, chars);
  else if (token.type === types.GROUP || token.type === types.ROOT) for (const t of optionsOf(token).flat()) charsOf(t, chars);
  return chars;
}

/** Sorted, disjoint UTF-16 code unit ranges `[from, to]`. */
type Ranges = Array<[number, number]>;

const ALL: Ranges = [[0, 0xffff]];

function merged(ranges: Ranges): Ranges {
  const out: Ranges = [];
  for (const [from, to] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

function complement(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [from, to] of ranges) {
    if (from > next) out.push([next, from - 1]);
    next = to + 1;
  }
  if (next <= 0xffff) out.push([next, 0xffff]);
  return out;
}

/** The code units `token` takes, as ranges (a negated set as the complement of its members). */
function rangesOf(token: Token | SetToken | 'any'): Ranges {
  if (token === 'any') return ALL;
  if (token.type === types.CHAR) return [[token.value, token.value]];
  if (token.type === types.RANGE) return [[token.from, token.to]];
  if (token.type !== types.SET) return [];
  const members = merged(token.set.flatMap(rangesOf));
  return token.not ? complement(members) : members;
}

/**
 * The work the backtracking checks of this process have done, in all: how many times `overlap` has
 * compared the characters of two parts, which their cost grows with. A test reads it: no clock.
 */
export const backtrackingCheckWork = { comparisons: 0 };

/**
 * The most comparisons one pattern's check may take (about 10 ms) before it stops: a pattern that
 * costly to check (thousands of alternatives under a repetition joined by classes they all meet,
 * `(?:一|丁|…|[一-鿿]x)+`) is refused as such rather than taken unchecked, as a slow pattern let through
 * would stall every ingest batch unseen, while a refusal is told at the config load, with its reason.
 * Realistic ones take far fewer: 1,000 job names under a `+`, 1,000 alternatives sharing `\\w{256}`,
 * about 2,000.
 */
const MAX_CHECK_WORK = 100_000;
let checkWorkEnd = Number.POSITIVE_INFINITY;
const TOO_COSTLY = new Error('too costly to check for backtracking');

/** Counts one comparison of the check; past `MAX_CHECK_WORK` for the pattern, stops it (`TOO_COSTLY`). */
function compared(): void {
  if (++backtrackingCheckWork.comparisons > checkWorkEnd) throw TOO_COSTLY;
}

/**
 * Whether a character of `a` may be one of `b`: their ranges meet. Case counts, as no config pattern
 * is compiled ignoring it (`expect_pattern` with `m`, a `redact` pattern with `g`, and Node 20 knows
 * no `(?i:…)`), so `ERROR|Error` part at their second character.
 */
function overlap(a: ReadonlyArray<Token | 'any'>, b: ReadonlyArray<Token | 'any'>): boolean {
  return rangesMeet(merged(a.flatMap(rangesOf)), merged(b.flatMap(rangesOf)));
}

function rangesMeet(ra: Ranges, rb: Ranges): boolean {
  compared();
  let j = 0;
  for (const [from, to] of ra) {
    while (j < rb.length && rb[j][1] < from) j++;
    if (j < rb.length && rb[j][0] <= to) return true;
  }
  return false;
}

/**
 * The most ways a near miss may be split between the turns of bounded repetitions before a pattern
 * is refused: `(a{1,4}){1,4}$` (4^4) takes 15 µs on a 200-character near miss, `(a{1,10}){1,3}$`
 * (10^3) 2 ms, against 1 µs for `a{1,12}$`.
 */
const MAX_SPLITS = 256;

/**
 * Whether a part with `ways` ways to match at a place (a repetition's spread of counts, an
 * alternation's two alternatives), repeated up to `turns` times in a row (the product of the maxima
 * of the repetitions around it), can split a near miss in more than `MAX_SPLITS` ways: always when
 * it or one around it is unbounded; `(\d{1,3}){3}` has 3^3.
 */
function manySplits(ways: number, turns: number): boolean {
  return Math.log(ways) * turns > Math.log(MAX_SPLITS);
}

/** The ways one turn of a repetition may match at a place: the product of those of its parts that can end at more than one place. */
interface Turn {
  ways: number;
}

/**
 * Adds a part with `ways` ways to `turn` (its spread of counts, an optional part's 2, an overlapping
 * alternation's options); whether the turn, repeated `turns` times, now has too many ways
 * (`manySplits`): each part alone may have few, `(a{1,3}a{1,3}a{1,3}){5}$` has 27^5 ways together.
 */
function manyWays(turn: Turn, ways: number, turns: number): boolean {
  turn.ways *= ways;
  return manySplits(turn.ways, turns);
}

/**
 * Whether two alternatives of a group, each a run of single characters, may match the same text
 * (`\w|\d`), or one a text the other begins with (`a|aa`) when what follows the group (`after`) may
 * start with the character after it: then each turn of a repetition around the group may match
 * in two ways (`(a|aa)+$`, `(\w|\d)+$`). Alternatives that part at a character (`foo|bar`,
 * `error|exception`, `a|ab` when no `b` may follow) leave one way.
 */
function overlappingOptions(options: readonly Token[][], after: Continuation): boolean {
  const runs = options.flatMap(flatOptions).map(runOf).filter((run): run is Run => run !== undefined);
  let follow: { first: Ranges | undefined } | undefined;
  const followFirst = (): Ranges | undefined => {
    if (!follow) {
      const first: Array<Token | 'any'> = [];
      follow = { first: addFirstOf(after, first) ? merged(first.flatMap(rangesOf)) : undefined };
    }
    return follow.first;
  };
  return clashAmong(runs, followFirst);
}

/** An alternative that is a run of single characters: each one's code units, and them as text (to group by). */
interface Run {
  readonly tokens: readonly Token[];
  readonly ranges: readonly Ranges[];
  readonly keys: readonly string[];
}

/** The longest fixed count of one character read as a run (`\d{4}` as `\d\d\d\d`); a longer one is not compared. */
const MAX_RUN_COUNT = 256;

/**
 * `option` as the alternatives it holds: one that is a group alone stands for that group's options
 * (`(?:a|(a))` has `a` and `a`, `((a|b)|(a|c))` four), as a turn takes one of them.
 */
function flatOptions(option: Token[]): Token[][] {
  const [only] = option;
  return option.length === 1 && only.type === types.GROUP && !isLookaround(only) ? optionsOf(only).flatMap(flatOptions) : [option];
}

/** `option`'s tokens with each group of one option (not a lookaround) read as its tokens: `(?:a)a` is `aa`. */
function inlined(option: readonly Token[]): Token[] {
  return option.flatMap((token) => (token.type === types.GROUP && !isLookaround(token) && optionsOf(token).length === 1 ? inlined(optionsOf(token)[0]) : [token]));
}

/** `option` as a run, reading a fixed count of one character as that many (`a|a{2}` is `a|aa`). */
function runOf(option: readonly Token[]): Run | undefined {
  const tokens: Token[] = [];
  const ranges: Ranges[] = [];
  const keys: string[] = [];
  for (const token of inlined(option)) {
    const [one, count] = token.type === types.CHAR || token.type === types.SET ? [token, 1] : isFixedCountOfOne(token) ? [token.value, token.min] : [];
    if (!one || count === undefined) return undefined;
    const taken = rangesOf(one);
    const key = taken.join(';');
    for (let k = 0; k < count; k++) {
      tokens.push(one);
      ranges.push(taken);
      keys.push(key);
    }
  }
  return { tokens, ranges, keys };
}

function isFixedCountOfOne(token: Token): token is Repetition {
  return token.type === types.REPETITION && token.min === token.max && token.max <= MAX_RUN_COUNT && (token.value.type === types.CHAR || token.value.type === types.SET);
}

/**
 * Whether two of `runs` clash (`runsClash`). Rather than every pair (quadratic: 3.5 s for 1,000 job
 * names under a `+`, 3 s for 1,000 alternatives sharing `\\w{256}`), runs are grouped position by
 * position: those holding the same character or class at `at` (compared once, not run by run) go on
 * together, with those of any other whose characters meet theirs (`sharingAt`); a run ending at
 * `at` is compared with every other run of its group. A group is a worklist entry, not a call, so
 * a long run does not deepen the stack.
 */
function clashAmong(runs: readonly Run[], followFirst: () => Ranges | undefined): boolean {
  const pending: Array<{ runs: readonly Run[]; at: number }> = [{ runs, at: 0 }];
  for (let group = pending.pop(); group; group = pending.pop()) {
    const { runs: members, at } = group;
    if (members.length < 2) continue;
    const going = members.filter((run) => run.tokens.length > at);
    const ended = members.filter((run) => run.tokens.length <= at);
    for (const [i, run] of ended.entries()) {
      for (const other of [...ended.slice(i + 1), ...going]) if (runsClash(run.ranges, other.ranges, followFirst)) return true;
    }
    for (const next of sharingAt(going, at)) pending.push({ runs: next, at: at + 1 });
  }
  return false;
}

/**
 * `runs` grouped by whether their characters at `at` may be the same one: runs holding the same
 * character or class are one bucket, and buckets whose ranges meet are joined (found by sorting
 * their ranges, not by comparing every pair of buckets), so `\\d` goes with `7` but not with `x`.
 * Joined buckets may hold two runs that do not meet (`\\d` and `a` both meeting `[0a]`): they are
 * only compared further, never taken to clash for it.
 */
function sharingAt(runs: readonly Run[], at: number): Run[][] {
  const buckets = new Map<string, { ranges: Ranges; runs: Run[] }>();
  for (const run of runs) {
    const bucket = buckets.get(run.keys[at]);
    if (bucket) bucket.runs.push(run);
    else buckets.set(run.keys[at], { ranges: run.ranges[at], runs: [run] });
  }
  const list = [...buckets.values()];
  const joined = list.map((_, i) => i);
  const root = (i: number): number => (joined[i] === i ? i : (joined[i] = root(joined[i])));
  const spans = list.flatMap((bucket, b) => bucket.ranges.map(([from, to]) => ({ from, to, b }))).sort((x, y) => x.from - y.from);
  let reach = -1;
  let reacher = -1;
  for (const { from, to, b } of spans) {
    compared();
    if (from <= reach) joined[root(b)] = root(reacher);
    if (to > reach) [reach, reacher] = [to, b];
  }
  const groups = new Map<number, Run[]>();
  for (const [b, bucket] of list.entries()) {
    const group = groups.get(root(b));
    if (group) group.push(...bucket.runs);
    else groups.set(root(b), [...bucket.runs]);
  }
  return [...groups.values()];
}

/**
 * Whether two runs may match the same text, or the shorter one a text the longer begins with when
 * what follows (`followFirst`: its first characters, undefined when it may be empty) may start with
 * the longer one's next character.
 */
function runsClash(a: readonly Ranges[], b: readonly Ranges[], followFirst: () => Ranges | undefined): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (!short.every((ranges, k) => rangesMeet(ranges, long[k]))) return false;
  if (short.length === long.length) return true;
  const first = followFirst();
  return first === undefined || rangesMeet(long[short.length], first);
}

/**
 * The first nested repetition that can end at more than one place: `inner`, of varying length,
 * inside `outer`, which repeats, when what follows `inner` before `outer` turns again may start
 * with a character `inner` takes (or may be empty). Then a near miss is split between the turns in
 * exponentially many ways (`(a+)+`, `(\w+\s?)+`), bounded ones too: `(a{1,10}){1,10}$` has 10^10 ways
 * to fail on 30 a's and a `!`; bounded ones with few ways (`manySplits`: `(\d{1,3}){3}`) are taken.
 * A mandatory character `inner` cannot take (`(?:[\w-]+\.)+`, `(?:\.\w+)+`, `(?:\d{1,3}\.){3}`)
 * leaves one way. `turns`: how many times in a row the repetitions around `seq` may repeat it.
 */
function nestedRepetition(
  seq: readonly Token[],
  outer: Repetition | undefined,
  next: Continuation,
  turns = 1,
  turn: Turn = { ways: 1 },
): [Repetition | Group, Repetition] | undefined {
  for (const [i, token] of seq.entries()) {
    const after: Continuation = { seq: seq.slice(i + 1), then: [next] };
    if (token.type === types.GROUP) {
      // A lookaround is atomic: once it holds, a turn around it does not try it again another way,
      // so what it holds is checked on its own (`^(?:(?!(fail|failed)).)*$` tries its alternatives once a turn).
      if (isLookaround(token)) {
        const found = optionsOf(token).map((option) => nestedRepetition(option, undefined, END)).find(Boolean);
        if (found) return found;
        continue;
      }
      if (outer && token.options && overlappingOptions(token.options, after) && manyWays(turn, token.options.length, turns)) return [token, outer];
      // One option is taken a turn: the turn has the ways of its option with the most.
      const before = turn.ways;
      let most = before;
      for (const option of optionsOf(token)) {
        turn.ways = before;
        const found = nestedRepetition(option, outer, after, turns, turn);
        if (found) return found;
        most = Math.max(most, turn.ways);
      }
      turn.ways = most;
    } else if (token.type === types.REPETITION) {
      if (outer && token.max > token.min) {
        const first: Array<Token | 'any'> = [];
        const endsAtMany = !addFirstOf(after, first) || overlap(charsOf(token.value), first);
        if (endsAtMany && manyWays(turn, token.max - token.min + 1, turns)) return [token, outer];
      }
      // Within a repetition, its own match goes on with its next turn.
      if (token.max <= 1) {
        const found = nestedRepetition([token.value], outer, after, turns, turn);
        if (found) return found;
        continue;
      }
      const own: Turn = { ways: 1 };
      const found = nestedRepetition([token.value], token, { seq: [token.value], then: [] }, turns * token.max, own);
      if (found) return found;
      // Its turns' ways multiply the enclosing turn's, once a turn: (a{1,4}(?:a{1,2}){2}){4}$ has 4·2^2 ways a turn.
      if (outer && own.ways > 1 && manyWays(turn, own.ways ** token.max, turns)) return [token, outer];
    }
  }
  return undefined;
}

/** A part of a pattern as a message names it: its control characters escaped (`\x0d`), so the message stays on one line. */
function shown(token: Token): string {
  const text = escapeControls(reconstruct(token));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A pattern prone to catastrophic backtracking: a repetition inside a repetition that can end at
 * more than one place (`(a+)+$`, `(\w+\s?)*$`), or a group whose alternatives may match the same text (`(a|aa)+$`), whose test of a line that nearly matches (`aaaa…ab`)
 * takes exponential time and blocks the event loop (exec after its job, every ingest batch, a scan).
 * The check (a walk of the `ret` parse tree) is heuristic: it reads the pattern's shape, not its
 * language, so it can miss an overlapping alternation whose alternatives are more than runs of single characters (`(ab|a(?:b|c))+$`; `(ab|a[bc])+$`, `(a|(?:aa))+$` and `((a|b)|(a|c))+$` it refuses) and lets through repetitions in a
 * row that take polynomial time, of degree their count (`\w+\d+x`, `\d+` twelve times then `x`). Its parser knows no lookbehind; one nests as a lookahead
 * does, so it is read as one. A pattern it cannot read is not refused for it.
 */
export function backtrackingProblem(source: string): string | undefined {
  if (!isValidRegex(source)) return undefined; // an invalid one is named as such
  let root: Root;
  try {
    root = parse(source.replace(/\(\?<([=!])/g, '(?$1'));
  } catch {
    return undefined;
  }
  let found: ReturnType<typeof nestedRepetition>;
  checkWorkEnd = backtrackingCheckWork.comparisons + MAX_CHECK_WORK;
  try {
    found = optionsOf(root).map((option) => nestedRepetition(option, undefined, END)).find(Boolean);
  } catch (error) {
    if (error !== TOO_COSTLY) throw error;
    return `too costly to check for catastrophic backtracking (over ${MAX_CHECK_WORK.toLocaleString('en')} comparisons of its parts): it has many alternatives under a repetition whose characters meet; make them part at a character, or split the pattern`;
  } finally {
    checkWorkEnd = Number.POSITIVE_INFINITY;
  }
  if (!found) return undefined;
  const [inner, outer] = found;
  if (inner.type === types.GROUP) {
    return `prone to catastrophic backtracking: ${shown(inner)} inside ${shown(outer)} has alternatives that may match the same text (or one the start of another's), so testing a line that nearly matches could take exponential time and stall the pipeline; make the alternatives part at a character ((?:a|b)+ rather than (?:a|aa)+) or use one class ([\\w]+ rather than (\\w|\\d)+)`;
  }
  return `prone to catastrophic backtracking: ${shown(inner)} inside ${shown(outer)} may end at more than one place (what follows it may start with a character it takes), so testing a line that nearly matches could take exponential time and stall the pipeline; repeat each part once (a+ rather than (a+)+) or end the inner part with a character it cannot take ((?:[\\w-]+\\.)+)`;
}

export const regex = z
  .string()
  .refine(isValidRegex, 'not a valid regular expression')
  .superRefine((source, ctx) => {
    const problem = slashedPatternProblem(source) ?? backtrackingProblem(source);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Epoch ms of a `YYYY-MM-DD` that names a day of the calendar (UTC midnight), else undefined:
 * `Date.parse` would take `2026-02-30` as the 2nd of March.
 */
export function calendarDay(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const at = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return utcDay(at) === text ? at : undefined;
}

/** What is wrong with a date or time that does not read: the calendar's reason when its day is no day. */
export function dateProblem(text: string, expected: string): string {
  const why = noSuchDay(text);
  if (why === undefined) return expected;
  // Day 00 is no day of any month: said so, not by the month's length.
  const dayZero = /^\d{4}-(?:0[1-9]|1[0-2])-00/.test(text);
  return `${dayZero ? `there is no day 00 (in ${text.slice(0, 10)})` : why}; ${expected}`;
}

/**
 * A tool argument's date bound: relative (`-30d`), a day (`2026-12-31`), or an ISO time,
 * normalised to UTC (`Z`) so that a time without an offset is UTC wherever it is read.
 */
export const dateBound = z.string({ error: 'expected a date or a relative ±Nd' }).transform((s, ctx) => {
  if (/^[+-]\d+d$/.test(s) || calendarDay(s) !== undefined) return s;
  const at = DATE.test(s) ? Number.NaN : parseTime(s);
  if (Number.isNaN(at)) {
    ctx.addIssue({ code: 'custom', message: dateProblem(s, 'expected a date or a relative ±Nd') });
    return z.NEVER;
  }
  return new Date(at).toISOString();
});

const SIMPLE_ARG_TYPES = ['uuid', 'email', 'number', 'integer', 'url', 'date', 'id', 'string'] as const;
const ARG_TYPE_EXPECTED = `expected one of ${SIMPLE_ARG_TYPES.join(', ')}, {date: {min, max}}, {enum: [...]} or {pattern: REGEX}`;
export const ArgTypeSchema = z.union([
  z.enum(SIMPLE_ARG_TYPES),
  z.strictObject({ date: z.strictObject({ min: dateBound.optional(), max: dateBound.optional() }) }),
  z.strictObject({ enum: z.array(z.union([z.string(), z.number()])).min(1) }),
  z.strictObject({ pattern: regex }),
], { error: ARG_TYPE_EXPECTED });

/** Argument paths into lists: `lines[].sku` and `lines[*].sku` both mean every item's `sku`, so only one may be given. */
export const ToolArgsSchema = z.record(z.string(), ArgTypeSchema).superRefine((args, ctx) => {
  const first = new Map<string, string>();
  for (const path of Object.keys(args)) {
    const canonical = canonicalArgPath(path);
    const same = first.get(canonical);
    if (same === undefined) first.set(canonical, path);
    else ctx.addIssue({ code: 'custom', path: [path], message: `the same path as ${same} ([] and [*] both mean every item): keep one of them` });
  }
});

export const ToolSchema = z.strictObject({
  args: ToolArgsSchema.default({}),
  owner: z.string().optional(),
});

/** The `tools` section: each tool's argument types. */
export const ToolsSchema = z.record(z.string(), ToolSchema);

/**
 * A config's `tools` section read as the config reads it (date bounds normalised), or the problems
 * that refuse it, each as `tools.<tool>.args.<arg>: …` as `validateConfig` words them (without lines).
 * For the agent kit's `validateToolArgs`, which is given a config that may not have been validated.
 */
export function readToolsConfig(tools: unknown): { tools: z.infer<typeof ToolsSchema>; problems: readonly string[] } {
  const result = ToolsSchema.safeParse(tools ?? {}, { error: configIssueMessage });
  if (result.success) return { tools: result.data, problems: [] };
  const issues = result.error.issues.map((issue) => ({ ...issue, path: ['tools', ...issue.path] }));
  return { tools: {}, problems: problemTexts(issues, BUILTIN_REDACTOR, undefined) };
}

const KIND: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (name: settings)',
  boolean: 'true or false',
  date: 'a date',
};

/** A value as the user wrote it in the file, briefly. */
function describeInput(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return `the date ${Number.isNaN(v.getTime()) ? 'that does not exist' : v.toISOString().slice(0, 10)}`;
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return v.length > 40 ? `text "${v.slice(0, 37)}..."` : `text ${JSON.stringify(v)}`;
  return String(v);
}

/**
 * zod's own messages ("Invalid input: expected number, received string") in the user's terms:
 * what the key expected, and what the file holds. A message the schema gives wins over these.
 */
export function configIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const got = issue.input === undefined ? '' : ` (got ${describeInput(issue.input)})`;
  const n = (v: unknown) => Number(v);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = KIND[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `required: expected ${expected}` : `expected ${expected}${got}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return n(issue.minimum) <= 1 ? 'expected non-empty text' : `expected at least ${n(issue.minimum)} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `expected a list of at least ${n(issue.minimum)} item${n(issue.minimum) === 1 ? '' : 's'}`;
      return issue.inclusive ? `expected ${n(issue.minimum)} or more${got}` : `expected a number above ${n(issue.minimum)}${got}`;
    case 'too_big':
      if (issue.origin === 'string') return `expected at most ${n(issue.maximum)} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `expected a list of at most ${n(issue.maximum)} items`;
      return issue.inclusive ? `expected at most ${n(issue.maximum)}${got}` : `expected a number below ${n(issue.maximum)}${got}`;
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? String(issue.values[0]) : `one of ${issue.values.map(String).join(', ')}`}${got}`;
    case 'invalid_format':
      if (issue.format === 'email') return 'not an email address';
      if (issue.format === 'regex' && 'pattern' in issue) return `expected text matching ${String(issue.pattern)}${got}`;
      return `expected ${issue.format}${got}`;
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.divisor)}${got}`;
    case 'invalid_union': {
      // Each option refused the value by its type: name the types it would take.
      const kinds = issue.errors.map((option) => (option.length === 1 && option[0].code === 'invalid_type' && option[0].path.length === 0 ? option[0].expected : undefined));
      if (kinds.length > 0 && kinds.every((k) => k !== undefined)) return `expected ${[...new Set(kinds.map((k) => KIND[k!] ?? k!))].join(' or ')}${got}`;
      return `not one of the accepted forms${got}`;
    }
    case 'invalid_key':
      return `not a valid ${issue.origin === 'record' ? 'name' : 'key'}`;
    case 'unrecognized_keys':
      // One line a key, in the keys' order: `problemTexts` gives each key its own.
      return issue.keys.map((key) => unknownKeyMessage(key, knownKeysOf(issue.inst))).join('\n');
    default:
      return undefined;
  }
}

/**
 * A value that none of a union's forms takes is named by the union's own message, unless exactly
 * one form took its shape (its issues all lie below the value, as for `{date: {min: 5}}`): then
 * that form's issues, which name the bad key inside it.
 */
function unionDetail(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const shaped = issue.errors.filter((option) => option.length > 0 && option.every((i) => i.path.length > 0));
  if (shaped.length !== 1) return [issue];
  return shaped[0].map((i) => ({ ...i, path: [...issue.path, ...i.path] })).flatMap(unionDetail);
}

const NO_JSON_COMMENTS = 'JSON has no comments (a YAML config writes them after #)';

/** The keys a mapping's schema (a `z.strictObject`) takes; none known for another. */
function knownKeysOf(schema: unknown): string[] {
  const shape = (schema as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def?.shape;
  return shape !== null && typeof shape === 'object' ? Object.keys(shape) : [];
}

/**
 * The known keys an unknown one looks meant for: the same in another case, a letter or two off
 * (`namesMeant`: `min_histroy`), or the same key without its unit or with another (`grace`,
 * `grace_mins` for `grace_minutes`); at most three.
 */
export function keysMeant(typed: string, known: readonly string[]): string[] {
  const stem = (key: string) => key.slice(0, Math.max(key.lastIndexOf('_'), 0));
  const otherUnit = known.filter((k) => stem(k) !== '' && k !== typed && (stem(k) === typed || stem(k) === stem(typed)));
  // namesMeant lists the same key in another case first.
  return [...new Set([...namesMeant(typed, known), ...otherUnit])].slice(0, 3);
}

/** What is said of a key the schema does not take: a JSON comment as such, else the known keys it looks meant for. */
function unknownKeyMessage(key: string, known: readonly string[]): string {
  if (/^\s*\/[/*]/.test(key)) return `unknown key: ${NO_JSON_COMMENTS}`;
  const meant = didYouMean(keysMeant(key, known));
  return meant ? `unknown key; ${meant}` : 'unknown key';
}

/**
 * A config file's text: UTF-8, or UTF-16 with its byte order mark (what Windows PowerShell 5's `>`
 * and Notepad's "Unicode" write), known as the log reader knows it (`sniff`). UTF-16 without its
 * mark (a NUL every other byte) is read as the UTF-16 it looks like, with the problem that refuses
 * it: the commands that read the config say to save it as UTF-8; exec, which runs its job anyway,
 * still takes its redact patterns. Read as UTF-8, either was "expected a mapping" and none of them.
 */
export function configText(bytes: Uint8Array, file: string): { text: string; problem?: string } {
  const encoding = sniff(bytes);
  if (encoding === 'utf-16le' || encoding === 'utf-16be') return { text: new TextDecoder(encoding).decode(bytes) };
  const unmarked = unmarkedUtf16(bytes);
  if (!unmarked) return { text: new TextDecoder('utf-8').decode(bytes) };
  const label = unmarked === 'utf-16le' ? 'UTF-16LE' : 'UTF-16BE';
  return {
    text: new TextDecoder(unmarked).decode(bytes),
    problem: `the file is ${label} (without a byte order mark); save it as UTF-8: iconv -f ${label} -t UTF-8 ${file} > ${file}.utf8 && mv ${file}.utf8 ${file}`,
  };
}

/**
 * UTF-16 without a byte order mark, by its first characters: most of them with a NUL as the high byte
 * and none as the low one (`j\0o\0b\0`, little-endian), as ASCII is. Most, not all: a `€` or a CJK
 * character among them has no NUL. Text in UTF-8 or Latin-1 has no NUL at all.
 */
function unmarkedUtf16(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  const head = bytes.subarray(0, Math.min(bytes.length, UTF16_SNIFF_BYTES) & ~1);
  const units = Array.from({ length: head.length / 2 }, (_, i) => [head[2 * i], head[2 * i + 1]]);
  const mostly = (isAscii: (unit: number[]) => boolean) => units.filter(isAscii).length * 2 > units.length;
  if (mostly(([low, high]) => low !== 0 && high === 0)) return 'utf-16le';
  if (mostly(([high, low]) => high === 0 && low !== 0)) return 'utf-16be';
  return undefined;
}

/** How much of a config's start tells UTF-16 without its mark: 128 characters. */
const UTF16_SNIFF_BYTES = 256;

/**
 * A `.json` config read as JSON, strictly: its data, or why it is no JSON at the line and column
 * where JSON.parse stopped, with the fix for what YAML would have taken (a comma after the last
 * item, an unquoted key, single quotes, a comment). A byte order mark before it is skipped.
 */
export function readJson(text: string): { data: unknown } | { problem: string } {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return { data: JSON.parse(body) };
  } catch (error) {
    return { problem: jsonProblem(body, (error as Error).message) };
  }
}

function jsonProblem(text: string, message: string): string {
  const yaml = yamlShape(text);
  if (yaml) return `line ${yaml.line}, column 1: this file is YAML (${yaml.what}); name it .yaml or .yml, or write JSON`;
  let at = jsonErrorOffset(text, message);
  // A word (`five`, `True`) is refused at the letter after the one a literal would start with: name the word.
  while (at > 0 && /\w/.test(text[at]) && /\w/.test(text[at - 1])) at--;
  const rest = text.slice(at);
  const before = text.slice(0, at).trimEnd();
  let what: string;
  if (/^\/[/*]/.test(rest)) what = `a ${rest.slice(0, 2)} comment: ${NO_JSON_COMMENTS}`;
  else if (rest.startsWith('#')) what = `a # comment: ${NO_JSON_COMMENTS}`;
  else if (/^[}\]]/.test(rest) && before.endsWith(',')) {
    at = before.length - 1;
    what = 'a comma after the last item: JSON takes none, remove it';
  } else if (rest.startsWith("'")) {
    const quoted = /^'([^'\n]*)'/.exec(rest);
    what = quoted ? `${quoted[0]} is in single quotes: JSON writes ${JSON.stringify(quoted[1])} (a .yaml config takes YAML)` : 'a single quote: JSON quotes with " (a .yaml config takes YAML)';
  } else if (/property name/.test(message) && /^[A-Za-z_$]/.test(rest)) {
    const key = /^[\w$-]+/.exec(rest)![0];
    what = `the key ${key} is not quoted: JSON writes "${key}" (a .yaml config takes YAML)`;
  } else if (/^\w/.test(rest)) {
    const word = /^\w+/.exec(rest)![0];
    what = `${word} is no JSON value: write a string in double quotes (${JSON.stringify(word)}), true, false and null in lower case`;
  } else what = message.replace(/ at position \d+.*$/s, '').replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
  const line = text.slice(0, at).split('\n').length;
  return `line ${line}, column ${at - text.lastIndexOf('\n', at - 1)}: ${what}`;
}

/**
 * A YAML config named `.json` (as earlier versions read one, and `init` wrote one): where it shows
 * it is YAML, its first `#` comment, when a `---` line or a bare `key:` line follows before any
 * other text (`{`, `[`, a quoted `"key":` line as JSON writes one); else that `---` or `key:` line.
 * Undefined when other text comes first (a comment in JSON is named where it stands).
 */
function yamlShape(text: string): { line: number; what: string } | undefined {
  const lines = text.split('\n');
  let first: { line: number; what: string } | undefined;
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) first ??= { line: i + 1, what: 'a # comment' };
    else if (/^---(?:\s|$)/.test(line)) return first ?? { line: i + 1, what: '--- starts a YAML document' };
    else {
      const key = /^([A-Za-z_][\w ./-]*?):(?:\s|$)/.exec(line)?.[1];
      return key === undefined ? undefined : (first ?? { line: i + 1, what: `${key}: is a key as YAML writes it` });
    }
  }
  return undefined;
}

/**
 * Where JSON.parse stopped: the position its message gives, else (Node 20's `Unexpected token 'x', "…"
 * is not valid JSON` gives none) the end of the shortest start of the text it refuses before its end.
 */
function jsonErrorOffset(text: string, message: string): number {
  const given = / at position (\d+)/.exec(message);
  if (given) return Number(given[1]);
  const refusedBefore = (end: number) => {
    try {
      JSON.parse(text.slice(0, end));
      return false;
    } catch (error) {
      const m = / at position (\d+)/.exec((error as Error).message);
      return m ? Number(m[1]) < end : !/end of JSON input/.test((error as Error).message);
    }
  };
  let [low, high] = [1, text.length];
  while (low < high) {
    const mid = (low + high) >> 1;
    if (refusedBefore(mid)) high = mid;
    else low = mid + 1;
  }
  return Math.max(low - 1, 0);
}

/** Each config problem as `key.path: message (line N)`, its path redacted, in line order. */
export function problemTexts(issues: readonly z.core.$ZodIssue[], redactor: Redactor, lineOf: ((path: PropertyKey[]) => number | undefined) | undefined): string[] {
  return issues
    .flatMap(unionDetail)
    .flatMap((issue) => {
      const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      // An unknown key's message is its line of the issue's (`configIssueMessage`), when it gave one a key.
      const perKey = issue.code === 'unrecognized_keys' ? issue.message.split('\n') : [];
      return paths.map((path, i) => {
        const at = path.length ? path.map((segment) => redactor.redactText(String(segment))).join('.') : '(top level)';
        const line = lineOf?.(path);
        const message = issue.code === 'unrecognized_keys' ? (perKey.length === paths.length ? perKey[i] : unknownKeyMessage(String(path[path.length - 1]), [])) : issue.message;
        return { text: `${at}: ${message}${line ? ` (line ${line})` : ''}`, line: line ?? 0 };
      });
    })
    .sort((a, b) => a.line - b.line)
    .map((p) => p.text);
}
