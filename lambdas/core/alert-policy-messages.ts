import type { Config } from '../config.ts';
import { DETECTOR_META } from '../detectors/index.ts';
import type { DetectorId } from '../detectors/ids.ts';
import { alertBody, controlsAsSpaces, fitLine, fitSubject } from './alert-format.ts';
import type { AlertKind, PendingNotice, PlannedAlert } from './alert-policy.ts';
import { createHash } from 'node:crypto';
import { type Finding, findingKey, isoTime, type Severity, type SubjectKind } from './findings.ts';
import { escapeControls } from './terminal-text.ts';
import { ruleWithEvidenceThresholds, ruleWithThresholds, thresholdsFor } from './report/thresholds.ts';
import { ownerOf } from './report/subjects.ts';
import { compareNames } from './name-order.ts';
import { ordinal } from './ordinal.ts';

/**
 * One message of the alert policy, composed for people (`title`, `text`) and for machines (`data`),
 * with the fields subscription filter policies route on (`kind`, `detector`, `severity`,
 * `subject`, `subject_kind`). A summary is about many subjects: its subject and detector are `multiple`.
 */
export interface AlertMessage {
  readonly kind: AlertKind;
  readonly subject: string;
  readonly subject_kind: SubjectKind | 'multiple';
  readonly detector: string;
  readonly severity: Severity;
  /** One line under 100 characters, for people (console, SMS). */
  readonly title: string;
  /** The title as the SNS `Subject`: printable ASCII under 100 characters, shortened as the title is, at the name (`fitSubject`). */
  readonly asciiTitle: string;
  /** The plain-text body for email. */
  readonly text: string;
  /** The JSON body for machine subscribers (SQS, Lambda, HTTPS). */
  readonly data: Readonly<Record<string, unknown>>;
  /** The findings it reports, the one it is about first. */
  readonly findings: readonly Finding[];
  /** Its subject's owner in the config, redacted (`ownerOf`): the `owner` attribute a team's filter policy routes on. */
  readonly owner?: string;
  /** A summary's: the owners of its items' subjects, each once (the `owners` String.Array attribute). */
  readonly owners?: readonly string[];
}

/** A message's subject's owner in the config (`ownerOf`, redacted) as `{ owner }`; none without a config or an owner. */
function ownerField(subject_kind: string, subject: string, config: Config | undefined): { owner?: string } {
  const owner = config ? ownerOf(subject_kind, subject, config) : undefined;
  return owner === undefined ? {} : { owner };
}

/** Version of `data`: bumped on an incompatible change, so consumers can tell. */
export const ALERT_DATA_VERSION = 1;

/** Text on one line: C0 controls and DEL (line breaks, tabs) as spaces, the other controls shown escaped (`escapeControls`: `\u202e`, `\x9b`), spaces collapsed. */
function clean(text: string): string {
  return escapeControls(controlsAsSpaces(text)).replace(/\s+/g, ' ').trim();
}

/**
 * `<head><name> <tail>` on one line under 100 characters, shortening the name (a subject) when needed
 * (`fitLine`). What comes from logs is `clean`: a name's C1 controls and bidi overrides are shown
 * escaped, so it cannot reorder the SMS or a chat message (`… \u202edeen noitca on ,KO`).
 */
export function fitTitle(head: string, name: string, tail = ''): string {
  return fitLine(controlsAsSpaces(head), clean(name), clean(tail), '…');
}

/** A message's title and its SNS Subject, both shortened at the name. */
function titles(head: string, name: string, tail = ''): { title: string; asciiTitle: string } {
  return { title: fitTitle(head, name, tail), asciiTitle: fitSubject(head, name, tail) };
}

/**
 * What an alert sent again after a send that was not confirmed (published or not, unknown: its
 * mark or settle was lost, or its invocation died) adds: its title and subject start with
 * `(possible repeat) `, its text with a note, its data has `possible_repeat`. A retry after a
 * refused send adds nothing: that send surely did not go out.
 */
const REPEAT_HEAD = '(possible repeat) ';

function repeatHead(alert: PlannedAlert): string {
  return alert.unconfirmedSendAt === undefined ? '' : REPEAT_HEAD;
}

function repeatNotes(alert: PlannedAlert): string[] {
  if (alert.unconfirmedSendAt === undefined) return [];
  return [`Possible repeat: a send of this alert at ${isoTime(alert.unconfirmedSendAt)} was not confirmed, so it is sent again; you may have it already.`];
}

function repeatData(alert: PlannedAlert): Record<string, unknown> {
  return alert.unconfirmedSendAt === undefined ? {} : { possible_repeat: { unconfirmed_send_at: isoTime(alert.unconfirmedSendAt) } };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `3 similar alerts suppressed since 2026-10-07T01:10:00Z (1 while snoozed or in maintenance)`, without a full stop. */
function heldText(suppressed: number, snoozed: number, since: string | undefined): string {
  const when = since !== undefined ? ` since ${since}` : '';
  const snoozedPart = snoozed > 0 ? ` (${snoozed} while snoozed or in maintenance)` : '';
  return `${plural(suppressed, 'similar alert')} suppressed${when}${snoozedPart}`;
}

/** `3 similar alerts suppressed since 2026-10-07T01:10:00Z (1 while snoozed or in maintenance).` */
export function suppressedNote(suppressed: number, snoozed: number, since: number | undefined): string | undefined {
  if (suppressed <= 0) return undefined;
  return `${heldText(suppressed, snoozed, since !== undefined ? isoTime(since) : undefined)}.`;
}

/**
 * A finding's rule and corrective action: the rule with the thresholds the finding was judged by in
 * place of its `{{key}}` marks (as its evidence keeps them, else as the config sets them), as the report writes it.
 * Without the config, those its evidence does not keep are said to be configured (`ruleWithEvidenceThresholds`).
 */
function guidanceFor(finding: Finding, config: Config | undefined) {
  const fiveCs = DETECTOR_META.get(finding.detector as DetectorId)?.fiveCs;
  if (!fiveCs) return undefined;
  const criteria = config
    ? ruleWithThresholds(fiveCs.criteria, thresholdsFor(finding.detector, finding.subject, config, [finding]), config)
    : ruleWithEvidenceThresholds(fiveCs.criteria, finding);
  return { criteria, correctiveAction: fiveCs.correctiveAction };
}

function baseData(kind: AlertKind, severity: Severity, detector: string, subject: string, subject_kind: string, title: string): Record<string, unknown> {
  return { version: ALERT_DATA_VERSION, kind, severity, detector, subject, subject_kind, title };
}

/**
 * A message's `id` (what a subscriber dedupes on: delivery is at least once, and a resend of the
 * message has the same) and `correlation_key` (`<subject_kind>#<subject>#<episode start>`, shared
 * by an episode's alerts and the recovery that closes it). An alert about a finding is named by the
 * finding's key (`<ts>#<detector>#<subject>#<run>`, its key in the findings table), a notice by its
 * subject and its own id (`job#etl#recovery@2026-10-07T04:00:00.000Z`). The episode starts when what
 * opened it happened; without a known start (a notice stored before it was kept), at the notice's or finding's time.
 */
function messageKeys(alert: PlannedAlert): { id: string; correlation_key: string } {
  const id = alert.candidate ? alert.candidate.key || findingKey(alert.candidate.finding) : `${alert.subject_kind}#${alert.subject}#${alert.notice!.id}`;
  return { id, correlation_key: `${alert.subject_kind}#${alert.subject}#${episodeSince(alert)}` };
}

/** When an alert's episode opened, as ISO text (what its `correlation_key` ends with). */
function episodeSince(alert: PlannedAlert): string {
  return isoTime(alert.episodeSince ?? (alert.candidate ? Date.parse(alert.candidate.finding.ts) : noticeEpisodeStart(alert.notice!)));
}

/** A summary's `id`: a digest of the ids of the alerts it sums up, in order, so a resend of the same summary has the same. */
function summaryId(alerts: readonly PlannedAlert[]): string {
  const ids = alerts.map((a) => messageKeys(a).id).sort();
  return `summary#${createHash('sha256').update(ids.join('\n'), 'utf8').digest('base64url').slice(0, 22)}`;
}

/**
 * A notice's time (`open_since`, `flapping_since`) as the ISO text every other time is written in:
 * a notice stored before they were written so (epoch milliseconds) is read too.
 */
function noticeTime(value: number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return isoTime(typeof value === 'number' ? value : Date.parse(value));
}

/** A notice's episode start when it did not keep one (stored before it was kept): a recovery's `open_since`, else the notice's time. */
function noticeEpisodeStart(notice: PendingNotice): number {
  const since = noticeTime(notice.detail.open_since);
  return since !== undefined ? Date.parse(since) : notice.at;
}

/**
 * The message of a planned alert (finding, escalation, flapping or recovery). A finding's rule is
 * written with the thresholds it was judged by; `config` gives those its evidence does not keep
 * (without it they are said to be configured, as `singleFindingMessage` says them, never a default).
 */
export function alertMessage(alert: PlannedAlert, config?: Config): AlertMessage {
  if (alert.candidate) return findingMessage(alert, config);
  const stored = alert.notice!;
  const notice = { ...stored, detail: { ...stored.detail } };
  for (const key of ['open_since', 'flapping_since']) {
    const time = noticeTime(notice.detail[key]);
    if (time !== undefined) notice.detail[key] = time;
  }
  const what = `${alert.subject_kind} "${escapeControls(alert.subject)}"`;
  const detectors = notice.detectors.length > 0 ? notice.detectors.join(', ') : 'none';
  let headline: { title: string; asciiTitle: string };
  let text: string;
  if (notice.kind === 'recovery') {
    const runs = Number(notice.detail.healthy_runs);
    headline = titles(`${repeatHead(alert)}[RECOVERED] `, alert.subject, `healthy for ${plural(runs, 'run')}`);
    const held = Number(notice.detail.suppressed ?? 0);
    text = [
      ...repeatNotes(alert),
      ...(alert.unconfirmedSendAt !== undefined ? [''] : []),
      `${what} is healthy again: ${plural(runs, 'healthy run')} in a row since its last failure.`,
      '',
      `Open since: ${notice.detail.open_since} (highest severity ${alert.severity})`,
      `Detectors:  ${detectors}`,
      ...(notice.detail.last_run_id ? [`Last run:   ${escapeControls(String(notice.detail.last_run_id))}`] : []),
      ...(held > 0 ? ['', `${plural(held, 'alert')} about it were held (cooldown, flapping or snooze) since the last one sent.`] : []),
      '',
      'The next failure alerts at once: the cooldown starts over.',
    ].join('\n');
  } else {
    const transitions = Number(notice.detail.transitions);
    headline = titles(`${repeatHead(alert)}[${alert.severity.toUpperCase()}] flapping: `, alert.subject, `(${transitions} switches in 24 h)`);
    const held = Number(notice.detail.suppressed ?? 0);
    text = [
      ...repeatNotes(alert),
      ...(alert.unconfirmedSendAt !== undefined ? [''] : []),
      `${what} is flapping: it switched between healthy and failing ${transitions} times within 24 hours.`,
      '',
      'Its findings are stored but not alerted one by one until it settles (fewer than half as many switches in 24 hours);',
      'a reminder comes at most once per alert cooldown while it goes on.',
      '',
      `Detectors: ${detectors}`,
      ...(notice.detail.flapping_since !== undefined ? [`Flapping since: ${notice.detail.flapping_since}`] : []),
      ...(held > 0 ? [`${plural(held, 'alert')} held since the last notice.`] : []),
    ].join('\n');
  }
  const { title } = headline;
  const owned = ownerField(alert.subject_kind, alert.subject, config);
  return {
    kind: alert.kind,
    subject: alert.subject,
    subject_kind: alert.subject_kind,
    detector: alert.detector,
    severity: alert.severity,
    ...headline,
    text,
    ...owned,
    data: { ...baseData(alert.kind, alert.severity, alert.detector, alert.subject, alert.subject_kind, title), ...owned, ...messageKeys(alert), text, notice: { id: notice.id, at: isoTime(notice.at), detectors: notice.detectors, ...notice.detail }, ...repeatData(alert) },
    findings: [],
  };
}

function findingMessage(alert: PlannedAlert, config: Config | undefined): AlertMessage {
  const finding = { ...alert.candidate!.finding, severity: alert.severity };
  const escalated = alert.kind === 'escalation';
  const tail = escalated ? `(${alert.streak ?? 0} in a row)` : '';
  const headline = titles(`${repeatHead(alert)}[${alert.severity.toUpperCase()}] ${clean(finding.detector)}: `, finding.subject, tail);
  const { title } = headline;
  const notes = [
    ...repeatNotes(alert),
    ...(escalated
      ? [`Escalated: the ${ordinal(alert.streak ?? 0)} ${finding.detector} finding in a row for this ${finding.subject_kind}, with no healthy run in between (severity raised to ${alert.severity}).`]
      : []),
    ...(alert.coalesced > 0 ? [`${plural(alert.coalesced, 'more finding')} like it in the same delivery, stored and not alerted one by one.`] : []),
    suppressedNote(alert.suppressed, alert.snoozed, alert.since),
  ].filter((n): n is string => n !== undefined);
  const body = alertBody(finding, guidanceFor(finding, config));
  const text = notes.length > 0 ? `${notes.join('\n')}\n\n${body}` : body;
  const owned = ownerField(finding.subject_kind, finding.subject, config);
  return {
    kind: alert.kind,
    subject: finding.subject,
    subject_kind: finding.subject_kind,
    detector: finding.detector,
    severity: alert.severity,
    ...headline,
    text,
    ...owned,
    data: {
      ...baseData(alert.kind, alert.severity, finding.detector, finding.subject, finding.subject_kind, title),
      ...owned,
      ...messageKeys(alert),
      text,
      finding,
      ...(alert.suppressed > 0 ? { suppressed: { count: alert.suppressed, snoozed: alert.snoozed, ...(alert.since !== undefined ? { since: isoTime(alert.since) } : {}) } } : {}),
      ...(alert.coalesced > 0 ? { coalesced: alert.coalesced } : {}),
      ...(escalated ? { escalation: { in_a_row: alert.streak ?? 0 } } : {}),
      ...repeatData(alert),
    },
    findings: [finding],
  };
}

/**
 * The plain alert of one finding, as the policy's first alert for it would read: its rule with the
 * config's thresholds, or without a config only those its evidence keeps (never the defaults, which the config may not keep).
 */
export function singleFindingMessage(finding: Finding, config?: Config): AlertMessage {
  return findingMessage({ kind: 'finding', subject: finding.subject, subject_kind: finding.subject_kind, detector: finding.detector, severity: finding.severity, at: Date.parse(finding.ts), candidate: { key: findingKey(finding), finding }, suppressed: 0, snoozed: 0, coalesced: 0, retry: false }, config);
}

/** How many detector × subject lines a summary's text lists, the most urgent first: a storm over hundreds of subjects stays readable. */
export const MAX_SUMMARY_LINES = 50;

/**
 * One detector × subject pair of a storm summary (`data.items`), by kind (an escalation apart from
 * the pair's plain alerts): how many alerts it held back (`count`; the items' counts add up to the
 * summary's), how many more findings of the delivery those alerts took in (`coalesced`, as an
 * alert's `data.coalesced`), and how many similar ones the cooldown, flapping or a snooze held
 * before them (`suppressed`, as an alert's `data.suppressed`): those were counted for these alerts,
 * which the summary reports instead.
 */
export interface SummaryItem {
  readonly detector: string;
  readonly subject: string;
  readonly subject_kind: string;
  readonly kind: AlertKind;
  readonly severity: Severity;
  /** Its subject's owner in the config, redacted (`ownerOf`), when it has one. */
  readonly owner?: string;
  /** When the episode its alerts belong to opened (a recovery: the one it closes): their messages' `correlation_key` is `<subject_kind>#<subject>#<episode_since>`. */
  readonly episode_since: string;
  readonly count: number;
  readonly coalesced?: number;
  readonly suppressed?: { readonly count: number; readonly snoozed: number; readonly since?: string };
  /** How many of its alerts were sent before by a send that was not confirmed: they may be repeats. */
  readonly possible_repeats?: number;
}

/** How a summary names an alert's detector × subject pair (an escalation or a notice by its kind). */
function pairLabel(a: Pick<SummaryItem, 'kind' | 'detector' | 'subject' | 'subject_kind'>): string {
  return `${a.kind === 'finding' ? a.detector : `${a.kind} (${a.detector})`} × ${a.subject_kind} "${escapeControls(a.subject)}"`;
}

/** How many of a summary's possible repeats its note names, each with its unconfirmed send's time. */
const MAX_REPEATS_NAMED = 10;

/** A summary's note naming its alerts sent before by a send that was not confirmed; none when there are none. */
function summaryRepeatNotes(alerts: readonly PlannedAlert[]): string[] {
  const repeated = alerts.filter((a) => a.unconfirmedSendAt !== undefined);
  if (repeated.length === 0) return [];
  const one = repeated.length === 1;
  const named = repeated.slice(0, MAX_REPEATS_NAMED).map((a) => `${pairLabel(a)} (at ${isoTime(a.unconfirmedSendAt!)})`);
  const more = repeated.length > MAX_REPEATS_NAMED ? `, and ${repeated.length - MAX_REPEATS_NAMED} more` : '';
  return [`Possible repeat: ${plural(repeated.length, 'alert')} of these ${one ? 'was' : 'were'} sent before by a send that was not confirmed, so you may have ${one ? 'it' : 'them'} already: ${named.join(', ')}${more}.`];
}

const SEVERITY_ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** The order of a summary's items and lines: the most urgent first, then the most alerts, then by detector and subject. */
function byUrgency(a: SummaryItem, b: SummaryItem): number {
  return SEVERITY_ORDER.indexOf(b.severity) - SEVERITY_ORDER.indexOf(a.severity) || b.count - a.count || a.detector.localeCompare(b.detector) || compareNames(a.subject, b.subject);
}

/** Two items of one pair (two episodes) as one: their counts added up, the higher severity, the earlier `since`; the first's `episode_since`. */
function mergedItem(a: SummaryItem, b: SummaryItem): SummaryItem {
  const coalesced = (a.coalesced ?? 0) + (b.coalesced ?? 0);
  const repeats = (a.possible_repeats ?? 0) + (b.possible_repeats ?? 0);
  const [x, y] = [a.suppressed, b.suppressed];
  const since = x?.since !== undefined && y?.since !== undefined ? (x.since < y.since ? x.since : y.since) : (x?.since ?? y?.since);
  const suppressed = x && y ? { count: x.count + y.count, snoozed: x.snoozed + y.snoozed, ...(since !== undefined ? { since } : {}) } : (x ?? y);
  const severity = SEVERITY_ORDER.indexOf(b.severity) > SEVERITY_ORDER.indexOf(a.severity) ? b.severity : a.severity;
  const { coalesced: _c, suppressed: _s, possible_repeats: _r, ...item } = a;
  return { ...item, severity, count: a.count + b.count, ...(coalesced > 0 ? { coalesced } : {}), ...(suppressed ? { suppressed } : {}), ...(repeats > 0 ? { possible_repeats: repeats } : {}) };
}

/** A summary's items one per detector × subject pair, as its text lists them: a pair's episodes (an item each) together. */
function pairItems(items: readonly SummaryItem[]): readonly SummaryItem[] {
  const pairs = new Map<string, SummaryItem>();
  for (const item of items) {
    const pair = `${item.kind}|${item.detector}|${item.subject_kind}|${item.subject}`;
    const seen = pairs.get(pair);
    pairs.set(pair, seen ? mergedItem(seen, item) : item);
  }
  return pairs.size === items.length ? items : [...pairs.values()].sort(byUrgency);
}

/** A summary's items as its text lists them, indented, one line per detector × subject pair: at most MAX_SUMMARY_LINES, then how many more. */
export function summaryItemLines(episodeItems: readonly SummaryItem[]): string[] {
  const items = pairItems(episodeItems);
  return [
    ...items
      .slice(0, MAX_SUMMARY_LINES)
      .map(
        (g) =>
          `  ${pairLabel(g)}: ${g.count} (${g.severity})` +
          (g.coalesced ? `; ${plural(g.coalesced, 'more finding')} like it in the same delivery` : '') +
          (g.suppressed && g.suppressed.count > 0 ? `; ${heldText(g.suppressed.count, g.suppressed.snoozed, g.suppressed.since)}` : ''),
      ),
    ...(items.length > MAX_SUMMARY_LINES ? [`  … and ${plural(items.length - MAX_SUMMARY_LINES, 'more detector × subject pair')}.`] : []),
  ];
}

/**
 * The one message for the alerts beyond the storm cap, counted by detector × subject. Its severity
 * (title and the `severity` attribute filter policies route on) is the highest of the findings,
 * escalations and flapping notices it sums up: a pager filtering on `kind` and `severity` gets the
 * summary that holds a critical escalation. Recovery notices are good news and do not raise it: a
 * summary of recoveries alone is `low`.
 */
export function summaryMessage(alerts: readonly PlannedAlert[], cap: number, config?: Config): AlertMessage {
  const groups = new Map<string, { -readonly [K in keyof SummaryItem]: SummaryItem[K] } & { folded: number; held: number; snoozed: number; repeats: number; since?: number }>();
  let severity: Severity = 'low';
  for (const a of alerts) {
    if (a.kind !== 'recovery' && SEVERITY_ORDER.indexOf(a.severity) > SEVERITY_ORDER.indexOf(severity)) severity = a.severity;
    const episode_since = episodeSince(a);
    const id = `${a.kind}|${a.detector}|${a.subject_kind}|${a.subject}|${episode_since}`;
    const g = groups.get(id) ?? { detector: a.detector, subject: a.subject, subject_kind: a.subject_kind, kind: a.kind, severity: a.severity, ...ownerField(a.subject_kind, a.subject, config), episode_since, count: 0, folded: 0, held: 0, snoozed: 0, repeats: 0 };
    g.count++;
    if (a.unconfirmedSendAt !== undefined) g.repeats++;
    g.folded += a.coalesced;
    g.held += a.suppressed;
    g.snoozed += a.snoozed;
    if (a.suppressed > 0 && a.since !== undefined && !(g.since !== undefined && g.since <= a.since)) g.since = a.since;
    if (SEVERITY_ORDER.indexOf(a.severity) > SEVERITY_ORDER.indexOf(g.severity)) g.severity = a.severity;
    groups.set(id, g);
  }
  const items: SummaryItem[] = [...groups.values()]
    .sort(byUrgency)
    .map(({ folded, held, snoozed, repeats, since, ...item }) => ({
      ...item,
      ...(folded > 0 ? { coalesced: folded } : {}),
      ...(held > 0 ? { suppressed: { count: held, snoozed, ...(since !== undefined ? { since: isoTime(since) } : {}) } } : {}),
      ...(repeats > 0 ? { possible_repeats: repeats } : {}),
    }));
  const owners = [...new Set(items.flatMap((i) => (i.owner === undefined ? [] : [i.owner])))].sort();
  // Only recoveries: good news, titled as a recovery is, not as a LOW alert.
  const onlyRecoveries = alerts.length > 0 && alerts.every((a) => a.kind === 'recovery');
  // Alerts of it sent before by a send that was not confirmed: the summary may repeat them, and names
  // them; it is titled a possible repeat only when all its alerts are (a fresh one must not look like one).
  const repeatNote = summaryRepeatNotes(alerts);
  const repeats = alerts.filter((a) => a.unconfirmedSendAt !== undefined).length;
  const repeatsHead = repeats > 0 && repeats === alerts.length ? REPEAT_HEAD : '';
  const headline = onlyRecoveries
    ? titles(`${repeatsHead}[RECOVERED] silent-audit: `, `${plural(alerts.length, 'more recovery', 'more recoveries')}`, `(storm cap ${cap})`)
    : titles(`${repeatsHead}[${severity.toUpperCase()}] silent-audit: `, `${plural(alerts.length, 'more alert')}`, `(storm cap ${cap})`);
  const { title } = headline;
  const text = [
    `More than ${plural(cap, 'alert')} in one delivery: ${cap === 1 ? 'the most urgent one went out on its own' : `the ${cap} most urgent went out one by one`}, ${alerts.length === 1 ? 'this one is' : `these ${alerts.length} are`} summed up here.`,
    'Every finding is stored; `silent-audit report` and the findings table hold the details.',
    ...repeatNote,
    '',
    'By detector × subject:',
    ...summaryItemLines(items),
  ].join('\n');
  return {
    kind: 'summary',
    subject: 'multiple',
    subject_kind: 'multiple',
    detector: 'multiple',
    severity,
    ...headline,
    text,
    ...(owners.length > 0 ? { owners } : {}),
    data: { ...baseData('summary', severity, 'multiple', 'multiple', 'multiple', title), ...(owners.length > 0 ? { owners } : {}), id: summaryId(alerts), text, storm_cap: cap, alerts: alerts.length, items, ...(repeats > 0 ? { possible_repeats: repeats } : {}) },
    findings: alerts.flatMap((a) => (a.candidate ? [a.candidate.finding] : [])),
  };
}

/**
 * The finding an alert or escalation is about, with the message's severity and notes (`evidence.alert_kind`
 * says which); undefined for a notice or a summary, which are about no one finding.
 */
export function alertFinding(message: AlertMessage): Finding | undefined {
  const first = message.findings[0];
  if ((message.kind !== 'finding' && message.kind !== 'escalation') || !first) return undefined;
  const notes = message.text.split('\n\n')[0];
  const extra = notes !== message.text && !notes.startsWith(first.detector) ? ` [${notes.replace(/\n/g, ' ')}]` : '';
  return { ...first, severity: message.severity, message: `${first.message}${extra}`, evidence: { ...first.evidence, alert_kind: message.kind } };
}

/**
 * A message as a finding, for sinks that only publish findings (`AlertSink.publish`): the finding
 * it is about with the message's severity and notes, or, for a notice or summary, a record under
 * the detector of the episode with the title as message. Undefined when no detector is known.
 */
export function messageAsFinding(message: AlertMessage, now: number): Finding | undefined {
  const alert = alertFinding(message);
  if (alert) return alert;
  const first = message.findings[0];
  const detector = first?.detector ?? (DETECTOR_META.has(message.detector as DetectorId) ? (message.detector as DetectorId) : undefined);
  if (detector === undefined) return undefined;
  return {
    detector,
    subject: message.subject,
    subject_kind: message.subject_kind === 'multiple' ? (first?.subject_kind ?? 'job') : message.subject_kind,
    ts: isoTime(now),
    severity: message.severity,
    message: message.title,
    evidence: { alert_kind: message.kind },
  };
}
