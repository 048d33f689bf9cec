import type { AuditEvent, CronOutputLine, CronRunEnded, CronRunFailed, OutputDiscarded, RunEnd, RunStart } from './events.ts';
import { expectPatternsOf } from './job-options.ts';
import { CRON_LINE_FORMATS, cronFailureCanEnd, cronFailureEnd, type CronieOutput, cronieRunEnd, type CronieRunOutput, DISCARD_WINDOW_MS, exitUnknown, withCronieLine } from './job-reducer.ts';
import { cronRunId, UNKNOWN_HOST } from './parse/run-ids.ts';
import type { Reduction, SubjectReducer } from './pipeline.ts';
import { partitionPoint } from './stats.ts';

/**
 * Which cron job a "(CRON) info (No MTA installed, discarding output)" line belongs to, across
 * batches. cron writes that line when the job ends, from the cron process that forked the job
 * (its pid is the job's CMD line's pid − 1), so it often comes in a later delivery than the CMD
 * line, or more than 10 minutes after it: the job reducer's `enrich` sees only its own batch.
 * This reducer keeps each host's recent CMD lines (`cronhost#<host>`), gives a discard line that
 * `enrich` left without a job to the job whose CMD pid is the line's pid + 1 (else, as `enrich`
 * does, to the host's latest CMD within 10 minutes before it), and hands it, with its job, to the
 * job reducer (`Reduction.handOff`). Debian cron's exit status line (`cron.failed`) that `enrich`
 * left goes, as its run's end, to the run of the latest kept CMD line with the pid it names, unless
 * that line is older than its failure window (`cronFailureCanEnd`). So does cronie's `CMDEND` line
 * (`cron.end`) that `enrich` left, with the output the `CMDOUT` lines of its pid logged since its CMD
 * line, in any delivery (`outputs`: bounded, as a `run.end` holds it).
 */

export const CRON_HOST_STATE_KIND = 'cronhost';

/** A cron `CMD` line: the job the cron child with this pid ran, and when it started. */
export interface CronStart {
  readonly at: number;
  readonly pid: number;
  readonly job: string;
  /** Its run was ended by cronie's `CMDEND`: a CMDOUT line of it delivered again is output of a run done with. */
  readonly ended?: true;
  /**
   * The output its CMDOUT lines logged so far was let go (past MAX_OUTPUTS or MAX_OUTPUTS_JSON_BYTES): its
   * later lines are not kept (the key's body after a BEGIN let go among them), and its end has no output known.
   */
  readonly outputLost?: true;
}

/** A discard line given to a job: delivered again, it goes to the same job again. */
export interface DiscardAttribution {
  readonly at: number;
  readonly pid?: number;
  readonly job: string;
}

/** What the pipeline keeps per host running cron: compact, bounded, JSON-serialisable. */
export interface CronHostState {
  readonly host: string;
  /** The host's latest CMD lines that name a pid, oldest first (the newest MAX_STARTS). */
  readonly starts: readonly CronStart[];
  /** The discard lines this reducer gave a job, in the order it did (the latest MAX_ATTRIBUTED). */
  readonly attributed: readonly DiscardAttribution[];
  /**
   * cronie's `CMDOUT` lines of runs of kept CMD lines not ended yet, by the CMD line's pid and time, as
   * a `run.end` holds output (size, lines, first and last 2 KiB; the newest MAX_OUTPUTS runs). Left out while none.
   */
  readonly outputs?: readonly CronRunOutput[];
  /** The latest line time that changed the state. */
  readonly lastAt?: number;
  /** When the state may be deleted (DynamoDB TTL): HOST_TTL_MS after its latest line, or after it was written. */
  readonly expiresAt?: number;
}

/** The output so far of the run of the CMD line with pid `pid` at `at` (`CronHostState.outputs`). */
export interface CronRunOutput extends CronieOutput {
  readonly at: number;
  readonly pid: number;
  /** The time of its latest CMDOUT line: cronie logs a run's lines in order, so an earlier one is delivered again. */
  readonly lineAt: number;
  /** How many of its CMDOUT lines read were logged at `lineAt` (syslog times are whole seconds); 1 in a state stored without it. */
  readonly linesAtLineAt?: number;
}

/** Runs with output on their way at once on one host: more than any cron table starts together. */
const MAX_OUTPUTS = 50;
/**
 * What the kept outputs may take as JSON text, the newest kept first: 50 runs' 2 KiB heads and tails
 * escaped in JSON (a `\\` or `"` written twice, a control character six times) would take up to 400 KB
 * and more. With MAX_STARTS and MAX_ATTRIBUTED of jobs named up to 400 bytes (about 110 KB), the
 * host's state stays under DynamoDB's 400 KB item (`MAX_STATE_ITEM_BYTES`), stored however little it deflates.
 */
const MAX_OUTPUTS_JSON_BYTES = 250 * 1024;
/** A host with a job every minute starts 200 in over three hours: longer than most cron jobs run. */
const MAX_STARTS = 200;
/** Redeliveries come within hours (CloudWatch retries for up to 24 h); a host discards a few outputs an hour. */
const MAX_ATTRIBUTED = 50;
/** A host whose cron has been quiet this long is forgotten, as agent runs are. */
export const HOST_TTL_MS = 30 * 86_400_000;

/** When a host's state may be deleted: `HOST_TTL_MS` after its latest line, or after it is written. */
export function hostStateExpiry(lastAt: number | undefined, now: number): number {
  return Math.max(lastAt ?? 0, now) + HOST_TTL_MS;
}

export function cronHostKey(host: string): string {
  return `${CRON_HOST_STATE_KIND}#${host}`;
}

export function initialCronHostState(host: string): CronHostState {
  return { host, starts: [], attributed: [] };
}

function pidOf(body: RunStart | OutputDiscarded): number | undefined {
  const pid = (body as { pid?: unknown }).pid;
  return typeof pid === 'number' && Number.isInteger(pid) ? pid : undefined;
}

/** A cron CMD line that names its pid (systemd's starts in the journal name none). */
function isCronStart(event: AuditEvent): event is AuditEvent<RunStart> {
  return event.body.type === 'run.start' && CRON_LINE_FORMATS.has(event.format) && pidOf(event.body) !== undefined;
}

/** Debian cron's exit status line whose CMD line the job reducer's `enrich` did not find in the batch. */
function isCronFailure(event: AuditEvent): event is AuditEvent<CronRunFailed> {
  return event.body.type === 'cron.failed';
}

/** The newest CMD line with pid `cmdPid` at or before `at`. */
function startOf(starts: readonly CronStart[], at: number, cmdPid: number): CronStart | undefined {
  for (let i = partitionPoint(starts.length, (j) => starts[j].at <= at) - 1; i >= 0; i--) if (starts[i].pid === cmdPid) return starts[i];
  return undefined;
}

/** cronie's output line (`CMDOUT`) or end line (`CMDEND`) left by `enrich`, from the pid of its run's CMD line. */
function isCronieLine(event: AuditEvent): event is AuditEvent<CronOutputLine | CronRunEnded> {
  return (event.body.type === 'cron.output' || event.body.type === 'cron.end') && event.body.pid !== undefined;
}

/** The end `enrich` gave a cronie run whose CMD line and CMDEND came in the batch: the output kept of its pid is done with. */
function isCronieEndInBatch(event: AuditEvent): event is AuditEvent<RunEnd> {
  return event.body.type === 'run.end' && CRON_LINE_FORMATS.has(event.format) && exitUnknown(event.body);
}

/** A discard line the job reducer's `enrich` could not give a job to. */
function isUnattributedDiscard(event: AuditEvent): event is AuditEvent<OutputDiscarded> {
  return event.body.type === 'output.discarded' && event.body.job === undefined;
}

/**
 * The job of a discard line at `at` from cron process `pid`: the newest CMD line at or before it
 * whose pid is `pid + 1`, else the latest CMD line within DISCARD_WINDOW_MS before it.
 */
function jobOfDiscard(starts: readonly CronStart[], at: number, pid: number | undefined): string | undefined {
  let latest: CronStart | undefined;
  for (let i = partitionPoint(starts.length, (j) => starts[j].at <= at) - 1; i >= 0; i--) {
    const start = starts[i];
    if (pid !== undefined && start.pid === pid + 1) return start.job;
    if (pid === undefined) return at - start.at <= DISCARD_WINDOW_MS ? start.job : undefined;
    if (latest === undefined && at - start.at <= DISCARD_WINDOW_MS) latest = start;
  }
  return latest?.job;
}

/** The newest of `outputs` (oldest first) that fit in MAX_OUTPUTS_JSON_BYTES as JSON text: the older runs' output is let go, as past MAX_OUTPUTS. */
function withinJsonBudget(outputs: CronRunOutput[]): CronRunOutput[] {
  let bytes = 0;
  let from = outputs.length;
  for (; from > 0; from--) {
    bytes += Buffer.byteLength(JSON.stringify(outputs[from - 1]), 'utf8');
    if (bytes > MAX_OUTPUTS_JSON_BYTES) break;
  }
  return from === 0 ? outputs : outputs.slice(from);
}

/**
 * Where a batch that sends a kept CMD line again stands in its run's CMDOUT lines kept: the lines before `at`
 * are kept already, and the first `left` of those at `at` (counted off as the batch reads them again).
 */
interface LinesKept {
  readonly at: number;
  left: number;
}

/** The CMDOUT lines kept of the run of `start` (`LinesKept`); none kept: every line of it is new. */
function linesKeptOf(outputs: readonly CronRunOutput[] | undefined, start: CronStart): LinesKept {
  const kept = outputs?.find((o) => o.pid === start.pid && o.at === start.at);
  return kept ? { at: kept.lineAt, left: kept.linesAtLineAt ?? 1 } : { at: -Infinity, left: 0 };
}

/** Whether a CMDOUT line at `at`, in a batch that sent its run's CMD line again (`kept`), is one kept already: one of its second is counted off. */
function keptAlready(kept: LinesKept | undefined, at: number): boolean {
  if (kept === undefined || at > kept.at) return false;
  if (at < kept.at) return true;
  if (kept.left === 0) return false;
  kept.left -= 1;
  return true;
}

/** The output fields of a run's kept output, with its job's `expect_pattern` when a line of it matched (`CronieRunOutput`). */
function summaryOf(output: CronRunOutput): CronieRunOutput {
  const seen = output.expect_pattern_seen !== undefined ? { expect_pattern_seen: output.expect_pattern_seen } : {};
  return { output_bytes: output.output_bytes, output_lines: output.output_lines, output_head: output.output_head, output_tail: output.output_tail, ...seen };
}

export const cronHostReducer: SubjectReducer<CronHostState> = {
  // Its events are jobs' (it reports nothing itself); its state is the host's.
  kind: 'job',
  stateKind: CRON_HOST_STATE_KIND,
  bodyTypes: ['run.start', 'run.end', 'output.discarded', 'cron.failed', 'cron.output', 'cron.end'],
  subjectOf(event) {
    if (!isCronStart(event) && !isUnattributedDiscard(event) && !isCronFailure(event) && !isCronieLine(event) && !isCronieEndInBatch(event)) return undefined;
    return event.body.host ?? UNKNOWN_HOST;
  },
  initial: initialCronHostState,
  apply(initial, _subject, events, ctx): Reduction<CronHostState> {
    // Copied on their first change only: a redelivered batch returns the very state it was given.
    let starts: CronStart[] | undefined;
    let attributed: DiscardAttribution[] | undefined;
    let outputs: CronRunOutput[] | undefined;
    let lastAt = initial.lastAt;
    // The cronie runs `enrich` ended in the batch, whose CMDOUT lines it read: none kept for them (most batches: none).
    let endedHere: Set<string> | undefined;
    for (const event of events) if (isCronieEndInBatch(event)) (endedHere ??= new Set()).add(event.body.run_id);
    // The CMD lines of the batch kept already, with their run's lines kept then: the batch delivers them again from there
    // (a shipper resending from its checkpoint), so its CMDOUT lines of their runs before that latest line's time, and as
    // many of that second as were kept, are kept already.
    let redelivered: Map<CronStart, LinesKept> | undefined;
    // Marks the kept start of a run ended (`CronStart.ended`).
    const endStart = (start: CronStart) => {
      if (start.ended) return;
      starts ??= initial.starts.slice();
      starts[starts.indexOf(start)] = { ...start, ended: true };
    };
    // Marks the kept start of a run whose output is let go (`CronStart.outputLost`).
    const loseOutput = (output: CronRunOutput) => {
      const list = starts ?? initial.starts;
      const index = list.findIndex((s) => s.at === output.at && s.pid === output.pid);
      if (index < 0 || list[index].outputLost) return;
      starts ??= initial.starts.slice();
      starts[index] = { ...list[index], outputLost: true };
    };
    // Each job's `expect_pattern`, compiled once a batch for its runs' CMDOUT lines (`withCronieLine`).
    const patternOf = expectPatternsOf(ctx.config);
    const handOff: AuditEvent[] = [];
    for (const event of events) {
      if (isCronStart(event)) {
        const pid = pidOf(event.body) as number;
        const job = event.body.job;
        const list = starts ?? initial.starts;
        const index = partitionPoint(list.length, (i) => list[i].at <= event.at);
        const kept = list.find((s) => s.at === event.at && s.pid === pid && s.job === job);
        // Already kept (a redelivery), or older than every start kept: it would be dropped at once.
        if (kept && !redelivered?.has(kept)) (redelivered ??= new Map()).set(kept, linesKeptOf(outputs ?? initial.outputs, kept));
        if (kept || (list.length >= MAX_STARTS && index === 0)) continue;
        starts ??= initial.starts.slice();
        starts.splice(index, 0, { at: event.at, pid, job });
        if (starts.length > MAX_STARTS) starts.shift();
        lastAt = Math.max(lastAt ?? event.at, event.at);
        continue;
      }
      if (isCronFailure(event)) {
        // Its run's end, handed off again when redelivered: the job reducer skips an end it has read.
        const start = startOf(starts ?? initial.starts, event.at, event.body.cmd_pid);
        // The latest CMD line with the pid, unless older than its job could run: the pid was reused since.
        if (start && cronFailureCanEnd(start.job, start.at, event.at, ctx.config)) handOff.push(cronFailureEnd(event, start.job, cronRunId(event.body.host, start.pid, start.at)));
        continue;
      }
      if (isCronieEndInBatch(event)) {
        // Its CMD line and CMDEND came in the batch (`enrich`): output kept of it from an earlier delivery is done with.
        const list = outputs ?? initial.outputs ?? [];
        const index = list.findIndex((o) => cronRunId(event.body.host, o.pid, o.at) === event.body.run_id);
        if (index >= 0) (outputs ??= list.slice()).splice(index, 1);
        const start = (starts ?? initial.starts).find((s) => cronRunId(event.body.host, s.pid, s.at) === event.body.run_id);
        if (start) endStart(start);
        continue;
      }
      if (isCronieLine(event)) {
        const start = startOf(starts ?? initial.starts, event.at, event.body.pid as number);
        // No CMD line of its pid kept: no run to give it to.
        if (!start) continue;
        const list = outputs ?? initial.outputs ?? [];
        const index = list.findIndex((o) => o.pid === start.pid && o.at === start.at);
        if (event.body.type === 'cron.output') {
          if (start.ended || start.outputLost || endedHere?.has(cronRunId(event.body.host, start.pid, start.at)) || keptAlready(redelivered?.get(start), event.at)) continue;
          if (index >= 0 && event.at < list[index].lineAt) continue;
          outputs ??= list.slice();
          const sofar = index >= 0 ? list[index] : undefined;
          // Tested against the job's pattern now (changed in the config mid-run, a line matched the old one), unless one matched it already.
          const linesAtLineAt = sofar?.lineAt === event.at ? (sofar.linesAtLineAt ?? 1) + 1 : 1;
          const output = { ...withCronieLine(sofar, event.body, patternOf(start.job)), at: start.at, pid: start.pid, lineAt: event.at, linesAtLineAt };
          if (index >= 0) outputs[index] = output;
          else if (outputs.push(output) > MAX_OUTPUTS) loseOutput(outputs.shift() as CronRunOutput);
          lastAt = Math.max(lastAt ?? event.at, event.at);
          continue;
        }
        const output = index >= 0 ? summaryOf(list[index]) : undefined;
        if (index >= 0) (outputs ??= list.slice()).splice(index, 1);
        endStart(start);
        // Its run's end, handed off again when redelivered: the job reducer skips an end it has read.
        if (cronFailureCanEnd(start.job, start.at, event.at, ctx.config)) {
          handOff.push(cronieRunEnd(event as AuditEvent<CronRunEnded>, start.job, cronRunId(event.body.host, start.pid, start.at), start.at, output));
        }
        continue;
      }
      if (!isUnattributedDiscard(event)) continue;
      const pid = pidOf(event.body);
      const ring = attributed ?? initial.attributed;
      let job = ring.find((a) => a.at === event.at && a.pid === pid)?.job;
      if (job === undefined) {
        job = jobOfDiscard(starts ?? initial.starts, event.at, pid);
        // No CMD line of this host is known before it: no job to report it on, as before.
        if (job === undefined) continue;
        attributed ??= initial.attributed.slice();
        attributed.push(pid === undefined ? { at: event.at, job } : { at: event.at, pid, job });
        if (attributed.length > MAX_ATTRIBUTED) attributed.shift();
        lastAt = Math.max(lastAt ?? event.at, event.at);
      }
      // Handed off again when redelivered: the job reducer recognises a discard line by its time.
      handOff.push({ ...event, body: { ...event.body, job } });
    }
    const handed = handOff.length > 0 ? { handOff } : {};
    // Measured once a batch, only when it changed them.
    const kept = outputs ? withinJsonBudget(outputs) : initial.outputs;
    if (outputs && kept !== outputs) for (const output of outputs.slice(0, outputs.length - (kept?.length ?? 0))) loseOutput(output);
    if (!starts && !attributed && !outputs) return { state: initial, findings: [], records: [], ...handed };
    const state: CronHostState = {
      host: initial.host,
      starts: starts ?? initial.starts,
      attributed: attributed ?? initial.attributed,
      ...(kept !== undefined && kept.length > 0 ? { outputs: kept } : {}),
      ...(lastAt !== undefined ? { lastAt } : {}),
      expiresAt: hostStateExpiry(lastAt, ctx.clock.now()),
    };
    return { state, findings: [], records: [], ...handed };
  },
  expiresAt(state) {
    return state.expiresAt;
  },
};
