import type { RunRecord } from '../../ports.ts';
import type { Finding } from '../findings.ts';
import { listsBy } from './lookup.ts';

/**
 * Which run a record or a finding is about. A run id need not be unique forever (a job that logs
 * run_id "1" every night), so a run is its id at a time: a record's key is its time and id, as the
 * stores key it (`ts#run_id`).
 */
export function runKey(record: Pick<RunRecord, 'ts' | 'run_id'>): string {
  return `${record.ts}#${record.run_id}`;
}

/** The root run of the agent tree a finding is about, when its evidence names one. */
function rootRunIdOf(finding: Finding): string | undefined {
  const root = finding.evidence?.root_run_id;
  return typeof root === 'string' && root !== '' ? root : undefined;
}

/** Where a finding's run starts, when its evidence says (run-unfinished). */
export function startedAtOf(finding: Finding): number | undefined {
  const at = finding.evidence?.started_at;
  return typeof at === 'string' ? Date.parse(at) : undefined;
}

/** Where a record's run started, as far as it says: its end less its logged duration (its end when it logs none). */
export function runStartOf(record: RunRecord): number {
  return Date.parse(record.ts) - (record.duration_ms ?? 0);
}

/** The finding's max runtime, when its evidence says (run-unfinished). */
function maxRuntimeOf(finding: Finding): number | undefined {
  const ms = finding.evidence?.max_runtime_ms;
  return typeof ms === 'number' && ms > 0 ? ms : undefined;
}

/** How often an id's runs start: the smallest gap between the logged starts of its consecutive records. */
function usualIntervalOf(records: readonly RunRecord[]): number {
  const starts = records.map(runStartOf).sort((a, b) => a - b);
  let interval = Infinity;
  for (let i = 1; i < starts.length; i++) if (starts[i] > starts[i - 1]) interval = Math.min(interval, starts[i] - starts[i - 1]);
  return interval;
}

/**
 * The record of the run of an id that started at `startedAt` (a run-unfinished finding's run that
 * ended later): the first of that id to end at or after its start, whatever duration it logs (a run
 * waiting on a lock may log only its work's time). For a job reusing one id, only within the id's
 * usual interval after that start (its runs' smallest gap; at least the max runtime the run passed,
 * `maxRuntimeMs`), before or after its first run alike: a later record is the next run's. An id
 * seen once is linked with no limit.
 */
function endOfRunStarted(records: readonly RunRecord[], startedAt: number, maxRuntimeMs = 0): RunRecord | undefined {
  let ended: RunRecord | undefined;
  for (const r of records) {
    const at = Date.parse(r.ts);
    if (at >= startedAt && (!ended || at < Date.parse(ended.ts))) ended = r;
  }
  if (!ended || records.length < 2) return ended;
  return Date.parse(ended.ts) < startedAt + Math.max(usualIntervalOf(records), maxRuntimeMs) ? ended : undefined;
}

/**
 * The runs of one subject, by id, to find the run a finding is about: the record of that id at
 * the finding's time (a run's findings are stamped with its end, when it records itself); else
 * one whose run was going on then (found while it ran); else the nearest of that id. A finding
 * of a run whose start it names (one that never ended) and that no record spans is a run of its
 * own; one whose id no record has is keyed by the id alone, as its other findings are.
 */
export class RunIndex {
  private readonly byId: ReadonlyMap<string, RunRecord[]>;
  /** The records' own keys (`runKey`). */
  private readonly recorded: ReadonlySet<string>;

  constructor(runs: readonly RunRecord[]) {
    this.byId = listsBy(runs, (r) => r.run_id);
    this.recorded = new Set(runs.map(runKey));
  }

  /**
   * The key of the run a finding is about; undefined for a finding about no run. A sub-agent's
   * finding is about its tree's root run (its evidence names it, `root_run_id`): only root runs
   * record themselves, so a subject's runs are its root runs.
   */
  runOf(finding: Finding): string | undefined {
    const id = rootRunIdOf(finding) ?? finding.run_id;
    if (id === undefined) return undefined;
    const records = this.byId.get(id);
    if (!records) return `#${id}`;
    const at = Date.parse(finding.ts);
    const exact = records.find((r) => r.ts === finding.ts);
    if (exact) return runKey(exact);
    const spanning = records.find((r) => r.duration_ms !== undefined && Date.parse(r.ts) - r.duration_ms <= at && at <= Date.parse(r.ts));
    if (spanning) return runKey(spanning);
    const startedAt = startedAtOf(finding);
    if (startedAt !== undefined) {
      const ended = endOfRunStarted(records, startedAt, maxRuntimeOf(finding));
      return ended ? runKey(ended) : `${new Date(startedAt).toISOString()}#${id}`;
    }
    let nearest = records[0];
    for (const r of records) if (Math.abs(Date.parse(r.ts) - at) < Math.abs(Date.parse(nearest.ts) - at)) nearest = r;
    return runKey(nearest);
  }

  /**
   * The runs that never ended, each once by its key (`runOf`), with its first `run-unfinished`
   * finding: those no record is. A run whose end came later, past its max runtime, is its record
   * (counted once); one that never ended wrote none, yet is one of its subject's runs, a job's as an
   * agent's. A job whose runs log no end is never judged unfinished: its starts count its runs.
   */
  unendedRuns<F extends Finding>(findings: readonly F[]): Map<string, F> {
    const runs = new Map<string, F>();
    for (const f of findings) {
      if (f.detector !== 'run-unfinished') continue;
      const key = this.runOf(f);
      if (key !== undefined && !this.recorded.has(key) && !runs.has(key)) runs.set(key, f);
    }
    return runs;
  }

  /** The keys of the runs some findings are about. */
  runsOf(findings: readonly Finding[]): Set<string> {
    const out = new Set<string>();
    for (const f of findings) {
      const key = this.runOf(f);
      if (key !== undefined) out.add(key);
    }
    return out;
  }
}
