import { type Config, DEFAULT_CONFIG, defaultsSetIn } from '../../config.ts';
import { RETRY_LATENCY_FACTOR } from '../../detectors/retry-latency.ts';
import type { Finding, Severity } from '../findings.ts';
import { ownValue } from '../own-property.ts';
import { happenedAt, ownBudgetAgentOf } from './evidence.ts';
import { formatPercent } from './format.ts';
import { isoSecond } from './month.ts';
import type { ThresholdAppendix, ThresholdUsed } from './model.ts';
import { ownerKeyOf } from './subjects.ts';
import { compareNames } from '../name-order.ts';

/** Days from the report date to an open group's due date. */
export const DUE_DAYS: Readonly<Record<Severity, number>> = { critical: 3, high: 7, medium: 14, low: 30 };

/** Marks the config's value beside the values findings were judged by: none was judged by it (`asJudged`). */
const CURRENT_ONLY = ', current';

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return value.length ? value.map(show).join(', ') : '(none)';
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length ? entries.map(([k, v]) => `${k}: ${show(v)}`).join('; ') : '(none)';
  }
  return String(value);
}

function used(key: string, value: unknown, source: string): ThresholdUsed {
  return { key, value: show(value), source };
}

/** A key of the subject's own section when set, else the default. */
function ownOrDefault<K extends keyof Config['defaults']>(
  config: Config,
  own: Record<string, unknown> | undefined,
  ownSource: string,
  key: K,
): ThresholdUsed {
  const value = own?.[key];
  return value !== undefined ? used(key, value, ownSource) : used(key, config.defaults[key], 'defaults');
}

/** Reads a threshold a detector stored in a finding's evidence; undefined when it is not there. */
type EvidenceThreshold = (evidence: Readonly<Record<string, unknown>>) => unknown;

const evidenceKey =
  (key: string): EvidenceThreshold =>
  (e) =>
    e[key];

/** Per detector: each threshold key of `thresholdsFor` and where the detector keeps the value it judged by in a finding's evidence. */
const IN_EVIDENCE: Readonly<Record<string, Readonly<Record<string, EvidenceThreshold>>>> = {
  'output-shrink': { output_shrink_ratio: evidenceKey('ratio') },
  'duration-slow': { duration_slow_factor: evidenceKey('factor') },
  'duration-fast': { duration_fast_factor: evidenceKey('factor') },
  'expected-pattern-missing': { expect_pattern: evidenceKey('pattern') },
  'missed-run': { schedule: evidenceKey('schedule'), timezone: evidenceKey('timezone'), grace_minutes: evidenceKey('grace_minutes') },
  // Only a configured limit: a learned one is the config's "3× the median duration".
  'run-unfinished': {
    max_runtime_minutes: (e) => (e.max_runtime_source === 'configured' && typeof e.max_runtime_ms === 'number' ? e.max_runtime_ms / 60_000 : undefined),
  },
  'audit-trail-drift': { audit_records_per_run: (e) => (e.basis === 'configured' ? e.expected_per_run : undefined) },
  'budget-exceeded': { 'budget.max_actions': evidenceKey('max_actions'), 'budget.max_cost_usd': evidenceKey('max_cost_usd'), 'budget.scope': evidenceKey('scope') },
  'cost-outlier': { cost_outlier_factor: evidenceKey('factor') },
  'retry-rate': { retry_rate_max: evidenceKey('max_rate'), retry_min_requests: evidenceKey('min_requests') },
  'retry-latency': { p99_ms: evidenceKey('p99_ms') },
};

/** `2026-10-01 to 2026-10-14`, or the one day. */
function daysText(first: string, last: string): string {
  return first === last ? first : `${first} to ${last}`;
}

/**
 * The thresholds as the findings were judged: a finding keeps in its evidence the value its
 * detector applied (a schedule, a grace, a limit), which may not be the config's today. Each
 * distinct value is shown, with the days it applied when there were several; a finding whose
 * evidence lacks it counts under the config's value. The config's value, when no finding was
 * judged by it, follows, labelled current.
 */
function asJudged(detector: string, fromConfig: ThresholdUsed[], findings: readonly Finding[]): ThresholdUsed[] {
  const readers = Object.hasOwn(IN_EVIDENCE, detector) ? IN_EVIDENCE[detector] : undefined;
  if (!readers || findings.length === 0) return fromConfig;
  // When each happened, read once: oldest first, with its day.
  const ordered = findings.map((f) => {
    const at = happenedAt(f);
    return { f, at, day: isoSecond(at).slice(0, 10) };
  }).sort((a, b) => a.at - b.at);
  const out: ThresholdUsed[] = [];
  const keys = [...fromConfig.map((t) => t.key), ...Object.keys(readers).filter((k) => !fromConfig.some((t) => t.key === k))];
  for (const key of [...new Set(keys)]) {
    const configured = fromConfig.filter((t) => t.key === key);
    const read = Object.hasOwn(readers, key) ? readers[key] : undefined;
    // A key that appears twice from the config (retry-latency's p99_ms) or that no evidence keeps: as the config says.
    if (!read || configured.length > 1) {
      out.push(...configured);
      continue;
    }
    const current = configured[0];
    const seen = new Map<string, { value: string; source: string; first: string; last: string }>();
    for (const { f, day } of ordered) {
      const raw = f.evidence ? read(f.evidence) : undefined;
      const value = raw !== undefined ? show(raw) : current?.value;
      if (value === undefined) continue;
      // A value the config still sets is named by its source; one it no longer sets, as the findings were judged.
      const source = current !== undefined && value === current.value ? current.source : 'as judged';
      const id = `${source}\u0000${value}`;
      const s = seen.get(id);
      if (s) s.last = day;
      else seen.set(id, { value, source, first: day, last: day });
    }
    const values = [...seen.values()];
    if (values.length === 0 || (values.length === 1 && current !== undefined && values[0].value === current.value)) {
      if (current) out.push(current);
      continue;
    }
    for (const v of values) out.push({ key, value: v.value, source: values.length > 1 ? `${v.source} ${daysText(v.first, v.last)}` : v.source });
    if (current && !values.some((v) => v.value === current.value)) out.push({ ...current, source: `${current.source}${CURRENT_ONLY}` });
  }
  return out;
}

/**
 * The thresholds a detector judged a subject by, for the report's Criteria: as the group's
 * findings' evidence keeps them (each value and the days it applied, the config's current value
 * beside when it differs), else as the config sets them (the subject's own section first, then
 * `defaults`). A detector this version does not know gets none; its evidence still shows what it measured.
 */
export function thresholdsFor(detector: string, subject: string, config: Config, findings: readonly Finding[] = []): ThresholdUsed[] {
  if (detector === 'budget-exceeded') return budgetThresholds(subject, config, findings);
  return asJudged(detector, configuredThresholds(detector, subject, config), findings);
}

/** Where a sub-agent's own configured budget is named, beside its key. */
const SUB_AGENT_OWN = 'sub-agent’s own';

/**
 * budget-exceeded's thresholds: the tree's budget (its root agent's) as the findings on its root
 * runs were judged, and each sub-agent's own budget as the findings it was held to were
 * (`ownBudgetAgentOf`), under its own key (`agents.researcher.budget.max_actions`, or
 * `budget.max_actions` from the sub-agent's `agent.start`), beside its own config's value only:
 * the root's budget is not a current value of the sub-agent's. The root's budget judged none of a
 * group whose findings are all sub-agents': it is left out then.
 */
function budgetThresholds(subject: string, config: Config, findings: readonly Finding[]): ThresholdUsed[] {
  const detector = 'budget-exceeded';
  const onRoots = findings.filter((f) => ownBudgetAgentOf(f) === undefined);
  const out = onRoots.length > 0 || findings.length === 0 ? asJudged(detector, configuredThresholds(detector, subject, config), onRoots) : [];
  const bySubAgent = new Map<string, { agent: string; started: boolean; findings: Finding[] }>();
  for (const f of findings) {
    const agent = ownBudgetAgentOf(f);
    if (agent === undefined) continue;
    const started = f.evidence?.budget_source === 'event';
    const id = `${agent}\u0000${started}`;
    const held = bySubAgent.get(id) ?? bySubAgent.set(id, { agent, started, findings: [] }).get(id)!;
    held.findings.push(f);
  }
  for (const [, held] of [...bySubAgent].sort(([a], [b]) => compareNames(a, b))) out.push(...subAgentThresholds(held.agent, held.started, config, held.findings));
  return out;
}

/** A sub-agent's own budget as its findings were held to it: its `agent.start`'s, or its config's under its key (the config's value today beside, when it changed). */
function subAgentThresholds(agent: string, started: boolean, config: Config, findings: readonly Finding[]): ThresholdUsed[] {
  const detector = 'budget-exceeded';
  if (started) return asJudged(detector, [], findings).map((t) => ({ ...t, source: t.source.replace('as judged', `${agent}’s agent.start`) }));
  const configured = ownValue(config.agents, agent)?.budget ? configuredThresholds(detector, agent, config).map((t) => ({ ...t, source: SUB_AGENT_OWN })) : [];
  // `agents.researcher.budget.max_actions`: the key beside the sub-agent's owner key, its name quoted as that one's is.
  const keyPrefix = ownerKeyOf('agent', agent).slice(0, -'owner'.length);
  return asJudged(detector, configured, findings).map((t) => ({ ...t, key: `${keyPrefix}${t.key}` }));
}

/** The thresholds a detector judges a subject by, as the config sets them today. */
function configuredThresholds(detector: string, subject: string, config: Config): ThresholdUsed[] {
  const d = config.defaults;
  const job = ownValue(config.jobs, subject) as Record<string, unknown> | undefined;
  const jobSource = `jobs.${subject}`;
  const route = ownValue(config.routes, subject) as Record<string, unknown> | undefined;
  const agent = ownValue(config.agents, subject);
  const baseline = [ownOrDefault(config, job, jobSource, 'min_history'), used('baseline_window', d.baseline_window, 'defaults')];
  switch (detector) {
    case 'output-shrink':
      return [ownOrDefault(config, job, jobSource, 'output_shrink_ratio'), ...baseline];
    case 'duration-slow':
      return [used('duration_slow_factor', d.duration_slow_factor, 'defaults'), ...baseline];
    case 'duration-fast':
      return [used('duration_fast_factor', d.duration_fast_factor, 'defaults'), ...baseline];
    case 'error-keyword':
      return [job?.error_keywords !== undefined ? used('error_keywords', job.error_keywords, jobSource) : used('error_keywords', d.error_keywords, 'defaults')];
    case 'expected-pattern-missing':
      return job?.expect_pattern !== undefined ? [used('expect_pattern', job.expect_pattern, jobSource)] : [];
    case 'missed-run':
      return [
        ...(job?.schedule !== undefined ? [used('schedule', job.schedule, jobSource)] : []),
        used('timezone', job?.timezone ?? 'UTC', job?.timezone !== undefined ? jobSource : 'built-in'),
        ownOrDefault(config, job, jobSource, 'grace_minutes'),
      ];
    case 'run-unfinished':
      return [
        job?.max_runtime_minutes !== undefined
          ? used('max_runtime_minutes', job.max_runtime_minutes, jobSource)
          : used('max_runtime_minutes', '3× the median duration, at least 60', 'built-in'),
      ];
    case 'audit-trail-drift':
      return [
        job?.audit_records_per_run !== undefined
          ? used('audit_records_per_run', job.audit_records_per_run, jobSource)
          : used('audit_records_per_run', 'learned from the job’s runs', 'built-in'),
        ownOrDefault(config, job, jobSource, 'min_history'),
      ];
    case 'budget-exceeded':
      return agent?.budget
        ? Object.entries(agent.budget)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => used(`budget.${k}`, v, `agents.${subject}`))
        : [used('budget', 'none configured (the run’s own budget from agent.start)', 'built-in')];
    case 'cost-outlier':
      return [
        agent?.cost_outlier_factor !== undefined ? used('cost_outlier_factor', agent.cost_outlier_factor, `agents.${subject}`) : used('cost_outlier_factor', d.cost_outlier_factor, 'defaults'),
        used('min_history', d.min_history, 'defaults'),
      ];
    case 'retry-rate':
      return [ownOrDefault(config, route, `routes.${subject}`, 'retry_rate_max'), used('retry_min_requests', d.retry_min_requests, 'defaults')];
    case 'retry-latency':
      // The detector applies both limits: the route's p99_ms when set, and the multiple of single attempts (0: off).
      return [
        ...(route?.p99_ms !== undefined ? [used('p99_ms', route.p99_ms, `routes.${subject}`)] : []),
        route?.retry_latency_factor !== undefined ? used('retry_latency_factor', route.retry_latency_factor, `routes.${subject}`) : used('retry_latency_factor', RETRY_LATENCY_FACTOR, 'built-in'),
      ];
    case 'tool-arg-invalid': {
      const tool = ownValue(config.tools, subject);
      return [tool && Object.keys(tool.args).length ? used('args', tool.args, `tools.${subject}`) : used('args', 'inferred from argument names', 'built-in')];
    }
    case 'guard-exception-expired':
    case 'guard-bypass-unregistered':
      return [used('max_exception_days', d.max_exception_days, 'defaults')];
    default:
      return [];
  }
}

/** A threshold named in a detector's rule text: `{{key}}` as the value, `{{key%}}` as a percentage; with the `×` after it, if any. */
const RULE_THRESHOLD = /\{\{([a-z_.]+)(%?)\}\}(×?)/g;

/**
 * A detector's rule with the thresholds it was judged by in place of its `{{key}}` marks: each
 * distinct value of the key among them (`2 or 3` when it changed), else the config's default. The
 * config's current value that judged none of the findings is not one of them.
 */
export function ruleWithThresholds(rule: string, thresholds: readonly ThresholdUsed[], config: Config): string {
  return fillRule(rule, (key) => {
    const values = [...new Set(thresholds.filter((t) => t.key === key && !t.source.endsWith(CURRENT_ONLY)).map((t) => t.value))];
    const fallback = (config.defaults as Record<string, unknown>)[key];
    return values.length ? values : fallback !== undefined ? [show(fallback)] : undefined;
  });
}

/** A rule's `{{key}}` marks filled with the values `valuesOf` gives a key (`2 or 3`), as percentages for `{{key%}}`; a mark left as it is, or as `unknown` writes it, when it gives none. */
function fillRule(rule: string, valuesOf: (key: string) => readonly string[] | undefined, unknown?: (mark: string, rule: string, at: number) => string): string {
  return rule.replace(RULE_THRESHOLD, (mark, key: string, percent: string, times: string, at: number) => {
    const values = valuesOf(key);
    if (!values) return unknown ? unknown(mark, rule, at) : mark;
    return values.map((v) => (percent && Number.isFinite(Number(v)) ? formatPercent(Number(v)) : v)).join(' or ') + times;
  });
}

/**
 * A finding's rule with the thresholds its evidence keeps (`IN_EVIDENCE`), when no config is known
 * to give the others: those are said to be configured, never a default the config may not keep
 * (every rule names the key beside its mark). `({{min_history}})` reads `(as configured)`,
 * `{{factor}}×` `the configured multiple`, `{{ratio%}}` `the configured share`, others `the configured number`.
 */
export function ruleWithEvidenceThresholds(rule: string, finding: Finding): string {
  const readers = Object.hasOwn(IN_EVIDENCE, finding.detector) ? IN_EVIDENCE[finding.detector] : {};
  return fillRule(
    rule,
    (key) => {
      const value = Object.hasOwn(readers, key) && finding.evidence ? readers[key](finding.evidence) : undefined;
      return value === undefined ? undefined : [show(value)];
    },
    (mark, text, at) => {
      if (mark.endsWith('×')) return 'the configured multiple';
      if (text[at - 1] === '(' && text[at + mark.length] === ')') return 'as configured';
      return mark.endsWith('%}}') ? 'the configured share' : 'the configured number';
    },
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Every default (marked built-in when the config does not set it: one it sets is its own, whatever
 * the value) and every per-subject override, for the appendix.
 */
export function thresholdAppendix(config: Config, rules: ThresholdAppendix['rules']): ThresholdAppendix {
  const builtIn = DEFAULT_CONFIG.defaults as Record<string, unknown>;
  // A config validateConfig did not read says nothing of what it set: then a built-in value is taken as built-in.
  const written = defaultsSetIn(config);
  const defaults = Object.entries(config.defaults).map(([key, value]) => ({
    key,
    value: show(value),
    builtIn: written ? !written.has(key) : sameValue(value, builtIn[key]),
  }));
  const overrides: ThresholdUsed[] = [];
  const section = (name: string, entries: Record<string, Record<string, unknown> | undefined>, skip: readonly string[]) => {
    for (const [subject, own] of Object.entries(entries).sort(([a], [b]) => compareNames(a, b))) {
      for (const [key, value] of Object.entries(own ?? {})) {
        if (value === undefined || skip.includes(key)) continue;
        overrides.push(used(key, value, `${name}.${subject}`));
      }
    }
  };
  section('jobs', config.jobs, ['owner']);
  section('agents', config.agents, ['owner']);
  section('routes', config.routes, ['owner']);
  section('tools', config.tools, ['owner']);
  return { defaults, overrides, dueDays: DUE_DAYS, rules };
}
