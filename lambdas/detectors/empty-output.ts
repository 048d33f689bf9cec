import { treeWorkText } from '../core/agent-format.ts';
import { endedRoot, totalsOf } from '../core/agent-tree.ts';
import { isoTime } from '../core/findings.ts';
import { formatBytes } from '../core/stats.ts';
import type { TreeDetector } from './agent-kinds.ts';
import { byteLength, classifyEmptyOutput, endedCleanly, type EmptyOutputKind, preview, wholeOfExcerpts, wholeOutput } from './output-content.ts';
import type { RunDetector } from './types.ts';

const WHAT_WAS_EMPTY: Record<EmptyOutputKind, string> = {
  'zero-bytes': 'wrote no output',
  blank: 'wrote only whitespace',
  'empty-marker': 'wrote only an empty result',
  'empty-json': 'wrote JSON whose arrays are all empty',
};

export const emptyOutputDetector: RunDetector = {
  kind: 'run',
  meta: {
    id: 'empty-output',
    description: 'A run exited 0 (an agent\'s root run ended `ok`) but its output is empty.',
    subjectKind: 'job',
    defaultSeverity: 'high',
    keepsRunOutOfBaseline: true,
    fiveCs: {
      criteria:
        'The run exited 0 and its whole output is empty: 0 bytes, only whitespace, `[]`, `{}`, `null`, `<no rows>`, `(0 rows)`, or JSON holding only empty arrays such as `{"results": []}`. Judged only when the size is 0 or the head holds the whole output. An agent\'s root run: its `agent.end` says `status: ok` and `output_bytes: 0` (not judged when it logs no `output_bytes`).',
      cause:
        'A success check that only catches hard errors, so an empty result flows through as a normal day: an expired upstream API key that now returns nothing, a changed query template that matches no rows, a wrong source path, or a full disk that made the write fail quietly. An agent: a tool or search that returned nothing, or a model reply it could not parse, taken for a finished task.',
      consequence:
        'Every monitor shows green while consumers receive empty reports, backups or snapshots, often for weeks, until someone needs the data and finds there is none.',
      correctiveAction:
        'Open the run log and check the upstream (credentials, query, source path, free disk). Make the job exit non-zero when it produces nothing, and set `expect_pattern` for the line a good run always prints. An agent: read its run\'s tool results and model replies, and have it end with status `error` when it has nothing to return.',
    },
  },
  check({ run }) {
    if (!endedCleanly(run)) return [];
    const output = wholeOutput(run);
    if (output === undefined) return [];
    const kind = classifyEmptyOutput(output);
    if (kind === undefined) return [];
    const outputBytes = run.output_bytes ?? byteLength(output);
    const shown = kind === 'empty-marker' || kind === 'empty-json' ? `: ${preview(output)}` : ` (${formatBytes(outputBytes)})`;
    return [
      {
        subject: run.job,
        run_id: run.run_id,
        ts: isoTime(run.endedAt),
        message: `exited 0 but ${WHAT_WAS_EMPTY[kind]}${shown}`,
        evidence: { output_bytes: outputBytes, reason: kind, output: preview(output, 120) },
      },
    ];
  },
};

/**
 * empty-output of an agent's root run, by the same id and 5 Cs: its `agent.end` said `ok` (in any case) and
 * logged `output_bytes` 0 (the agent that returned "ok" having done nothing). The root only: a
 * sub-agent's result is its parent's to use, and what reaches the caller is the root's. A run that
 * logs no `output_bytes` is not judged, whatever its count of actions.
 */
export const emptyOutputRootRunDetector: TreeDetector = {
  kind: 'agent-tree',
  meta: { ...emptyOutputDetector.meta, subjectKind: 'agent' },
  check({ tree }) {
    const root = endedRoot(tree);
    if (root?.status?.toLowerCase() !== 'ok' || root.output_bytes === undefined) return [];
    const output = wholeOfExcerpts(undefined, undefined, root.output_bytes);
    const kind = output === undefined ? undefined : classifyEmptyOutput(output);
    if (kind === undefined) return [];
    return [
      {
        subject: tree.agent,
        run_id: root.run_id,
        ts: isoTime(root.ended_at as number),
        message: `run ${root.run_id} ended ok but ${WHAT_WAS_EMPTY[kind]} (output_bytes ${root.output_bytes}) after ${treeWorkText(tree)}`,
        evidence: { output_bytes: root.output_bytes, reason: kind, status: root.status, actions: totalsOf(tree.runs).actions, runs: tree.runs.length, root_run_id: tree.root_run_id },
      },
    ];
  },
};
